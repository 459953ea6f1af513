"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip.py from a host this machine cannot reach. It first looks for a cached
copy (``~/.ansible/test/cache/get_pip_<version>.py``); the Makefile installs this file there under a
private HOME. It bootstraps pip from the interpreter's own ``ensurepip`` and then installs what
ansible-test asked for from the configured package index.
"""
import os
import subprocess
import sys

# get-pip.py options that plain ``pip install`` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    env = dict(os.environ)
    # ensurepip points PIP_CONFIG_FILE at /dev/null, which hides the machine's CA setting.
    env.pop("PIP_CONFIG_FILE", None)
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], env=env)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args, env=env)


if __name__ == "__main__":
    main()
