"""A minimal guardian: runs holder.py on PORT and starts it again whenever it exits.

supervisor.py PORT   (prints "ready PID" once the first child holds the port)
"""
import os
import subprocess
import sys
import time

HOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "holder.py")


def main(port):
    first = True
    while True:
        child = subprocess.Popen([sys.executable, HOLDER, port], stdout=subprocess.PIPE)
        child.stdout.readline()
        if first:
            print("ready %d" % os.getpid(), flush=True)
            first = False
        child.wait()
        time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1])
