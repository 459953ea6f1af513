"""The client of module_utils/zookeeper.py against fake loopback servers started (and stopped) here:
one bounded round trip per four-letter word, the AdminServer over HTTP, TLS files checked."""
import os
import socket
import threading

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as zk
from tests.support.fakeserver import drip, reply_with, servers, zk_fixture as fixture


@pytest.fixture
def server():
    with servers() as make:
        yield make


DRIP = drip(80, 0.25)  # a byte every 0.25 s, 80 bytes at most (20 s)


# ---------------------------------------------------------------- four-letter words
def test_client_one_round_trip(server):
    s = server(reply_with(fixture("standalone_srvr.txt")))
    client = zk.ZkClient("127.0.0.1", s.port, timeout=5)
    assert client.srvr()["mode"] == "standalone"
    assert s.received == [b"srvr"]
    assert client.last_local_address[0] == "127.0.0.1"


def test_client_whitelist_refusal(server):
    s = server(reply_with("cons is not executed because it is not in the whitelist.\n"))
    with pytest.raises(zk.ZkWhitelistError):
        zk.ZkClient("127.0.0.1", s.port, timeout=5).cons()


def test_client_closed_at_once_is_distinct(server):
    s = server(lambda self, conn: None)  # accept, then close without a byte
    with pytest.raises(zk.ZkConnectionClosedError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=5).srvr()
    assert "maxClientCnxns" in str(err.value)


def test_client_timeout(server):
    s = server(lambda self, conn: self.stop.wait(5))
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=0.3).srvr()
    assert "0.3" in str(err.value)


def test_timeout_bounds_the_whole_reply_not_each_read(server):
    s = server(DRIP)
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=1.5).srvr()
    assert "deadline" in str(err.value)
    assert s.sent < 40  # cut off at the deadline, long before the server would have stopped


def test_total_timeout_bounds_every_round_trip_together(server):
    s = server(DRIP)
    client = zk.ZkClient("127.0.0.1", s.port, timeout=2, total_timeout=2)
    for word in ("srvr", "mntr", "conf"):
        with pytest.raises(zk.ZkConnectError):
            client.raw(word)
    assert s.sent < 40  # about 8 bytes for the first word, none after the shared deadline


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0, -1])
def test_client_refuses_timeouts_that_bound_nothing(value):
    with pytest.raises(ValueError):
        zk.ZkClient(timeout=value)
    with pytest.raises(ValueError):
        zk.ZkClient(total_timeout=value)


def test_client_refuses_an_oversized_reply(server, monkeypatch):
    monkeypatch.setattr(zk, "MAX_REPLY_BYTES", 1000)
    s = server(reply_with(b"y" * 5000))
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=5).raw("srvr")
    assert "exceeds 1000 bytes" in str(err.value)


def test_client_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound then closed: nothing listens there now
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", port, timeout=2).srvr()
    assert "127.0.0.1:%d" % port in str(err.value)


def test_client_cons_leaves_out_its_own_probe(server):
    def behaviour(self, conn):
        conn.recv(4)
        ip, port = conn.getpeername()
        conn.sendall((" /%s:%d[0](queued=0,recved=1,sent=0)\n /10.0.0.9:1[1](queued=0,recved=1,sent=1)\n\n"
                      % (ip, port)).encode())
    s = server(behaviour)
    conns = zk.ZkClient("127.0.0.1", s.port, timeout=5).cons()
    assert [c["ip"] for c in conns] == ["10.0.0.9"]


def test_unknown_word_refused():
    with pytest.raises(ValueError):
        zk.ZkClient().raw("kill")


# ---------------------------------------------------------------- AdminServer over HTTP
def http(status, body, headers=""):
    return ("HTTP/1.1 %s\r\nContent-Type: application/json\r\n%s\r\n%s" % (status, headers, body)).encode()


def test_admin_json_reply(server):
    body = fixture("leader_admin_monitor.json")
    s = server(reply_with(http("200 OK", body, "Content-Length: %d\r\n" % len(body.encode()))))
    client = zk.ZkClient(admin_url="http://127.0.0.1:%d" % s.port, timeout=5)
    assert client.admin_monitor()["server_state"] == "leader"
    request = s.received[0].decode()
    assert request.startswith("GET /commands/monitor HTTP/1.0\r\n")
    assert "\r\nHost: 127.0.0.1:%d\r\n" % s.port in request


def test_admin_chunked_reply(server):
    body = fixture("standalone_admin_connections.json").encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100]) for i in range(0, len(body), 100))
    s = server(reply_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n"))
    client = zk.ZkClient(admin_url="http://127.0.0.1:%d/" % s.port, timeout=5)
    assert len(client.admin_connections()) == 4


def test_admin_not_serving_http_500(server):
    s = server(reply_with(http("500 Server Error", "<html>zkServer is null</html>")))
    with pytest.raises(zk.ZkNotServingError):
        zk.ZkClient(admin_url="http://127.0.0.1:%d" % s.port, timeout=5).admin_monitor()


@pytest.mark.parametrize("reply,needle", [
    (fixture("standalone_srvr.txt").encode(), "did not answer HTTP"),
    (b"\x16\x03\x01\x02\x00garbage", "did not answer HTTP"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 9999\r\n\r\n{}", "closed the connection after"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}", "bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunked"),
    (b"HTTP/1.1 200 OK\r\n\r\nnot json", "not JSON"),
    (b"HTTP/1.1 404 Not Found\r\n\r\n", "HTTP 404"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", "incomplete HTTP header"),
])
def test_admin_garbage_is_admin_error(server, reply, needle):
    s = server(reply_with(reply))
    with pytest.raises(zk.ZkAdminError) as err:
        zk.ZkClient(admin_url="http://127.0.0.1:%d" % s.port, timeout=5).admin_configuration()
    assert needle in str(err.value)


def test_admin_drip_is_cut_at_the_deadline(server):
    s = server(DRIP)
    with pytest.raises(zk.ZkAdminError) as err:
        zk.ZkClient(admin_url="http://127.0.0.1:%d" % s.port, timeout=1.5).admin_monitor()
    assert "deadline" in str(err.value) and s.sent < 40


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080\r\nX-Injected: 1",
    "http://127.0.0.1:8080/\nx",
    "http://127.0.0.1:8080/a b",
    "http://127.0.0.1:8080\x00",
    "http://user:pw@127.0.0.1:8080",
    "http://127.0.0.1:8080/?q=1",
    "http://127.0.0.1:99999",
    "ftp://127.0.0.1",
    "127.0.0.1:8080",
    "http://[::1",
    "http://h\u0669st:8080",
    "http://" + "a" * 3000,
])
def test_admin_url_refused(url):
    with pytest.raises(ValueError) as err:
        zk.ZkClient(admin_url=url)
    assert "admin_url" in str(err.value)


def test_admin_url_forms():
    assert zk.ZkClient(admin_url="https://[::1]:8443/zk/").admin_url == "https://[::1]:8443/zk"


# ---------------------------------------------------------------- TLS files
def test_tls_ca_fifo_is_refused_without_opening_it(tmp_path):
    fifo = str(tmp_path / "ca.pem")
    os.mkfifo(fifo)
    # opening a FIFO for reading blocks until a writer comes: a refusal that returns proves it was not opened
    with pytest.raises(ValueError) as err:
        zk.make_ssl_context(ca_path=fifo)
    assert "tls_ca_path" in str(err.value) and "not a regular file" in str(err.value)


@pytest.mark.parametrize("kind", ["directory", "missing", "garbage"])
def test_tls_ca_path_other_bad_files(tmp_path, kind):
    path = tmp_path / "ca.pem"
    if kind == "directory":
        path.mkdir()
    elif kind == "garbage":
        path.write_text("not a certificate")
    with pytest.raises(ValueError) as err:
        zk.make_ssl_context(ca_path=str(path))
    assert "tls_ca_path" in str(err.value)


@pytest.mark.parametrize("option", ["tls_cert_path", "tls_key_path"])
def test_tls_client_files_must_be_regular(tmp_path, option):
    fifo = str(tmp_path / "x.pem")
    os.mkfifo(fifo)
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    args = {"cert_path": fifo} if option == "tls_cert_path" else {"cert_path": str(cert), "key_path": fifo}
    with pytest.raises(ValueError) as err:
        zk.make_ssl_context(**args)
    assert option in str(err.value)


def test_https_admin_with_fifo_ca_is_refused_when_the_client_is_made(tmp_path):
    fifo = str(tmp_path / "ca.pem")
    os.mkfifo(fifo)
    with pytest.raises(ValueError):
        zk.ZkClient(admin_url="https://127.0.0.1:8443", admin_tls={"ca_path": fifo})


def test_a_hanging_name_lookup_is_cut_at_the_deadline(monkeypatch):
    released = threading.Event()

    def hang(*args, **kwargs):
        released.wait(30)
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", hang)
    try:
        with pytest.raises(zk.ZkConnectError) as err:
            zk.ZkClient("zk1.example.invalid", 2181, timeout=1).srvr()
        assert "deadline" in str(err.value) and "zk1.example.invalid" in str(err.value)
        assert not released.is_set()  # the lookup was still hanging when the client gave up
    finally:
        released.set()


def test_a_name_is_resolved_and_every_address_tried(server):
    s = server(reply_with(fixture("standalone_srvr.txt")))
    assert zk.ZkClient("localhost", s.port, timeout=5).srvr()["mode"] == "standalone"


@pytest.mark.parametrize("text,expected", [("10.0.0.1", True), ("::1", True), ("fe80::1%eth0", True),
                                           ("fe80::1%", False), ("10.0.0.1%eth0", False), ("zk1", False),
                                           ("10.0.0.300", False), ("", False)])
def test_is_ip(text, expected):
    assert zk.is_ip(text) is expected
