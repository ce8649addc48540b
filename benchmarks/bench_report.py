"""Benchmark: one published report end to end, and each of its steps, for the demo region.

Runs ``kiprank report --timings`` (a fresh process, as a user would) ``--repeat`` times into a
temporary outputs folder and prints, per run and as min / median:

- ``total``: wall time of the command, interpreter start-up included;
- the steps measured inside the build: ``inputs`` (validate + score), ``kernel start`` (what is left
  of the kernel start-up and library imports after overlapping them with the inputs step),
  ``notebook`` (papermill), ``html`` (nbconvert), ``pdf`` (Typst, in the build process,
  joined), ``tables``;
- ``cpu time``: user + system CPU seconds of the command and its kernel (less sensitive than wall
  time to other work on the machine);
- the slowest notebook cells (from papermill's per-cell metadata of the executed notebook).

Target: under 8 s end to end on a 2-core machine. Prints the figures; asserts nothing.
The demo region is ``inputs/2022/klaten``; if it is missing it is generated into a temporary folder
with ``inputs/generate.py --out``.

    .venv/bin/python benchmarks/bench_report.py [--year 2022] [--region klaten] [--inputs-root inputs]
                                                [--repeat 3] [--lang id]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 8.0
STEP_RE = re.compile(r"([a-z][a-z ()]*?) (\d+\.\d+)s")


def demo_inputs(inputs_root: Path, year: int, region: str, tmp: Path) -> Path:
    if (inputs_root / str(year) / region).is_dir():
        return inputs_root
    out = tmp / "inputs"
    print(f"{inputs_root}/{year}/{region} is missing: generating the demo inputs into {out} ...", flush=True)
    subprocess.run([sys.executable, str(ROOT / "inputs" / "generate.py"), "--out", str(out)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return out


def kiprank_command() -> list[str]:
    exe = Path(sys.executable).with_name("kiprank")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kiprank.cli"]


def run_once(args, inputs_root: Path, outputs_root: Path) -> dict[str, float]:
    cmd = [*kiprank_command(), "report", "--year", str(args.year), "--region", args.region,
           "--inputs-root", str(inputs_root), "--outputs-root", str(outputs_root), "--lang", args.lang,
           "--date", "2022-12-15", "--timings"]
    env = {**os.environ, "COLUMNS": "400"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"kiprank report failed (exit {proc.returncode}):\n{proc.stderr}{proc.stdout}")
    text = " ".join(proc.stdout.split())
    text = text[text.find("inputs "):]  # the --timings line follows the list of files written
    steps = {name.strip(): float(secs) for name, secs in STEP_RE.findall(text)}
    steps.pop("total", None)
    steps["total (wall, process start to exit)"] = wall
    steps["cpu time, command + kernel (user+sys)"] = cpu
    return steps


def papermill_alone(args, inputs_root: Path, tmp: Path) -> float:
    """Wall time of papermill alone (process start to exit) executing the report notebook with the
    same parameters as ``kiprank report``: the floor the whole report is compared with."""
    cmd = [sys.executable, "-m", "papermill", str(ROOT / "kiprank" / "notebooks" / "ranking_report.ipynb"), str(tmp / "pm.ipynb"),
           "-p", "year", str(args.year), "-p", "region", args.region, "-p", "inputs_root", str(inputs_root),
           "-p", "lang", args.lang, "-p", "report_date", "2022-12-15", "--no-progress-bar", "-k", "python3"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def slowest_cells(executed: Path, n: int = 5) -> list[tuple[float, str]]:
    nb = nbformat.read(executed, as_version=4)
    cells = []
    for cell in nb.cells:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and duration is not None:
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            cells.append((float(duration), first[:60]))
    return sorted(cells, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2022)
    ap.add_argument("--region", default="klaten")
    ap.add_argument("--inputs-root", type=Path, default=ROOT / "inputs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lang", default="id", choices=["id", "en"])
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="kiprank-bench-report-") as tmp:
        tmp = Path(tmp)
        inputs_root = demo_inputs(args.inputs_root.resolve(), args.year, args.region, tmp)
        outputs_root = tmp / "outputs"
        print(f"report {args.region} {args.year} ({args.lang}), {args.repeat} run(s), {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} (timings are wall clock: other work on the machine inflates them)")
        runs = []
        for i in range(args.repeat):
            steps = run_once(args, inputs_root, outputs_root)
            steps["papermill alone (same notebook, same parameters)"] = papermill_alone(args, inputs_root, tmp)
            runs.append(steps)
            print(f"  run {i + 1}: " + "  ".join(f"{k.split(' (')[0]} {v:.2f}s" for k, v in steps.items()), flush=True)

        folder = outputs_root / str(args.year) / args.region
        import pymupdf

        with pymupdf.open(folder / "report.pdf") as doc:
            pages = doc.page_count
        print(f"\n{'step':42s} {'min':>7s} {'median':>7s}")
        for name in runs[0]:
            values = [r.get(name, float("nan")) for r in runs]
            print(f"{name:42s} {min(values):7.2f} {statistics.median(values):7.2f}")
        print(f"\nPDF: {pages} pages, {(folder / 'report.pdf').stat().st_size / 1024:.0f} KiB")
        print("slowest notebook cells (last run):")
        for secs, source in slowest_cells(folder / "report.ipynb"):
            print(f"  {secs:6.2f}s  {source}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        best = min(r["total (wall, process start to exit)"] for r in runs)
        verdict = "within" if best < TARGET_S else "OVER"
        print(f"\nend to end: best {best:.2f}s -> {verdict} the {TARGET_S:.0f} s target")
        med = statistics.median(r["total (wall, process start to exit)"] for r in runs)
        pm = statistics.median(r["papermill alone (same notebook, same parameters)"] for r in runs)
        pdf = min(r.get("pdf", float("nan")) for r in runs)
        print(f"whole report / papermill alone (medians): {med:.2f}s / {pm:.2f}s = {med / pm:.2f}x (target 1.3x); "
              f"PDF step best {pdf:.2f}s (target 0.4 s)")


if __name__ == "__main__":
    main()
