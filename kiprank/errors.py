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

    def __init__(self, problems: list[InputProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column or "", p.message))
        shown = [str(p) for p in self.problems[: self.max_shown]]
        if len(self.problems) > self.max_shown:
            shown.append(f"... and {len(self.problems) - self.max_shown} more problems")
        super().__init__(f"{len(self.problems)} problem(s) in the inputs:\n  " + "\n  ".join(shown))


class MethodologyError(KiprankError):
    """A methodology file that is missing or breaks a rule (e.g. weights not summing to 100)."""

    exit_code = 2

    def __init__(self, file: str, message: str):
        self.file = file
        super().__init__(f"methodology {file}: {message}")


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
