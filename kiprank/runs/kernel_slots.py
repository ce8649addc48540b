"""The warm kernels of a batch worker: one per worker thread, kept between the reports it builds.

Starting a kernel and importing pandas and matplotlib into it costs seconds of CPU per report, a
third of the work of a small report; so a worker (a pool process or a Dask worker thread) keeps one
:class:`~kiprank.runs.kernels.WarmKernel` and resets its namespace before each report
(:func:`thread_kernel`): each report runs exactly the notebook ``kiprank report`` runs, and the
report is the same. A kernel that failed, hung or died is discarded (:func:`discard_thread_kernel`)
and replaced. Every kernel is shut down when the process ends (``atexit``, and a multiprocessing
finaliser for pool workers, which end with ``os._exit``); :func:`kill_all` is for a worker that
must leave at once.
"""

from __future__ import annotations

import threading

from .kernels import KernelStarter, KernelStartError, WarmKernel


class Slot:
    """The warm kernel of one worker thread (and of the job threads that thread starts)."""

    def __init__(self):
        self.kernel: WarmKernel | None = None
        self.pending: KernelStarter | None = None  # a kernel being started in the background
        self.owner = threading.current_thread()


_local = threading.local()
_all: list[WarmKernel] = []
_lock = threading.Lock()
_cleanup_registered = False


def current_slot() -> Slot:
    """This thread's slot (made on first use)."""
    slot = getattr(_local, "slot", None)
    if slot is None:
        slot = _local.slot = Slot()
    return slot


def use_slot(slot: Slot) -> None:
    """Let this thread use another thread's slot (the job threads of :func:`kiprank.runs.workers.run_jobs`)."""
    _local.slot = slot


def shutdown_all() -> None:
    """Shut every kernel of this process down."""
    with _lock:
        kernels = list(_all)
        _all.clear()
    for kernel in kernels:
        kernel.shutdown()


def kill_all() -> None:
    """Kill every kernel of this process at once (this process is about to exit)."""
    with _lock:
        kernels = list(_all)
    for kernel in kernels:
        kernel.kill()


def _register_cleanup() -> None:
    global _cleanup_registered
    if _cleanup_registered:
        return
    import atexit
    from multiprocessing import util

    atexit.register(shutdown_all)
    util.Finalize(None, shutdown_all, exitpriority=100)
    _cleanup_registered = True


def _new_kernel() -> WarmKernel:
    """A kernel (not yet started) for this thread's slot, shut down when the process ends. Kernels
    of threads that have ended (a Dask worker may replace its threads) are shut down."""
    _register_cleanup()
    slot = current_slot()
    kernel = WarmKernel(owner=slot.owner)
    with _lock:
        orphans = [k for k in _all if not k.owner.is_alive()]
        for orphan in orphans:
            _all.remove(orphan)
        _all.append(kernel)
    for orphan in orphans:
        orphan.shutdown()
    slot.kernel = kernel
    return kernel


def prestart_thread_kernel() -> None:
    """Start this thread's kernel in the background (a pool worker starting up)."""
    starter = KernelStarter(_new_kernel())
    current_slot().pending = starter
    starter.start()


def thread_kernel() -> WarmKernel:
    """This thread's kernel, started (or started again) when needed and reset for a new report;
    :class:`~kiprank.runs.kernels.KernelStartError` when it does not start."""
    slot = current_slot()
    starter, slot.pending = slot.pending, None
    if starter is not None and starter.ready() is None:
        discard_thread_kernel()
        error = starter.error
        raise error if isinstance(error, KernelStartError) else KernelStartError(str(error))
    kernel = slot.kernel
    if kernel is not None and kernel.km is not None and kernel.reports:
        try:
            kernel.reset()
        except Exception:
            discard_thread_kernel()
            kernel = None
    if kernel is None or kernel.km is None:
        discard_thread_kernel()
        kernel = _new_kernel()
        kernel.start()
    return kernel


def discard_thread_kernel() -> None:
    """Shut this thread's kernel down (dead, stuck mid-cell or in an unknown state)."""
    slot = current_slot()
    kernel, slot.kernel = slot.kernel, None
    if kernel is not None:
        with _lock:
            if kernel in _all:
                _all.remove(kernel)
        kernel.shutdown()


__all__ = ["Slot", "current_slot", "use_slot", "thread_kernel", "discard_thread_kernel", "prestart_thread_kernel",
           "shutdown_all", "kill_all"]
