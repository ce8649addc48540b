"""The workbooks of the objection round (masa sanggah), written by ``kiprank forms`` like the other
forms (sealed by the hidden ``kiprank`` sheet, locked where nothing may be typed, drop-downs where a
value is chosen):

- ``sanggah/<body>.xlsx`` (``--kind sanggah``), one per body that was assessed: a cover sheet with
  the deadline (``objections: {until: ...}`` of region.yml) and the body's preliminary score and
  band, and the sheet ``Sanggahan``: every question of the verification stage and every website
  item, with the body's SAQ answer, the verification result, the verified value and the
  verifier's note (locked), and the columns ``Keberatan`` (ya/tidak), ``Nilai yang diajukan``,
  ``Alasan`` and ``Bukti baru`` (link) to fill in;
- ``sanggah-keputusan.xlsx`` (``--kind sanggah-keputusan``): one row per objection considered in
  ``objections.csv`` (locked: body, question, values, reason, evidence, when received) with
  ``Keputusan`` (diterima / diterima sebagian / ditolak), ``Nilai akhir``, ``Catatan`` and
  ``Verifikator`` to fill in.

Both are made from the preliminary results' tables (:func:`kiprank.core.inputs.load_region` with
``preliminary``); :mod:`kiprank.intake.objection_returns` reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.protection import WorkbookProtection

from ..core.formatting import format_number
from ..core.inputs import RegionInputs, load_region
from ..core.methodology import short_stage_label
from ..core.objections import Target, Verified, read_objections, targets, verified_values
from ..core.scoring import ScoreResult, score
from ..core.tables import TableReader
from . import layout as L
from .cells import clean, put, slot
from .workbook import (TOP, UNANSWERED_FILL, UNLOCKED, WRAP, CellRules, FormContext, ListSheet, Template,
                       add_meta_sheet, cover_sheet, file_names, fit_height, header_row, page_setup, protect,
                       workbook_bytes)

OBJECTION_KIND = "sanggah"
DECISION_KIND = "sanggah-keputusan"
KINDS = (OBJECTION_KIND, DECISION_KIND)
OBJECTION_DIR = "sanggah"
DECISION_FILE = "sanggah-keputusan.xlsx"
#: columns of the sheet Sanggahan (keys of the forms words); the first LOCKED are locked
OBJECTION_COLUMNS = ("col_stage", "col_code", "col_item", "col_claimed", "col_verdict_short", "col_verified",
                     "col_verifier_note", "col_objection", "col_claimed_value", "col_reason", "col_new_evidence")
OBJECTION_LOCKED = 7
OBJECTION_WIDTHS = [12, 8, 50, 12, 14, 12, 32, 12, 14, 40, 40]
#: columns of the sheet Keputusan; the first DECISION_LOCKED are locked
DECISION_COLUMNS = ("body_id", "col_name", "col_stage", "col_code", "col_item", "col_verified", "col_claimed_value",
                    "col_reason", "col_new_evidence", "col_received", "col_decision", "col_final_value",
                    "col_decision_note", "col_verifier")
DECISION_LOCKED = 10
DECISION_WIDTHS = [18, 28, 12, 8, 40, 12, 14, 36, 30, 18, 18, 12, 36, 20]


@dataclass
class RoundTables:
    """What the objection forms are made from: the preliminary inputs, their scores, the verified
    values (:class:`kiprank.core.objections.Verified`) and the verifiers' notes ((body, question) ->
    note, from the ``note`` column of the verification table)."""

    inputs: RegionInputs
    result: ScoreResult
    verified: Verified
    notes: dict[tuple[str, str], str]
    targets: dict[tuple[str, str], Target] = field(default_factory=dict)  # (stage, code) -> Target, in order

    def __post_init__(self):
        if not self.targets:
            self.targets = targets(self.inputs.methodology)


def round_tables(year: int | str, region: str, inputs_root: Path | str) -> RoundTables:
    """The preliminary tables of a region's objection round (exit 2 without a round, or with bad inputs)."""
    inputs = load_region(year, region, inputs_root, preliminary=True)
    return RoundTables(inputs, score(inputs), verified_values(inputs), verifier_notes(inputs))


def verifier_notes(inputs: RegionInputs) -> dict[tuple[str, str], str]:
    """(body, question) -> the verifier's note (the ``note`` column of the verification table)."""
    if "verification" not in inputs.files:
        return {}
    from ..core.errors import ProblemList

    table = TableReader(Path(inputs.folder)).read("verification", ProblemList())
    if table is None or "note" not in table.columns:
        return {}
    from ..core.formulas import unguard

    return {(str(b), str(q)): unguard(str(n)) for b, q, n in zip(table["body_id"], table["question_id"], table["note"])
            if str(n).strip()}


def expected_row(tables: RoundTables, body: str, key: tuple[str, str]) -> list[str]:
    """The locked cells of one row of a body's objection form (stage, code, text, SAQ answer,
    verification result, verified value, verifier's note), as written and as collect checks them."""
    t = tables.targets[key]
    answer, verdict, value, _ = tables.verified.values[(body, *key)]
    note = tables.notes.get((body, t.code), "") if t.question is not None else ""
    return [short_stage_label(t.stage), t.code, t.label, answer, verdict, value, note]


def assessed_bodies(tables: RoundTables) -> list[str]:
    """The bodies that get an objection form: those assessed (a body that did not return the SAQ has
    no verified value to object to), in bodies.csv order."""
    return [b for b in tables.inputs.bodies["body_id"].astype(str) if b in tables.verified.returned]


def _value_rule(rules: CellRules, ref: str, t: Target, w: dict) -> None:
    if t.question is not None:
        rules.answer(ref, t.question, w)
    else:
        rules.choice(ref, [w["answer_yes"], w["answer_no"]], "ya / tidak")


def objection_workbook(ctx: FormContext, tables: RoundTables) -> Workbook:
    """The objection form with placeholders where its values differ from body to body (the template
    :func:`write_objection_forms` fills)."""
    w = ctx.words
    window = ctx.setup.config.objections
    sheet = clean(w["sanggah_sheet"])[:31]
    keys = list(tables.targets)
    last = L.FIRST_ROW + len(keys) - 1
    wb = Workbook()
    cover, cells = cover_sheet(wb, ctx, w["sanggah_title"], w["sanggah_instructions"], True, None,
                               deadline=window.last_day(), extra=("preliminary_score",))
    ws = wb.create_sheet(sheet)
    rules = CellRules(ws, ListSheet(wb))
    header_row(ws, [w[c] for c in OBJECTION_COLUMNS], _fitted(OBJECTION_WIDTHS, {
        0: [short_stage_label(tables.targets[k].stage) for k in keys], 1: [code for _, code in keys]}))
    for row, key in enumerate(keys, start=L.FIRST_ROW):
        t = tables.targets[key]
        for col, value in enumerate((short_stage_label(t.stage), t.code, t.label), start=1):
            put(ws, row, col, value, alignment=WRAP if col == 3 else TOP)
        for col, part in zip(range(4, OBJECTION_LOCKED + 1), ("answer", "verdict", "value", "note")):
            put(ws, row, col, slot(f"{part} {row}"), alignment=WRAP if part == "note" else TOP)
        for col in range(OBJECTION_LOCKED + 1, len(OBJECTION_COLUMNS) + 1):
            ws.cell(row=row, column=col).protection = UNLOCKED
        rules.choice(f"H{row}", [w["answer_yes"], w["answer_no"]], "ya / tidak")
        _value_rule(rules, f"I{row}", t, w)
        fit_height(ws, row, [(t.label, 50)])
    if keys:
        ws.conditional_formatting.add(f"A{L.FIRST_ROW}:K{last}", FormulaRule(
            formula=[f'OR($H{L.FIRST_ROW}="{w["answer_yes"]}",$H{L.FIRST_ROW}="ya")'], fill=UNANSWERED_FILL))
    protect(ws)
    page_setup(ws)
    add_meta_sheet(wb, {**ctx.meta(OBJECTION_KIND, sheets=sheet), "body_id": slot("meta_body_id"),
                        "checksum": slot("checksum")})
    wb.security = WorkbookProtection(lockStructure=True)
    for key in ("body", "body_id", "group", "preliminary_score"):
        put(cover, cells[key], 2, slot(key))
    return wb


def _fitted(widths: list[int], texts: dict[int, list[str]], most: int = 30) -> list[int]:
    """Column widths widened to the longest of the texts of a column (up to ``most``): a stage label
    or a website item's code ("Pemeriksaan website", "wlaporan_layanan") must not be cut by the
    next, filled cell."""
    out = list(widths)
    for col, values in texts.items():
        out[col] = max(out[col], min(most, max((len(v) + 2 for v in values), default=0)))
    return out


def write_objection_forms(ctx: FormContext, folder: Path, tables: RoundTables, wb: Workbook | None = None) -> list[str]:
    """``sanggah/<body>.xlsx`` for every assessed body: the workbook of :func:`objection_workbook`
    (or ``wb``, made by it), filled per body."""
    template = Template(wb or objection_workbook(ctx, tables))
    sheet = clean(ctx.words["sanggah_sheet"])[:31]
    keys = list(tables.targets)
    ranking = tables.result.ranking.set_index("body_id")
    groups = ctx.setup.config.groups
    stems = file_names([str(b) for b in ctx.setup.bodies["body_id"]])
    (folder / OBJECTION_DIR).mkdir(parents=True, exist_ok=True)
    written = []
    decimals = tables.inputs.methodology.decimals
    for body in assessed_bodies(tables):
        meta = ctx.meta(OBJECTION_KIND, body, sheet)
        r = ranking.loc[body]
        values = {"body": str(r["name"]), "body_id": body, "group": groups.get(str(r["group"]), str(r["group"])),
                  "preliminary_score": f"{format_number(r['final'], decimals, ctx.lang)} ({r['band']})",
                  "meta_body_id": body, "checksum": meta["checksum"]}
        for row, key in enumerate(keys, start=L.FIRST_ROW):
            answer, verdict, value, note = expected_row(tables, body, key)[3:]
            values.update({f"answer {row}": answer, f"verdict {row}": verdict, f"value {row}": value,
                           f"note {row}": note})
        rel = f"{OBJECTION_DIR}/{stems[body]}.xlsx"
        (folder / rel).write_bytes(template.render(values))
        written.append(rel)
    return written


def decision_row(o, names: dict[str, str], tables: RoundTables) -> list[str]:
    """The locked cells of one row of the decision workbook, for objection ``o`` (a row of
    :func:`kiprank.core.objections.read_objections`)."""
    t = tables.targets[(o.stage, o.code)]
    return [o.body_id, names.get(o.body_id, ""), short_stage_label(t.stage), o.code, t.label, o.before, o.claimed,
            o.reason, o.evidence, received_text(o.received)]


def received_text(received: str) -> str:
    """When an objection was received, as the decision workbook shows it (UTC, to the minute)."""
    if not received:
        return ""
    try:
        stamp = datetime.fromisoformat(received.replace("Z", "+00:00"))
    except ValueError:
        return received
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def considered_objections(tables: RoundTables) -> pd.DataFrame:
    """The objections of ``objections.csv`` the verifiers decide (late ones not accepted are left
    out), in file order."""
    objections = read_objections(tables.inputs, TableReader(Path(tables.inputs.folder)))
    return objections[objections["considered"].astype(bool)] if len(objections) else objections


def write_decision_form(ctx: FormContext, folder: Path, tables: RoundTables) -> list[str]:
    """``sanggah-keputusan.xlsx``: one row per objection to decide."""
    w = ctx.words
    objections = considered_objections(tables)
    names = dict(zip(ctx.setup.bodies["body_id"].astype(str), ctx.setup.bodies["name"].astype(str)))
    wb = Workbook()
    instructions = w["decision_instructions"] + ("" if len(objections) else "\n" + w["objection_none"])
    cover_sheet(wb, ctx, w["decision_title"], instructions, False, None, deadline=ctx.setup.config.objections.last_day())
    sheet = clean(w["decision_sheet"])[:31]
    ws = wb.create_sheet(sheet)
    rules = CellRules(ws, ListSheet(wb))
    rows = [decision_row(o, names, tables) for o in objections.itertuples(index=False)]
    header_row(ws, [w[c] for c in DECISION_COLUMNS], _fitted(DECISION_WIDTHS, {
        col: [str(r[col]) for r in rows] for col in (0, 2, 3)}))
    ws.freeze_panes = "C2"
    decisions = [w["decision_accepted"], w["decision_partial"], w["decision_rejected"]]
    row = L.FIRST_ROW - 1
    for row, (o, cells) in enumerate(zip(objections.itertuples(index=False), rows), start=L.FIRST_ROW):
        for col, value in enumerate(cells, start=1):
            put(ws, row, col, value, alignment=WRAP if col in (2, 5, 8, 9) else TOP)
        for col in range(DECISION_LOCKED + 1, len(DECISION_COLUMNS) + 1):
            ws.cell(row=row, column=col).protection = UNLOCKED
        rules.choice(f"K{row}", decisions, " / ".join(decisions))
        _value_rule(rules, f"L{row}", tables.targets[(o.stage, o.code)], w)
        fit_height(ws, row, [(str(o.reason), 36), (tables.targets[(o.stage, o.code)].label, 40),
                             (str(o.evidence), 30), (names.get(o.body_id, ""), 28)])
    if row >= L.FIRST_ROW:
        ws.conditional_formatting.add(f"A{L.FIRST_ROW}:N{row}", FormulaRule(
            formula=[f"ISBLANK($K{L.FIRST_ROW})"], fill=UNANSWERED_FILL))
    protect(ws)
    page_setup(ws)
    add_meta_sheet(wb, ctx.meta(DECISION_KIND, sheets=sheet))
    wb.security = WorkbookProtection(lockStructure=True)
    (folder / DECISION_FILE).write_bytes(workbook_bytes(wb))
    return [DECISION_FILE]


def round_inputs_read(tables: RoundTables, kind: str) -> dict[str, str]:
    """SHA-256 of the input files a kind of objection form is made from, by name in the region
    folder: region.yml and every table the preliminary results read (and ``objections.csv`` for
    the decision workbook)."""
    from ..core.files import sha256_file

    folder = Path(tables.inputs.folder)
    names = {"region.yml", *(Path(p).name for p in tables.inputs.files.values())}
    if kind == DECISION_KIND and (folder / "objections.csv").is_file():
        names.add("objections.csv")
    return {name: sha256_file(folder / name) for name in sorted(names) if (folder / name).is_file()}


__all__ = ["OBJECTION_KIND", "DECISION_KIND", "KINDS", "OBJECTION_DIR", "DECISION_FILE", "OBJECTION_COLUMNS",
           "OBJECTION_LOCKED", "DECISION_COLUMNS", "DECISION_LOCKED", "RoundTables", "round_tables", "verifier_notes",
           "expected_row", "assessed_bodies", "objection_workbook", "write_objection_forms", "decision_row", "received_text",
           "considered_objections", "write_decision_form", "round_inputs_read"]
