"""Benchmark: the static site of 35 regions x 2 years, once the reports exist.

Writes 35 synthetic regions of 50 bodies (as ``bench_batch.py`` does: the Klaten 2022 demo inputs
with answers varied from a fixed seed per region) for 2021 and 2022 into a temporary folder and
publishes their tables with ``kiprank.runs.pipeline.run_score`` (70 rankings). One region's full
report is built (``kiprank.runs.report.build_report``) and its ``report.pdf`` and
``report-content.json`` are copied into every other region folder, so that every region page
renders the report's sections and links a PDF, as after ``kiprank build``. Then measures:

(a) ``kiprank site`` as a command line (one subprocess: interpreter start, imports, 70 region
    pages, 3,500 body pages, copies, manifest), three runs;
(b) :func:`kiprank.site.build_site` in this process, warm, three runs.

Target: (a) at most 3 s. Prints the figures and the load average (the machine may be shared by
other jobs: compare with the load); asserts nothing.

    .venv/bin/python benchmarks/bench_site.py [--regions-count 35] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_batch import make_regions  # noqa: E402

BIN = Path(sys.executable).parent
YEARS = (2021, 2022)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(tmp: Path, count: int) -> tuple[Path, list[str]]:
    from kiprank.runs.pipeline import run_score
    from kiprank.runs.report import build_report

    inputs_root, outputs_root = tmp / "inputs", tmp / "outputs"
    names = make_regions(inputs_root, count)  # writes <inputs>/2022/<name>
    shutil.copytree(inputs_root / "2022", inputs_root / "2021")
    start = time.perf_counter()
    for year in YEARS:
        for name in names:
            run_score(year, name, inputs_root, outputs_root)
    scored = time.perf_counter() - start
    start = time.perf_counter()
    build_report(2022, names[0], inputs_root, outputs_root, report_date="2022-12-31")
    reported = time.perf_counter() - start
    model = outputs_root / "2022" / names[0]
    for year in YEARS:
        for name in names:
            folder = outputs_root / str(year) / name
            if folder != model:
                for file in ("report.pdf", "report-content.json"):
                    shutil.copyfile(model / file, folder / file)
    print(f"inputs: {count} regions x {len(YEARS)} years x 50 bodies; scored in {scored:.1f} s, "
          f"one report built in {reported:.1f} s and its PDF and content copied to the others")
    return outputs_root, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions-count", type=int, default=35)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kiprank-bench-site-"))
    try:
        print(f"{os.cpu_count()} cores; load average {load()} (the machine may be shared)")
        outputs_root, _ = prepare(tmp, args.regions_count)

        cli = []
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run([str(BIN / "kiprank"), "site", "--outputs-root", str(outputs_root)],
                                  capture_output=True, text=True)
            cli.append(time.perf_counter() - start)
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                raise SystemExit(done.returncode)
        print(done.stdout.strip())

        from kiprank.site import build_site

        warm = []
        for _ in range(3):
            start = time.perf_counter()
            made = build_site(outputs_root)
            warm.append(time.perf_counter() - start)
        site = outputs_root / "site"
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"site: {made.files} files ({made.pages} pages), {size / 2**20:.1f} MiB")
        print(f"(a) kiprank site, command line: best {min(cli):.2f} s, median {statistics.median(cli):.2f} s "
              f"(target 3 s)  load {load()}")
        print(f"(b) build_site in process, warm: best {min(warm):.2f} s, median {statistics.median(warm):.2f} s")
        if args.keep:
            print(f"kept: {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
