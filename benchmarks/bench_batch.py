"""Benchmark: 35 region reports with ``kiprank build`` against the naive way, and a no-change rebuild.

Writes 35 synthetic regions of 50 bodies each (the Klaten 2022 demo inputs, methodology
``klaten-2022``, with answers, verdicts and website items varied from a fixed seed per region) into
a temporary folder, then measures, in one run:

(a) the batch: ``kiprank build --year 2022`` (the command line, one subprocess);
(b) the same reports the naive way, one after another, each with three command lines:
    ``papermill notebooks/ranking_report.ipynb out.ipynb -p year .. -p region .. -p inputs_root ..
    -p outputs_root ..``, ``jupyter nbconvert --to html --template kiprank_report
    --TemplateExporter.extra_template_basedirs=kiprank/templates out.ipynb`` and
    ``python -c 'kiprank.runs.document.write_pdf(...)'`` (the Typst PDF of the executed notebook);
(c) ``kiprank build`` again with nothing changed.

Targets: (a) at most 0.12 of (b); (c) under 2 s. Prints the figures, the ratio and the load average
(the machine may be shared); asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py [--regions-count 35] [--jobs N] [--naive-sample M] [--keep]

``--naive-sample M`` times the naive way on the first M regions only and scales it to all regions
(printed as an estimate); by default every region is done both ways.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "inputs" / "2022" / "klaten"
NOTEBOOK = ROOT / "kiprank" / "notebooks" / "ranking_report.ipynb"
TEMPLATES = ROOT / "kiprank" / "templates"
BIN = Path(sys.executable).parent
YEAR, DATE = 2022, "2022-12-31"


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def make_regions(inputs_root: Path, count: int) -> list[str]:
    """``count`` regions under ``inputs_root/2022/``: the Klaten demo with ~12% of yes/no answers,
    verdicts and website items changed (seeded per region), so that every report differs."""
    names = []
    for i in range(1, count + 1):
        name = f"sintetis-{i:02d}"
        rng = random.Random(f"kiprank-bench-batch/{name}")
        folder = inputs_root / str(YEAR) / name
        folder.mkdir(parents=True)
        region = (DEMO / "region.yml").read_text(encoding="utf-8")
        region = region.replace("Kabupaten Klaten", f"Kabupaten Sintetis {i:02d}")
        (folder / "region.yml").write_text(region, encoding="utf-8")
        shutil.copy(DEMO / "bodies.csv", folder / "bodies.csv")
        header, rows = _read(DEMO / "saq.csv")
        flip = {"ya": "tidak", "tidak": "ya"}
        for row in rows:
            if row[2] in flip and rng.random() < 0.12:
                row[2] = flip[row[2]]
        _write(folder / "saq.csv", header, rows)
        header, rows = _read(DEMO / "verification.csv")
        for row in rows:
            if row[2] in ("sesuai", "tidak sesuai") and rng.random() < 0.12:
                row[2] = "tidak sesuai" if row[2] == "sesuai" else "sesuai"
        _write(folder / "verification.csv", header, rows)
        header, rows = _read(DEMO / "website.csv")
        for row in rows:
            if row[2] in flip and rng.random() < 0.12:
                row[2] = flip[row[2]]
        _write(folder / "website.csv", header, rows)
        names.append(name)
    return names


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}")
    return proc


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class CpuSampler(threading.Thread):
    """CPU seconds (user + system) used by this process's descendants while it runs: every
    process below us (kiprank, its pool workers and their kernels, or papermill and its kernel) is
    sampled from /proc twice a second. Linux only (elsewhere it reports 0)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def sample(self) -> None:
        parents, cpu = {}, {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self.tick
        me = os.getpid()
        for pid in cpu:
            p, depth = parents.get(pid), 0
            while p and p != me and depth < 20:
                p, depth = parents.get(p), depth + 1
            if p == me and pid != me:
                self.seen[pid] = max(self.seen.get(pid, 0.0), cpu[pid])

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.sample()

    def __enter__(self):
        if os.path.isdir("/proc"):
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def kiprank_build(inputs_root: Path, outputs_root: Path, jobs: int | None) -> tuple[float, str]:
    cmd = [BIN / "kiprank", "build", "--year", YEAR, "--inputs-root", inputs_root, "--outputs-root", outputs_root,
           "--date", DATE]
    if jobs:
        cmd += ["--jobs", jobs]
    start = time.perf_counter()
    proc = run(cmd, env={**os.environ, "COLUMNS": "160"})
    return time.perf_counter() - start, proc.stdout


def naive(inputs_root: Path, work: Path, region: str) -> float:
    folder = work / region
    folder.mkdir(parents=True)
    start = time.perf_counter()
    run([BIN / "papermill", NOTEBOOK, folder / "out.ipynb", "-p", "year", YEAR, "-p", "region", region,
         "-p", "inputs_root", inputs_root, "-p", "outputs_root", work / "tables", "-p", "report_date", DATE,
         "--no-progress-bar"], cwd=ROOT)
    run([BIN / "jupyter", "nbconvert", "--to", "html", "--template", "kiprank_report",
         f"--TemplateExporter.extra_template_basedirs={TEMPLATES}", folder / "out.ipynb"], cwd=ROOT)
    # the PDF command line of the Typst era: typeset the executed notebook's section data
    run([BIN / "python", "-c", "import sys, nbformat, datetime; from kiprank.runs.document import write_pdf; "
         "write_pdf(nbformat.read(sys.argv[1], as_version=4), __import__('pathlib').Path(sys.argv[2]), None, "
         "datetime.date(2022, 12, 15))", folder / "out.ipynb", folder / "out.pdf"], cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions-count", type=int, default=35)
    parser.add_argument("--jobs", type=int, default=None, help="kiprank build --jobs [default: number of cores]")
    parser.add_argument("--naive-sample", type=int, default=None,
                        help="time the naive way on this many regions and scale to all (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kiprank-bench-batch-"))
    try:
        inputs_root = tmp / "inputs"
        regions = make_regions(inputs_root, args.regions_count)
        print(f"{len(regions)} regions x 50 bodies in {tmp}; {os.cpu_count()} cores; load average {load()}")

        with CpuSampler() as sampler:
            batch_s, out = kiprank_build(inputs_root, tmp / "batch", args.jobs)
        batch_cpu = sampler.seconds
        built = sum((tmp / "batch" / str(YEAR) / r / "report.pdf").is_file() for r in regions)
        print(f"(a) kiprank build:        {batch_s:7.1f} s  ({batch_s / len(regions):.2f} s/report, "
              f"{built} PDFs; CPU {batch_cpu:.0f} s)  load {load()}")

        again_s, out = kiprank_build(inputs_root, tmp / "batch", args.jobs)
        summary = [line for line in out.splitlines() if "up to date," in line]
        print(f"(c) no-change rebuild:    {again_s:7.2f} s  [{summary[-1].split(';')[0] if summary else '?'}]  "
              f"target < 2 s: {'met' if again_s < 2 else 'MISSED'}")

        sample = regions[: args.naive_sample] if args.naive_sample else regions
        naive_s = 0.0
        with CpuSampler() as sampler:
            for i, region in enumerate(sample, 1):
                naive_s += naive(inputs_root, tmp / "naive", region)
                print(f"\r    naive {i}/{len(sample)}: {naive_s:.1f} s", end="", flush=True)
        print()
        naive_cpu = sampler.seconds
        scale = len(regions) / len(sample)
        naive_total = naive_s * scale
        label = "" if scale == 1 else f" (estimated from {len(sample)} regions)"
        print(f"(b) naive, one by one:    {naive_total:7.1f} s  ({naive_s / len(sample):.2f} s/report; "
              f"CPU {naive_cpu * scale:.0f} s){label}  load {load()}")
        ratio = batch_s / naive_total
        print(f"ratio batch / naive:      {ratio:7.3f}   target <= 0.12: {'met' if ratio <= 0.12 else 'MISSED'}")
        # What the wall-time ratio would be with the cores to ourselves: the batch's CPU time spread
        # over its workers, against the naive CPU time (one process at a time).
        workers = min(args.jobs or os.cpu_count() or 1, os.cpu_count() or 1, len(regions))
        print(f"CPU time batch / naive:   {batch_cpu / (naive_cpu * scale):7.3f}   (with {workers} idle cores the "
              f"wall ratio would be about {batch_cpu / workers / (naive_cpu * scale):.3f})")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
