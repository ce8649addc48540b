"""What a batch worker does (a local pool process, a Dask worker, or this process): build one
report (:func:`run_job`), or several with their jobs overlapped (:func:`run_jobs`), in the warm
kernel of its thread (:mod:`kiprank.runs.kernel_slots`). A job never raises for a failed build: its
:class:`~kiprank.runs.plan.JobResult` says ``failed`` with the short reason (:func:`short_reason`).

Hung kernels (a cell that never returns, a kernel that stops answering): every cell has a timeout
(``--cell-timeout``, default 600 s), so a job fails instead of blocking the batch. Kernels that die
or do not start (``RuntimeError`` / ``TimeoutError`` from jupyter_client or nbclient, e.g. "Kernel
died before replying to kernel_info", ``DeadKernelError``, a cell timeout): the job is retried once
with a new kernel (:func:`is_kernel_failure`); an error in the notebook's own code is not retried.

Where a report's time goes (CPU seconds, per report): the kernel about 0.6 (charts about half of it,
the score sheets of the annex a fifth), the worker about 0.65 (Typst about 0.4 of it; validation and
scoring about 0.1; papermill's bookkeeping, HTML, tables); see ``benchmarks/bench_batch.py``.
"""

from __future__ import annotations

import csv
import os
import sys
import threading
import time
from pathlib import Path

from ..core.errors import KiprankError
from . import kernel_slots
from .kernels import KernelStartError
from .plan import STATUS_BUILT, Job, JobResult, failed


def short_reason(exc: BaseException) -> str:
    """The first line of a KiprankError's message (with the first item when that line only
    announces a list, e.g. "2 problem(s) in the inputs:"); type and first line for anything else."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.endswith(":") and len(lines) > 1:
        first = f"{first} {lines[1]}"
    if isinstance(exc, KiprankError):
        return first or type(exc).__name__
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def is_kernel_failure(exc: BaseException) -> bool:
    """A kernel that did not start, died, stopped answering or timed out: worth one retry.
    An error raised by the notebook's own code (papermill's PapermillExecutionError, reported
    without a cause) is not."""
    if isinstance(exc, KernelStartError):
        return True
    if getattr(exc, "step", None) != "notebook":
        return False
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, (RuntimeError, TimeoutError)):
            return True
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    return False


def count_rows(path: Path) -> int | None:
    """Data rows of a published CSV table (bodies in ranking.csv); None when there is none."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def worker_name() -> str:
    """``host:pid`` of this worker process."""
    return f"{os.uname().nodename if hasattr(os, 'uname') else ''}:{os.getpid()}"


def release_memory() -> None:
    """Give the memory a finished report freed back to the system: glibc keeps freed blocks in its
    arenas (one per thread that allocated, and each job runs in a thread of its own), so a worker
    building hundreds of reports grew by a few MB per report (measured: 30 reports, 600 -> 625 MB
    without, 530-560 MB with). Linux only; elsewhere nothing to do."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass


def run_job(job: Job, stale: str = "", notebook_done=None) -> JobResult:
    """Build one report in this worker, in this thread's warm kernel.

    ``notebook_done``: called (without arguments, possibly twice) once the kernel is no longer
    needed: when the notebook has run (the HTML, PDF and tables are still to be written), or when
    the job ends (see :func:`run_jobs`).

    The job is tried a second time, with a new kernel, when the first attempt failed because the
    kernel did not start, died or hung (:func:`is_kernel_failure`): with several kernels starting
    and running at once such failures are transient (a worker short of memory for a moment), and a
    retry costs seconds while a failed region costs a rerun of the batch.
    """
    try:
        return _attempts(job, stale, notebook_done)
    finally:
        release_memory()


def _attempts(job: Job, stale: str, notebook_done) -> JobResult:
    """:func:`run_job`'s tries: a second one when the first failed for the kernel."""
    started = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        try:
            from .report import build_report

            kernel = kernel_slots.thread_kernel()
            kernel.reports += 1
            build_report(job.year, job.region, job.inputs_root, job.outputs_root, lang=job.lang,
                         report_date=job.report_date, kernel=kernel, execution_timeout=job.cell_timeout,
                         pdf_standard=job.pdf_standard, notebook_done=notebook_done)
            if job.letters:
                from .letters import build_letters

                build_letters(job.year, job.region, job.inputs_root, job.outputs_root, lang=job.lang,
                              pdf_standard=job.pdf_standard)
        except Exception as exc:
            if isinstance(exc, KernelStartError) or getattr(exc, "step", None) == "notebook":
                kernel_slots.discard_thread_kernel()  # dead, stuck mid-cell or in an unknown state
            if attempt == 1 and is_kernel_failure(exc):
                continue
            return failed(job, time.perf_counter() - started, short_reason(exc), stale, attempt, worker_name())
        return JobResult(job.year, job.region, STATUS_BUILT, time.perf_counter() - started,
                         str(job.output_folder), bodies=count_rows(job.output_folder / "ranking.csv"),
                         attempts=attempt, stale=stale, worker=worker_name())


def run_jobs(items: list[tuple[Job, str]]) -> list[JobResult]:
    """Several jobs in this worker, in order, with its one kernel, overlapped: a job starts as soon
    as the previous one's notebook has run, so the kernel executes the next notebook while this
    process writes the previous report's HTML, PDF (Typst works outside the GIL) and tables; the
    worker and its kernel no longer wait for each other. At most two jobs are under way. Each job is
    :func:`run_job` (same outputs, same retries); the results come in the order of ``items``."""
    slot = kernel_slots.current_slot()
    results: list[JobResult | None] = [None] * len(items)
    threads: list[threading.Thread] = []
    kernel_free: threading.Event | None = None
    for i, (job, stale) in enumerate(items):
        if kernel_free is not None:
            kernel_free.wait()
        if len(threads) >= 2:
            threads[-2].join()
        free = threading.Event()

        def work(i=i, job=job, stale=stale, free=free):
            kernel_slots.use_slot(slot)  # the kernel of the thread that runs this batch of jobs
            started = time.perf_counter()
            try:
                results[i] = run_job(job, stale, notebook_done=free.set)
            except BaseException as exc:  # run_job reports failures itself; this is a last resort
                results[i] = failed(job, time.perf_counter() - started, short_reason(exc), stale)
            finally:
                free.set()

        thread = threading.Thread(target=work, name=f"kiprank-job-{i}", daemon=True)
        thread.start()
        threads.append(thread)
        kernel_free = free
    for thread in threads:
        thread.join()
    return results


def init_worker(parent_pid: int | None = None) -> None:
    """Pool worker start: the kernel starts (in a thread) while this process imports the report
    libraries; both are then reused for every report the worker builds. The worker (and its
    kernels) end with the build that started it (:func:`kiprank.runs.lifetime.die_with_parent`)."""
    if parent_pid is not None:
        from .lifetime import die_with_parent

        die_with_parent(parent_pid)
    kernel_slots.prestart_thread_kernel()
    try:
        import kiprank.runs.engine  # noqa: F401
        import kiprank.runs.report  # noqa: F401
        import nbconvert.exporters.html  # noqa: F401
        import typst  # noqa: F401
    except Exception:  # reported by the job that needs them
        pass


__all__ = ["run_job", "run_jobs", "init_worker", "short_reason", "is_kernel_failure", "count_rows", "worker_name"]
