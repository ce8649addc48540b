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


def add_to_published(target: Path, write, section: str, settings: dict | None = None) -> list[str]:
    """Add the files of one later step (``robustness``, ``letters`` ...) to a published run folder,
    atomically, and list them in its manifest so that ``kiprank verify`` checks them.

    ``write(stage)`` writes into a staged copy of ``target`` and returns the paths it wrote,
    relative to the folder (``"robustness.csv"``, ``"letters/kec-ngawen.pdf"``). Files that an
    earlier run of the same ``section`` listed and this one did not write are removed (kiprank made
    them). ``settings`` (e.g. draws and seed) are recorded under ``manifest["sections"][section]``.
    Returns the relative paths written.
    """
    from .manifest import MANIFEST, read_manifest, sha256_file, write_manifest

    target = Path(target)
    manifest = read_manifest(target)
    sections = dict(manifest.get("sections") or {})
    previous = set((sections.get(section) or {}).get("files", []))
    with staged_folder(target, keep_existing=True) as stage:
        written = sorted({Path(p).as_posix() for p in write(stage)})
        outputs = dict(manifest.get("outputs") or {})
        for stale in previous - set(written):
            (stage / stale).unlink(missing_ok=True)
            outputs.pop(stale, None)
        for rel in written:
            if rel == MANIFEST:
                raise ValueError("a section cannot write the manifest")
            outputs[rel] = sha256_file(stage / rel)
        sections[section] = {"files": written, "settings": settings or {}}
        write_manifest({**manifest, "outputs": dict(sorted(outputs.items())), "sections": sections}, stage)
    return written
