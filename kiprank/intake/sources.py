"""What every reader of a source returns: the returns found in it and the problems, each with
its place (``saq/kec-ngawen.xlsx, SAQ!D14`` or ``export.csv, row 5, column 'A01'``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from ..core.errors import KiprankError
from ..core.inputs import RegionSetup


@dataclass(frozen=True)
class SourceProblem:
    """One refused thing: ``file``, ``where`` inside it (a cell, or a row and column) and why.
    ``body_id`` names the body concerned when it is known (for the status table)."""

    file: str
    where: str | None
    message: str
    body_id: str | None = None

    def __str__(self) -> str:
        return f"{self.file}{', ' + self.where if self.where else ''}: {self.message}"


@dataclass
class Return:
    """One body's answers of one kind (``saq``, ``verification``, ``website`` or a score stage id)
    from one source. ``rows`` are the table rows without body_id, e.g. for the SAQ
    ``{"question_id": "A01", "answer": "ya", "evidence": "", "note": ""}``."""

    kind: str
    body_id: str
    source: str
    timestamp: datetime | None
    rows: list[dict] = field(default_factory=list)
    unanswered: int = 0
    # the time read the other way (month/day for day/month) when the export does not tell which
    timestamp_alt: datetime | None = None
    verifier: str = ""  # who verified (a verification return with a name): one return per verifier and body
    parts: list = field(default_factory=list)  # the returns merged into this one (several verifiers of a body)


@dataclass
class Read:
    returns: list[Return] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # named, not refused (collect prints them)


class CollectError(KiprankError):
    """Sources refused by ``kiprank collect`` (exit 2; nothing was written). ``status`` is the
    per-body status table (with the rejected bodies) when it could be made."""

    exit_code = 2
    max_shown = 200

    def __init__(self, problems: list[SourceProblem], status: pd.DataFrame | None = None):
        self.problems = problems
        self.status = status
        shown = [str(p) for p in problems[: self.max_shown]]
        if len(problems) > self.max_shown:
            shown.append(f"... and {len(problems) - self.max_shown} more problems")
        super().__init__(f"{len(problems)} problem(s) in the sources; nothing was written:\n  " + "\n  ".join(shown))


@dataclass
class Region:
    """What the readers check a source against."""

    year: int
    region: str
    setup: RegionSetup
    sha256: str
    cache: dict = field(default_factory=dict)  # what readers load once per collect (the objection round's tables)

    def __post_init__(self):
        bodies = self.setup.bodies
        self.body_ids = set(bodies["body_id"].astype(str))
        self.names = dict(zip(bodies["body_id"].astype(str), bodies["name"].astype(str)))

    @property
    def methodology(self):
        return self.setup.methodology
