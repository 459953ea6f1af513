"""Hold a TCP port the way the integration tests need, then wait to be signalled.

holder.py PORT [--name NAME] [--ignore-term] [--connect HOST:PORT]
  listens on 127.0.0.1:PORT, or with --connect binds PORT and connects out from it (ephemeral-like);
  --name sets comm (/proc/self/comm); argv[0] is set by the caller. Prints "ready PID" when done.
"""
import os
import signal
import socket
import sys
import time


def main(argv):
    port = int(argv[0])
    name = argv[argv.index("--name") + 1] if "--name" in argv else None
    if name:
        with open("/proc/self/comm", "w") as handle:
            handle.write(name)
    if "--ignore-term" in argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    if "--connect" in argv:
        host, rport = argv[argv.index("--connect") + 1].rsplit(":", 1)
        sock.connect((host, int(rport)))
    else:
        sock.listen(8)
    print("ready %d" % os.getpid(), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
