"""The ZooKeeper role suites' availability poller: only a member that refuses connections counts as down.
A follower drops every connection the moment its leader goes away, which once made a sample with the
restarting leader and that follower read "two members down" (an observer-ensemble rollout failed its
gate assertion on a busy machine)."""
import socket
import threading

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import ZkClient
from tests.integration.zkrole_support import Poller


def closing_server():
    """a listener on 127.0.0.1 that accepts every connection and closes it without a byte."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, dummy = sock.accept()
            except socket.timeout:
                continue
            conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return sock, stop, thread


def test_a_member_closing_connections_is_not_down_and_a_refusing_one_is():
    sock, stop, thread = closing_server()
    try:
        port = sock.getsockname()[1]
        assert Poller.probe(ZkClient("127.0.0.1", port, timeout=1.0)) == "closed"
    finally:
        stop.set()
        thread.join(2)
        sock.close()
    # the same port, nobody listening any more: refused
    assert Poller.probe(ZkClient("127.0.0.1", port, timeout=1.0)) == "down"
