# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tar.gz bundle of a log window: each slice under its member name, then MANIFEST.json, written to
its destination.

Deterministic: the same slices give the same bytes (gzip and member times are fixed), so a run that
selects what an existing bundle holds can tell that nothing changed. The bytes of each slice are counted
and hashed as they go into the archive, and a file that gives other bytes than planned (rotated or
truncated meanwhile) is an error, never a silently short member. The destination's directory is opened
once and everything after (reading the bundle already there, the temporary file, the rename) happens
relative to that descriptor; a failure leaves neither a partial bundle nor a temporary file.
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import gzip
import hashlib
import json
import os
import stat
import tarfile

from ansible_collections.alertops.remediation.plugins.module_utils import safefile
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_select import GZIP_ERRORS
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_select import slice_chunks
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import US
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError


class _ChunkReader(object):
    """File-like reader over byte chunks that hashes and counts exactly what it hands out."""

    def __init__(self, chunks):
        self.it = iter(chunks)
        self.cur = b""
        self.pos = 0
        self.hash = hashlib.sha256()
        self.total = 0
        self.lines = 0
        self.last = b""

    def read(self, n=-1):
        out = []
        need = n
        while need != 0:
            if self.pos >= len(self.cur):
                try:
                    self.cur = next(self.it)
                except StopIteration:
                    break
                self.pos = 0
                continue
            piece = self.cur[self.pos:] if need < 0 else self.cur[self.pos:self.pos + need]
            self.pos += len(piece)
            out.append(piece)
            if need > 0:
                need -= len(piece)
        data = b"".join(out)
        if data:
            self.hash.update(data)
            self.total += len(data)
            self.lines += data.count(b"\n")
            self.last = data[-1:]
        return data

    def exhausted(self):
        if self.pos < len(self.cur):
            return False
        for chunk in self.it:
            if chunk:
                return False
        return True


class HashingSink(object):
    """Write-only file object that keeps only the size and sha256 of what is written (check mode)."""

    def __init__(self):
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def manifest_json(manifest):
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _info(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_bundle(fileobj, slices, start, end, manifest):
    """Write the tar.gz bundle to fileobj. Fills in each slice's sha256 and lines and
    manifest['files'] and manifest['matched']."""
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, mtime=0, compresslevel=6)
    tar = tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT)
    files = []
    try:
        for sl in slices:
            reader = _ChunkReader(slice_chunks(sl, start, end))
            try:
                tar.addfile(_info(sl.member, sl.bytes, (sl.last or sl.first or 0) // US), reader)
                complete = reader.total == sl.bytes and reader.exhausted()
            except GZIP_ERRORS as exc:
                raise LogWindowError("%s changed while it was read (%s): run again" % (sl.path, exc))
            if not complete:
                raise LogWindowError("%s changed while it was read: run again" % sl.path)
            sl.sha256 = reader.hash.hexdigest()
            sl.lines = reader.lines + (1 if reader.last and reader.last != b"\n" else 0)
            entry = sl.as_dict()
            entry["member"] = sl.member
            files.append(entry)
        manifest["files"] = files
        manifest["matched"] = sum(f["lines"] for f in files)
        data = manifest_json(manifest)
        tar.addfile(_info("MANIFEST.json", len(data), end // US if end is not None else 0), _ChunkReader([data]))
    finally:
        tar.close()
        gz.close()
    return manifest


class _Tee(object):
    """Writes to a file and to a HashingSink at once, so the bundle is hashed as it is written."""

    def __init__(self, out, sink):
        self.out = out
        self.sink = sink

    def write(self, data):
        self.sink.write(data)
        return self.out.write(data)

    def flush(self):
        self.out.flush()


class Destination(object):
    """The bundle's path (the ``dest`` option) and its directory, opened through safefile: a link on the
    way must be owned by root, the module's user, or a user who could create files there himself."""

    def __init__(self, path):
        self.path = path
        directory, self.name = os.path.split(os.path.abspath(path))
        if not self.name:
            raise LogWindowError("dest=%r is a directory; give the bundle's file name" % path)
        try:
            self.dir_fd, dummy_real = safefile.open_directory(directory)
        except safefile.Refused as exc:
            raise LogWindowError("dest=%r: directory %s: %s" % (path, directory, exc))
        except (IOError, OSError) as exc:
            raise LogWindowError("dest=%r: directory %s cannot be used: %s" % (path, directory, exc.strerror or exc))
        try:
            st = os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except OSError:
            return
        if not stat.S_ISREG(st.st_mode):
            self.close()
            kind = safefile.file_kind(st.st_mode)
            if kind == "directory":
                raise LogWindowError("dest=%r is a directory; give the bundle's file name" % path)
            raise LogWindowError("dest=%r is a %s; give the path of a regular file or of a new one" % (path, kind))

    def close(self):
        if self.dir_fd is not None:
            os.close(self.dir_fd)
            self.dir_fd = None

    def existing(self):
        """(sha256, size) of the bundle already there; (None, None) when there is none."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.name, flags, dir_fd=self.dir_fd)
        except OSError:
            return None, None
        digest = hashlib.sha256()
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise LogWindowError("dest=%r became a %s while it was read: run again"
                                     % (self.path, safefile.file_kind(st.st_mode)))
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest(), st.st_size

    def write(self, slices, start, end, manifest, before_sha):
        """Write the bundle to a new temporary file beside dest, then rename it over dest when it differs
        from before_sha. Returns (sha256, size)."""
        tmp = ".log_window-%s.tmp" % binascii.hexlify(os.urandom(8)).decode("ascii")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        sink = HashingSink()
        try:
            fd = os.open(tmp, flags, 0o600, dir_fd=self.dir_fd)
        except (IOError, OSError) as exc:
            raise LogWindowError("dest=%r: cannot write the bundle: %s" % (self.path, exc.strerror or exc))
        try:
            with os.fdopen(fd, "wb") as out:
                write_bundle(_Tee(out, sink), slices, start, end, manifest)
                out.flush()
                os.fsync(out.fileno())
            if sink.hash.hexdigest() == before_sha:
                os.unlink(tmp, dir_fd=self.dir_fd)
            else:
                os.rename(tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
                os.fsync(self.dir_fd)
        except (IOError, OSError) as exc:
            self._remove(tmp)
            raise LogWindowError("dest=%r: cannot write the bundle: %s" % (self.path, exc.strerror or exc))
        except BaseException:
            self._remove(tmp)
            raise
        return sink.hash.hexdigest(), sink.size

    def _remove(self, name):
        try:
            os.unlink(name, dir_fd=self.dir_fd)
        except OSError:
            pass
