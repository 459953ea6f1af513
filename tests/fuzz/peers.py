"""What a fuzz case's sandbox starts next to the module: peers on 127.0.0.1 (hostile or scripted servers)
and sentinels (processes the module has no reason to signal). Runs inside the sandbox only.

Server kinds ({kind, port, ...}):
  drip         after the request, one byte every 0.5 s, forever (a per-read timeout never ends it)
  silent       accepts, reads, never answers
  garbage      binary noise, then close
  flood        sends as fast as it can, forever (a reader without a size cap fills its memory)
  close        accepts and closes at once, before any byte
  reset        accepts and resets the connection
  words        a ZooKeeper four-letter-word server: replies {word: text}; an unknown word is closed
  http         an HTTP/1.0 server: routes {path: [status, body]}, 404 otherwise
  raw          answers the bytes `data` (latin-1 text) to any request, then closes
Any kind speaks TLS with `tls: {cert, key}`.
"""
import ctypes
import json
import os
import socket
import subprocess
import sys
import threading
import time

PYTHON = sys.executable
# Sentinels run as `name` (argv[0]): an interpreter that finds its library from argv[0] through PATH (a
# virtualenv's pyenv Python finds /usr/bin/java's /usr for "java") needs to be the system one to match it.
SENTINEL_PYTHON = "/usr/bin/python3"
PR_SET_NAME = 15


def _drip(conn, spec):
    conn.recv(65536)
    conn.sendall(spec.get("prefix", "").encode("latin-1"))
    while True:
        conn.sendall(b"Z")
        time.sleep(0.5)


def _silent(conn, spec):
    conn.recv(65536)
    time.sleep(3600)


def _garbage(conn, spec):
    conn.sendall(os.urandom(4096) + b"\r\n\x00\xff" * 100)


def _flood(conn, spec):
    chunk = b"x" * (1 << 20)
    while True:
        conn.sendall(chunk)


def _close(conn, spec):
    pass


def _reset(conn, spec):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _words(conn, spec):
    word = conn.recv(4).decode("ascii", "replace")
    reply = spec["replies"].get(word)
    if reply is not None:
        conn.sendall(reply.encode("utf-8"))


def _http(conn, spec):
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 65536:
        data = conn.recv(65536)
        if not data:
            return
        request += data
    path = request.split(b" ", 2)[1].decode("latin-1") if request.count(b" ") >= 2 else "/"
    status, body = spec["routes"].get(path, [404, "not found"])
    body = body.encode("utf-8")
    conn.sendall(b"HTTP/1.0 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                 % (status, len(body), body))


def _raw(conn, spec):
    conn.recv(65536)
    conn.sendall(spec["data"].encode("latin-1"))


KINDS = {"drip": _drip, "silent": _silent, "garbage": _garbage, "flood": _flood, "close": _close,
         "reset": _reset, "words": _words, "http": _http, "raw": _raw}


def serve(spec):
    """Start the server `spec` on 127.0.0.1 in threads of this process."""
    handler = KINDS[spec["kind"]]
    context = None
    if spec.get("tls"):
        import ssl  # only TLS peers pay for it
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(spec["tls"]["cert"], spec["tls"]["key"])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", spec["port"]))
    server.listen(64)

    def handle(conn):
        try:
            conn.settimeout(600)
            if context is not None:
                conn = context.wrap_socket(conn, server_side=True)
            handler(conn, spec)
        except OSError:
            pass
        finally:
            conn.close()

    def accept():
        while True:
            conn = server.accept()[0]
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


ZOOKEEPER_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
_IDLE = "import ctypes, time; ctypes.CDLL(None).prctl(%d, %%r, 0, 0, 0); print('ready', flush=True); time.sleep(3600)" \
    % PR_SET_NAME


def sentinel(spec):
    """Start a sentinel process (in place once it has printed its first line):
    {name, port[, kind]}: comm and argv[0] `name`, listening on 127.0.0.1:port (serving like the server
    `kind` when given, else accepting nothing);
    {name, zookeeper: CONF}: a command line like a ZooKeeper server's (java ... QuorumPeerMain CONF)."""
    name = spec["name"]
    if "zookeeper" in spec:
        # python reads the code after -c and leaves the rest to it; a java command-line reader skips the
        # two options ("-c" and the code, which starts with "-") and finds the main class and zoo.cfg.
        code = "-0 or exec(%r)" % (_IDLE % name[:15].encode())
        argv = [name, "-c", code, "-cp", "/usr/share/java/zookeeper.jar", ZOOKEEPER_MAIN, spec["zookeeper"]]
    else:
        argv = [name, os.path.abspath(__file__), json.dumps(spec)]
    return subprocess.Popen(argv, executable=SENTINEL_PYTHON, stdout=subprocess.PIPE)


def sentinels(specs):
    """[(spec, process)] of every sentinel, started together and each in place when this returns."""
    started = [(spec, sentinel(spec)) for spec in specs]
    for _spec, proc in started:
        proc.stdout.readline()
    return started


def _listen(spec):
    """Body of a listening sentinel (run as `python peers.py SPEC` with argv[0] = its name)."""
    ctypes.CDLL(None).prctl(PR_SET_NAME, spec["name"][:15].encode(), 0, 0, 0)
    if spec.get("kind"):
        serve(spec)
    else:
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", spec["port"]))
        holder.listen(8)
    print("ready", flush=True)
    time.sleep(3600)


if __name__ == "__main__":
    _listen(json.loads(sys.argv[1]))
