"""Size limits on what kiprank reads, so that a hostile or mistaken input costs a clear message,
not minutes or gigabytes. Each can be raised with a command-line option (``--max-file-mb`` ...)
or the environment variable ``KIPRANK_<NAME>`` (what the options set, so that notebook kernels
and batch workers see the same limits)."""

from __future__ import annotations

import os

from .errors import UsageError

DEFAULT_LIMITS = {
    "max_file_mb": 1024.0,   # an input file on disk (CSV or workbook)
    "max_xlsx_mb": 200.0,    # the uncompressed content of inputs.xlsx (what openpyxl parses)
    "max_columns": 200,      # columns in a table's header
    "max_problems": 1000,    # problems collected before validation only counts the rest
}
OPTIONS = {name: "--" + name.replace("_", "-") for name in DEFAULT_LIMITS}


def limit(name: str) -> float:
    """The limit ``name`` (:data:`DEFAULT_LIMITS`), raised by ``KIPRANK_<NAME>`` when set."""
    default = DEFAULT_LIMITS[name]
    raw = os.environ.get(f"KIPRANK_{name.upper()}", "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value >= 1:
        raise UsageError(f"KIPRANK_{name.upper()}='{raw[:40]}' ({OPTIONS[name]}) must be a number of at least 1")
    return int(value) if isinstance(default, int) else value


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:,.1f} MB"
