"""Demo returns: the forms of ``kiprank forms`` filled in from a region's answer tables, as the
bodies and the verifiers would send them back (used by the README demo, the tests and the
benchmark). A body without SAQ answers sends nothing back, as a non-returner does.

    python -m kiprank.intake.demo --year 2022 --region klaten
    # reads outputs/2022/klaten/forms/, writes outputs/demo-returns/2022/klaten/
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from ..core.answers import CANONICAL_VERDICT
from ..core.inputs import load_region
from ..core.wording import words
from . import layout as L
from .forms import file_names, forms_folder
from .objection_demo import MARKER, fill_round, fresh_folder, save_workbook  # noqa: F401 (MARKER: its name here too)



def _save(wb, path: Path, modified: datetime | None) -> None:
    save_workbook(wb, path, modified)


def _lang_words(wb) -> dict:
    meta = {r[0].value: r[1].value for r in wb[L.META_SHEET].iter_rows(max_col=2)}
    return words("forms", meta.get("lang") or "id")


def _typed(answer: str, w: dict):
    """What a person would leave in the cell: the form's own yes/no word, a number as a number."""
    if answer == "ya":
        return w["answer_yes"]
    if answer == "tidak":
        return w["answer_no"]
    try:
        return float(answer) if not answer.isdigit() else int(answer)
    except ValueError:
        return answer


def fill_saq(form: Path, dest: Path, answers: dict[str, str], evidence: dict[str, str] | None = None,
             modified: datetime | None = None) -> None:
    """Write ``answers`` (question id -> answer) into a copy of an SAQ form."""
    wb = load_workbook(form)
    w = _lang_words(wb)
    ws = wb[L.SAQ_SHEET]
    for row in range(L.FIRST_ROW, ws.max_row + 1):
        qid = ws.cell(row, 1).value
        if qid in answers:
            ws.cell(row, 4).value = _typed(answers[qid], w)
            ws.cell(row, 4).data_type = "s" if isinstance(ws.cell(row, 4).value, str) else "n"
        if evidence and qid in evidence:
            ws.cell(row, 5).value = evidence[qid]
            ws.cell(row, 5).data_type = "s"
    _save(wb, dest, modified)


def fill_verification(form: Path, dest: Path, verdicts: dict[str, tuple[str, str]],
                      modified: datetime | None = None, verifier: str = "") -> None:
    """Write ``verdicts`` (question id -> (verdict, granted)) into a copy of a verification form
    (and ``verifier``, the verifier's name, into its cover sheet)."""
    wb = load_workbook(form)
    w = _lang_words(wb)
    if verifier:
        cover = wb.worksheets[0]
        for row in range(1, cover.max_row + 1):
            if cover.cell(row, 1).value == w["verifier"]:
                cover.cell(row, 2).value = verifier
    ws = wb[wb.sheetnames[1]]
    words_of = {"sesuai": w["verdict_verified"], "sebagian": w["verdict_partial"],
                "tidak sesuai": w["verdict_unverified"]}
    for row in range(L.FIRST_ROW, ws.max_row + 1):
        qid = ws.cell(row, 1).value
        if qid in verdicts:
            verdict, granted = verdicts[qid]
            ws.cell(row, 4).value = words_of.get(verdict, verdict)
            if granted:
                ws.cell(row, 5).value = _typed(granted, w)
    _save(wb, dest, modified)


def fill_adjudication(form: Path, dest: Path, decided, modified: datetime | None = None) -> None:
    """The lead verifier's decisions (``decided``: body_id, question_id, verdict, granted) into a copy
    of the adjudication form."""
    wb = load_workbook(form)
    w = _lang_words(wb)
    words_of = {"verified": w["verdict_verified"], "partial": w["verdict_partial"], "unverified": w["verdict_unverified"]}
    mine = {(str(b), str(q)): (str(v), str(g)) for b, q, v, g in
            decided[["body_id", "question_id", "verdict", "granted"]].astype(object).itertuples(index=False)}
    ws = wb.worksheets[1]
    for row in range(L.FIRST_ROW, ws.max_row + 1):
        key = (ws.cell(row, 1).value, ws.cell(row, 3).value)
        if key in mine:
            verdict, granted = mine[key]
            ws.cell(row, 7).value = words_of.get(verdict, verdict)
            if verdict == "partial" and granted not in ("", "nan"):
                ws.cell(row, 8).value = _typed(granted, w)
    _save(wb, dest, modified)


def _slug(name: str) -> str:
    """A verifier's name as part of a file name (a short hash keeps two names apart)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "verifier"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}"


def fill_body_table(form: Path, dest: Path, values: dict[str, dict[str, str]], modified: datetime | None = None) -> None:
    """Website checklist (sheet 2: body -> item id -> ya/tidak) or score sheets (sheet per stage id:
    body -> {stage id: score}) into a copy of the form."""
    wb = load_workbook(form)
    w = _lang_words(wb)
    meta = {r[0].value: r[1].value for r in wb[L.META_SHEET].iter_rows(max_col=2)}
    for sheet in str(meta["sheets"]).split(","):
        ws = wb[sheet]
        if meta["kind"] == "website":
            columns = values.pop("__items__")
        else:
            columns = {4: sheet}
        for row in range(L.FIRST_ROW, ws.max_row + 1):
            mine = values.get(ws.cell(row, 1).value, {})
            for col, key in columns.items():
                if key in mine:
                    ws.cell(row, col).value = _typed(mine[key], w)
    _save(wb, dest, modified)


def fill_forms(year: int, region: str, inputs_root: Path | str = "inputs", forms: Path | None = None,
               out: Path | None = None, outputs_root: Path | str = "outputs",
               modified: datetime | None = None) -> list[Path]:
    """Fill the region's forms from its input tables into ``out`` (default:
    ``<outputs_root>/demo-returns/<year>/<region>/``, outside the region's published folder);
    returns the files written."""
    inputs = load_region(year, region, inputs_root)
    forms = Path(forms) if forms else forms_folder(outputs_root, year, region)
    out = Path(out) if out else Path(outputs_root) / "demo-returns" / str(int(year)) / region
    fresh_folder(out)
    stems = file_names([str(b) for b in inputs.bodies["body_id"]])
    written = []
    saq = {}
    for body, qid, answer in inputs.saq[["body_id", "question_id", "answer"]].astype(str).itertuples(index=False):
        saq.setdefault(body, {})[qid] = answer
    for body, answers in saq.items():
        dest = out / "saq" / f"{stems[body]}.xlsx"
        fill_saq(forms / "saq" / f"{stems[body]}.xlsx", dest, answers, modified=modified)
        written.append(dest)
    verdicts = {}
    ver = inputs.verification if inputs.panel is None else inputs.panel.verdicts  # each verifier's own form
    if len(ver) and (forms / "verifikasi").is_dir():
        raw = ver.assign(verdict=ver["verdict"].astype(object).map(CANONICAL_VERDICT),
                         verifier=ver["verifier"].astype(str) if "verifier" in ver.columns else "")
        for body, who, qid, verdict, granted in raw[["body_id", "verifier", "question_id", "verdict",
                                                     "granted"]].astype(str).itertuples(index=False):
            verdicts.setdefault((body, who), {})[qid] = (verdict, "" if granted in ("", "nan") else granted)
        for (body, who), mine in verdicts.items():
            name = f"{stems[body]}.xlsx" if not who else f"{stems[body]}.{_slug(who)}.xlsx"
            dest = out / "verifikasi" / name
            fill_verification(forms / "verifikasi" / f"{stems[body]}.xlsx", dest, mine, modified=modified, verifier=who)
            written.append(dest)
    if inputs.panel is not None and len(inputs.panel.adjudication) and (forms / "adjudikasi.xlsx").is_file():
        fill_adjudication(forms / "adjudikasi.xlsx", out / "adjudikasi.xlsx", inputs.panel.adjudication, modified)
        written.append(out / "adjudikasi.xlsx")
    m = inputs.methodology
    if len(inputs.website) and (forms / "website.xlsx").is_file():
        items = m.stages_of("checklist")[0].items
        values: dict = {"__items__": {4 + k: item.id for k, item in enumerate(items)}}
        for body, item, present in inputs.website[["body_id", "item_id", "present"]].itertuples(index=False):
            values.setdefault(str(body), {})[str(item)] = "ya" if float(present) else "tidak"
        fill_body_table(forms / "website.xlsx", out / "website.xlsx", values, modified)
        written.append(out / "website.xlsx")
    if inputs.scores and (forms / "scores.xlsx").is_file():
        values = {}
        for stage, table in inputs.scores.items():
            for body, score in table[["body_id", "score"]].itertuples(index=False):
                values.setdefault(str(body), {})[stage[:31]] = L.format_number(score)
        fill_body_table(forms / "scores.xlsx", out / "scores.xlsx", values, modified)
        written.append(out / "scores.xlsx")
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fill a region's forms from its input tables (demo returns).")
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--inputs-root", type=Path, default=Path("inputs"))
    ap.add_argument("--outputs-root", type=Path, default=Path("outputs"))
    ap.add_argument("--forms", type=Path, default=None, help="forms folder [default: <outputs>/<year>/<region>/forms]")
    ap.add_argument("--out", type=Path, default=None, help="where the filled forms go [default: <outputs>/demo-returns/<year>/<region>]")
    ap.add_argument("--kind", choices=["forms", "sanggah", "sanggah-keputusan"], default="forms",
                    help="the questionnaires (default), or the objection round's: objection forms of four bodies "
                         "(one late), or the verifiers' decisions [default out: <outputs>/demo-returns/<year>/"
                         "<region>-<kind>]")
    args = ap.parse_args(argv)
    if args.kind != "forms":
        out = args.out or args.outputs_root / "demo-returns" / str(args.year) / f"{args.region}-{args.kind}"
        forms = args.forms or forms_folder(args.outputs_root, args.year, args.region)
        files = fill_round(args.kind, args.year, args.region, args.inputs_root, forms, out)
        print(f"{len(files)} filled {args.kind} form(s) written under {out}")
        return 0
    files = fill_forms(args.year, args.region, args.inputs_root, args.forms, args.out, args.outputs_root)
    out = args.out or args.outputs_root / "demo-returns" / str(args.year) / args.region
    print(f"{len(files)} filled forms written under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
