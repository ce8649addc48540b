"""Opening a workbook someone sent back, safely and fast.

The file is checked before any parser sees it: it must be a zip (an .xlsx) no larger than
:data:`MAX_FILE_BYTES`, whose members expand to at most :data:`MAX_UNCOMPRESSED_BYTES` (a zip bomb
is refused without being expanded). Sheets are read with python-calamine (Rust; about ten times
faster than openpyxl), or with openpyxl in read-only mode when calamine is not installed.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 250 * 1024 * 1024


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


def _check_zip(path: Path) -> datetime | None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise NotAWorkbook(f"is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB a form may have")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotAWorkbook("is an old Excel 97-2003 (.xls) or encrypted workbook: save it as .xlsx (without a password)")
    if not head.startswith(b"PK"):
        raise NotAWorkbook("is not an Excel workbook (.xlsx): not a zip file")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise NotAWorkbook(f"expands to {total / 2**20:.0f} MB, more than the "
                                   f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB a workbook may (a zip bomb?)")
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise NotAWorkbook("is a zip file but not an Excel workbook (.xlsx)")
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
