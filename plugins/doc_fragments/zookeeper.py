# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by the ZooKeeper modules.

    The matching argument spec is
    ``ansible_collections.alertops.remediation.plugins.module_utils.zkparams.zookeeper_argument_spec()``.
    """

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address of the ZooKeeper server's client port (C(clientPortAddress)), a host name or an IP address,
        as text. A name made of numbers only (C(12), C(0177.0.0.1)) is refused (give the address itself).
      - "By default V(127.0.0.1): the server on the managed host itself."
    type: raw
    default: 127.0.0.1
  port:
    description:
      - The server's client port (C(clientPort), or C(secureClientPort) with O(tls=true)).
      - A whole number from 1 to 65535, as an integer or a string of ASCII digits.
      - By default V(2181), ZooKeeper's usual client port.
    type: raw
    default: 2181
  admin_url:
    description:
      - Base URL of the server's AdminServer, for example V(http://127.0.0.1:8080), in printable ASCII,
        without user, query or fragment.
      - Used for what the four-letter-word whitelist refuses (C(/commands/connections),
        C(/commands/configuration), C(/commands/monitor)), and when the server closes four-letter-word
        connections from this host at once because its IP is over C(maxClientCnxns).
      - When not given, no AdminServer is contacted (no port is guessed).
    type: str
  source_address:
    description:
      - Local IP address to connect from (an IP address, not a host name).
      - A client IP over C(maxClientCnxns) is refused even for four-letter words; connect from another
        local address of the host to diagnose it.
    type: str
  timeout:
    description:
      - Seconds for each whole reply (connection, TLS handshake and every byte of the answer) and for all
        the module's requests together; a server that answers slowly is cut off at this deadline.
      - A finite number over 0 and up to 3600, as a number or a string of ASCII digits.
      - By default 10 seconds.
    type: raw
    default: 10
  tls:
    description:
      - Wrap four-letter-word connections in TLS (the server's C(secureClientPort)).
      - By default (V(false)) plain TCP, what ZooKeeper's usual client port speaks.
    type: bool
    default: false
  tls_ca_path:
    description:
      - CA bundle to verify the server's certificate (TLS and C(https) O(admin_url)).
      - Must be a regular file; anything else (a FIFO, a device, a directory) is refused without opening it.
    type: path
  tls_cert_path:
    description:
      - Client certificate (PEM) when the server requires client authentication; a regular file.
    type: path
  tls_key_path:
    description:
      - Private key of O(tls_cert_path) when it is not in the same file; a regular file.
    type: path
  validate_certs:
    description:
      - Verify the server's certificate and host name. Set to V(false) only for throwaway test servers.
      - By default (V(true)) the certificate must be valid and name O(host).
    type: bool
    default: true
'''
