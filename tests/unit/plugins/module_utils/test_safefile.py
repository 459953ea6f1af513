# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/safefile.py on real files, links, FIFOs and devices in a
directory every user can traverse (the tests run as root and plant links owned by nobody)."""
import os
import stat

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import safefile
from tests.support.modrun import shared_tempdir

NOBODY = 65534


@pytest.fixture
def box():
    with shared_tempdir("safefile-") as path:
        yield path


def make(path, text="data\n", mode=0o644):
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)
    return path


def link(target, path, owner=0):
    os.symlink(target, path)
    os.lchown(path, owner, owner)
    return path


def read(path, follow=True):
    fd, st, real = safefile.open_regular(path, follow=follow)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(), real


def test_regular_file(box):
    path = make(os.path.join(box, "a.log"))
    assert read(path) == (b"data\n", path)


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "device"])
def test_other_kinds_are_refused_without_blocking(box, kind):
    path = os.path.join(box, "x")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        import socket
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(path)
        sock.close()
    elif kind == "directory":
        os.mkdir(path)
    else:
        try:
            os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        except OSError:
            pytest.skip("mknod is not permitted here")
    name = {"fifo": "fifo", "socket": "socket", "directory": "directory", "device": "character device"}[kind]
    with pytest.raises(safefile.Refused, match=r"not a regular file \(%s\)" % name):
        safefile.open_regular(path)
    # Through a link owned by root too.
    with pytest.raises(safefile.Refused, match=r"not a regular file \(%s\)" % name):
        safefile.open_regular(link(path, path + ".lnk"))


def test_link_as_last_component_with_follow_false(box):
    target = make(os.path.join(box, "a.log"))
    with pytest.raises(safefile.Refused, match="symbolic link, not followed"):
        safefile.open_regular(link(target, os.path.join(box, "b.log")), follow=False)


def test_link_trust(box):
    secret = make(os.path.join(box, "secret"), "s\n", 0o600)
    public = make(os.path.join(box, "public"), "p\n", 0o644)
    assert read(link(secret, os.path.join(box, "by-root")))[0] == b"s\n"
    assert read(link(public, os.path.join(box, "by-nobody-public"), NOBODY))[0] == b"p\n"
    planted = link(secret, os.path.join(box, "by-nobody-secret"), NOBODY)
    with pytest.raises(safefile.Refused) as exc:
        safefile.open_regular(planted)
    assert "symbolic link owned by uid %d (nobody)" % NOBODY in str(exc.value) and planted in str(exc.value)
    # A chain: root's link to nobody's link to the secret is refused as well.
    with pytest.raises(safefile.Refused):
        safefile.open_regular(link(planted, os.path.join(box, "chain")))
    # Group read counts for the link owner's groups, not for others.
    os.chown(secret, 0, NOBODY)
    os.chmod(secret, 0o640)
    assert read(planted)[0] == b"s\n"
    os.chown(secret, 0, 0)


def test_directory_link_into_a_place_its_owner_cannot_enter(box):
    private = os.path.join(box, "private")
    os.mkdir(private, 0o700)
    make(os.path.join(private, "app.log"), "p\n", 0o644)
    home = os.path.join(box, "home")
    os.mkdir(home)
    link(private, os.path.join(home, "log"), NOBODY)
    with pytest.raises(safefile.Refused, match="who cannot read"):
        safefile.open_regular(os.path.join(home, "log", "app.log"))
    os.chmod(private, 0o711)
    assert read(os.path.join(home, "log", "app.log")) == (b"p\n", os.path.join(private, "app.log"))


def test_resolve_walks_like_the_kernel(box):
    os.makedirs(os.path.join(box, "a", "b"))
    make(os.path.join(box, "a", "f"))
    link("b/..", os.path.join(box, "a", "up"))
    link("../../a", os.path.join(box, "a", "b", "back"))
    real, links = safefile.resolve(os.path.join(box, "a", "b", "back", "up", "f"))
    assert real == os.path.realpath(os.path.join(box, "a", "f")) and len(links) == 2
    link("loop", os.path.join(box, "loop"))
    with pytest.raises(OSError):
        safefile.resolve(os.path.join(box, "loop"))


def test_may_read_by_mode_bits(box):
    path = make(os.path.join(box, "f"), mode=0o604)
    assert safefile.may_read(NOBODY, path)
    os.chmod(path, 0o640)
    assert not safefile.may_read(NOBODY, path)
    assert safefile.may_read(0, path)
    assert not safefile.may_read(424242, path)      # a uid without a passwd entry: the bits for others


def test_read_bounded(box):
    path = make(os.path.join(box, "f"), "x" * 100)
    assert safefile.read_bounded(path, 100) == b"x" * 100
    with pytest.raises(safefile.Refused, match="larger than 99 bytes"):
        safefile.read_bounded(path, 99)
