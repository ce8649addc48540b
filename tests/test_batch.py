"""Batch builds (``kiprank build``): parallel jobs, one failing region, incremental skips, --force,
the static index, retries of kernel failures, and the same jobs on a Dask LocalCluster.

The end-to-end tests build real reports of small copies of tests/fixtures/report_region (10 bodies
each) and share one inputs/outputs tree, in the order they are written (each builds on the state
the previous one left). Timings are printed by the command but never asserted; timeouts are
generous for a busy 2-core machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES

from kiprank.core.resources import PRESET_DIR, notebook_path
from kiprank.runs import index, kernel_slots, plan, pool, staleness, workers
from kiprank.cli import main
from kiprank.core.errors import InputProblem, InputValidationError, ReportError, UsageError

UJI = FIXTURES / "report_region" / "2022" / "uji"
DATE = "2022-12-31"
TIMEOUT = 900  # seconds for one build command on a busy machine


def copy_region(inputs_root: Path, region: str, year: int = 2022) -> Path:
    folder = inputs_root / str(year) / region
    shutil.copytree(UJI, folder)
    return folder


def break_region(folder: Path) -> None:
    """An answer that is not allowed: the region fails validation (exit 2 of `kiprank report`)."""
    saq = folder / "saq.csv"
    lines = saq.read_text(encoding="utf-8").splitlines()
    head, first, rest = lines[0], lines[1].rsplit(",", 1)[0] + ",mungkin", lines[2:]
    saq.write_text("\n".join([head, first, *rest]) + "\n", encoding="utf-8")


def kiprank(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kiprank.cli", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=cwd, env={**os.environ, "COLUMNS": "200"})
    print(proc.stdout, proc.stderr, sep="\n")
    return proc


def build(tree, *extra: str) -> subprocess.CompletedProcess:
    return kiprank("build", "--years", "2022", "--inputs-root", str(tree["inputs"]),
                   "--outputs-root", str(tree["outputs"]), "--date", DATE, *extra)


def status_of(stdout: str) -> dict[str, str]:
    """region -> status from the summary table."""
    out = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) >= 7 and cells[2] == "2022":
            out[cells[1]] = cells[4]
    return out


# -- end to end ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    inputs = root / "inputs"
    copy_region(inputs, "alpha")
    copy_region(inputs, "beta")
    break_region(copy_region(inputs, "rusak"))
    return {"root": root, "inputs": inputs, "outputs": root / "outputs"}


@pytest.fixture(scope="module")
def first_build(tree):
    return build(tree, "--jobs", "2")


def test_parallel_build_one_region_fails_the_others_are_published(tree, first_build):
    assert first_build.returncode == 1
    assert status_of(first_build.stdout) == {"alpha": "built", "beta": "built", "rusak": "failed"}
    # the failure's short reason: the first line of the error (and its first problem)
    assert "1 problem(s) in the inputs:" in first_build.stdout
    assert "mungkin" in first_build.stdout
    for region in ("alpha", "beta"):
        folder = tree["outputs"] / "2022" / region
        for name in ("report.pdf", "report.html", "report.ipynb", "ranking.csv", "manifest.json"):
            assert (folder / name).is_file(), name
        assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert {"report.pdf", "report.html"} <= set(manifest["outputs"])
    assert not (tree["outputs"] / "2022" / "rusak").exists()
    assert not list((tree["outputs"] / "2022").glob(".*"))  # no staging folders left behind


def test_index_lists_the_built_reports_with_links(tree, first_build):
    text = (tree["outputs"] / "index.html").read_text(encoding="utf-8")
    for region in ("alpha", "beta"):
        assert f'href="2022/{region}/report.pdf"' in text
        assert f'href="2022/{region}/report.html"' in text
    assert "rusak" not in text
    # band counts, in the order of the methodology (klaten-2022), with the region's title
    assert "Informatif" in text and "Tidak Informatif" in text
    assert "Kabupaten Uji" in text
    assert text.index(">Informatif<") < text.index(">Tidak Informatif<")


def test_an_index_html_of_someone_else_is_never_overwritten(tree, first_build):
    """kiprank never overwrites a file it did not create: a page of the user's own at
    <outputs>/index.html stays, and build names why the index was not written (the reports are
    published; exit 0). Once the page is moved away, the index is written again."""
    index = tree["outputs"] / "index.html"
    ours = index.read_bytes()
    try:
        index.write_text("<html><body>Halaman kami sendiri</body></html>\n", encoding="utf-8")
        proc = build(tree, "--regions", "alpha", "beta")
        assert proc.returncode == 0, proc.stderr
        assert index.read_text(encoding="utf-8") == "<html><body>Halaman kami sendiri</body></html>\n"
        said = " ".join(proc.stderr.split())
        assert "index.html is not an index written by kiprank" in said and "index: not written" in proc.stdout
        index.unlink()
        index.symlink_to(tree["outputs"] / "2022" / "alpha" / "ranking.csv")
        proc = build(tree, "--regions", "alpha", "beta")
        assert proc.returncode == 0 and "a symbolic link" in " ".join(proc.stderr.split())
        assert index.is_symlink()
    finally:
        index.unlink(missing_ok=True)
        index.write_bytes(ours)
    proc = build(tree, "--regions", "alpha", "beta")
    assert proc.returncode == 0 and "index: not written" not in proc.stdout


def test_nothing_changed_skips_every_region(tree, first_build):
    pdf = tree["outputs"] / "2022" / "alpha" / "report.pdf"
    before = pdf.stat().st_mtime_ns
    proc = build(tree, "--regions", "alpha", "beta")
    assert proc.returncode == 0
    assert status_of(proc.stdout) == {"alpha": "up to date", "beta": "up to date"}
    assert "0 built, 2 up to date, 0 failed" in proc.stdout
    assert pdf.stat().st_mtime_ns == before
    # the broken region never built: it is tried again (and fails again), the others are skipped
    proc = build(tree)
    assert proc.returncode == 1
    assert status_of(proc.stdout) == {"alpha": "up to date", "beta": "up to date", "rusak": "failed"}


def test_changed_input_rebuilds_that_region_only(tree, first_build):
    alpha_in = tree["inputs"] / "2022" / "alpha"
    beta_pdf = tree["outputs"] / "2022" / "beta" / "report.pdf"
    before = beta_pdf.stat().st_mtime_ns
    os.utime(alpha_in / "bodies.csv")  # a touch that does not change the content: still up to date
    (alpha_in / "README.md").write_text("notes, not an input\n", encoding="utf-8")
    proc = build(tree, "--regions", "alpha", "beta")
    assert status_of(proc.stdout) == {"alpha": "up to date", "beta": "up to date"}

    bodies = alpha_in / "bodies.csv"
    bodies.write_text(bodies.read_text(encoding="utf-8").replace("Dinas Perhubungan", "Dinas Perhubungan Baru"),
                      encoding="utf-8")
    proc = build(tree, "--regions", "alpha", "beta")
    assert proc.returncode == 0
    assert status_of(proc.stdout) == {"alpha": "built", "beta": "up to date"}
    assert "Dinas Perhubungan Baru" in (tree["outputs"] / "2022" / "alpha" / "report.html").read_text(encoding="utf-8")
    assert beta_pdf.stat().st_mtime_ns == before


def test_force_rebuilds_all_and_a_warm_kernel_gives_the_same_report(tree, first_build):
    # one worker builds both reports: beta runs in the kernel alpha's report ran in
    proc = build(tree, "--regions", "alpha", "beta", "--force", "--jobs", "1")
    assert proc.returncode == 0
    assert status_of(proc.stdout) == {"alpha": "built", "beta": "built"}
    single = tree["root"] / "single"
    proc = kiprank("report", "--year", "2022", "--region", "beta", "--inputs-root", str(tree["inputs"]),
                   "--outputs-root", str(single), "--date", DATE)
    assert proc.returncode == 0
    batch_html = (tree["outputs"] / "2022" / "beta" / "report.html").read_bytes()
    assert batch_html == (single / "2022" / "beta" / "report.html").read_bytes()


def test_dask_local_cluster_runs_the_same_jobs(tree, first_build):
    distributed = pytest.importorskip("distributed")
    outputs = tree["root"] / "dask-outputs"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as cluster:
        proc = kiprank("build", "--years", "2022", "--regions", "alpha", "rusak",
                       "--inputs-root", str(tree["inputs"]), "--outputs-root", str(outputs), "--date", DATE,
                       "--scheduler", cluster.scheduler_address)
    assert proc.returncode == 1
    assert status_of(proc.stdout) == {"alpha": "built", "rusak": "failed"}
    assert (outputs / "2022" / "alpha" / "report.pdf").is_file()
    assert 'href="2022/alpha/report.pdf"' in (outputs / "index.html").read_text(encoding="utf-8")


# -- pieces --------------------------------------------------------------------------------------

def test_years_and_regions_take_several_values(monkeypatch):
    import kiprank.cli.documents as cli

    seen = []
    monkeypatch.setattr(plan, "plan_jobs", lambda years, regions, *a, **k: seen.append((years, regions)) or [])
    monkeypatch.setattr(cli, "build_with_progress", lambda *a: __import__("kiprank.runs.batch").runs.batch.BatchResult())
    for args in (["--years", "2018", "2019", "--regions", "a", "b", "--jobs", "1"],
                 ["--year", "2018", "--year", "2019", "--region", "a", "--region", "b"],
                 ["--years=2018,2019", "--regions", "a,b", "--force"]):
        result = CliRunner().invoke(main, ["build", *args])
        assert result.exit_code == 0, result.output
    assert seen == [((2018, 2019), ("a", "b"))] * 3


def test_plan_jobs_folders_and_usage_errors(tmp_path):
    inputs = tmp_path / "inputs"
    copy_region(inputs, "b")
    copy_region(inputs, "a")
    (inputs / "2022" / ".hidden").mkdir()
    jobs = plan.plan_jobs([2022], (), inputs, tmp_path / "out")
    assert [j.region for j in jobs] == ["a", "b"]
    assert all(Path(j.inputs_root).is_absolute() and Path(j.outputs_root).is_absolute() for j in jobs)
    assert [j.region for j in plan.plan_jobs([2022], ["b"], inputs, tmp_path / "out")] == ["b"]
    with pytest.raises(UsageError, match="2023"):
        plan.plan_jobs([2023], (), inputs, tmp_path / "out")
    with pytest.raises(UsageError, match="nowhere"):
        plan.plan_jobs([2022], ["nowhere"], inputs, tmp_path / "out")
    with pytest.raises(UsageError):
        plan.plan_jobs([2022], ["../2022/a"], inputs, tmp_path / "out")


def fake_report_run(tmp_path, lang="id"):
    """A region and an outputs folder with the manifest a report build writes (kiprank.runs.manifest)."""
    from kiprank.core.inputs import load_region
    from kiprank.runs.manifest import add_outputs, build_manifest, write_manifest

    inputs_root = tmp_path / "inputs"
    copy_region(inputs_root, "uji")
    folder = tmp_path / "outputs" / "2022" / "uji"
    folder.mkdir(parents=True)
    for name in ("report.pdf", "report.html", "ranking.csv"):
        (folder / name).write_text(f"{name}\n", encoding="utf-8")
    manifest = build_manifest(load_region(2022, "uji", inputs_root), "report",
                              {"year": 2022, "region": "uji", "lang": lang, "report_date": DATE},
                              notebook_path("ranking_report.ipynb"))
    write_manifest(add_outputs(manifest, folder, ["report.pdf", "report.html", "ranking.csv"]), folder)
    job = plan.Job(2022, "uji", str(inputs_root), str(tmp_path / "outputs"), lang)
    return job, inputs_root / "2022" / "uji", folder


def test_stale_reasons_from_the_manifest(tmp_path):
    job, inputs, outputs = fake_report_run(tmp_path)
    assert staleness.check_job(job) is None
    assert staleness.check_job(plan.Job(2022, "uji", job.inputs_root, job.outputs_root, "en")) == "language id -> en"
    assert staleness.check_job(plan.Job(2022, "uji", job.inputs_root, job.outputs_root, "id", DATE)) is None
    assert "report date" in staleness.check_job(plan.Job(2022, "uji", job.inputs_root, job.outputs_root, "id",
                                                      "2023-01-01"))
    (inputs / "README.md").write_text("not an input\n", encoding="utf-8")
    (inputs / "~$inputs.xlsx").write_text("an Excel lock file\n", encoding="utf-8")
    assert staleness.check_job(job) is None
    (inputs / "presentasi.csv").write_text("body_id,score\n", encoding="utf-8")
    assert staleness.check_job(job) == "new input file: presentasi.csv"
    (inputs / "presentasi.csv").unlink()
    saq = inputs / "saq.csv"
    saq.write_bytes(saq.read_bytes() + b"\n")
    assert staleness.check_job(job) == "input changed: saq.csv"

    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    current = staleness.current_fingerprint(2022, "uji", job.inputs_root)
    assert staleness.stale_reason(None, current) == "not built yet"
    assert staleness.stale_reason({**manifest, "kiprank_version": "0.0.1"}, current).startswith("kiprank version")
    assert staleness.stale_reason({**manifest, "libraries": {"pandas": "0.1"}}, current).startswith("library")
    assert staleness.stale_reason({**manifest, "notebook": {"sha256": "0"}}, current) == "notebook changed"
    assert staleness.stale_reason({**manifest, "methodology": {**manifest["methodology"], "sha256": "0"}},
                              current) == "methodology changed"
    assert staleness.stale_reason({**manifest, "outputs": {"ranking.csv": "0"}}, current) == "no report in the last run"
    odd = {"outputs": manifest["outputs"], "kiprank_version": manifest["kiprank_version"],
           "code_sha256": manifest["code_sha256"], "notebook": manifest["notebook"]}  # no methodology
    assert staleness.stale_reason(odd, current).startswith("manifest not understood")
    (outputs / "report.pdf").write_text("tampered\n", encoding="utf-8")
    assert staleness.stale_reason(manifest, current, folder=outputs) == "output changed or missing: report.pdf"


def test_fingerprint_of_a_broken_region_never_matches(tmp_path):
    job, inputs, outputs = fake_report_run(tmp_path)
    (inputs / "region.yml").write_text("methodology: [unclosed\n", encoding="utf-8")
    assert staleness.current_fingerprint(2022, "uji", job.inputs_root)["methodology"] is None
    assert staleness.check_job(job) is not None


def test_up_to_date_check_finds_the_methodology_the_build_loads(tmp_path):
    """The light check (no pydantic) and the loader resolve a reference with one function; the
    fingerprint names the file the build loads: a preset, a file beside region.yml, an absolute path."""
    from kiprank.core.methodology import resolve_methodology_path

    inputs = tmp_path / "inputs"
    folder = copy_region(inputs, "uji")
    own = folder / "own.yml"
    own.write_text((PRESET_DIR / "klaten-2022.yml").read_text(encoding="utf-8"), encoding="utf-8")
    region_yml = folder / "region.yml"
    text = region_yml.read_text(encoding="utf-8")
    for ref in ("klaten-2022", "own.yml", str(own)):
        region_yml.write_text(re.sub(r"(?m)^methodology:.*$", f"methodology: {ref}", text), encoding="utf-8")
        current = staleness.current_fingerprint(2022, "uji", inputs)
        assert current["methodology"]["path"] == str(resolve_methodology_path(ref, folder))
    region_yml.write_text(re.sub(r"(?m)^methodology:.*$", "methodology: no-such-preset", text), encoding="utf-8")
    assert staleness.current_fingerprint(2022, "uji", inputs)["methodology"] is None


def test_index_escapes_text_and_orders_bands(tmp_path):
    folder = tmp_path / "2021" / "<b>x"
    folder.mkdir(parents=True)
    (folder / "ranking.csv").write_text(
        "group,rank,body_id,name,status,final,band,notes\n"
        "g,1,a,A,Dinilai,95.0,Baik & <Sekali>,\n"
        "g,2,b,B,Dinilai,50.0,Kurang,\n"
        "g,2,c,C,Dinilai,40.0,Kurang,\n", encoding="utf-8")
    (folder / "report.pdf").write_bytes(b"%PDF-1.7\n")
    (folder / "manifest.json").write_text(json.dumps({"fingerprint": "<script>", "inputs_folder": str(tmp_path)}),
                                          encoding="utf-8")
    (tmp_path / "region.yml").write_text("title: 'Kota <i>Uji</i> & Co'\n", encoding="utf-8")
    (tmp_path / "compare").mkdir()  # not a year: ignored
    path = index.write_index(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "&lt;b&gt;x" in text and "<b>x" not in text
    assert "Kota &lt;i&gt;Uji&lt;/i&gt; &amp; Co" in text
    assert 'href="2021/%3Cb%3Ex/report.pdf"' in text
    assert "report.html" not in text  # only files that exist are linked
    assert text.index("Baik &amp; &lt;Sekali&gt;") < text.index("Kurang")
    assert re.search(r'<span class="n">2</span>Kurang', text)
    assert not list(tmp_path.glob(".index-*"))


class _Dummy:
    km = None
    reports = 0


def test_retry_once_when_the_kernel_dies_but_not_on_notebook_errors(tmp_path, monkeypatch):
    from kiprank.runs import report as reportbuild

    job, inputs, outputs = fake_report_run(tmp_path)
    calls = []
    monkeypatch.setattr(kernel_slots, "thread_kernel", lambda: _Dummy())
    monkeypatch.setattr(kernel_slots, "discard_thread_kernel", lambda: calls.append("discard"))

    def dies_once(*args, **kwargs):
        calls.append(kwargs["execution_timeout"])
        if calls.count(600.0) == 1:
            try:
                raise RuntimeError("Kernel died before replying to kernel_info")
            except RuntimeError as exc:
                raise ReportError("notebook", f"RuntimeError: {exc}") from exc

    monkeypatch.setattr(reportbuild, "build_report", dies_once)
    result = workers.run_job(job)
    assert (result.status, result.attempts) == ("built", 2)
    assert calls == [600.0, "discard", 600.0]
    assert result.bodies == 0  # the fake ranking.csv has a header only

    def cell_error(*args, **kwargs):
        calls.append("cell")
        try:
            raise RuntimeError("raised by the notebook's code")
        except RuntimeError:
            raise ReportError("notebook", "cell 3 (`rep = ...`): ValueError: boom") from None

    calls.clear()
    monkeypatch.setattr(reportbuild, "build_report", cell_error)
    result = workers.run_job(job)
    assert (result.status, result.attempts, result.reason) == (
        "failed", 1, "report step 'notebook' failed: cell 3 (`rep = ...`): ValueError: boom")
    assert calls == ["cell", "discard"]

    def bad_inputs(*args, **kwargs):
        raise InputValidationError([InputProblem("saq.csv", 3, "answer", "answer 'x' is not allowed"),
                                    InputProblem("saq.csv", 4, "answer", "answer 'y' is not allowed")])

    monkeypatch.setattr(reportbuild, "build_report", bad_inputs)
    result = workers.run_job(job)
    assert (result.status, result.attempts) == ("failed", 1)
    assert result.reason == "2 problem(s) in the inputs: saq.csv, row 3, column 'answer': answer 'x' is not allowed"


def test_a_dead_warm_kernel_is_replaced():
    import asyncio

    kernel = kernel_slots.thread_kernel()
    try:
        kernel.reports = 1
        asyncio.run(kernel.km.shutdown_kernel(now=True))  # as if it had died
        fresh = kernel_slots.thread_kernel()
        assert fresh is not kernel and fresh.km is not None and fresh.client is not None
        fresh.reports = 1
        assert kernel_slots.thread_kernel() is fresh  # alive: reset and reused
    finally:
        kernel_slots.discard_thread_kernel()
        kernel.shutdown()
    assert kernel_slots.current_slot().kernel is None


def test_chunk_sizes_cover_every_job_and_end_with_single_jobs():
    for n in range(1, 80):
        for n_workers in (1, 2, 3, 8):
            sizes = pool.chunk_sizes(n, n_workers)
            assert sum(sizes) == n and all(s >= 1 for s in sizes)
            assert sizes == sorted(sizes, reverse=True)
            assert sizes[-1] == 1
    assert pool.chunk_sizes(35, 2) == [9, 7, 5, 4, 3, 2, 2, 1, 1, 1]


def test_run_jobs_overlaps_jobs_and_keeps_their_order(monkeypatch):
    """The next job starts once the previous one's notebook has run (not before), at most two
    jobs are under way, and the results come in the order of the jobs."""
    events, lock = [], threading.Lock()
    running, b_started = [], threading.Event()

    def fake_run_job(job, stale="", notebook_done=None):
        with lock:
            running.append(job.region)
            assert len(running) <= 2
            events.append(("start", job.region))
        if job.region == "b":
            b_started.set()
        time.sleep(0.02)
        with lock:
            events.append(("notebook", job.region))
        if job.region != "c":  # "c" fails before its notebook ran: the next job still starts
            notebook_done()
        if job.region == "a":
            b_started.wait(10)  # a's HTML/PDF step overlaps b's start
        time.sleep(0.05)
        with lock:
            running.remove(job.region)
            events.append(("end", job.region))
        status = plan.STATUS_FAILED if job.region == "c" else plan.STATUS_BUILT
        return plan.JobResult(job.year, job.region, status, 0.0, str(job.output_folder), stale=stale)

    monkeypatch.setattr(workers, "run_job", fake_run_job)
    jobs = [(plan.Job(2022, r, "/in", "/out"), "s") for r in "abcde"]
    results = workers.run_jobs(jobs)
    assert [r.region for r in results] == list("abcde")
    assert [r.status for r in results].count(plan.STATUS_FAILED) == 1
    for before, after in zip("abcd", "bcde"):
        assert events.index(("notebook", before)) < events.index(("start", after))
    assert events.index(("start", "b")) < events.index(("end", "a"))  # b started while a was finishing


def test_short_reason():
    assert workers.short_reason(UsageError("no input folder x\nmore")) == "no input folder x"
    assert workers.short_reason(ValueError("bad\nworse")) == "ValueError: bad"
    assert workers.short_reason(KeyError()) == "KeyError"
