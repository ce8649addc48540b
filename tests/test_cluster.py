"""``kiprank build --scheduler`` on a real Dask cluster: a scheduler and two workers started as
separate processes (``dask scheduler``, ``dask worker``) from another working directory, each
worker running a regular (non-editable) install of this kiprank, built from the source tree into a
folder of its own. Everything listens on 127.0.0.1 (ports chosen by the system).

During the build the test kills (SIGKILL) the worker building one region, once: Dask gives the job
to a worker again and every region is published complete (``kiprank verify`` passes). It also kills
the worker building region ``killme`` every time one starts it: the scheduler (started with
``allowed-failures`` 1) gives up after the second death, and the build reports the region as failed
instead of hanging. The killed workers' notebook kernels end with them; no staging folder is left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES

distributed = pytest.importorskip("distributed")  # test extra: kiprank[cluster]
psutil = pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UJI = FIXTURES / "report_region" / "2022" / "uji"
REGIONS = ("alpha", "beta", "gamma", "delta", "killme")
DATE = "2022-12-31"
BUILD_TIMEOUT = 900  # seconds, on a busy 2-core machine; the test fails (hung) past it


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """kiprank installed from a copy of the source tree into a folder of its own (pip, no editable
    install): what a worker machine has after ``pip install kiprank``."""
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    shutil.copytree(ROOT / "kiprank", src / "kiprank", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--target", str(site), str(src)], check=True, timeout=600, capture_output=True)
    assert (site / "kiprank" / "notebooks" / "ranking_report.ipynb").is_file()
    shutil.rmtree(src)  # the workers cannot fall back on it
    return site


class Cluster:
    """``dask scheduler`` and two ``dask worker`` processes (each with its nanny), in ``cwd``."""

    def __init__(self, cwd: Path, site: Path):
        self.cwd, self.procs = cwd, []
        self.file = cwd / "scheduler.json"
        env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
        scheduler_env = {**env, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                         "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
        self.start([BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", self.file], scheduler_env, "scheduler")
        deadline = time.monotonic() + 120
        while not self.file.is_file():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        for n in (1, 2):
            self.start([BIN / "dask", "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                        "--no-dashboard", "--name", f"w{n}"], env, f"worker{n}")

    def start(self, cmd, env, name):
        log = open(self.cwd / f"{name}.log", "wb")
        self.procs.append(subprocess.Popen([str(c) for c in cmd], cwd=self.cwd, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, installed):
    cwd = tmp_path_factory.mktemp("cluster-cwd")
    running = Cluster(cwd, installed)
    try:
        with distributed.Client(running.address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
            files = client.run(eval, "__import__('kiprank').__file__")
        assert len(files) == 2
        assert all(Path(f).is_relative_to(installed) for f in files.values()), files
        yield running
    finally:
        running.stop()


def staging_pids(outputs: Path, region: str) -> set[int]:
    """Process ids in the names of the region's staging folders (``.<region>.staging-<pid>-*``)."""
    folder = outputs / "2022"
    if not folder.is_dir():
        return set()
    found = set()
    for entry in os.listdir(folder):
        m = re.match(rf"\.{region}\.staging-(\d+)-", entry)
        if m:
            found.add(int(m.group(1)))
    return found


def test_build_on_a_cluster_survives_a_killed_worker(tmp_path, cluster):
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    for region in REGIONS:
        shutil.copytree(UJI, inputs / "2022" / region)
    builder = tmp_path / "builder"  # the build runs from a third folder
    builder.mkdir()
    build = subprocess.Popen([sys.executable, "-m", "kiprank.cli", "build", "--years", "2022",
                              "--inputs-root", str(inputs), "--outputs-root", str(outputs), "--date", DATE,
                              "--scheduler", cluster.address], cwd=builder, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    killed: dict[str, list[int]] = {"once": [], "killme": []}
    kernels: list[psutil.Process] = []
    deadline = time.monotonic() + BUILD_TIMEOUT

    def kill(pid: int) -> None:
        try:
            kernels.extend(psutil.Process(pid).children(recursive=True))  # its notebook kernel
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass

    while build.poll() is None:
        assert time.monotonic() < deadline, "the build hung"
        for pid in staging_pids(outputs, "killme") - set(killed["killme"]):
            killed["killme"].append(pid)
            kill(pid)
        if not killed["once"]:
            for region in REGIONS[:-1]:
                pids = staging_pids(outputs, region)
                if pids:
                    killed["once"] = [pids.pop()]
                    killed["region"] = region
                    kill(killed["once"][0])
                    break
        time.sleep(0.02)
    stdout, stderr = build.communicate()
    print(stdout, stderr, killed, sep="\n")

    assert killed["once"], "no worker was killed mid-build"
    assert len(killed["killme"]) == 2, "region killme: two tries, then given up"
    assert build.returncode == 1
    statuses = {cells[1]: cells[4] for cells in (re.split(r"\s*│\s*", line) for line in stdout.splitlines())
                if len(cells) >= 7 and cells[2] == "2022"}
    assert statuses == {**{r: "built" for r in REGIONS[:-1]}, "killme": "failed"}, statuses
    assert re.search(r"killme\s*│.*died, 2 times", stdout)
    for region in REGIONS[:-1]:
        folder = outputs / "2022" / region
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert {"report.pdf", "report.html", "report.ipynb", "ranking.csv"} <= set(manifest["outputs"])
        verify = subprocess.run([sys.executable, "-m", "kiprank.cli", "verify", str(folder)], capture_output=True,
                                text=True, timeout=600, cwd=builder)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not (outputs / "2022" / "killme").exists()
    assert sorted(os.listdir(outputs / "2022")) == sorted(REGIONS[:-1]), "no staging folder may remain"
    assert 'href="2022/alpha/report.pdf"' in (outputs / "index.html").read_text(encoding="utf-8")
    assert kernels, "the killed workers had notebook kernels"
    gone, alive = psutil.wait_procs(kernels, timeout=30)
    assert not alive, f"kernels of killed workers still run: {alive}"


def test_a_scheduler_that_is_not_there_is_a_usage_error(tmp_path):
    shutil.copytree(UJI, tmp_path / "inputs" / "2022" / "uji")
    proc = subprocess.run([sys.executable, "-m", "kiprank.cli", "build", "--years", "2022",
                           "--inputs-root", str(tmp_path / "inputs"), "--outputs-root", str(tmp_path / "outputs"),
                           "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr
    assert "Traceback" not in proc.stderr
