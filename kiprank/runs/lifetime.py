"""A pool worker's lifetime: it ends with the ``kiprank build`` that started it, however that ends
(``kill -9`` included), taking its notebook kernels along (:func:`die_with_parent`)."""

from __future__ import annotations

import os
import sys
import threading
import time

from . import kernel_slots


def die_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Make this worker process end when process ``parent_pid`` ends:

    - on Linux, ``PR_SET_PDEATHSIG`` (through ctypes): the kernel sends SIGTERM to this process
      the moment its parent process (the pool's fork server or the main process) dies;
    - everywhere (Windows, macOS, and as a second line on Linux), a watchdog thread checks every
      ``interval`` seconds that ``parent_pid`` still runs (the same process: its start time is
      compared, so a re-used id does not fool it); when it is gone, the kernels are killed and
      the process exits.

    Where neither the system call nor psutil is available, nothing is watched: degraded, not broken."""
    import signal

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    try:
        signal.signal(signal.SIGTERM, lambda *_: exit_now(143))
    except (ValueError, OSError):  # not the main thread: the watchdog still runs
        pass
    alive = process_probe(parent_pid)
    if alive is None:
        return

    def watch():
        while True:
            time.sleep(interval)
            if not alive():
                exit_now(1)

    threading.Thread(target=watch, name="kiprank-parent-watchdog", daemon=True).start()


def exit_now(code: int) -> None:
    """Kill this worker's kernels and leave at once (the build that wanted them is gone)."""
    try:
        kernel_slots.kill_all()
    finally:
        os._exit(code)


def process_probe(pid: int):
    """A function telling whether process ``pid`` (as it is now: same start time) still runs; None
    when that cannot be known (psutil missing; it comes with IPython, which the kernels need)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return None
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:
        return lambda: False

    def alive():
        try:
            return psutil.Process(pid).create_time() == started
        except psutil.Error:
            return False

    return alive


__all__ = ["die_with_parent", "exit_now", "process_probe"]
