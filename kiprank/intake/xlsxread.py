"""Opening a workbook someone sent back, safely and fast.

The file is checked before any parser sees it: it must be a zip (an .xlsx) no larger than the limit
``max_form_mb``, whose members expand to at most ``max_form_content_mb`` (a zip bomb is refused
without being expanded), and whose sheets span at most ``max_form_cells`` cells
(:mod:`kiprank.core.limits`; each can be raised with an option of ``kiprank collect`` or its
environment variable). Sheets are read with python-calamine (Rust; about ten times
faster than openpyxl), or with openpyxl in read-only mode when calamine is not installed.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from ..core.limits import OPTIONS, limit, limit_bytes, megabytes, variable


_TOKEN = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_R_ATTR = re.compile(rb'\br="([A-Z]*)(\d*)"')


class NotAWorkbook(Exception):
    """Why a file cannot be read as a workbook (a sentence for the user)."""


class Book:
    """The sheets of one .xlsx: ``names`` and ``rows(name)`` (lists of cell values, from A1; an empty
    cell is ``None`` or ``""``), and ``modified`` (when it was last saved, from its properties)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.modified = _check_zip(self.path)
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:  # pragma: no cover - calamine has wheels for the usual platforms
            self._calamine = None
            from openpyxl import load_workbook

            try:
                self._openpyxl = load_workbook(self.path, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many kinds for a damaged file
                raise NotAWorkbook(f"cannot be read as an Excel workbook: {exc}") from exc
            self.names = list(self._openpyxl.sheetnames)
            return
        try:
            self._calamine = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # CalamineError and friends
            raise NotAWorkbook(f"cannot be read as an Excel workbook: {exc}") from exc
        self.names = list(self._calamine.sheet_names)

    def rows(self, name: str) -> list[list]:
        try:
            if self._calamine is not None:
                return self._calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)
            return [list(r) for r in self._openpyxl[name].iter_rows(values_only=True)]
        except Exception as exc:
            raise NotAWorkbook(f"sheet '{name}' cannot be read: {exc}") from exc

    def close(self) -> None:
        if self._calamine is not None and hasattr(self._calamine, "close"):
            self._calamine.close()


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def _check_area(xml: bytes, name: str) -> None:
    """Refuse a sheet whose used area (last row x last column) is too large to hold: a reader keeps
    that whole rectangle in memory, so one far cell (``XFD1048576``) in a tiny file would exhaust it."""
    rows = cols = row = col = 0
    for match in _TOKEN.finditer(xml):
        ref = _R_ATTR.search(match.group(2))
        if match.group(1) == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
        else:
            col = _column_number(ref.group(1)) if ref and ref.group(1) else col + 1
            if ref and ref.group(2):
                row = max(row, int(ref.group(2)))
        rows, cols = max(rows, row), max(cols, col)
    most = int(limit("max_form_cells"))  # rows x columns of a sheet's used area (a reader holds it all in memory)
    if rows * cols > most:
        raise NotAWorkbook(f"has a sheet ({name}) whose cells reach row {rows}, column {cols}: more than the "
                           f"{most:,} cells a form or export may span (raise it with {OPTIONS['max_form_cells']} "
                           f"or {variable('max_form_cells')})")


def check_size(path: Path, error=NotAWorkbook) -> None:
    """Refuse (``error``) a returned form or export file larger than the limit ``max_form_mb``."""
    size, most = Path(path).stat().st_size, limit_bytes("max_form_mb")
    if size > most:
        raise error(f"is {megabytes(size)}, more than the {megabytes(most)} a form or export may have "
                    f"(raise it with {OPTIONS['max_form_mb']} or {variable('max_form_mb')})")


def _check_zip(path: Path) -> datetime | None:
    check_size(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotAWorkbook("is an old Excel 97-2003 (.xls) or encrypted workbook: save it as .xlsx (without a password)")
    if not head.startswith(b"PK"):
        raise NotAWorkbook("is not an Excel workbook (.xlsx): not a zip file")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total, most = sum(i.file_size for i in infos), limit_bytes("max_form_content_mb")
            if total > most:
                raise NotAWorkbook(f"expands to {megabytes(total)}, more than the {megabytes(most)} a workbook may "
                                   f"(a zip bomb?; raise it with {OPTIONS['max_form_content_mb']} or "
                                   f"{variable('max_form_content_mb')})")
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise NotAWorkbook("is a zip file but not an Excel workbook (.xlsx)")
            for name in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                _check_area(zf.read(name), name)
            core = zf.read("docProps/core.xml") if "docProps/core.xml" in names else b""
    except zipfile.BadZipFile as exc:
        raise NotAWorkbook(f"is not an Excel workbook (.xlsx): damaged zip ({exc})") from exc
    match = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", core[:20000])
    if match:
        try:
            return datetime.fromisoformat(match.group(1).decode().strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
