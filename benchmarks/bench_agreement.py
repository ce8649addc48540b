"""Benchmark: agreement of the verifiers for 20,000 bodies x 150 questions x 3 verifiers.

Every answer of every body judged by three verifiers (9 million verdicts, 3 million units): the
second and third agree with the first on 90 % of the answers and give an independent verdict on the
rest. Times the checks of the verifier column and of ``min_verifiers``, the combination of the
verdicts into one per answer (kiprank.core.verifiers, what ``load_region`` runs before scoring) and
the agreement analysis (kiprank.analysis.agreement: alpha with its bootstrap interval overall, per
indicator and per pair, exact agreement, each verifier's mean difference, the disagreements table),
and prints the peak memory of the process.
Target: the agreement analysis in at most 10 s and 2 GiB on a 2-core machine. Prints the figures;
asserts nothing.

    .venv/bin/python benchmarks/bench_agreement.py [--bodies 20000] [--questions 150] [--verifiers 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import psutil

from kiprank.analysis.agreement import analyse_agreement
from kiprank.core.errors import ProblemList
from kiprank.core.methodology import Methodology, VerificationRule
from kiprank.core.verifiers import combine_verdicts, panel_problems, verifier_problems


def methodology(n_questions: int) -> Methodology:
    indicators = [("jenis", 40), ("digitalisasi", 20), ("kualitas", 10), ("pelayanan", 10), ("komitmen", 10),
                  ("sarpras", 10)]
    questions = []
    for i in range(n_questions):
        kind = ("yesno", "graded", "numeric")[i % 3]
        q = {"id": f"Q{i:03d}", "indicator": indicators[i % len(indicators)][0], "type": kind}
        if kind == "graded":
            q["options"] = {"lengkap": 2, "sebagian": 1, "tidak ada": 0}
        if kind == "numeric":
            q["max"] = 10
        questions.append(q)
    return Methodology.model_validate({
        "id": "bench", "name": "Benchmark", "stages": [{"id": "verifikasi", "label": "V", "weight": 100,
                                                        "source": "verification"}],
        "questionnaire": {"indicators": [{"id": i, "label": i, "weight": w} for i, w in indicators],
                          "questions": questions},
        "bands": [{"label": "Informatif", "min": 90}, {"label": "Tidak Informatif", "min": 0}]})


def verdicts(m: Methodology, n_bodies: int, n_verifiers: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims (saq: body_id, question_id, earned) and the verdicts of every verifier."""
    rng = np.random.default_rng(seed)
    qs = m.questionnaire.questions
    n_q = len(qs)
    bodies = pd.Categorical.from_codes(np.repeat(np.arange(n_bodies), n_q), [f"b{i:05d}" for i in range(n_bodies)])
    questions = pd.Categorical.from_codes(np.tile(np.arange(n_q), n_bodies), [q.id for q in qs])
    levels = np.array([{"yesno": 2, "graded": 3, "numeric": 11}[q.type] for q in qs])
    lv = np.tile(levels, n_bodies)
    claim_level = rng.integers(0, lv)
    earned = claim_level / (lv - 1)
    saq = pd.DataFrame({"body_id": bodies, "question_id": questions, "earned": earned})
    first = rng.integers(0, 3, len(lv))  # verified / partial / unverified
    frames = []
    for k in range(n_verifiers):
        code = first if k == 0 else np.where(rng.random(len(lv)) < 0.9, first, rng.integers(0, 3, len(lv)))
        granted_level = rng.integers(0, np.maximum(claim_level, 1))
        frames.append(pd.DataFrame({
            "body_id": bodies, "question_id": questions,
            "verifier": pd.Categorical.from_codes(np.full(len(lv), k), [f"Verifikator {j + 1}" for j in range(n_verifiers)]),
            "verdict": pd.Categorical.from_codes(code, ["verified", "partial", "unverified"]),
            "granted": "", "granted_earned": np.where(code == 1, granted_level / (lv - 1), np.nan)}))
    return saq, pd.concat(frames, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bodies", type=int, default=20_000)
    ap.add_argument("--questions", type=int, default=150)
    ap.add_argument("--verifiers", type=int, default=3)
    args = ap.parse_args()
    m = methodology(args.questions)
    proc = psutil.Process(os.getpid())
    saq, rows = verdicts(m, args.bodies, args.verifiers)
    before = proc.memory_info().rss
    print(f"{args.bodies:,} bodies x {args.questions} questions x {args.verifiers} verifiers: {len(rows):,} verdicts, "
          f"{args.bodies * args.questions:,} answers; data in memory {before / 2**30:.2f} GiB")
    t = time.perf_counter()
    problems = ProblemList(100)
    verifier_problems(rows["verifier"].astype(str), "verification.csv", problems)
    panel_problems(None, rows, m.model_copy(update={"verification": VerificationRule(min_verifiers=3)}),
                   "verification.csv", problems)
    print(f"checks of the verifier column and min_verifiers (part of validating the inputs): "
          f"{time.perf_counter() - t:.2f} s wall, {len(problems)} problems")
    t0 = time.perf_counter()
    combined, panel = combine_verdicts(rows, saq, m.verification)
    t1 = time.perf_counter()
    print(f"combination (core, before scoring): {t1 - t0:.2f} s wall; {len(combined):,} verdicts to score, "
          f"{int(panel.items['disagreement'].sum()):,} disagreements")
    inputs = SimpleNamespace(panel=panel, methodology=m)
    c0, t2 = time.process_time(), time.perf_counter()
    res = analyse_agreement(inputs)
    t3, c1 = time.perf_counter(), time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    overall = res.table[res.table["scope"] == "overall"].iloc[0]
    print(f"agreement (analysis): {t3 - t2:.2f} s wall, {c1 - c0:.2f} s CPU (target 10 s); {len(res.table)} rows of "
          f"agreement.csv, {len(res.disagreements):,} rows of disagreements.csv; overall alpha {overall['alpha']:.4f} "
          f"[{overall['alpha_low']:.4f}, {overall['alpha_high']:.4f}], exact {overall['exact']:.4f}")
    print(f"peak memory of the process (data, combination and analysis): {peak / 2**30:.2f} GiB (target 2 GiB); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
