# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow_bundle.py: the tar.gz bundle and its manifest."""
import gzip
import hashlib
import io
import json
import tarfile

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_bundle as lb
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import member_name
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_select import select
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import iso_utc
from tests.support.logsamples import US
from tests.support.logsamples import UTC
from tests.support.logsamples import instant
from tests.support.logsamples import ref_ts
from tests.support.logsamples import reference_select
from tests.support.logsamples import zk_log


@pytest.fixture
def zkfile(tmp_path):
    return zk_log(tmp_path)


def test_write_bundle_deterministic_with_manifest(zkfile):
    path, lines = zkfile
    t0 = ref_ts(lines[0])
    start, end = t0 + 300 * US, t0 + 900 * US
    blobs = []
    for dummy in range(2):
        sel = select([path], start, end, UTC)
        buf = io.BytesIO()
        manifest = lb.write_bundle(buf, sel.slices, start, end, {"version": 1, "skipped": sel.skipped})
        blobs.append(buf.getvalue())
    assert blobs[0] == blobs[1]
    with tarfile.open(fileobj=io.BytesIO(blobs[0]), mode="r:gz") as tar:
        names = tar.getnames()
        data = tar.extractfile(member_name(path, False)).read()
        on_disk = json.loads(tar.extractfile("MANIFEST.json").read().decode())
    assert names == [member_name(path, False), "MANIFEST.json"]
    expected = reference_select(lines, start, end)
    assert data == expected
    entry = on_disk["files"][0]
    assert entry["sha256"] == hashlib.sha256(expected).hexdigest()
    assert entry["bytes"] == len(expected) and entry["lines"] == expected.count(b"\n")
    assert entry["truncated"] is False and entry["truncated_by"] is None
    assert entry["first_utc"] == iso_utc(ref_ts(expected.decode().splitlines()[0]))
    assert on_disk == manifest and on_disk["matched"] == entry["lines"]


def test_write_bundle_empty_window_is_valid(zkfile):
    path, _lines = zkfile
    sel = select([path], instant(2030, 1, 1), instant(2030, 1, 2), UTC)
    buf = io.BytesIO()
    manifest = lb.write_bundle(buf, sel.slices, instant(2030, 1, 1), instant(2030, 1, 2), {"version": 1})
    assert manifest["matched"] == 0 and manifest["files"] == []
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:gz") as tar:
        assert tar.getnames() == ["MANIFEST.json"]
    assert sel.skipped == [{"path": path, "reason": "outside the window"}]


def test_check_mode_sink_hashes_what_would_be_written(zkfile):
    path, lines = zkfile
    start, end = ref_ts(lines[0]), ref_ts(lines[0]) + 600 * US
    sink, buf = lb.HashingSink(), io.BytesIO()
    lb.write_bundle(sink, select([path], start, end, UTC).slices, start, end, {"version": 1})
    lb.write_bundle(buf, select([path], start, end, UTC).slices, start, end, {"version": 1})
    assert sink.hash.hexdigest() == hashlib.sha256(buf.getvalue()).hexdigest() and sink.size == len(buf.getvalue())


@pytest.mark.parametrize("compressed", [False, True])
def test_a_file_truncated_after_the_plan_is_an_error(zkfile, compressed):
    path, lines = zkfile
    if compressed:
        with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
            dst.write(src.read())
        path += ".gz"
    start, end = ref_ts(lines[0]), ref_ts(lines[0]) + 3600 * US
    sel = select([path], start, end, UTC)
    with open(path, "r+b") as fh:
        fh.truncate(200)
    with pytest.raises(LogWindowError, match="changed while it was read"):
        lb.write_bundle(io.BytesIO(), sel.slices, start, end, {"version": 1})
