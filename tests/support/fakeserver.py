"""Fake servers on 127.0.0.1 for tests: a listening socket and a thread that answers every connection
with `behaviour(server, conn)`; `close()` stops both (also when the test fails, through the fixture
helper `servers()`). Recorded ZooKeeper replies are read with `zk_fixture(name)`."""
import contextlib
import os
import socket
import threading

ZK_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit", "fixtures",
                           "zookeeper")


def zk_fixture(name):
    with open(os.path.join(ZK_FIXTURES, name)) as fh:
        return fh.read()


class FakeServer(object):
    """`received` collects what behaviours record, `sent` what they count, `stop` ends long behaviours."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.sent = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self.behaviour(self, conn)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close() alone does not)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)


@contextlib.contextmanager
def servers():
    """Yield a factory `make(behaviour) -> FakeServer`; every server made is closed on exit."""
    made = []

    def make(behaviour):
        made.append(FakeServer(behaviour))
        return made[-1]
    try:
        yield make
    finally:
        for server in made:
            server.close()


def replay_words(replies):
    """Behaviour of a four-letter-word server: the reply recorded for each word (None: close at once)."""
    def behaviour(server, conn):
        word = conn.recv(4).decode("ascii", "replace")
        server.received.append(word)
        reply = replies.get(word)
        if reply is not None:
            conn.sendall(reply.encode())
    return behaviour


def reply_with(data):
    """Behaviour: read the request, answer `data` (str or bytes), close."""
    def behaviour(server, conn):
        server.received.append(conn.recv(4096))
        conn.sendall(data if isinstance(data, bytes) else data.encode())
    return behaviour


def drip(limit, interval):
    """Behaviour: after the request, one byte every `interval` seconds, `limit` bytes at most: a reply
    that a per-read timeout never ends."""
    def behaviour(server, conn):
        conn.recv(4096)
        while server.sent < limit and not server.stop.wait(interval):
            conn.sendall(b"Z")
            server.sent += 1
    return behaviour
