"""zookeeper_info with hostile values and hostile servers.

The base asks a four-letter-word server and an AdminServer that answer what a real ZooKeeper 3.8 leader
answered; the TLS base does the same over TLS with a CA bundle and a client certificate. Peers that drip,
stay silent, flood or answer garbage must cost at most the timeout and end in a message naming the server.
"""

from tests.fuzz import harness, layouts, values

ADMIN = "http://127.0.0.1:8080"
TARGET = harness.Target(
    "zookeeper_info",
    base=lambda workdir: {"host": "127.0.0.1", "port": 2181, "timeout": 2, "admin_url": ADMIN},
    servers=[layouts.zookeeper(2181), layouts.admin_server(8080)],
    base_did=lambda result, check_mode: result["mode"] == "leader" and result["source"] == "4lw"
    and result["max_client_cnxns"] == 60,
)


def tls_base(workdir):
    certs = layouts.certificates()
    return {"host": "127.0.0.1", "port": 2281, "timeout": 2, "tls": True, "tls_ca_path": certs["ca"],
            "tls_cert_path": certs["client_cert"], "tls_key_path": certs["client_key"], "validate_certs": True}


TLS = harness.Target(
    "zookeeper_info", base=tls_base, label="zookeeper_info-tls",
    servers=[lambda workdir: layouts.zookeeper(2281, tls={"cert": layouts.certificates()["ca"],
                                                          "key": layouts.certificates()["server_key"]})],
    base_did=lambda result, check_mode: result["mode"] == "leader" and result["source"] == "4lw",
)

TARGET.refuse("host", values.strings() + ["127.0.0.1 ", "-x", "a b", "http://127.0.0.1", "127.0.0.1:2181", "::1%eth0\n",
                                          "x" * 300, "a/b", "a..b\x00"],
              always=["127.0.0.1\x00", "127.0.0.1\r\nX"])
TARGET.refuse("port", values.numbers() + values.ports(), always=[0, 65536, "2181\n", "\u0662\u0661\u0668\u0661"])
TARGET.refuse("admin_url", values.strings() + [
    "ftp://127.0.0.1:8080", "http://user:pw@127.0.0.1:8080", "http://127.0.0.1:99999", "http://127.0.0.1:0",
    "http://127.0.0.1:8080?x=1", "http://127.0.0.1:8080#f", "http://[::1:8080", "http:///x", "javascript:alert(1)",
    "http://127.0.0.1:8080/\x00", "http://127.0.0.1:8080/ x", "http://127.0.0.1:\u0668\u0660\u0668\u0660"],
    always=["http://127.0.0.1:8080\r\nX-Injected: 1", "http://127.0.0.1:8080/\r\n"])
TARGET.refuse("source_address", values.strings() + ["localhost", "256.0.0.1", "127.0.0.1 ", "::1%", "1.2.3.4\x00"],
              always=["192.0.2.1", "localhost"])
TARGET.refuse("timeout", values.numbers(), always=["inf", "nan", 0, "3601"])
TARGET.refuse("threshold_percent", values.numbers(), always=[0, "100.1", "nan"])
TARGET.refuse("idle_min_age", values.numbers(), always=["inf", "315360001", -1])
TLS.refuse("tls", values.booleans())
TLS.refuse("validate_certs", values.booleans())
for option in ("tls_ca_path", "tls_cert_path", "tls_key_path"):
    TLS.refuse(option, values.paths() + ["\x00", "a\r\nb", 12, [], {"a": 1}],
               always=[values.PathValue("fifo"), values.PathValue("device"),
                       values.PathValue("link_to_secret_as_nobody")])

TARGET.accept("host", [("localhost", "a host name that resolves to the server")])
TARGET.accept("port", [("2181", "ASCII digits as text")])
TARGET.accept("admin_url", [(ADMIN + "/", "a trailing slash"), ("http://localhost:8080", "a host name")])
TARGET.accept("source_address", [("127.0.0.1", "an address of this host")])
TARGET.accept("timeout", [("0.5", "a fraction of a second"), ("3600", "the documented upper bound")])
TARGET.accept("threshold_percent", [("100", "the upper bound"), (0.01, "just over 0"), ("80.5", "a decimal")])
TARGET.accept("idle_min_age", [(0, "the lower bound: every idle session"), ("300", "ASCII digits")])
TLS.accept("validate_certs", [("yes", "an Ansible boolean")])


def words_refusing_all_but_srvr(port=2181):
    return layouts.zookeeper(port, refuse=("mntr", "conf", "cons", "stat"))


def numbers_garbage(port):
    return {"kind": "raw", "port": port, "data": "Zookeeper version: x\nConnections: abc\nMode: leader\nNode count: -\n"}


WHERE = "127.0.0.1:2181"
for kind in ("drip", "silent", "garbage", "flood", "close", "reset"):
    TARGET.peer("four-letter words answered by a %s server" % kind, names=[WHERE],
                servers=[{"kind": kind, "port": 2181}], args={"admin_url": None})
TARGET.peer("four-letter words answered with numbers that are not numbers", names=[WHERE],
            servers=[numbers_garbage(2181)], args={"admin_url": None})
TARGET.peer("every word but srvr refused, no AdminServer", servers=[words_refusing_all_but_srvr()],
            args={"admin_url": None}, may_succeed=True, verify=lambda r: r["connections_by_ip"] is None)
for title, admin in [
        ("drips", {"kind": "drip", "port": 8080, "prefix": "HTTP/1.0 200 OK\r\nContent-Length: 999999\r\n\r\n"}),
        ("stays silent", {"kind": "silent", "port": 8080}),
        ("floods", {"kind": "flood", "port": 8080}),
        ("is not HTTP", {"kind": "garbage", "port": 8080}),
        ("answers a broken status line", {"kind": "raw", "port": 8080,
                                          "data": "HTTP/9.9 abc\r\nContent-Length: -5\r\n\r\n{not json"}),
        ("lies about its length", {"kind": "raw", "port": 8080,
                                   "data": "HTTP/1.0 200 OK\r\nContent-Length: 99999999999999\r\n\r\n{}"}),
        ("sends a broken chunked body", {"kind": "raw", "port": 8080,
                                         "data": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}),
        ("answers JSON that is not an object", {"kind": "http", "port": 8080, "routes": dict(
            ("/commands/%s" % c, [200, '[1, "x", {"connections": "nope"}]'])
            for c in ("monitor", "configuration", "connections"))}),
        ("answers numbers that are not numbers", {"kind": "http", "port": 8080, "routes": dict(
            ("/commands/%s" % c, [200, '{"num_alive_connections": "abc", "maxClientCnxns": 1e999, "connections": '
                                       '[{"remote_socket_address": 5}]}']) for c in ("monitor", "configuration",
                                                                                     "connections"))}),
]:
    TARGET.peer("the AdminServer %s (the whitelist sends the module there)" % title,
                servers=[words_refusing_all_but_srvr(), admin], may_succeed=True, names=["127.0.0.1:8080"],
                verify=lambda r: r.get("failed") or r["connections_by_ip"] is None)
TLS.peer("a TLS port that answers garbage", servers=[{"kind": "garbage", "port": 2281}], names=["127.0.0.1:2281"])
TLS.peer("a TLS port that stays silent", servers=[{"kind": "silent", "port": 2281}], names=["127.0.0.1:2281"])
TLS.peer("a server certificate signed by another CA", args={"tls_ca_path": lambda w: layouts.certificates()["client_cert"]},
         names=["127.0.0.1:2281"])

globals().update(harness.module_tests([TARGET, TLS], peers=[TARGET, TLS]))
