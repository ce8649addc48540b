"""``kiprank forms``: the workbooks a commission sends out, generated from the region's
methodology and bodies so that they always match the method that will score them.

Written into ``<outputs>/<year>/<region>/forms/`` (or ``--out``), atomically, with a small
``manifest.json`` (``"kind": "forms"``) listing every file and its SHA-256:

- ``saq/<body>.xlsx``: cover sheet (issuer, body, deadline, instructions, answered count), sheet
  ``SAQ`` (Kode, Indikator, Pertanyaan, Jawaban, Bukti, Catatan; only Jawaban/Bukti/Catatan
  unlocked; Jawaban restricted by data validation; unanswered rows shaded);
- ``verifikasi/<body>.xlsx``: Kode, Pertanyaan, Jawaban SAQ (the claimed answer once collected),
  Hasil verifikasi, Diterima, Catatan;
- ``website.xlsx``: every body x every checklist item (ya/tidak);
- ``scores.xlsx``: one sheet per ``score`` stage, every body with a score 0-100;
- ``saq-xlsform.xlsx``: the SAQ as an XLSForm (see :mod:`kiprank.intake.xlsform`);
- only with ``--kind adjudikasi`` (several verifiers, a ``verifier`` column): ``adjudikasi.xlsx``, one
  row per answer the verifiers disagree on, where the lead verifier records the final verdict
  (collected as ``adjudication.csv``), and ``disagreements.csv`` (the same answers as a table).

Every workbook has a very hidden sheet ``kiprank`` with the kind of form, layout version, year,
region, methodology id and SHA-256, body id and language, sealed by a checksum, so that
``kiprank collect`` can refuse a form of another year, method or body, or a tampered one.

(About 720 lines: the five workbook kinds share one context, cover sheet, cell styles, locking and
seal, and the writing of the folder; the XLSForm is in :mod:`kiprank.intake.xlsform`, reading the
returns in :mod:`kiprank.intake.collect`.)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from xml.sax.saxutils import escape as xml_escape
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.answers import CANONICAL_VERDICT, allowed_text
from ..core.version import __version__, code_sha256
from ..core.errors import UsageError
from ..core.export import normalise_zip, build_timestamp, write_table_csv
from ..core.files import MANIFEST, methodology_reference, sha256_file, write_manifest
from ..core.publish import check_owned, locked, overlaps, real_path, recover, staged_folder
from ..core.inputs import RegionSetup, load_panel, load_setup
from ..core.snapshot import Snapshot, input_snapshot
from ..core.region import check_name
from ..core.formatting import format_date
from ..core.methodology import Question
from ..core.verifiers import disagreement_table
from ..core.wording import words
from . import layout as L
from .cells import MARK, clean, formula, put, slot

KINDS = ("saq", "verification", "website", "scores", "xlsform", "adjudikasi")
EXPLICIT = ("adjudikasi",)  # made only when asked for by name: not part of "all"
FORMS_KIND = "forms"
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
UNANSWERED_FILL = PatternFill(start_color="FFF2CC", end_color="FFF2CC", fill_type="solid")
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
SAFE_FILE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


@dataclass
class FormsResult:
    """Where the forms went and what was written (paths relative to ``folder``)."""

    folder: Path
    files: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


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
class _Context:
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


def _add_meta_sheet(wb: Workbook, meta: dict[str, str]):
    ws = wb.create_sheet(L.META_SHEET)
    for i, (key, value) in enumerate([*meta.items(), ("kiprank_version", __version__)], start=1):
        put(ws, i, 1, key)
        put(ws, i, 2, value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
    return ws


class _Lists:
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


class _Validations:
    """Data validations grouped by rule (one per rule, with all its cells)."""

    def __init__(self, ws, lists: _Lists):
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


def _header(ws, labels: list[str], widths: list[int]) -> None:
    for col, (label, width) in enumerate(zip(labels, widths), start=1):
        put(ws, 1, col, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP)
        ws.column_dimensions[L.column_letter(col)].width = width
    _fit_height(ws, 1, [(label, width * 0.85) for label, width in zip(labels, widths)])  # bold: wider
    ws.freeze_panes = "A2"


def _page(ws, landscape: bool = True, title_rows: str | None = "1:1") -> None:
    """Printed on A4, as wide as the page, the header row repeated on every page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows


def _fit_height(ws, row: int, texts: list[tuple[str, int]]) -> None:
    """Row height for wrapped text (``(text, column width)`` pairs): spreadsheets do not always
    grow a row to fit text written by a program."""
    lines = max([1] + [-(-len(text) // max(int(width * 1.15) - 2, 1)) for text, width in texts if text])
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _protect(ws) -> None:
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths and heights may still be changed
    ws.protection.formatRows = False


def _cover(wb: Workbook, ctx: _Context, title: str, instructions: str, body: bool, answered: str | None,
           verifier: bool = False):
    """The cover sheet; returns the cell positions of the per-body values (with ``verifier``, an
    unlocked cell where the verifier writes their name, read back by collect)."""
    w, config = ctx.words, ctx.setup.config
    ws = wb.active
    ws.title = clean(w["cover_sheet"])[:31]
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 95
    put(ws, 1, 1, title, font=Font(bold=True, size=14))
    rows = [("issuer", config.issuer), ("ranking", config.title)]
    if body:
        rows += [("body", ""), ("body_id", ""), ("group", "")]
    if config.deadline is not None:
        rows.append(("deadline", format_date(config.deadline, ctx.lang)))  # '31 Januari 2023' in Indonesian forms
    rows += [("methodology", f"{ctx.methodology.id} ({ctx.methodology.name})"),
             ("form_version", f"{L.FORM_VERSION} / {ctx.sha256[:12]}")]
    cells = {}
    row = 3
    for key, value in rows:
        put(ws, row, 1, w[key], font=Font(bold=True), alignment=TOP)
        put(ws, row, 2, value, alignment=WRAP)
        _fit_height(ws, row, [(value, 95)])
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
        _fit_height(ws, row, [(line, 95)])
        row += 1
    _protect(ws)
    _page(ws, landscape=False, title_rows=None)
    return ws, cells


def _answered_formula(template: str, count: str, total: int) -> str:
    before, _, after = template.format(answered="\x00", total=total).partition("\x00")
    quote = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
    return "=" + "&".join([*([quote(before)] if before else []), count, *([quote(after)] if after else [])])


def _saq_workbook(ctx: _Context):
    """The SAQ workbook without its body: returns (workbook, cover sheet, cover cell rows)."""
    w, m = ctx.words, ctx.methodology
    questions = m.questionnaire.questions
    last = L.FIRST_ROW + len(questions) - 1
    wb = Workbook()
    cover, cells = _cover(wb, ctx, w["cover_title"], w["instructions"], True,
                          _answered_formula(w["answered_value"], f"COUNTA({L.SAQ_SHEET}!D{L.FIRST_ROW}:D{last})",
                                            len(questions)))
    ws = wb.create_sheet(L.SAQ_SHEET)
    lists = _Lists(wb)
    _header(ws, [w[c] for c in L.SAQ_COLUMNS], [8, 28, 70, 16, 40, 30])
    labels = {i.id: i.label for i in m.questionnaire.indicators}
    dvs = _Validations(ws, lists)
    for row, q in enumerate(questions, start=L.FIRST_ROW):
        put(ws, row, 1, q.id, alignment=TOP)
        put(ws, row, 2, labels[q.indicator], alignment=WRAP)
        put(ws, row, 3, q.text, alignment=WRAP)
        for col in (4, 5, 6):
            ws.cell(row=row, column=col).protection = UNLOCKED
        dvs.answer(f"D{row}", q, w)
        _fit_height(ws, row, [(labels[q.indicator], 28), (q.text, 70)])
    ws.conditional_formatting.add(f"A{L.FIRST_ROW}:F{last}",
                                  FormulaRule(formula=[f"ISBLANK($D{L.FIRST_ROW})"], fill=UNANSWERED_FILL))
    _protect(ws)
    _page(ws)
    _add_meta_sheet(wb, ctx.meta("saq", sheets=L.SAQ_SHEET))
    wb.security = WorkbookProtection(lockStructure=True)
    return wb, cover, cells


def _verification_workbook(ctx: _Context):
    w, m = ctx.words, ctx.methodology
    questions = m.questionnaire.questions
    last = L.FIRST_ROW + len(questions) - 1
    sheet = clean(w["verification_sheet"])[:31]
    wb = Workbook()
    cover, cells = _cover(wb, ctx, w["verification_title"], w["verification_instructions"], True, None, verifier=True)
    ws = wb.create_sheet(sheet)
    lists = _Lists(wb)
    _header(ws, [w[c] for c in L.VERIFICATION_COLUMNS] + ([w["col_evidence"], words("evidence", ctx.lang)["form_status"]]
                                                          if ctx.evidence is not None else []),
            [8, 70, 16, 18, 16, 40, 50, 24])
    dvs = _Validations(ws, lists)
    verdicts = [w["verdict_verified"], w["verdict_partial"], w["verdict_unverified"]]
    for row, q in enumerate(questions, start=L.FIRST_ROW):
        put(ws, row, 1, q.id, alignment=TOP)
        put(ws, row, 2, q.text, alignment=WRAP)
        for col in (4, 5, 6):
            ws.cell(row=row, column=col).protection = UNLOCKED
        dvs.choice(f"D{row}", verdicts, " / ".join(verdicts))
        dvs.answer(f"E{row}", q, w)
        _fit_height(ws, row, [(q.text, 70)])
    _shade_and_seal(wb, ws, ctx, "verification", sheet, f"A{L.FIRST_ROW}:F{last}", "D")
    return wb, cover, cells, ws


def _shade_and_seal(wb: Workbook, ws, ctx: _Context, kind: str, sheet: str, cells: str | None, answer: str) -> None:
    """Rows whose ``answer`` column is empty shaded, the sheet protected and printable, the hidden
    sheet added and the structure locked."""
    if cells:
        ws.conditional_formatting.add(cells, FormulaRule(formula=[f"ISBLANK(${answer}{L.FIRST_ROW})"],
                                                         fill=UNANSWERED_FILL))
    _protect(ws)
    _page(ws)
    _add_meta_sheet(wb, ctx.meta(kind, sheets=sheet))
    wb.security = WorkbookProtection(lockStructure=True)


def _adjudication_workbook(ctx: _Context, table, claims: dict) -> Workbook:
    """One row per answer in disagreement (``table``: :func:`kiprank.core.verifiers.disagreement_table`):
    the body, the question, the claim and every verifier's verdict locked; the decision, the accepted
    answer (for sebagian) and a note unlocked, filled in when ``adjudication.csv`` already decides it."""
    w, m = ctx.words, ctx.methodology
    wb = Workbook()
    _cover(wb, ctx, w["adjudication_title"], w["adjudication_instructions"], False, None)
    sheet = clean(w["adjudication_sheet"])[:31]
    ws = wb.create_sheet(sheet)
    lists = _Lists(wb)
    _header(ws, [w[c] for c in L.ADJUDICATION_COLUMNS], [20, 30, 8, 50, 14, 44, 16, 14, 30])
    dvs = _Validations(ws, lists)
    verdicts = [w["verdict_verified"], w["verdict_partial"], w["verdict_unverified"]]
    questions = {q.id: q for q in m.questionnaire.questions}
    names = dict(zip(ctx.setup.bodies["body_id"].astype(str), ctx.setup.bodies["name"].astype(str)))
    decided = ctx.decided or {}
    for row, item in enumerate(table.itertuples(index=False), start=L.FIRST_ROW):
        q = questions[item.question_id]
        values = [item.body_id, names.get(item.body_id, ""), q.id, q.text,
                  claims.get(item.body_id, {}).get(q.id, ""), item.verdicts]
        for col, value in enumerate(values, start=1):
            put(ws, row, col, value, alignment=WRAP)
        verdict, granted, note = decided.get((item.body_id, q.id), ("", "", ""))
        for col, value in ((7, verdict), (8, granted), (9, note)):
            put(ws, row, col, value or None, alignment=WRAP)
            ws.cell(row=row, column=col).protection = UNLOCKED
        dvs.choice(f"G{row}", verdicts, " / ".join(verdicts))
        dvs.answer(f"H{row}", q, w)
        _fit_height(ws, row, [(q.text, 50), (item.verdicts, 44)])
    last = L.FIRST_ROW + len(table) - 1
    _shade_and_seal(wb, ws, ctx, "adjudikasi", sheet, f"A{L.FIRST_ROW}:I{last}" if len(table) else None, "G")
    return wb


def _write_adjudication(ctx: _Context, folder: Path) -> list[str]:
    table = disagreement_table(ctx.panel, ctx.methodology)
    if table.empty:
        raise UsageError(f"--kind adjudikasi: no answer of {ctx.region} {ctx.year} is in disagreement (verdicts that "
                         f"differ by more than verification.disagreement): there is nothing to adjudicate")
    write_table_csv(table, folder / "disagreements.csv", float_format="%.4f")
    return _write_one("adjudikasi.xlsx", _adjudication_workbook(ctx, table, _claims(ctx)), folder) + ["disagreements.csv"]


def _body_rows(ws, ctx: _Context, extra: list[str], widths: list[int]) -> int:
    """Header and one locked row per body (id, name, group); returns the last row."""
    w = ctx.words
    _header(ws, [w[c] for c in L.BODY_COLUMNS] + extra, [22, 40, 16] + widths)
    groups = ctx.setup.config.groups
    row = L.FIRST_ROW - 1
    for row, body in enumerate(ctx.setup.bodies.itertuples(index=False), start=L.FIRST_ROW):
        put(ws, row, 1, str(body.body_id))
        put(ws, row, 2, str(body.name))
        put(ws, row, 3, groups.get(str(body.group), str(body.group)))
    ws.freeze_panes = "D2"
    return row


def _unlock(ws, first_col: int, last_col: int, last_row: int) -> None:
    for row in ws.iter_rows(min_row=L.FIRST_ROW, max_row=last_row, min_col=first_col, max_col=last_col):
        for cell in row:
            cell.protection = UNLOCKED


def _website_workbook(ctx: _Context) -> Workbook:
    w = ctx.words
    stage = ctx.methodology.stages_of("checklist")[0]
    wb = Workbook()
    _cover(wb, ctx, w["website_title"], w["website_instructions"], False, None)
    sheet = clean(w["website_sheet"])[:31]
    ws = wb.create_sheet(sheet)
    lists = _Lists(wb)
    items = stage.items
    last = _body_rows(ws, ctx, [i.label for i in items], [14] * len(items))
    last_col = 3 + len(items)
    _unlock(ws, 4, last_col, last)
    if last >= L.FIRST_ROW:
        cells = f"D{L.FIRST_ROW}:{L.column_letter(last_col)}{last}"
        _Validations(ws, lists).choice(cells, [w["answer_yes"], w["answer_no"]], "ya / tidak")
        ws.conditional_formatting.add(cells, FormulaRule(formula=[f"ISBLANK(D{L.FIRST_ROW})"], fill=UNANSWERED_FILL))
    _protect(ws)
    _page(ws)
    _add_meta_sheet(wb, ctx.meta("website", sheets=sheet))
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


def score_sheet_names(methodology) -> dict[str, str]:
    """Sheet name of each ``score`` stage (its id, cut to Excel's 31 characters)."""
    return {s.id: s.id[:31] for s in methodology.stages_of("score")}


def _scores_workbook(ctx: _Context) -> Workbook:
    w = ctx.words
    wb = Workbook()
    _cover(wb, ctx, w["scores_title"], w["scores_instructions"], False, None)
    lists = _Lists(wb)
    names = score_sheet_names(ctx.methodology)
    for stage in ctx.methodology.stages_of("score"):
        ws = wb.create_sheet(names[stage.id])
        last = _body_rows(ws, ctx, [f"{w['col_score']} {stage.label}"], [18])
        _unlock(ws, 4, 4, last)
        if last >= L.FIRST_ROW:
            _Validations(ws, lists).number(f"D{L.FIRST_ROW}:D{last}", 0, 100, "0-100")
            ws.conditional_formatting.add(f"A{L.FIRST_ROW}:D{last}",
                                          FormulaRule(formula=[f"ISBLANK($D{L.FIRST_ROW})"], fill=UNANSWERED_FILL))
        _protect(ws)
        _page(ws, landscape=False)
    wb.move_sheet(L.LISTS_SHEET, offset=len(names))
    _add_meta_sheet(wb, ctx.meta("scores", sheets=",".join(names.values())))
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


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


# -- writing the forms ----------------------------------------------------------------------

def _write_saq(ctx: _Context, folder: Path) -> list[str]:
    wb, cover, cells = _saq_workbook(ctx)
    return _per_body(ctx, folder, "saq", wb, cover, cells, None)


def _write_verification(ctx: _Context, folder: Path) -> list[str]:
    wb, cover, cells, ws = _verification_workbook(ctx)
    return _per_body(ctx, folder, "verification", wb, cover, cells, ws)


def _per_body(ctx: _Context, folder: Path, kind: str, wb, cover, cells, claims_ws) -> list[str]:
    sub = "saq" if kind == "saq" else "verifikasi"
    (folder / sub).mkdir(parents=True, exist_ok=True)
    bodies = ctx.setup.bodies
    stems = file_names([str(b) for b in bodies["body_id"]])
    groups = ctx.setup.config.groups
    sheet_name = wb.sheetnames[1]
    claims = _claims(ctx) if claims_ws is not None else {}
    qids = [q.id for q in ctx.methodology.questionnaire.questions]
    put(cover, cells["body"], 2, slot("body"))
    put(cover, cells["body_id"], 2, slot("body_id"))
    put(cover, cells["group"], 2, slot("group"))
    meta_ws = wb[L.META_SHEET]
    put(meta_ws, L.META_KEYS.index("body_id") + 1, 2, slot("meta_body_id"))
    put(meta_ws, len(L.META_KEYS) + 1, 2, slot("checksum"))
    if claims_ws is not None:
        for row, qid in enumerate(qids, start=L.FIRST_ROW):
            put(claims_ws, row, 3, slot(f"claim {qid}"))
            if ctx.evidence is not None:  # the evidence check's status next to the link (locked)
                put(claims_ws, row, 7, slot(f"evidence {qid}"), alignment=WRAP)
                put(claims_ws, row, 8, slot(f"evidence status {qid}"), alignment=WRAP)
    template = Template(wb)
    written = []
    for body in bodies.itertuples(index=False):
        body_id = str(body.body_id)
        meta = ctx.meta(kind, body_id, sheet_name)
        values = {"body": str(body.name), "body_id": body_id, "group": groups.get(str(body.group), str(body.group)),
                  "meta_body_id": body_id, "checksum": meta["checksum"]}
        mine = claims.get(body_id, {})
        values.update({f"claim {qid}": mine.get(qid, "") for qid in qids})
        if ctx.evidence is not None and claims_ws is not None:
            cited = ctx.evidence.get(body_id, {})
            values.update({f"evidence {qid}": cited.get(qid, ("", ""))[0] for qid in qids})
            values.update({f"evidence status {qid}": cited.get(qid, ("", ""))[1] for qid in qids})
        rel = f"{sub}/{stems[body_id]}.xlsx"
        (folder / rel).write_bytes(template.render(values))
        written.append(rel)
    return written


def _claims(ctx: _Context) -> dict[str, dict[str, str]]:
    saq = ctx.setup.saq
    out: dict[str, dict[str, str]] = {}
    if saq is None:
        return out
    for body, qid, answer in saq[["body_id", "question_id", "answer"]].astype(str).itertuples(index=False):
        out.setdefault(body, {})[qid] = answer
    return out


def _evidence_by_question(region_folder: Path, lang: str) -> dict | None:
    """From the region's published ``evidence.csv`` (``kiprank evidence``): body -> question ->
    (the cited links, one per line; their status labels, one per line); None without a check."""
    from .evidence import read_published

    table = read_published(region_folder)
    if table is None:
        return None
    labels = words("evidence", lang)["status"]
    out: dict = {}
    for row in table[table["cited_in"] == "saq"].itertuples(index=False):
        links, statuses = out.setdefault(str(row.body_id), {}).get(str(row.question_id), ("", ""))
        add = lambda text, new: (text + "\n" if text else "") + new  # noqa: E731
        out[str(row.body_id)][str(row.question_id)] = (add(links, str(row.evidence)[:500]),
                                                        add(statuses, labels.get(row.status, row.status)))
    return out


def _write_one(name: str, wb: Workbook, folder: Path) -> list[str]:
    (folder / name).write_bytes(workbook_bytes(wb))
    return [name]


def _plan(methodology, kinds: list[str]) -> list[str]:
    """The kinds of forms that apply to this methodology, in order."""
    wanted = [k for k in KINDS if k not in EXPLICIT or k in kinds] if "all" in kinds else [k for k in KINDS if k in kinds]
    has = {
        "adjudikasi": bool(methodology.stages_of("verification")),
        "saq": methodology.questionnaire is not None,
        "xlsform": methodology.questionnaire is not None,
        "verification": bool(methodology.stages_of("verification")),
        "website": bool(methodology.stages_of("checklist")),
        "scores": bool(methodology.stages_of("score")),
    }
    missing = [k for k in wanted if not has[k]]
    if missing and "all" not in kinds:
        raise UsageError(f"--kind {', '.join(missing)}: methodology {methodology.id} has no such stage")
    return [k for k in wanted if has[k]]


def forms_folder(outputs_root: Path | str, year: int | str, region: str) -> Path:
    return Path(outputs_root) / check_name(str(year), "year") / check_name(region, "region") / "forms"


def _check_place(target: Path, inputs_root: Path | str, default: Path) -> None:
    """Refuse (exit 2) a forms folder that is, lies inside or holds the inputs, or that lies inside
    another published folder (``letters/`` of a run, a site) other than the region's own ``forms/``."""
    if overlaps(target, inputs_root):
        raise UsageError(f"--out {target} and --inputs-root {inputs_root} overlap: the forms are not written "
                         "among the input files; give a folder outside the inputs")
    where = real_path(target)
    if where == real_path(default):
        return  # the region's forms/, a publication nested in its published folder
    for parent in where.parents:
        if (parent / MANIFEST).is_file():
            raise UsageError(f"--out {target}: {parent} is a published folder ({parent / MANIFEST}); "
                             "put the forms beside it, not inside it")


def build_forms(year: int | str, region: str, inputs_root: Path | str = "inputs",
                outputs_root: Path | str = "outputs", kinds: list[str] | tuple[str, ...] = ("all",),
                out: Path | str | None = None, lang: str = "id") -> FormsResult:
    """Write the forms of a region (see the module docstring); returns where and what. The inputs
are read from one snapshot (:mod:`kiprank.core.snapshot`), so a ``kiprank collect`` meanwhile
cannot make the forms and the hashes their manifest records describe two versions of them."""
    with input_snapshot(inputs_root, [(year, region)]) as snap:
        return _build_forms(year, region, snap, inputs_root, outputs_root, kinds, out, lang)


def _build_forms(year: int | str, region: str, snap: Snapshot, inputs_root: Path | str, outputs_root: Path | str,
                 kinds, out: Path | str | None, lang: str) -> FormsResult:
    setup = load_setup(year, region, snap.root, with_saq=False)
    target = Path(out) if out is not None else forms_folder(outputs_root, year, region)
    _check_place(target, inputs_root, default=forms_folder(outputs_root, year, region))
    if target.parent.is_dir():
        with locked(target):
            recover(target)
    previous = check_owned(target, FORMS_KIND)  # checked again when publishing
    plan = _plan(setup.methodology, list(kinds))
    panel = None
    if "adjudikasi" in plan:  # the verifiers' verdicts and the disagreements, with the claims
        setup, panel = load_panel(year, region, snap.root)
    elif "verification" in plan:  # the claimed answers, once collected, go on the verification forms
        setup = load_setup(year, region, snap.root)
    ctx = _Context(int(year), region, setup, lang, words("forms", lang), sha256_file(setup.methodology_path),
                   panel=panel)
    if panel is not None:
        ctx.decided = _decided(panel)
    if "verification" in plan:
        ctx.evidence = _evidence_by_question(forms_folder(outputs_root, year, region).parent, lang)
    writers = {
        "saq": _write_saq,
        "verification": _write_verification,
        "website": lambda c, f: _write_one("website.xlsx", _website_workbook(c), f),
        "scores": lambda c, f: _write_one("scores.xlsx", _scores_workbook(c), f),
        "xlsform": lambda c, f: _write_one("saq-xlsform.xlsx", _xlsform(c), f),
        "adjudikasi": _write_adjudication,
    }
    result = FormsResult(target, kinds=plan)
    old_kinds = dict((previous or {}).get("kinds") or {})
    with staged_folder(target, keep_existing=previous is not None, kind=FORMS_KIND) as stage:
        for kind in plan:
            for stale in (old_kinds.get(kind) or {}).get("files", []):
                (stage / stale).unlink(missing_ok=True)
            files = writers[kind](ctx, stage)
            old_kinds[kind] = {"files": files, "inputs": _inputs_read(setup.folder, kind)}  # verify re-derives
            result.files += files
        for sub in ("saq", "verifikasi"):
            if (stage / sub).is_dir() and not any((stage / sub).iterdir()):
                (stage / sub).rmdir()
        listed = sorted(f for k in old_kinds.values() for f in k["files"])
        root = Path(os.path.realpath(snap.real(setup.folder))).parent.parent
        manifest = {
            "kind": FORMS_KIND,
            "kiprank_version": __version__,
            "year": int(year),
            "region": region,
            "lang": lang,
            "form_version": L.FORM_VERSION,
            "methodology": {"id": setup.methodology.id, "sha256": ctx.sha256,
                            "path": methodology_reference(snap.real(setup.methodology_path), root)},
            "inputs_root": str(root),
            "inputs_folder": f"{int(year)}/{region}",
            "code_sha256": code_sha256(),
            "kinds": dict(sorted(old_kinds.items())),
            "outputs": {rel: sha256_file(stage / rel) for rel in listed},
        }
        write_manifest(manifest, stage)
    return result


def _inputs_read(folder: Path, kind: str) -> dict[str, str]:
    """SHA-256 of the input files a kind of form is made from (region.yml, the bodies, and for the
    verification forms the claimed answers), by name in the region folder."""
    names = ["region.yml", "bodies.csv"] + (["saq.csv"] if kind in ("verification", "adjudikasi") else []) + \
        (["verification.csv", "adjudication.csv"] if kind == "adjudikasi" else [])
    out = {}
    for name in names:
        path = folder / name
        if not path.is_file() and name != "region.yml" and (folder / "inputs.xlsx").is_file():
            path = folder / "inputs.xlsx"
        if path.is_file():
            out[path.name] = sha256_file(path)
    return dict(sorted(out.items()))


def _decided(panel) -> dict:
    """The decisions already in ``adjudication.csv``, as the form shows them."""
    out = {}
    for row in panel.adjudication.itertuples(index=False):
        out[(str(row.body_id), str(row.question_id))] = (CANONICAL_VERDICT.get(str(row.verdict), ""),
                                                         str(row.granted) if row.verdict == "partial" else "", "")
    return out


def _xlsform(ctx: _Context) -> Workbook:
    from .xlsform import xlsform_workbook

    return xlsform_workbook(ctx.setup, ctx.year, ctx.region, ctx.lang, ctx.sha256)
