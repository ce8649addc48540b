"""Batch jobs in local worker processes (``kiprank build`` without ``--scheduler``).

A ``ProcessPoolExecutor`` with the ``forkserver`` start method on POSIX, ``spawn`` elsewhere (never
``fork``, which copies the parent's threads and locks). Each worker builds many reports with warm
imports and a warm kernel (:func:`kiprank.runs.workers.init_worker`), and ends with the build
(:mod:`kiprank.runs.lifetime`). Jobs go to the workers in batches (:func:`chunk_sizes`: large first,
single jobs at the end) and a worker overlaps the jobs of a batch
(:func:`kiprank.runs.workers.run_jobs`).
"""

from __future__ import annotations

import os
import time

from .plan import Job, failed
from .workers import init_worker, run_jobs, short_reason


def chunk_sizes(n: int, workers: int) -> list[int]:
    """How :func:`run_local` hands ``n`` jobs to ``workers`` processes: in batches for
    :func:`~kiprank.runs.workers.run_jobs` (a batch overlaps its jobs), large first and single jobs
    at the end, so that the workers finish together (guided scheduling: a batch is half of each
    worker's share of what is left)."""
    sizes, left = [], n
    while left > 0:
        size = max(1, -(-left // (2 * max(workers, 1))))
        sizes.append(size)
        left -= size
    return sizes


def _pool_context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_local(todo: list[tuple[Job, str]], workers: int, collect) -> None:
    """Build ``todo`` (jobs with why each is stale) in a pool of ``workers`` processes, passing
    each :class:`~kiprank.runs.plan.JobResult` to ``collect`` as it comes. A worker that dies (e.g.
    killed for memory) breaks the pool: the jobs it took down are tried again once in a new pool,
    then reported as failed."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending = list(todo)
    for round_ in (1, 2):
        broken: list[tuple[Job, str]] = []
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=_pool_context(),
                                 initializer=init_worker, initargs=(os.getpid(),)) as pool:
            futures, at = {}, 0
            for size in chunk_sizes(len(pending), min(workers, len(pending))):
                chunk = pending[at:at + size]
                at += size
                futures[pool.submit(run_jobs, chunk)] = chunk
            try:
                for future in as_completed(futures):
                    chunk = futures[future]
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        broken.extend(chunk)
                        continue
                    except Exception as exc:
                        results = [failed(job, time.perf_counter() - started, short_reason(exc), stale)
                                   for job, stale in chunk]
                    for result in results:
                        collect(result)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        if not broken:
            return
        if round_ == 2:
            for job, stale in broken:
                collect(failed(job, time.perf_counter() - started, "the worker process died", stale))
        pending = broken


__all__ = ["run_local", "chunk_sizes"]
