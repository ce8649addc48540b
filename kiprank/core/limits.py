"""Size limits on what kiprank reads, so that a hostile or mistaken input costs a clear message,
not minutes or gigabytes: the one table of them (:data:`LIMITS`). Each can be raised with a
command-line option (``--max-file-mb`` ...) or the environment variable ``KIPRANK_<NAME>`` (what
the options set, so that notebook kernels and batch workers see the same limits)."""

from __future__ import annotations

import os
from typing import NamedTuple

from .errors import UsageError


class Limit(NamedTuple):
    default: float | int
    help: str  # the option's help (console text)


# Input limits: the region's tables (validate, score, report, compare, build); form limits: what
# `kiprank collect` reads (returned workbooks and web-form exports).
LIMITS = {
    "max_file_mb": Limit(1024.0, "Largest input file (CSV or workbook) read, in MB"),
    "max_xlsx_mb": Limit(200.0, "Largest uncompressed content of inputs.xlsx, in MB"),
    "max_columns": Limit(200, "Most columns in a table's header"),
    "max_problems": Limit(1000, "Most problems collected before validation only counts the rest"),
    "max_form_mb": Limit(25.0, "Largest returned workbook or export file read, in MB"),
    "max_form_content_mb": Limit(250.0, "Largest uncompressed content of a returned workbook, in MB"),
    "max_form_cells": Limit(3_000_000, "Most cells in the used area of a sheet of a returned workbook"),
}
INPUT_LIMITS = ("max_file_mb", "max_xlsx_mb", "max_columns", "max_problems")
FORM_LIMITS = ("max_form_mb", "max_form_content_mb", "max_form_cells")
DEFAULT_LIMITS = {name: lim.default for name, lim in LIMITS.items()}
OPTIONS = {name: "--" + name.replace("_", "-") for name in LIMITS}


def variable(name: str) -> str:
    """The environment variable of a limit: ``KIPRANK_MAX_FILE_MB``."""
    return f"KIPRANK_{name.upper()}"


def limit(name: str) -> float:
    """The limit ``name`` (:data:`LIMITS`), raised by ``KIPRANK_<NAME>`` when set."""
    default = DEFAULT_LIMITS[name]
    raw = os.environ.get(variable(name), "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value >= 1:
        raise UsageError(f"{variable(name)}='{raw[:40]}' ({OPTIONS[name]}) must be a number of at least 1")
    return int(value) if isinstance(default, int) else value


def limit_bytes(name: str) -> int:
    """A limit in MB (``max_..._mb``) as a number of bytes (1 MB = 10^6 bytes)."""
    return int(limit(name) * 1e6)


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"

