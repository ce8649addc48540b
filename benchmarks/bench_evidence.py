"""Benchmark: ``kiprank evidence`` against a local web server (127.0.0.1, in a process of its own).

1. **10,000 links** (the Klaten demo copied 20 times, 1,000 bodies; each 'ya' answer cites its own
   small PDF on the server) with ``--concurrency 50``: target 60 s. Run twice: all on one server with
   ``--per-host 50`` (the server is the only host, so politeness would otherwise be the limit), and
   with the default ``--per-host 2`` over 25 servers (ports), the way many bodies' sites are reached.
2. **Memory**: 1,000 documents of 50 MB each (made on the fly by the server, never stored; 50 GB
   in all), ``--max-mb 60``, streamed and hashed: the peak memory of the checking process is printed
   with the bytes read. Target: bounded (it must not grow with the documents' size).

Each case runs in a fresh process (``--case``) so that its peak memory is its own. Prints the
figures; asserts nothing. The machine may be shared: read the figures with that in mind.

    .venv/bin/python benchmarks/bench_evidence.py [--links 10000] [--docs 1000] [--mb 50]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "inputs" / "2022" / "klaten"


def start_servers(ports: int, seconds: float = 1800):
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "evidence_server.py"), "--ports", str(ports),
                             "--seconds", str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    assert line and line[0] == "PORTS", line
    return proc, [int(p) for p in line[1:]]


def stop_servers(proc) -> int:
    proc.stdin.close()
    out = proc.stdout.read()
    proc.wait(timeout=30)
    return next((int(x.split()[1]) for x in out.splitlines() if x.startswith("REQUESTS")), -1)


def make_region(root: Path, urls) -> int:
    """The demo copied 20 times (1,000 bodies); 'ya' answers cite the next URL of ``urls`` (until
    they run out); the bodies' websites left empty. Returns the number of links written."""
    folder = root / "2022" / "klaten"
    folder.mkdir(parents=True)
    shutil.copy(DEMO / "region.yml", folder / "region.yml")
    used = 0
    for name in ("bodies", "saq", "verification", "website"):
        with open(DEMO / f"{name}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(rows[0] + (["evidence"] if name == "saq" else []))
            for k in range(20):
                for row in rows[1:]:
                    out = [f"{row[0]}-c{k}", *row[1:]]
                    if name == "bodies":
                        out[1], out[3] = f"{row[1]} ({k + 1})", ""
                    if name == "saq":
                        url = next(urls, "") if row[2] == "ya" else ""
                        used += bool(url)
                        out.append(url)
                    writer.writerow(out)
    return used


def case(kind: str, links: int, docs: int, mb: float) -> dict:
    sys.path.insert(0, str(ROOT))
    from kiprank.intake.evidence import EvidenceOptions
    from kiprank.runs.evidence import run_evidence

    ports = 25 if kind == "spread" else 1
    proc, port_list = start_servers(ports)
    tmp = Path(tempfile.mkdtemp(prefix="kiprank-bench-evidence-"))
    try:
        if kind == "memory":
            urls = iter(f"http://127.0.0.1:{port_list[0]}/gen/{i}.pdf?mb={mb:g}" for i in range(docs))
            options = EvidenceOptions(concurrency=50, per_host=50, max_bytes=int((mb + 10) * 1048576),
                                      timeout=600, allow_private=True)
        else:
            urls = iter(f"http://127.0.0.1:{port_list[i % ports]}/gen/{i}.pdf" for i in range(links))
            options = EvidenceOptions(concurrency=50, per_host=50 if kind == "one" else 2, timeout=60,
                                      allow_private=True)
        n = make_region(tmp / "in", urls)
        t0, c0 = time.perf_counter(), time.process_time()
        run = run_evidence(2022, "klaten", tmp / "in", tmp / "out", options)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        counts = run.check.counts()
        size = run.check.table["size"].dropna().astype("int64")
        served = stop_servers(proc)
        return {"case": kind, "links": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                "check_s": round(run.timings.get("check", 0), 2), "outputs_s": round(run.timings.get("outputs", 0), 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "ok": counts.get("ok", 0) + counts.get("duplicate", 0), "counts": counts,
                "bytes_read_gib": round(float(size[run.check.table["kind"] == "url"].sum()) / 1024 ** 3, 2),
                "server_requests": served}
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=1_000)
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--case", choices=["one", "spread", "memory"])
    args = parser.parse_args()
    if args.case:
        print(json.dumps(case(args.case, args.links, args.docs, args.mb)), flush=True)
        return
    print(f"load average before: {os.getloadavg()}")
    for kind, target in (("one", "10,000 links, --concurrency 50 --per-host 50, one server: target 60 s"),
                         ("spread", "10,000 links, --concurrency 50 --per-host 2, 25 servers: target 60 s"),
                         ("memory", f"{args.docs} x {args.mb:g} MB streamed: peak memory bounded")):
        out = subprocess.run([sys.executable, __file__, "--case", kind, "--links", str(args.links), "--docs",
                              str(args.docs), "--mb", str(args.mb)], capture_output=True, text=True)
        lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
        if out.returncode or not lines:
            print(f"{kind}: failed\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
            continue
        r = json.loads(lines[-1])
        print(f"{target}\n  {r['links']} links in {r['wall_s']} s wall ({r['cpu_s']} s CPU of the checking process), "
              f"{r['links'] / r['wall_s']:.0f} links/s (checking {r['check_s']} s, writing the outputs {r['outputs_s']} s); ok {r['ok']}; statuses {r['counts']}; "
              f"peak RSS {r['peak_rss_mib']} MiB; {r['bytes_read_gib']} GiB read; server saw {r['server_requests']} requests")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
