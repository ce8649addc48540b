"""Benchmark of kiprank forms and kiprank collect: 300 bodies, an SAQ of 150 questions.

- forms: ``build_forms`` for 300 bodies (SAQ and verification workbook per body, website checklist,
  XLSForm), target at most 15 s; the SAQ workbooks alone are timed too;
- collect: 300 returned SAQ workbooks (every question answered) read, checked and written as
  ``saq.csv``, target at most 10 s on 2 cores.

Prints its figures (best and median of a few runs) and asserts nothing. The machine may be shared
with other jobs: the best run is the fairer figure then.

    python benchmarks/bench_collect.py [--bodies 300] [--questions 150] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiprank.intake import layout as L  # noqa: E402
from kiprank.core.files import sha256_file  # noqa: E402
from kiprank.intake.collect import collect  # noqa: E402
from kiprank.intake.forms import _Context, _per_body, _saq_workbook, build_forms, put  # noqa: E402
from kiprank.core.inputs import load_setup  # noqa: E402
from kiprank.core.wording import words  # noqa: E402


def methodology(n_questions: int) -> dict:
    indicators = [{"id": f"i{k}", "label": f"Indikator {k}", "weight": 20} for k in range(5)]
    questions = []
    for n in range(n_questions):
        q = {"id": f"Q{n + 1:03d}", "indicator": f"i{n % 5}", "text": f"Pertanyaan nomor {n + 1} tentang keterbukaan"}
        if n % 10 == 3:
            q.update(type="graded", options={"lengkap": 2, "sebagian": 1, "tidak ada": 0})
        elif n % 10 == 7:
            q.update(type="numeric", max=10)
        else:
            q["type"] = "yesno"
        questions.append(q)
    return {
        "id": "bench", "name": "Benchmark", "decimals": 2,
        "stages": [{"id": "saq", "label": "SAQ", "weight": 40, "source": "questionnaire"},
                   {"id": "verifikasi", "label": "Verifikasi", "weight": 40, "source": "verification"},
                   {"id": "website", "label": "Website", "weight": 20, "source": "checklist",
                    "items": [{"id": f"w{k}", "label": f"Butir {k}", "weight": 10} for k in range(10)]}],
        "questionnaire": {"indicators": indicators, "questions": questions},
        "bands": [{"label": "Informatif", "min": 90}, {"label": "Tidak Informatif", "min": 0}],
    }


def make_region(root: Path, n_bodies: int, n_questions: int) -> Path:
    folder = root / "inputs" / "2024" / "bench"
    folder.mkdir(parents=True)
    (root / "inputs" / "bench.yml").write_text(yaml.safe_dump(methodology(n_questions)), encoding="utf-8")
    (folder / "region.yml").write_text(yaml.safe_dump({
        "region": "Bench", "issuer": "Komisi Informasi", "title": "Benchmark", "methodology": "../../bench.yml",
        "groups": {"dinas": "Dinas"}}), encoding="utf-8")
    lines = ["body_id,name,group"] + [f"b{n:04d},Badan Publik {n},dinas" for n in range(n_bodies)]
    (folder / "bodies.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "inputs"


def make_returns(inputs_root: Path, out: Path) -> None:
    """Every body's SAQ filled in (built like the forms, with the answers typed in)."""
    setup = load_setup(2024, "bench", inputs_root)
    ctx = _Context(2024, "bench", setup, "id", words("forms", "id"), sha256_file(setup.methodology_path))
    wb, cover, cells = _saq_workbook(ctx)
    ws = wb[L.SAQ_SHEET]
    for row, q in enumerate(setup.methodology.questionnaire.questions, start=L.FIRST_ROW):
        put(ws, row, 4, {"yesno": "ya", "graded": "sebagian", "numeric": 7}[q.type])
    _per_body(ctx, out, "saq", wb, cover, cells, None)  # as the forms are written, with the answers in


def timed(func, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bodies", type=int, default=300)
    ap.add_argument("--questions", type=int, default=150)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiprank-bench-collect-"))
    try:
        inputs_root = make_region(work, args.bodies, args.questions)
        n = iter(range(1000))
        forms_all = timed(lambda: build_forms(2024, "bench", inputs_root, out=work / f"forms{next(n)}"), args.runs)
        forms_saq = timed(lambda: build_forms(2024, "bench", inputs_root, out=work / f"forms{next(n)}",
                                              kinds=["saq"]), args.runs)
        make_returns(inputs_root, work / "returns")  # returns/saq/<body>.xlsx
        saq = inputs_root / "2024" / "bench" / "saq.csv"

        def run_collect():
            saq.unlink(missing_ok=True)
            collect(2024, "bench", [work / "returns"], inputs_root)

        collects = timed(run_collect, args.runs)
        rows = sum(1 for _ in saq.open()) - 1
        print(f"kiprank forms/collect benchmark: {args.bodies} bodies x {args.questions} questions, "
              f"{os.cpu_count()} cores (shared machine: best run is the fairer figure)")
        print(f"  forms, all kinds ({2 * args.bodies + 2} workbooks): best {min(forms_all):.2f} s, "
              f"median {statistics.median(forms_all):.2f} s (target 15 s)")
        print(f"  forms, SAQ only ({args.bodies} workbooks):        best {min(forms_saq):.2f} s, "
              f"median {statistics.median(forms_saq):.2f} s")
        print(f"  collect {args.bodies} returned SAQ workbooks ({rows} answers): best {min(collects):.2f} s, "
              f"median {statistics.median(collects):.2f} s (target 10 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
