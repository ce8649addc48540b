"""The one folder lock of kiprank.

Publishing holds it (exclusive) on a target's parent folder; ``kiprank collect`` holds it
(exclusive) while it writes a region's tables; every command that reads a region for a publication
holds it shared while it copies the inputs (:mod:`kiprank.core.snapshot`), so that a copy never
holds half of a collect.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .errors import UsageError

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover (Windows)
    _fcntl = None

# The lock file used where folders cannot be locked (Windows); never part of a published folder.
LOCK_FILE = ".kiprank.lock"
LOCK_TIMEOUT = 3600.0
#: Whether a folder itself can be locked, shared or exclusive (not on Windows: there a shared lock does nothing).
FOLDER_LOCKS = _fcntl is not None


class FolderLock:
    """A lock on a folder: ``flock`` on the folder itself where folders can be locked (no lock file is
    left behind; released when the process ends, even by ``kill -9``), else a lock on
    :data:`LOCK_FILE` in it (Windows), removed on release. ``shared``: readers share the lock, a
    writer waits for them and they for it (on Windows a shared lock does nothing). On a file system
    without locks it does nothing: publishing stays atomic, and leftovers of live runs are
    recognised by their process id. ``busy`` is the message when the lock is still held by another
    process after ``timeout`` s (a :class:`~kiprank.core.errors.UsageError`, exit 2)."""

    def __init__(self, folder: Path, timeout: float = LOCK_TIMEOUT, busy: str | None = None, shared: bool = False):
        self.folder, self.timeout, self.shared = Path(folder), timeout, shared
        self.busy = busy or (f"another kiprank run has been publishing into {self.folder} for {timeout:.0f} s; "
                             "try again when it has finished")
        self.fd = None
        self.handle = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        if _fcntl is None:  # pragma: no cover (Windows)
            if self.shared:
                return
            import msvcrt

            self.handle = open(self.folder / LOCK_FILE, "a+b")
            self._poll(lambda: msvcrt.locking(self.handle.fileno(), msvcrt.LK_NBLCK, 1), OSError, deadline)
            return
        self.fd = os.open(self.folder, os.O_RDONLY)
        mode = _fcntl.LOCK_SH if self.shared else _fcntl.LOCK_EX
        try:
            self._poll(lambda: _fcntl.flock(self.fd, mode | _fcntl.LOCK_NB), BlockingIOError, deadline)
        except OSError:  # a file system without locks: publishing stays atomic
            self.release()

    def _poll(self, lock_once, busy: type[OSError], deadline: float) -> None:
        """Try ``lock_once`` until it succeeds; ``busy`` (another process holds the lock) past the
        deadline is a :class:`UsageError` saying so."""
        while True:
            try:
                lock_once()
                return
            except busy:
                if time.monotonic() > deadline:
                    self.release()
                    raise UsageError(self.busy) from None
                time.sleep(0.05)

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)  # closing the descriptor releases the lock
            finally:
                self.fd = None
        if self.handle is not None:  # pragma: no cover (Windows)
            self.handle.close()
            self.handle = None
            try:
                (self.folder / LOCK_FILE).unlink()
            except OSError:
                pass

    def try_acquire(self) -> bool:
        """Take the lock only if nobody holds it now: True when taken (or where folders cannot be
        locked at all), False when another holder has it."""
        saved, self.timeout = self.timeout, 0.0
        try:
            self.acquire()
            return True
        except UsageError:
            return False
        finally:
            self.timeout = saved

    def __enter__(self) -> "FolderLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
