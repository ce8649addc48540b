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
- asked for by name, for a region with an objection round: ``sanggah/<body>.xlsx`` and
  ``sanggah-keputusan.xlsx`` (see :mod:`kiprank.intake.objection_forms`).

Every workbook has a very hidden sheet ``kiprank`` with the kind of form, layout version, year,
region, methodology id and SHA-256, body id and language, sealed by a checksum, so that
``kiprank collect`` can refuse a form of another year, method or body, or a tampered one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.protection import WorkbookProtection

from ..core.answers import CANONICAL_VERDICT
from ..core.version import __version__, code_sha256
from ..core.errors import UsageError
from ..core.export import write_table_csv
from ..core.files import MANIFEST, methodology_reference, sha256_file, write_manifest
from ..core.publish import check_owned, locked, overlaps, real_path, recover, staged_folder
from ..core.inputs import load_panel, load_setup
from ..core.missing import region_tables, stray_files
from ..core.snapshot import Snapshot, input_snapshot
from ..core.region import check_name
from ..core.verifiers import disagreement_table
from ..core.wording import words
from . import layout as L
from .cells import clean, put, slot
from .objection_forms import (DECISION_KIND, OBJECTION_DIR, OBJECTION_KIND, assessed_bodies, round_inputs_read,
                              round_tables, write_decision_form, write_objection_forms)
from .workbook import TOP, UNANSWERED_FILL, UNLOCKED, WRAP, Template, file_names, workbook_bytes  # noqa: F401
# the workbook toolkit (kiprank.intake.workbook) under the names this module has always used
from .workbook import (CellRules as _Validations, FormContext as _Context, ListSheet as _Lists,
                       add_meta_sheet as _add_meta_sheet, answered_formula as _answered_formula, cover_sheet as _cover,
                       header_row as _header, page_setup as _page, fit_height as _fit_height, protect as _protect)

KINDS = ("saq", "verification", "website", "scores", "xlsform", "adjudikasi")
EXPLICIT = ("adjudikasi",)  # made only when asked for by name: not part of "all"
ROUND_KINDS = (OBJECTION_KIND, DECISION_KIND)  # the objection round's (kiprank.intake.objection_forms): asked for by name
FORMS_KIND = "forms"


@dataclass
class FormsResult:
    """Where the forms went and what was written (paths relative to ``folder``)."""

    folder: Path
    files: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # bodies without an objection form (not assessed)
    unread: list[str] = field(default_factory=list)  # files of the region folder that are no input of it


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


def _plan(methodology, kinds: list[str], round_declared: bool = False) -> list[str]:
    """The kinds of forms that apply to this methodology, in order (``adjudikasi`` and the objection
    round's only when asked for by name: they are made from the verified results)."""
    wanted = [k for k in (*KINDS, *ROUND_KINDS)
              if k in kinds or ("all" in kinds and k in KINDS and k not in EXPLICIT)]
    if any(k in ROUND_KINDS for k in wanted) and not round_declared:
        raise UsageError(f"--kind {', '.join(k for k in wanted if k in ROUND_KINDS)}: region.yml declares no "
                         "objection round: add 'objections: {until: YYYY-MM-DD}' (the last day objections are received)")
    has = {
        **dict.fromkeys(ROUND_KINDS, bool(methodology.stages_of("verification") or methodology.stages_of("checklist"))),
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
    plan = _plan(setup.methodology, list(kinds), setup.config.objections is not None)
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
    tables = round_tables(year, region, snap.root) if set(plan) & set(ROUND_KINDS) else None
    writers = {
        "saq": _write_saq,
        "verification": _write_verification,
        "website": lambda c, f: _write_one("website.xlsx", _website_workbook(c), f),
        "scores": lambda c, f: _write_one("scores.xlsx", _scores_workbook(c), f),
        "xlsform": lambda c, f: _write_one("saq-xlsform.xlsx", _xlsform(c), f),
        "adjudikasi": _write_adjudication,
        OBJECTION_KIND: lambda c, f: write_objection_forms(c, f, tables),
        DECISION_KIND: lambda c, f: write_decision_form(c, f, tables),
    }
    result = FormsResult(target, kinds=plan, unread=_unread(setup))
    old_kinds = dict((previous or {}).get("kinds") or {})
    with staged_folder(target, keep_existing=previous is not None, kind=FORMS_KIND) as stage:
        for kind in plan:
            for stale in (old_kinds.get(kind) or {}).get("files", []):
                (stage / stale).unlink(missing_ok=True)
            files = writers[kind](ctx, stage)
            old_kinds[kind] = {"files": files, "inputs": round_inputs_read(tables, kind) if kind in ROUND_KINDS
                               else _inputs_read(setup.folder, kind)}  # verify re-derives
            result.files += files
        if OBJECTION_KIND in plan:  # named: the bodies without an objection form
            result.skipped = sorted(set(tables.inputs.bodies["body_id"].astype(str)) - set(assessed_bodies(tables)))
        for sub in ("saq", "verifikasi", OBJECTION_DIR):
            if (stage / sub).is_dir() and not any((stage / sub).iterdir()):
                (stage / sub).rmdir()
        write_manifest(_manifest(ctx, snap, old_kinds, stage), stage)
    return result


def _unread(setup) -> list[str]:
    """Files of the region folder that look like inputs but are none of this region's tables
    (``saq (1).csv``, a table of a stage the methodology does not have), each named: the forms are
    made from the methodology and ``bodies.csv``, so a misnamed table would otherwise go unnoticed
    until the returns are scored."""
    return stray_files(setup.folder, [], setup.config.logo, setup.methodology_path,
                       region_tables(setup.methodology, setup.config))


def _manifest(ctx: _Context, snap: Snapshot, kinds: dict, stage: Path) -> dict:
    """The forms folder's manifest: what was made from which inputs (``kinds``: per kind its files and
    the inputs it read, which verify re-derives) and every file's SHA-256."""
    setup = ctx.setup
    listed = sorted(f for k in kinds.values() for f in k["files"])
    root = Path(os.path.realpath(snap.real(setup.folder))).parent.parent
    return {
        "kind": FORMS_KIND,
        "kiprank_version": __version__,
        "year": ctx.year,
        "region": ctx.region,
        "lang": ctx.lang,
        "form_version": L.FORM_VERSION,
        "methodology": {"id": setup.methodology.id, "sha256": ctx.sha256,
                        "path": methodology_reference(snap.real(setup.methodology_path), root)},
        "inputs_root": str(root),
        "inputs_folder": f"{ctx.year}/{ctx.region}",
        "code_sha256": code_sha256(),
        "kinds": dict(sorted(kinds.items())),
        "outputs": {rel: sha256_file(stage / rel) for rel in listed},
    }


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
