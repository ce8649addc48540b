"""Exceptions of kiprank. Each carries what a user needs to fix the input: file, row, column."""

from __future__ import annotations

from dataclasses import dataclass


class KiprankError(Exception):
    """Base class; the CLI turns these into a message and a non-zero exit code."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class InputProblem:
    """One problem in one cell (or row, or file) of an input table.

    ``row`` is the line number a person sees: in a CSV the header is line 1; in a sheet, the Excel row.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class InputValidationError(KiprankError):
    """All the problems found in a region's inputs (reported at once, exit code 2)."""

    exit_code = 2
    max_shown = 200

    def __init__(self, problems: list[InputProblem], total: int | None = None):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "", p.message))
        self.total = max(total if total is not None else getattr(problems, "total", len(problems)), len(self.problems))
        shown = [str(p) for p in self.problems[: self.max_shown]]
        if self.total > len(shown):
            more = self.total - len(shown)
            shown.append(f"... and {more} more problem(s)" + (
                f" (the first {len(self.problems)} found are kept; raise --max-problems to see more)"
                if self.total > len(self.problems) else ""))
        super().__init__(f"{self.total} problem(s) in the inputs:\n  " + "\n  ".join(shown))


class ProblemList(list):
    """A list of :class:`InputProblem` that keeps the first ``cap`` and counts the rest (``total``),
    so that millions of bad rows cost neither minutes nor gigabytes."""

    def __init__(self, cap: int = 1000):
        super().__init__()
        self.cap = max(int(cap), 1)
        self.total = 0

    def append(self, problem: InputProblem) -> None:
        self.total += 1
        if len(self) < self.cap:
            super().append(problem)

    def extend(self, problems) -> None:
        for p in problems:
            self.append(p)

    def count_more(self, n: int) -> None:
        """Count ``n`` further problems without building them."""
        self.total += int(n)

    @property
    def full(self) -> bool:
        return len(self) >= self.cap


class MethodologyError(KiprankError):
    """A methodology file that is missing or breaks a rule (e.g. weights not summing to 100)."""

    exit_code = 2

    def __init__(self, file: str, message: str):
        self.file = file
        super().__init__(f"methodology {file}: {message}")


class OutputError(KiprankError):
    """Writing the outputs failed (disk full, I/O error); the previous outputs are unchanged. Exit 3."""

    exit_code = 3


class UsageError(KiprankError):
    """Arguments that cannot be used (e.g. a region name with a slash)."""

    exit_code = 2


class ReportError(KiprankError):
    """A step of building the published report failed (notebook, HTML, PDF, tables).

    ``step`` names the step; the message says why in a line or two (for a notebook error: the
    cell and the exception, not the whole traceback). Exit code 3.
    """

    exit_code = 3

    def __init__(self, step: str, reason: str):
        self.step = step
        self.reason = reason
        super().__init__(f"report step '{step}' failed: {reason}")
