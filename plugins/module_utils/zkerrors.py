# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The errors of the ZooKeeper client and parsers, and the check that tells a refusal from data.

Error replies are never parsed as data:
  - ``<cmd> is not executed because it is not in the whitelist.``  -> ZkWhitelistError
  - ``This ZooKeeper instance is not currently serving requests``   -> ZkNotServingError
  - the server closing a connection at once, before any reply (the client IP is over
    ``maxClientCnxns``)                                               -> ZkConnectionClosedError
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

NOT_SERVING = "This ZooKeeper instance is not currently serving requests"
_WHITELIST_RE = re.compile(r"\s*(\w+) is not executed because it is not in the whitelist\.?\s*\Z")
_NOT_SERVING_RE = re.compile(r"\s*" + re.escape(NOT_SERVING))


class ZkError(Exception):
    """Base class of every error the ZooKeeper module_utils raise."""


class ZkConnectError(ZkError):
    """The TCP (or TLS) connection could not be made, or the reply did not come within the deadline."""


class ZkConnectionClosedError(ZkError):
    """The server accepted the TCP connection and closed it at once without a reply."""


class ZkWhitelistError(ZkError):
    """The four-letter word is not in ``4lw.commands.whitelist``."""

    def __init__(self, command, message=None):
        self.command = command
        ZkError.__init__(self, message or "%s is not executed because it is not in the whitelist" % command)


class ZkNotServingError(ZkError):
    """The server runs but is not serving requests (no quorum, still electing a leader)."""


class ZkAdminError(ZkError):
    """The AdminServer could not be reached or gave an unusable reply."""


class ZkParseError(ZkError):
    """A reply did not have the expected format."""


def check_reply(command, text):
    """Raise the matching error when ``text`` is a refusal rather than data; return ``text``."""
    if len(text) < 200:  # refusals are one short line; a long reply is data
        match = _WHITELIST_RE.match(text)
        if match:
            raise ZkWhitelistError(match.group(1))
    if _NOT_SERVING_RE.match(text):
        raise ZkNotServingError("%s: %s" % (command, NOT_SERVING))
    return text
