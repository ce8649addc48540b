"""Batch jobs on a Dask distributed cluster (``kiprank build --scheduler tcp://HOST:8786``).

Each job is one task, :func:`kiprank.runs.workers.run_job`, run by a worker in the warm kernel of
its thread. Workers are started apart from the build (``dask scheduler``; ``dask worker
tcp://HOST:8786 --nthreads 1``), each with the same kiprank installed: a regular install is enough,
the notebooks, templates and fonts come from the package (:mod:`kiprank.core.resources`), never from
a checkout. ``--inputs-root`` and ``--outputs-root`` are sent as absolute paths and must be on a file
system every worker sees at the same paths.

When a worker dies mid-job (killed, out of memory, its machine gone), the scheduler gives its tasks
to another worker; the published folder is always the old or the new complete one, and the next
publish of that region removes the staging folder the dead job left (:mod:`kiprank.core.publish`).
A job whose workers die more often than the scheduler allows (``distributed.scheduler.allowed-failures``;
start the scheduler with ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1`` to give up after two
tries, Dask's default is 3) is reported failed. A cluster left without any worker for
:data:`NO_WORKERS_TIMEOUT` seconds, or a scheduler that goes away, fails the jobs not yet done
instead of waiting for ever.
"""

from __future__ import annotations

import time
import uuid

from ..core.errors import UsageError
from .plan import Job, JobResult, failed
from .workers import run_job, short_reason

NO_WORKERS_TIMEOUT = 300.0
POLL_SECONDS = 2.0


def _outcome(future, job: Job, stale: str, started: float) -> JobResult:
    """The job's result, or a failed result saying what Dask reported."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        tries = exc.allowed_failures + 1 if isinstance(exc.args[-1], int) else "several"
        reason = f"dask: the worker running it died, {tries} times (KilledWorker); see the workers' logs"
    except Exception as exc:  # cancelled, lost, a worker without kiprank ...
        reason = f"dask: {short_reason(exc)}"
    return failed(job, time.perf_counter() - started, reason, stale)


def run_on_cluster(address: str, todo: list[tuple[Job, str]], collect,
                   no_workers_timeout: float = NO_WORKERS_TIMEOUT) -> None:
    """Build ``todo`` (jobs with why each is stale) on the workers of the scheduler at ``address``,
    passing each :class:`~kiprank.runs.plan.JobResult` to ``collect`` as it comes."""
    try:
        from distributed import Client, wait
    except ImportError as exc:
        raise UsageError(f"--scheduler needs dask.distributed ({exc}); install kiprank[cluster]") from exc
    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
    token = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    with client:
        futures = {client.submit(run_job, job, stale, key=f"kiprank-report-{job.year}-{job.region}-{token}",
                                 pure=False): (job, stale) for job, stale in todo}
        pending, alone_since = set(futures), None

        def give_up(reason: str) -> None:
            for future in pending:
                job, stale = futures[future]
                collect(failed(job, time.perf_counter() - started, reason, stale))

        while pending:
            try:
                done, pending = wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except OSError as exc:  # the scheduler went away
                return give_up(f"dask: lost the scheduler ({exc})")
            for future in done:
                job, stale = futures[future]
                collect(_outcome(future, job, stale, started))
            if pending and not done:
                alone_since = _alone_since(client, alone_since)
                if alone_since is not None and time.monotonic() - alone_since > no_workers_timeout:
                    return give_up(f"dask: no worker for {no_workers_timeout:.0f} s")


def _alone_since(client, alone_since: float | None) -> float | None:
    """When the cluster has been without workers since (monotonic time), or None when it has some."""
    try:
        if client.nthreads():
            return None
    except OSError:
        pass
    return alone_since if alone_since is not None else time.monotonic()


__all__ = ["run_on_cluster", "NO_WORKERS_TIMEOUT"]
