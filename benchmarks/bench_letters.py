"""Benchmark: result letters (``kiprank letters``) after the ranking is scored.

1. The 50 demo bodies of Klaten 2022 (``inputs/2022/klaten``), with certificates: target 3 s.
2. 1,000 bodies: the Klaten inputs copied 20 times under new body ids: target 40 s.

Each case publishes the ranking first (``kiprank.runs.pipeline.run_score``, not timed), then times
:func:`kiprank.runs.letters.build_letters` (score again and check against ranking.csv, previous
year, content, one Typst compile per letter plus one for all.pdf, publish into the manifest). The
first run in the process is "cold" (imports, Typst fonts and compiler); the others warm. The CLI
figure is a whole ``kiprank letters`` process. Prints the figures; asserts nothing. The machine may
be shared with other jobs: read the figures with that in mind.

    .venv/bin/python benchmarks/bench_letters.py [--copies 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "inputs"


def copy_region(src: Path, dst: Path, copies: int) -> int:
    """``src`` region with every body copied ``copies`` times (ids suffixed ``-c<k>``)."""
    dst.mkdir(parents=True)
    shutil.copy(src / "region.yml", dst / "region.yml")
    n = 0
    for name in ("bodies", "saq", "verification", "website"):
        with open(src / f"{name}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        with open(dst / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(rows[0])
            for k in range(copies):
                for row in rows[1:]:
                    out = [f"{row[0]}-c{k}", *row[1:]]
                    if name == "bodies":
                        out[1] = f"{row[1]} ({k + 1})"
                    writer.writerow(out)
            if name == "bodies":
                n = (len(rows) - 1) * copies
    return n


def timed(year, region, inputs_root, outputs_root, **kw) -> tuple[float, object]:
    """Wall seconds of one letters run, and the run; ``run.cpu`` is this process's CPU seconds (a
    figure that other jobs on a shared machine do not inflate as much as the wall clock)."""
    from kiprank.runs.letters import build_letters

    t0, c0 = time.perf_counter(), time.process_time()
    run = build_letters(year, region, inputs_root, outputs_root, **kw)
    run.cpu = time.process_time() - c0
    return time.perf_counter() - t0, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from kiprank.runs.pipeline import run_score

    print(f"cores: {os.cpu_count()}, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(a machine shared with other jobs: wall figures are slower than on a quiet machine)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "out"
        run_score(2022, "klaten", INPUTS, out)
        times, cpus = [], []
        for i in range(args.runs):
            secs, run = timed(2022, "klaten", INPUTS, out, certificates=True)
            times.append(secs)
            cpus.append(run.cpu)
            steps = "  ".join(f"{k} {v:.2f}s" for k, v in run.timings.items())
            print(f"klaten 2022, {run.letters} letters, {run.certificates} certificates, "
                  f"{'cold' if i == 0 else 'warm'}: {secs:.2f} s wall, {run.cpu:.2f} s CPU  ({steps})")
        print(f"  -> 50 demo bodies: cold {times[0]:.2f} s, best {min(times):.2f} s wall; "
              f"best {min(cpus):.2f} s CPU (target 3 s)")

        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kiprank.cli", "letters", "--year", "2022", "--region", "klaten",
                        "--inputs-root", str(INPUTS), "--outputs-root", str(out), "--certificates"],
                       check=True, capture_output=True)
        print(f"  -> whole `kiprank letters` process (Python start and imports included): "
              f"{time.perf_counter() - t0:.2f} s")

        inputs = tmp / "inputs"
        n = copy_region(INPUTS / "2022" / "klaten", inputs / "2022" / "big", args.copies)
        run_score(2022, "big", inputs, out)
        secs, run = timed(2022, "big", inputs, out, certificates=True)
        steps = "  ".join(f"{k} {v:.2f}s" for k, v in run.timings.items())
        size = sum(p.stat().st_size for p in (out / "2022" / "big" / "letters").iterdir()) / 2**20
        print(f"{n} bodies: {secs:.2f} s wall, {run.cpu:.2f} s CPU  ({steps}); {len(run.files)} files, "
              f"{size:.1f} MiB (target 40 s)")
    print("load average after:", " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
