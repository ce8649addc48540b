"""Opening a workbook someone sent back, safely and fast: ``.xlsx``/``.xlsm`` (Excel), ``.ods``
(LibreOffice's own format) and ``.xls`` (Excel 97-2003), all read with python-calamine.

The file is checked before any parser sees it: no larger than the limit ``max_form_mb``; a zip
(xlsx, ods) whose members expand to at most ``max_form_content_mb`` (a zip bomb is refused without
being expanded) and whose sheets' used area is at most ``max_form_cells`` cells
(:mod:`kiprank.core.limits`; each can be raised with an option of ``kiprank collect`` or its
environment variable). In an xlsx, a
formula cell whose value was never computed (saved by a program that does not calculate) is read as
a :class:`Formula`, so that readers name it instead of taking the cell as empty.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from ..core.limits import OPTIONS, limit, limit_bytes, megabytes, variable

#: the kinds of workbook collect reads, by file name ending
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

_TOKEN = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_R_ATTR = re.compile(rb'\br="([A-Z]*)(\d*)"')
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class NotAWorkbook(Exception):
    """Why a file cannot be read as a workbook (a sentence for the user)."""


class Formula:
    """A formula cell without a saved value (its text, e.g. ``=1``)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


class Book:
    """The sheets of one workbook: ``names`` and ``rows(name)`` (lists of cell values, from A1; an
    empty cell is ``None`` or ``""``; a formula without a saved value is a :class:`Formula`),
    ``modified`` (when it was last saved, from its properties, else the file's time) and ``kind``
    (``xlsx``, ``ods`` or ``xls``)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.kind, self.modified, self._formulas = _check_file(self.path)
        from python_calamine import CalamineWorkbook

        try:
            self._calamine = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # CalamineError and friends
            what = {"xls": "an Excel 97-2003 workbook (.xls), or it is encrypted (save it as .xlsx without a "
                           "password)", "ods": "a LibreOffice workbook (.ods)"}.get(self.kind, "an Excel workbook")
            raise NotAWorkbook(f"cannot be read as {what}: {_one_line(exc)}") from exc
        self.names = list(self._calamine.sheet_names)

    def rows(self, name: str) -> list[list]:
        try:
            sheet = self._calamine.get_sheet_by_name(name)
            if self.kind != "xlsx":
                _check_cells(sheet.height, sheet.width, name)
            rows = sheet.to_python(skip_empty_area=False)
        except NotAWorkbook:
            raise
        except Exception as exc:
            raise NotAWorkbook(f"sheet '{name}' cannot be read: {_one_line(exc)}") from exc
        for (r, c), text in self._formulas.get(name, {}).items():
            while len(rows) < r:
                rows.append([])
            line = rows[r - 1]
            if len(line) < c:
                line.extend([""] * (c - len(line)))
            if line[c - 1] in ("", None):
                line[c - 1] = Formula(text)
        return rows

    def close(self) -> None:
        if hasattr(self._calamine, "close"):
            self._calamine.close()


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


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
    _check_cells(rows, cols, name)


def _check_cells(rows: int, cols: int, name: str) -> None:
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


def formulas_without_values(xml: bytes) -> dict[tuple[int, int], str]:
    """(row, column) -> formula text of the cells of a sheet's XML that hold a formula and no value."""
    out = {}
    if b"<f" not in xml:
        return out
    for match in _CELL.finditer(xml):
        body = match.group(2) or b""
        if b"<f" not in body or re.search(rb"<v\b[^>]*>[^<]", body):
            continue
        ref = _R_ATTR.search(match.group(1))
        if not ref or not ref.group(1) or not ref.group(2):
            continue
        formula = re.search(rb"<f\b[^>]*>(.*?)</f>", body, re.S)
        text = "=" + html.unescape(formula.group(1).decode("utf-8", "replace")) if formula else "=(shared formula)"
        out[(int(ref.group(2)), _column_number(ref.group(1)))] = text
    return out


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part (``xl/worksheets/sheet1.xml``) -> sheet name, from the workbook and its rels."""
    try:
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except KeyError:
        return {}
    targets = {}
    for rel in re.finditer(rb"<Relationship\b([^>]*)/?>", rels):
        attrs = rel.group(1)
        rid = re.search(rb'\bId="([^"]*)"', attrs)
        target = re.search(rb'\bTarget="([^"]*)"', attrs)
        if rid and target:
            t = html.unescape(target.group(1).decode("utf-8", "replace"))
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else posixpath.normpath("xl/" + t)
    out = {}
    for sheet in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = sheet.group(1)
        name = re.search(rb'\bname="([^"]*)"', attrs)
        rid = re.search(rb'\br:id="([^"]*)"', attrs) or re.search(rb'\b\w+:id="([^"]*)"', attrs)
        if name and rid and rid.group(1) in targets:
            out[targets[rid.group(1)]] = html.unescape(name.group(1).decode("utf-8", "replace"))
    return out


def _check_file(path: Path) -> tuple[str, datetime | None, dict[str, dict[tuple[int, int], str]]]:
    """(kind, when it was last saved, formulas without values per sheet name), or NotAWorkbook."""
    check_size(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls", mtime, {}  # Excel 97-2003 (or an encrypted xlsx, which calamine refuses with its reason)
    if not head.startswith(b"PK"):
        raise NotAWorkbook("is not a workbook (.xlsx, .xls or .ods): not a zip file")
    formulas: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total, most = sum(i.file_size for i in infos), limit_bytes("max_form_content_mb")
            if total > most:
                raise NotAWorkbook(f"expands to {megabytes(total)}, more than the {megabytes(most)} a workbook may "
                                   f"(a zip bomb?; raise it with {OPTIONS['max_form_content_mb']} or "
                                   f"{variable('max_form_content_mb')})")
            names = {i.filename for i in infos}
            if "content.xml" in names and "mimetype" in names and zf.read("mimetype").strip() == _ODS_MIME:
                meta = zf.read("meta.xml")[:20000] if "meta.xml" in names else b""
                match = re.search(rb"<(?:meta:date|dc:date)>([^<]+)<", meta)
                return "ods", _stamp(match.group(1)) if match else mtime, {}
            if "xl/workbook.xml" not in names:
                raise NotAWorkbook("is a zip file but not a workbook (.xlsx or .ods)")
            parts = _sheet_parts(zf, names)
            for name in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
                xml = zf.read(name)
                _check_area(xml, name)
                found = formulas_without_values(xml)
                if found and name in parts:
                    formulas[parts[name]] = found
            core = zf.read("docProps/core.xml") if "docProps/core.xml" in names else b""
    except zipfile.BadZipFile as exc:
        raise NotAWorkbook(f"is not a workbook (.xlsx or .ods): damaged zip ({exc})") from exc
    match = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", core[:20000])
    return "xlsx", (_stamp(match.group(1)) if match else None) or mtime, formulas


def _stamp(raw: bytes) -> datetime | None:
    """A saved time from a workbook's properties; one without a zone is taken as UTC."""
    try:
        stamp = datetime.fromisoformat(raw.decode().strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
