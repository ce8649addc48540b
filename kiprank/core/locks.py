"""A lock on an input folder: ``kiprank collect`` holds it exclusively while it writes a region's
tables, and every command that reads a region for a publication holds it shared while it copies
the inputs (:mod:`kiprank.core.snapshot`), so that a copy never holds half of a collect."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from .errors import UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None


@contextlib.contextmanager
def folder_lock(folder: Path, shared: bool = False, wait: float = 60.0, what: str = "another kiprank command is "
                "writing here"):
    """Hold a lock on ``folder`` (``flock`` on the folder itself on POSIX, so no file is left
    behind; released when the process ends, even by ``kill -9``). ``shared``: readers share it,
    a writer waits for them and they for it. Waits up to ``wait`` seconds, then refuses (exit 2)
    saying ``what``. On a file system without locks it does nothing. On Windows an exclusive lock
    is a lock file, removed afterwards; a shared one does nothing."""
    folder = Path(folder)
    if fcntl is None:  # pragma: no cover - Windows
        if shared:
            yield
            return
        import msvcrt

        path = folder / ".kiprank-collect.lock"
        handle = open(path, "a+b")
        deadline = time.monotonic() + wait
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise UsageError(f"{folder}: {what}; try again later")
                time.sleep(0.2)
        try:
            yield
        finally:
            handle.close()
            with contextlib.suppress(OSError):
                path.unlink()
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UsageError(f"{folder}: {what}; try again later") from None
                time.sleep(0.05)
            except OSError:  # a file system without locks
                break
        yield
    finally:
        os.close(fd)
