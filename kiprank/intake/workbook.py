"""The toolkit the workbooks of ``kiprank forms`` are built with (the SAQ, verification, website and
score forms of :mod:`kiprank.intake.forms`, the objection forms of :mod:`kiprank.intake.objection_forms`):
a workbook saved once as a :class:`Template` and filled per body, the cover sheet, header rows, the
very hidden sheets (the sealed ``kiprank`` sheet and the lists the drop-downs offer), cell rules,
page set-up and protection, and the fixed-date bytes of a workbook."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from xml.sax.saxutils import escape as xml_escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.answers import allowed_text
from ..core.export import build_timestamp, normalise_zip
from ..core.formatting import format_date
from ..core.inputs import RegionSetup
from ..core.methodology import Question
from ..core.version import __version__
from . import layout as L
from .cells import MARK, clean, formula, put

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
UNANSWERED_FILL = PatternFill(start_color="FFF2CC", end_color="FFF2CC", fill_type="solid")
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
SAFE_FILE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


class Template:
    """A workbook saved once, with placeholders (:func:`slot`) in the cells that differ from body to
    body; each body's copy is the same zip with the placeholders replaced. openpyxl writes text as
    inline strings, so a replacement only touches the sheet that holds it: 300 workbooks cost
    little more than one."""

    _MARKS = (MARK.encode("utf-8"), b"&#57344;", b"&#xe000;", b"&#xE000;")  # as lxml may write it
    _SLOT = re.compile(rb'<c ([^>]*?)\s*t="inlineStr"([^>]*)><is><t>(?:' + b"|".join(map(re.escape, _MARKS))
                       + rb")([^<&]*)(?:" + b"|".join(map(re.escape, _MARKS)) + rb")</t></is></c>")

    def __init__(self, wb: Workbook):
        with zipfile.ZipFile(io.BytesIO(workbook_bytes(wb))) as zf:
            self.members = [(info, zf.read(info.filename)) for info in zf.infolist()]

    def render(self, values: dict[str, str]) -> bytes:
        def fill(match: re.Match) -> bytes:
            attrs = match.group(1) + match.group(2)
            text = clean(values[match.group(3).decode("utf-8")])
            if not text:
                return b"<c " + attrs + b"/>"  # an empty cell, not an empty text
            return (b"<c " + attrs + b' t="inlineStr"><is><t xml:space="preserve">' + xml_escape(text).encode("utf-8")
                    + b"</t></is></c>")

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in self.members:
                if any(mark in data for mark in self._MARKS):
                    data = self._SLOT.sub(fill, data)
                zf.writestr(info, data)
        return out.getvalue()


def file_names(body_ids: list[str]) -> dict[str, str]:
    """A file name stem per body: the body id when it is a safe lower-case name, else a slug plus a
    short hash (ids with slashes or that differ only by case must not collide on any file system)."""
    out, used = {}, set()
    for body in body_ids:
        stem = body if SAFE_FILE.match(body) else re.sub(r"[^a-z0-9_.-]+", "-", body.lower()).strip("-.")[:60]
        if stem != body or not stem or stem in used:
            stem = f"{stem or 'body'}-{hashlib.sha256(body.encode()).hexdigest()[:8]}"
        used.add(stem)
        out[body] = stem
    return out


# -- the context of one region --------------------------------------------------------------

@dataclass
class FormContext:
    year: int
    region: str
    setup: RegionSetup
    lang: str
    words: dict
    sha256: str
    evidence: dict | None = None  # body -> question -> (links, statuses), when an evidence check exists
    panel: object | None = None  # the verifiers' verdicts (kiprank.core.verifiers.Panel), for the adjudication form
    decided: dict | None = None  # (body, question) -> (verdict, granted, note) already in adjudication.csv

    @property
    def methodology(self):
        return self.setup.methodology

    def meta(self, kind: str, body_id: str = "", sheets: str = "") -> dict[str, str]:
        meta = {"kind": kind, "form_version": L.FORM_VERSION, "year": str(self.year), "region": self.region,
                "methodology_id": self.methodology.id, "methodology_sha256": self.sha256,
                "body_id": body_id, "lang": self.lang, "sheets": sheets}
        meta["checksum"] = L.meta_checksum(meta)
        return meta


def add_meta_sheet(wb: Workbook, meta: dict[str, str]):
    ws = wb.create_sheet(L.META_SHEET)
    for i, (key, value) in enumerate([*meta.items(), ("kiprank_version", __version__)], start=1):
        put(ws, i, 1, key)
        put(ws, i, 2, value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
    return ws


class ListSheet:
    """The very hidden sheet of drop-down lists; a list is referenced as ``pilihan!$A$1:$A$2``."""

    def __init__(self, wb: Workbook):
        self.ws = wb.create_sheet(L.LISTS_SHEET)
        self.ws.sheet_state = "veryHidden"
        self.ws.protection.sheet = True
        self.refs: dict[tuple[str, ...], str] = {}

    def ref(self, values: list[str]) -> str:
        key = tuple(values)
        if key not in self.refs:
            col = len(self.refs) + 1
            for row, value in enumerate(values, start=1):
                put(self.ws, row, col, value)
            letter = L.column_letter(col)
            self.refs[key] = f"{L.LISTS_SHEET}!${letter}$1:${letter}${len(values)}"
        return self.refs[key]


class CellRules:
    """Data validations grouped by rule (one per rule, with all its cells)."""

    def __init__(self, ws, lists: ListSheet):
        self.ws, self.lists, self.rules = ws, lists, {}

    def _rule(self, key, make) -> DataValidation:
        if key not in self.rules:
            dv = make()
            dv.showErrorMessage = True
            dv.allow_blank = True
            self.ws.add_data_validation(dv)
            self.rules[key] = dv
        return self.rules[key]

    def choice(self, ref: str, values: list[str], message: str) -> None:
        dv = self._rule(("list", tuple(values)), lambda: DataValidation(
            type="list", formula1=self.lists.ref(values), error=clean(message)[:255],  # as Excel writes it: no "="
            errorTitle="kiprank"))
        dv.add(ref)

    def number(self, ref: str, low: float, high: float, message: str) -> None:
        dv = self._rule(("decimal", low, high), lambda: DataValidation(
            type="decimal", operator="between", formula1=L.format_number(low), formula2=L.format_number(high),
            error=clean(message)[:255], errorTitle="kiprank"))
        dv.add(ref)

    def answer(self, ref: str, q: Question, w: dict) -> None:
        if q.type == "yesno":
            self.choice(ref, [w["answer_yes"], w["answer_no"]], allowed_text(q))
        elif q.type == "graded":
            self.choice(ref, [str(o) for o in q.options], allowed_text(q))
        else:
            self.number(ref, 0, q.max, allowed_text(q))


def header_row(ws, labels: list[str], widths: list[int]) -> None:
    for col, (label, width) in enumerate(zip(labels, widths), start=1):
        put(ws, 1, col, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP)
        ws.column_dimensions[L.column_letter(col)].width = width
    fit_height(ws, 1, [(label, width * 0.85) for label, width in zip(labels, widths)])  # bold: wider
    ws.freeze_panes = "A2"


def page_setup(ws, landscape: bool = True, title_rows: str | None = "1:1") -> None:
    """Printed on A4, as wide as the page, the header row repeated on every page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows


def fit_height(ws, row: int, texts: list[tuple[str, int]]) -> None:
    """Row height for wrapped text (``(text, column width)`` pairs): spreadsheets do not always
    grow a row to fit text written by a program."""
    lines = max([1] + [-(-len(text) // max(int(width * 1.15) - 2, 1)) for text, width in texts if text])
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths and heights may still be changed
    ws.protection.formatRows = False


def cover_sheet(wb: Workbook, ctx: FormContext, title: str, instructions: str, body: bool, answered: str | None,
                deadline: date | None = None, extra: tuple[str, ...] = (), verifier: bool = False):
    """The cover sheet; returns the cell positions of the per-body values. ``deadline``: the date
    printed as the deadline (default: ``deadline:`` of region.yml); ``extra``: keys of further
    per-body rows (words of the forms, their values filled per body); with ``verifier``, an
    unlocked cell where the verifier writes their name, read back by collect."""
    w, config = ctx.words, ctx.setup.config
    ws = wb.active
    ws.title = clean(w["cover_sheet"])[:31]
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 95
    put(ws, 1, 1, title, font=Font(bold=True, size=14))
    rows = [("issuer", config.issuer), ("ranking", config.title)]
    if body:
        rows += [("body", ""), ("body_id", ""), ("group", "")]
    rows += [(key, "") for key in extra]
    deadline = deadline or config.deadline
    if deadline is not None:
        rows.append(("deadline", format_date(deadline, ctx.lang)))  # '31 Januari 2023' in Indonesian forms
    rows += [("methodology", f"{ctx.methodology.id} ({ctx.methodology.name})"),
             ("form_version", f"{L.FORM_VERSION} / {ctx.sha256[:12]}")]
    cells = {}
    row = 3
    for key, value in rows:
        put(ws, row, 1, w[key], font=Font(bold=True), alignment=TOP)
        put(ws, row, 2, value, alignment=WRAP)
        fit_height(ws, row, [(value, 95)])
        cells[key] = row
        row += 1
    if answered:
        put(ws, row, 1, w["answered"], font=Font(bold=True))
        formula(ws, row, 2, answered)
        row += 1
    if verifier:
        put(ws, row, 1, w["verifier"], font=Font(bold=True))
        ws.cell(row=row, column=2).protection = UNLOCKED
        ws.cell(row=row, column=2).fill = UNANSWERED_FILL
        cells["verifier"] = row
        row += 1
    row += 1
    for line in instructions.splitlines():
        put(ws, row, 2, line, alignment=WRAP)
        fit_height(ws, row, [(line, 95)])
        row += 1
    protect(ws)
    page_setup(ws, landscape=False, title_rows=None)
    return ws, cells


def answered_formula(template: str, count: str, total: int) -> str:
    before, _, after = template.format(answered="\x00", total=total).partition("\x00")
    quote = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
    return "=" + "&".join([*([quote(before)] if before else []), count, *([quote(after)] if after else [])])


def workbook_bytes(wb: Workbook) -> bytes:
    """The workbook as .xlsx bytes, the same for the same content (fixed dates)."""
    stamp = datetime.fromtimestamp(build_timestamp(), tz=timezone.utc).replace(tzinfo=None)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "kiprank"
    wb.properties.lastModifiedBy = "kiprank"
    buffer = io.BytesIO()
    wb.save(buffer)
    return normalise_zip(buffer.getvalue(), stamp)


__all__ = ["HEADER_FILL", "HEADER_FONT", "UNANSWERED_FILL", "UNLOCKED", "WRAP", "TOP", "SAFE_FILE", "Template", "file_names", "FormContext", "add_meta_sheet", "ListSheet", "CellRules", "header_row", "page_setup", "fit_height", "protect", "cover_sheet", "answered_formula", "workbook_bytes"]
