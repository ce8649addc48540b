"""Atomic publishing of an outputs folder.

A run writes into a hidden staging folder next to the target; only when every step has
succeeded does the staging folder replace the target (two renames on the same file system).
A failure or interruption removes the staging folder and leaves the last good outputs as
they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def staged_folder(target: Path, keep_existing: bool = False) -> Iterator[Path]:
    """Yield an empty staging folder (or a copy of ``target`` with ``keep_existing``) and
    publish it as ``target`` when the block ends without an exception."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        if keep_existing and target.is_dir():
            shutil.copytree(target, stage, dirs_exist_ok=True)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    replace_folder(stage, target)


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target``; the old folder is only removed once ``new`` is in place."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    os.chmod(target, 0o755)
