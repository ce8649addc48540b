"""One snapshot of the inputs per publication (kiprank/core/snapshot.py): runs on the same inputs
share one copy, the last one to finish removes it, a copy left by a killed run is swept after an
hour unless a run still reads it, and a collect writing into a region folder holds the copy back
(two runs are two open descriptors here, which flock treats as two processes)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from kiprank.core import snapshot as S
from kiprank.core.errors import UsageError
from kiprank.core.locks import FolderLock

from conftest import FIXTURES

UJI = FIXTURES / "report_region" / "2022" / "uji"


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.setattr(S.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    shutil.copytree(UJI, tmp_path / "inputs" / "2022" / "uji")
    return tmp_path / "inputs"


def test_runs_on_the_same_inputs_share_one_copy_and_the_last_removes_it(inputs):
    with S.input_snapshot(inputs, [(2022, "uji")]) as first:
        assert (first.root / "2022" / "uji" / "saq.csv").read_bytes() == (inputs / "2022/uji/saq.csv").read_bytes()
        assert first.files["2022/uji/saq.csv"]
        with S.input_snapshot(inputs, [(2022, "uji")]) as second:
            assert second.top == first.top
        assert first.top.is_dir()  # the first run still reads it
    assert not first.top.exists()
    assert [p.name for p in first.top.parent.iterdir()] == []


def test_other_inputs_get_another_copy(inputs):
    with S.input_snapshot(inputs, [(2022, "uji")]) as first:
        (inputs / "2022/uji/saq.csv").write_text((inputs / "2022/uji/saq.csv").read_text().replace(",ya", ",tidak", 1))
        with S.input_snapshot(inputs, [(2022, "uji")]) as second:
            assert second.top != first.top
            assert (first.root / "2022/uji/saq.csv").read_bytes() != (second.root / "2022/uji/saq.csv").read_bytes()


def test_a_copy_left_by_a_killed_run_is_swept_unless_a_run_reads_it(inputs):
    with S.input_snapshot(inputs, [(2022, "uji")]) as snap:
        store = snap.top.parent
        left = store / "0123456789abcdef0123"  # a killed run's copy: nobody holds it
        shutil.copytree(snap.top, left)
        half = store / ".new-killed"
        half.mkdir()
        old = time.time() - S.STALE - 10
        for path in (left, half, snap.top):
            os.utime(path, (old, old))
        with S.input_snapshot(inputs, [(2022, "uji")]) as again:  # sweeps the store as it starts
            assert again.top == snap.top and snap.top.is_dir()  # held by a run: kept
        assert not left.exists() and not half.exists()
        assert snap.top.is_dir()
    assert not snap.top.exists()


def test_a_collect_writing_holds_the_copy_back_and_is_named(inputs, monkeypatch):
    monkeypatch.setattr(S, "LOCK_WAIT", 0.3)
    with FolderLock(inputs / "2022" / "uji", 1):  # kiprank collect writing there
        with pytest.raises(UsageError, match="kiprank collect has been writing here"):
            with S.input_snapshot(inputs, [(2022, "uji")]):
                pass
    with S.input_snapshot(inputs, [(2022, "uji")]) as snap:
        assert snap.files


def test_something_else_in_the_way_of_a_copy_is_refused(inputs):
    with S.input_snapshot(inputs, [(2022, "uji")]) as snap:
        name = snap.top.name
    (snap.top.parent / name).write_text("not ours")
    with pytest.raises(UsageError, match="in the way"):
        with S.input_snapshot(inputs, [(2022, "uji")]):
            pass
    assert (snap.top.parent / name).read_text() == "not ours"


def test_where_folders_cannot_be_locked_a_shared_copy_stays_while_read(inputs, monkeypatch):
    """Windows: no lock tells whether another run reads a copy, so the first run to finish must not
    remove the copy the second still reads; a later run sweeps it once unused for an hour."""
    monkeypatch.setattr(S, "FOLDER_LOCKS", False)
    with S.input_snapshot(inputs, [(2022, "uji")]) as first:
        with S.input_snapshot(inputs, [(2022, "uji")]) as second:
            assert second.top == first.top
        assert (first.root / "2022" / "uji" / "saq.csv").is_file()  # the first run still reads it
    assert first.top.is_dir()  # left for the sweep
    old = time.time() - S.STALE - 10
    os.utime(first.top, (old, old))
    with S.input_snapshot(inputs, [(2022, "uji")]) as again:  # reuses it: marked as in use again
        assert again.top == first.top and first.top.stat().st_mtime > old + 5
    os.utime(first.top, (old, old))
    S._sweep(first.top.parent)  # what the next run does as it starts
    assert not first.top.exists()
