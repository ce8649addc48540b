"""Batch builds: the reports of every region of one or more years in one call, in parallel,
incremental, on this machine or on a Dask cluster (:func:`build_all`, behind ``kiprank build``).

The parts, each in its module: the jobs (:mod:`~kiprank.runs.plan`), what is up to date
(:mod:`~kiprank.runs.staleness`), the local worker processes (:mod:`~kiprank.runs.pool`) or a Dask
cluster (:mod:`~kiprank.runs.cluster`), what a worker does (:mod:`~kiprank.runs.workers`, with its
warm kernels, :mod:`~kiprank.runs.kernel_slots`) and the index page (:mod:`~kiprank.runs.index`).
Each job is the same build as ``kiprank report`` (:func:`kiprank.runs.report.build_report`). One
region failing does not stop the others; its short reason is in its result.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import UsageError
from ..core.resources import notebook_path
from .index import write_index
from .plan import STATUS_SKIPPED, Job, JobResult
from .staleness import REPORT_NOTEBOOK, check_job
from .workers import count_rows


@dataclass
class BatchResult:
    """The results of every job, in the order of the jobs, the index written, the seconds taken."""

    results: list[JobResult] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0
    index_problem: str = ""  # why the index was not written (a file of someone else's in its place)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def build_all(jobs: list[Job], *, workers: int | None = None, force: bool = False, scheduler: str | None = None,
              on_planned=None, on_result=None) -> BatchResult:
    """Check every job, build those that are not up to date (in ``workers`` local processes, default
    the number of cores, or on the Dask ``scheduler``) and rewrite the index of each outputs root.

    ``on_planned(n_to_build, n_up_to_date)`` and ``on_result(JobResult)`` report progress.
    """
    started = time.perf_counter()
    batch = BatchResult()
    todo: list[tuple[Job, str]] = []
    notebook = None if force else notebook_path(REPORT_NOTEBOOK)
    for job in jobs:
        t0 = time.perf_counter()
        reason = "--force" if force else check_job(job, notebook)
        if reason is None:
            batch.results.append(JobResult(job.year, job.region, STATUS_SKIPPED, time.perf_counter() - t0,
                                           str(job.output_folder), bodies=count_rows(job.output_folder / "ranking.csv")))
        else:
            todo.append((job, reason))
    if on_planned:
        on_planned(len(todo), len(batch.results))
    for result in batch.results:
        if on_result:
            on_result(result)

    def collect(result: JobResult) -> None:
        batch.results.append(result)
        if on_result:
            on_result(result)

    if todo and scheduler:
        from .cluster import run_on_cluster

        run_on_cluster(scheduler, todo, collect)
    elif todo:
        from .pool import run_local

        run_local(todo, workers or os.cpu_count() or 1, collect)
    tidy_failed(batch.failed)
    order = {(j.year, j.region): i for i, j in enumerate(jobs)}
    batch.results.sort(key=lambda r: order[(r.year, r.region)])
    for root in dict.fromkeys(Path(j.outputs_root) for j in jobs):
        try:
            batch.index = write_index(root)
        except UsageError as exc:  # the reports are published; only the index is refused, and named
            batch.index_problem = str(exc)
    batch.seconds = time.perf_counter() - started
    return batch


def tidy_failed(results: list[JobResult]) -> None:
    """Remove what failed jobs left beside their regions' published folders: the staging folder of a
    worker killed mid-build on the job's last try (a job tried again cleans up after its earlier
    try when it publishes; a job that never publishes again would leave it until the region's next
    build). Recovery as every publish does it (:func:`kiprank.core.publish.recover`, under the lock):
    only leftovers of processes that no longer run."""
    from ..core.publish import locked, recover

    for result in results:
        target = Path(result.folder)
        if target.parent.is_dir():
            with locked(target):
                recover(target)


__all__ = ["BatchResult", "build_all", "tidy_failed"]
