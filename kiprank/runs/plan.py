"""What a batch build (``kiprank build``) is asked to do: one :class:`Job` per region folder of each
year (:func:`plan_jobs`), and what became of it (:class:`JobResult`).

Light on purpose (standard library only): the main process plans and checks a whole year of
regions before any heavy library is imported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from ..core.errors import UsageError

STATUS_BUILT, STATUS_SKIPPED, STATUS_FAILED = "built", "up to date", "failed"
DEFAULT_CELL_TIMEOUT = 600.0


@dataclass(frozen=True)
class Job:
    """One report to build. Paths are absolute (they are sent to other processes or machines)."""

    year: int
    region: str
    inputs_root: str
    outputs_root: str
    lang: str = "id"
    report_date: str | None = None
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
    pdf_standard: str | None = None
    letters: bool = False  # also write the result letters (kiprank letters) after the report

    @property
    def input_folder(self) -> Path:
        return Path(self.inputs_root) / str(self.year) / self.region

    @property
    def output_folder(self) -> Path:
        return Path(self.outputs_root) / str(self.year) / self.region


@dataclass
class JobResult:
    """What became of a job: ``status`` is ``built``, ``up to date`` or ``failed`` (with ``reason``)."""

    year: int
    region: str
    status: str
    seconds: float
    folder: str
    bodies: int | None = None
    reason: str = ""
    attempts: int = 0
    stale: str = ""  # why the job had to be built (e.g. "input changed: saq.csv")
    worker: str = ""

    @property
    def ok(self) -> bool:
        return self.status != STATUS_FAILED

    def to_dict(self) -> dict:
        return asdict(self)


def failed(job: Job, seconds: float, reason: str, stale: str = "", attempts: int = 0, worker: str = "") -> JobResult:
    """The result of a job that failed, with its short reason."""
    return JobResult(job.year, job.region, STATUS_FAILED, seconds, str(job.output_folder), reason=reason,
                     attempts=attempts, stale=stale, worker=worker)


def plan_jobs(years, regions=(), inputs_root: Path | str = "inputs", outputs_root: Path | str = "outputs",
              lang: str = "id", report_date: str | None = None,
              cell_timeout: float | None = DEFAULT_CELL_TIMEOUT, pdf_standard: str | None = None,
              letters: bool = False) -> list[Job]:
    """One job per region folder of each year (every sub-folder of ``<inputs_root>/<year>/`` not
    starting with ``.`` or ``_``), or only ``regions``. A year folder that is missing, or a region
    asked for that is in none of the years, is a :class:`~kiprank.core.errors.UsageError`."""
    if not years:
        raise UsageError("give at least one year (--year 2022 or --years 2018 2019)")
    inputs_root, outputs_root = Path(inputs_root).resolve(), Path(outputs_root).resolve()
    wanted = list(dict.fromkeys(regions))  # only names of existing folders are used: no path tricks
    jobs, found = [], set()
    for year in dict.fromkeys(years):
        folder = inputs_root / str(int(year))
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
        present = sorted(p.name for p in folder.iterdir()
                         if p.is_dir() and not p.name.startswith((".", "_")))
        for region in (r for r in present if not wanted or r in wanted):
            found.add(region)
            jobs.append(Job(int(year), region, str(inputs_root), str(outputs_root), lang, report_date, cell_timeout,
                            pdf_standard, letters))
    missing = [r for r in wanted if r not in found]
    if missing:
        raise UsageError(f"no input folder for region(s) {', '.join(missing)} under "
                         + ", ".join(str(inputs_root / str(y)) for y in dict.fromkeys(years)))
    if not jobs:
        raise UsageError("no region folders under " + ", ".join(str(inputs_root / str(y)) for y in years))
    return jobs


__all__ = ["Job", "JobResult", "plan_jobs", "failed", "STATUS_BUILT", "STATUS_SKIPPED", "STATUS_FAILED",
           "DEFAULT_CELL_TIMEOUT"]
