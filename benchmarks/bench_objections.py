"""Benchmark of the objection round (masa sanggah): 300 bodies, an SAQ of 150 questions and a website
checklist of 10 items (the region of benchmarks/bench_collect.py, with its SAQ, verification and
website tables filled in and ``objections: {until: ...}`` in region.yml).

- ``kiprank forms --kind sanggah``: one objection workbook per body (300 workbooks of 160 rows, each
  with the body's answers, verification results, verified values and notes), target at most 10 s;
- ``kiprank collect`` of 300 returned objection workbooks (each body objects to 3 questions),
  checked against the preliminary tables and written as ``objections.csv``, target at most 10 s;
- for scale, ``kiprank forms --kind sanggah-keputusan`` (900 objections) and the final results
  (``kiprank score``: the overlay, the minutes, the corrections list and ``sanggah.pdf``).

Prints its figures (best and median of a few runs) and asserts nothing.

    python benchmarks/bench_objections.py [--bodies 300] [--questions 150] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_collect import make_region, timed  # noqa: E402
from kiprank.core.files import sha256_file  # noqa: E402
from kiprank.core.wording import words  # noqa: E402
from kiprank.intake.collect import collect  # noqa: E402
from kiprank.intake.forms import build_forms  # noqa: E402
from kiprank.intake.objection_forms import objection_workbook, round_tables, write_objection_forms  # noqa: E402
from kiprank.intake.workbook import FormContext  # noqa: E402
from kiprank.intake.cells import put  # noqa: E402
from kiprank.core.inputs import load_setup  # noqa: E402

YEAR, REGION = 2024, "bench"


def fill_tables(inputs_root: Path, n_bodies: int, n_questions: int) -> None:
    """SAQ answers, verdicts (one in five 'tidak sesuai', numeric ones 'sebagian') and website checks."""
    folder = inputs_root / str(YEAR) / REGION
    saq, ver, web = ["body_id,question_id,answer"], ["body_id,question_id,verdict,granted,note"], ["body_id,item_id,present"]
    for b in range(n_bodies):
        body = f"b{b:04d}"
        for n in range(n_questions):
            qid = f"Q{n + 1:03d}"
            kind = "graded" if n % 10 == 3 else "numeric" if n % 10 == 7 else "yesno"
            saq.append(f"{body},{qid},{ {'yesno': 'ya', 'graded': 'lengkap', 'numeric': '9'}[kind] }")
            if kind == "numeric":
                ver.append(f"{body},{qid},sebagian,5,bukti hanya sebagian")
            elif (n + b) % 5 == 0:
                ver.append(f"{body},{qid},tidak sesuai,,dokumen tidak ditemukan")
            else:
                ver.append(f"{body},{qid},sesuai,,")
        web += [f"{body},w{k},{'ya' if (k + b) % 3 else 'tidak'}" for k in range(10)]
    for name, lines in (("saq", saq), ("verification", ver), ("website", web)):
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(folder / "region.yml", "a", encoding="utf-8") as handle:
        handle.write("objections: {until: 2024-10-02}\n")


def make_returns(inputs_root: Path, out: Path) -> int:
    """Every body's objection form with three objections typed in (built as the forms are)."""
    setup = load_setup(YEAR, REGION, inputs_root, with_saq=False)
    ctx = FormContext(YEAR, REGION, setup, "id", words("forms", "id"), sha256_file(setup.methodology_path))
    tables = round_tables(YEAR, REGION, inputs_root)
    wb = objection_workbook(ctx, tables)
    ws = wb[wb.sheetnames[1]]
    keys = list(tables.targets)
    # Q008, Q018, Q028: numbers of 10, verified 'sebagian' 5 and answered 9 by every body
    for qid, value in (("Q008", 9), ("Q018", 8), ("Q028", 7)):
        row = keys.index(("verifikasi", qid)) + 2
        put(ws, row, 8, "ya")
        ws.cell(row=row, column=9).value = value
        put(ws, row, 10, "Bukti baru dilampirkan")
        put(ws, row, 11, "https://example.org/bukti.pdf")
    return len(write_objection_forms(ctx, out, tables, wb))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bodies", type=int, default=300)
    ap.add_argument("--questions", type=int, default=150)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1727740800")
    work = Path(tempfile.mkdtemp(prefix="kiprank-bench-objections-"))
    try:
        inputs_root = make_region(work, args.bodies, args.questions)
        fill_tables(inputs_root, args.bodies, args.questions)
        n = iter(range(1000))
        forms = timed(lambda: build_forms(YEAR, REGION, inputs_root, out=work / f"forms{next(n)}", kinds=["sanggah"]),
                      args.runs)
        returned = make_returns(inputs_root, work / "returns")
        objections = inputs_root / str(YEAR) / REGION / "objections.csv"

        def run_collect():
            objections.unlink(missing_ok=True)
            collect(YEAR, REGION, [work / "returns"], inputs_root)

        collects = timed(run_collect, args.runs)
        rows = sum(1 for _ in objections.open()) - 1
        decisions = timed(lambda: build_forms(YEAR, REGION, inputs_root, out=work / f"forms{next(n)}",
                                              kinds=["sanggah-keputusan"]), 1)
        print(f"kiprank objection round benchmark: {args.bodies} bodies x {args.questions} questions + 10 website "
              f"items, {os.cpu_count()} cores (shared machine: the best run is the fairer figure)")
        print(f"  forms --kind sanggah ({args.bodies} workbooks): best {min(forms):.2f} s, "
              f"median {statistics.median(forms):.2f} s (target 10 s)")
        print(f"  collect {returned} returned objection workbooks ({rows} objections): best {min(collects):.2f} s, "
              f"median {statistics.median(collects):.2f} s (target 10 s)")
        print(f"  forms --kind sanggah-keputusan ({rows} objections): {decisions[0]:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
