"""Benchmark: uncertainty and sensitivity of ranks and bands (kiprank.analysis.robustness).

1. The 50-body Klaten demo (inputs/2022/klaten): 10,000 draws (target <= 0.5 s), then the Sobol'
   sensitivity analysis at the methodology's setting.
2. A synthetic region of 20,000 bodies x 150 questions (made as benchmarks/bench_scoring.py makes it,
   plus partly verified answers): 1,000 draws (target <= 15 s, peak memory < 2 GiB), then the
   sensitivity analysis.

Times are wall-clock seconds of the analysis alone (inputs loaded and scored beforehand), best of
``--repeat`` runs; the machine may be shared, so the load average is printed too. Prints the
figures; asserts nothing.

    .venv/bin/python benchmarks/bench_robustness.py [--bodies 20000] [--questions 150] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_scoring import write_region  # noqa: E402

from kiprank.analysis import analyse_robustness  # noqa: E402
from kiprank.core.inputs import load_region  # noqa: E402
from kiprank.core.scoring import score  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def best(repeat: int, func) -> tuple[str, object]:
    """Best wall time of ``repeat`` runs, with the CPU time of that run (numpy may use both cores)."""
    times, out = [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = func()
        times.append((time.perf_counter() - t, time.process_time() - c))
    wall, cpu = min(times)
    return f"{wall:.3f} s wall ({cpu:.3f} s CPU)", out


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def add_partial_answers(folder: Path, share: float = 0.1, seed: int = 11) -> int:
    """Turn a share of the verified graded answers into 'sebagian' (granted: sebagian)."""
    ver = pd.read_csv(folder / "verification.csv", dtype=str, keep_default_na=False)
    saq = pd.read_csv(folder / "saq.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    pick = (saq["answer"] == "lengkap").to_numpy() & (ver["verdict"] == "sesuai").to_numpy() & (rng.random(len(ver)) < share * 3)
    ver.loc[pick, "verdict"] = "sebagian"
    ver.loc[pick, "granted"] = "sebagian"
    ver.to_csv(folder / "verification.csv", index=False)
    return int(pick.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (a shared machine: figures vary)")
    demo = load_region(2022, "klaten", ROOT / "inputs")
    demo_result = score(demo)
    secs, res = best(args.repeat, lambda: analyse_robustness(demo, demo_result, draws=10_000, sensitivity=False))
    print(f"demo klaten, {len(demo.bodies)} bodies, 10,000 draws: {secs} (target <= 0.5 s); "
          f"{len(res.uncertain)} bodies with an uncertain band")
    samples = demo.methodology.robustness.sensitivity_samples
    secs, res = best(args.repeat, lambda: analyse_robustness(demo, demo_result, draws=1, sensitivity=True))
    runs = samples * (len(res.settings["inputs"]) + 2)
    print(f"demo klaten, Sobol' sensitivity ({samples} base samples = {runs:,} variants): {secs}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inputs"
        folder = root / "2025" / "bench"
        n_answers = write_region(folder, args.bodies, args.questions)
        n_partial = add_partial_answers(folder)
        inputs = load_region(2025, "bench", root)
        result = score(inputs)
        print(f"synthetic region: {args.bodies:,} bodies x {args.questions} questions = {n_answers:,} answers, "
              f"{n_partial:,} partly verified; peak RSS after loading and scoring {peak_rss_gib():.2f} GiB")
        repeat = max(1, args.repeat - 1)
        secs, res = best(repeat, lambda: analyse_robustness(inputs, result, draws=1000, sensitivity=False))
        print(f"synthetic, 1,000 draws: {secs} (target <= 15 s); peak RSS {peak_rss_gib():.2f} GiB "
              f"(target < 2 GiB, includes the loaded inputs)")
        secs, res = best(1, lambda: analyse_robustness(inputs, result, draws=1, sensitivity=True))
        runs = samples * (len(res.settings["inputs"]) + 2)
        print(f"synthetic, Sobol' sensitivity ({runs:,} variants): {secs}; "
              f"peak RSS {peak_rss_gib():.2f} GiB")
    print(f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
