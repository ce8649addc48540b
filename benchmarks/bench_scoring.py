"""Benchmark: validate + score + rank 20,000 bodies x 150 questions (3 million SAQ answers).

Writes a synthetic region (CSV files, plus verification and website checks) to a temporary
folder, then times reading + validation (kiprank.core.inputs.load_region), scoring + ranking
(kiprank.core.scoring.score) and writing the result tables. Target: validate + score + rank under
3 s on a 2-core machine, peak memory under 2 GiB. Prints the figures; asserts nothing.

    .venv/bin/python benchmarks/bench_scoring.py [--bodies 20000] [--questions 150]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kiprank.core.inputs import load_region
from kiprank.runs.pipeline import write_tables
from kiprank.core.scoring import score


def methodology(n_questions: int) -> dict:
    indicators = [("jenis", 40), ("digitalisasi", 20), ("kualitas", 10), ("pelayanan", 10),
                  ("komitmen", 10), ("sarpras", 10)]
    questions = []
    for i in range(n_questions):
        ind = indicators[i % len(indicators)][0]
        kind = ("yesno", "graded", "numeric")[i % 3]
        q = {"id": f"Q{i:03d}", "indicator": ind, "type": kind, "text": f"Pertanyaan {i}"}
        if kind == "graded":
            q["options"] = {"lengkap": 2, "sebagian": 1, "tidak ada": 0}
        if kind == "numeric":
            q["max"] = 10
        questions.append(q)
    items = [{"id": f"w{i:02d}", "label": f"Item {i}", "weight": 5} for i in range(20)]
    return {
        "id": "bench", "name": "Benchmark", "decimals": 2,
        "stages": [
            {"id": "saq", "label": "SAQ", "weight": 30, "source": "questionnaire"},
            {"id": "verifikasi", "label": "Verifikasi", "weight": 40, "source": "verification"},
            {"id": "website", "label": "Website", "weight": 15, "source": "checklist", "items": items},
            {"id": "presentasi", "label": "Presentasi", "weight": 15, "source": "score",
             "gate": {"stage": "verifikasi", "min_score": 60}},
        ],
        "questionnaire": {"indicators": [{"id": i, "label": i, "weight": w} for i, w in indicators],
                          "questions": questions},
        "bands": [{"label": "Informatif", "min": 90}, {"label": "Menuju Informatif", "min": 80},
                  {"label": "Cukup Informatif", "min": 60}, {"label": "Kurang Informatif", "min": 40},
                  {"label": "Tidak Informatif", "min": 0}],
    }


def write_region(folder: Path, n_bodies: int, n_questions: int, seed: int = 7) -> int:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    (folder / "methodology.yml").write_text(yaml.safe_dump(methodology(n_questions), sort_keys=False))
    (folder / "region.yml").write_text(yaml.safe_dump({
        "region": "Bench", "issuer": "Bench", "title": "Bench", "methodology": "methodology.yml",
        "groups": {f"g{i}": f"Grup {i}" for i in range(10)}}))
    ids = np.array([f"b{i:05d}" for i in range(n_bodies)])
    pd.DataFrame({"body_id": ids, "name": [f"Badan {i}" for i in range(n_bodies)],
                  "group": [f"g{i % 10}" for i in range(n_bodies)], "website": ""}).to_csv(folder / "bodies.csv", index=False)
    returned = ids[rng.random(n_bodies) > 0.05]
    qids = np.array([f"Q{i:03d}" for i in range(n_questions)])
    body_col = np.repeat(returned, n_questions)
    q_col = np.tile(qids, len(returned))
    kind = np.tile(np.arange(n_questions) % 3, len(returned))
    yesno = np.where(rng.random(len(body_col)) < 0.7, "ya", "tidak")
    graded = rng.choice(np.array(["lengkap", "sebagian", "tidak ada"]), len(body_col))
    numeric = rng.integers(0, 11, len(body_col)).astype(str)
    answer = np.where(kind == 0, yesno, np.where(kind == 1, graded, numeric))
    pd.DataFrame({"body_id": body_col, "question_id": q_col, "answer": answer}).to_csv(folder / "saq.csv", index=False)
    verdict = rng.choice(np.array(["sesuai", "sesuai", "sesuai", "tidak sesuai"]), len(body_col))
    pd.DataFrame({"body_id": body_col, "question_id": q_col, "verdict": verdict, "granted": ""}).to_csv(
        folder / "verification.csv", index=False)
    items = np.array([f"w{i:02d}" for i in range(20)])
    pd.DataFrame({"body_id": np.repeat(returned, 20), "item_id": np.tile(items, len(returned)),
                  "present": np.where(rng.random(len(returned) * 20) < 0.6, "ya", "tidak")}).to_csv(
        folder / "website.csv", index=False)
    pd.DataFrame({"body_id": returned, "score": rng.uniform(40, 100, len(returned)).round(2)}).to_csv(
        folder / "presentasi.csv", index=False)
    return len(body_col)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3, help="validate+score runs (the first is cold)")
    parser.add_argument("--trace-memory", action="store_true", help="also measure Python allocations (slower)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inputs"
        t = time.perf_counter()
        n_answers = write_region(root / "2025" / "bench", args.bodies, args.questions)
        print(f"synthetic region: {args.bodies:,} bodies x {args.questions} questions = {n_answers:,} answers "
              f"(written in {time.perf_counter() - t:.1f} s)")
        if args.trace_memory:
            tracemalloc.start()
        runs = []
        for _ in range(args.repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            inputs = load_region(2025, "bench", root)
            c1, t1 = time.process_time(), time.perf_counter()
            result = score(inputs)
            c2, t2 = time.process_time(), time.perf_counter()
            runs.append((t1 - t0, t2 - t1, c1 - c0, c2 - c1))
        t3 = time.perf_counter()
        write_tables(inputs, result, Path(tmp) / "out")
        t4 = time.perf_counter()
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        for label, (v, s_, cv, cs) in (("first run (cold process)", runs[0]),
                                       (f"best of {len(runs)}", min(runs, key=lambda r: r[0] + r[1]))):
            print(f"{label}:")
            print(f"  read + validate : {v:6.2f} s wall, {cv:6.2f} s CPU")
            print(f"  score + rank    : {s_:6.2f} s wall, {cs:6.2f} s CPU")
            print(f"  validate+score+rank: {v + s_:6.2f} s wall (target < 3 s)")
        print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"write csv/xlsx  : {t4 - t3:6.2f} s")
        print(f"peak RSS        : {peak_rss:6.2f} GiB (target < 2 GiB)")
        if args.trace_memory:
            print(f"peak traced Python allocations: {tracemalloc.get_traced_memory()[1] / 1024**3:.2f} GiB")
        print(f"ranked bodies   : {int(result.ranking['rank'].notna().sum()):,}")


if __name__ == "__main__":
    main()
