"""The wheel is the product: built from the committed sources, installed alone (no test extras)
into a fresh virtual environment, and every command run from a folder outside the checkout on the
demo inputs: score, report, compare, letters, robustness, forms, the demo returns and collect, diff,
site, and verify of everything published; then frictionless validates every datapackage.json.

An audit hook (``sitecustomize`` of the fresh environment, so it runs in kiprank's processes and in
the notebook kernels they start) records every file opened or folder listed inside the checkout:
there must be none. Marked ``wheel``; it takes a minute or two (most of it pip installing the
dependencies, from its cache after the first time).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kiprank.core.resources import DATA_DIRS

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
# what only the tests use: none of it may come with the wheel (nbclient does: papermill runs notebooks with it)
TEST_TOOLS = ("pytest", "nbval", "pymupdf", "playwright", "pyxform", "dask", "distributed",
              "frictionless", "build", "twine", "jupyterlab")

SITECUSTOMIZE = r'''
import os, sys
_root = os.environ.get("KIPRANK_TEST_CHECKOUT")
_log = os.environ.get("KIPRANK_TEST_OPEN_LOG")
if _root and _log:
    _root = os.path.realpath(_root) + os.sep
    _busy = [False]

    def _kiprank_test_hook(event, args):
        if _busy[0] or event not in ("open", "os.listdir", "os.scandir", "glob.glob"):
            return
        path = args[0] if args else None
        if not isinstance(path, (str, bytes, os.PathLike)):
            return
        _busy[0] = True
        try:
            full = os.path.realpath(os.fsdecode(path))
            if (full + os.sep).startswith(_root):
                with open(_log, "a", encoding="utf-8") as f:
                    f.write(f"{os.getpid()} {event} {full}\n")
        except Exception:
            pass
        finally:
            _busy[0] = False

    sys.addaudithook(_kiprank_test_hook)
'''


def _run(args, cwd, env=None, timeout=900):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the wheel test builds from the files git tracks: run it in a git checkout with git installed")
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    return [n for n in out.decode().split("\0") if n]


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """sdist and wheel built (isolated build, as pip would) from a copy of the tracked files, so the
    checkout gets no build/ or egg-info and an untracked file cannot sneak into the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    tracked = _tracked_files()
    for name in tracked:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    out = base / "dist"
    _run([sys.executable, "-m", "build", "--outdir", out, src], cwd=base)
    wheels, sdists = sorted(out.glob("kiprank-*.whl")), sorted(out.glob("kiprank-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0], "tracked": tracked, "base": base}


def test_twine_check_passes(dist):
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"]], cwd=dist["base"])
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_holds_every_package_file_git_tracks(dist):
    """Every file under kiprank/ (modules, notebooks, templates, words, presets, fonts, site files)
    is in the wheel, and each data folder of kiprank.core.resources has files there."""
    with zipfile.ZipFile(dist["wheel"]) as z:
        names = set(z.namelist())
    wanted = {n for n in dist["tracked"] if n.startswith("kiprank/")}
    missing = sorted(wanted - names)
    assert not missing, f"not in the wheel (pyproject's package-data): {missing}"
    for folder in DATA_DIRS:
        assert any(n.startswith(f"kiprank/{folder}/") for n in names), folder
    assert not [n for n in names if n.startswith(("tests/", "inputs/", "benchmarks/"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(dist["wheel"]) as z:
        requires = [ln for ln in z.read(metadata).decode().splitlines() if ln.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    for tool in TEST_TOOLS:
        assert not any(r.split()[1].lower().startswith(tool) for r in runtime), (tool, runtime)


@pytest.fixture(scope="module")
def installed(dist):
    """A fresh venv holding only the wheel and its runtime dependencies."""
    venv = dist["base"] / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=dist["base"])
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / ("python.exe" if os.name == "nt" else "python")
    _run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", dist["wheel"]], cwd=dist["base"],
         timeout=1800)
    purelib = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=dist["base"]).stdout.strip()
    Path(purelib, "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {"venv": venv, "bin": bindir, "python": py, "purelib": Path(purelib)}


def test_fresh_venv_has_no_test_tools(installed):
    listed = json.loads(_run([installed["python"], "-m", "pip", "list", "--format", "json"], cwd=installed["venv"]).stdout)
    names = {p["name"].lower() for p in listed}
    assert "kiprank" in names
    assert not names & set(TEST_TOOLS), sorted(names & set(TEST_TOOLS))


def test_every_command_runs_from_the_wheel_outside_the_checkout(installed, tmp_path):
    work = tmp_path / "work"
    inputs = work / "inputs"
    for year, region in ((2022, "klaten"), (2022, "klaten-xlsx"), (2018, "jateng"), (2019, "jateng")):
        shutil.copytree(ROOT / "inputs" / str(year) / region, inputs / str(year) / region,
                        ignore=shutil.ignore_patterns("collect"))
    log = tmp_path / "opened-in-checkout.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "KIPRANK_", "JUPYTER", "CONDA"))}
    env.update({"PATH": f"{installed['bin']}{os.pathsep}{env.get('PATH', '')}", "KIPRANK_TEST_CHECKOUT": str(ROOT),
                "KIPRANK_TEST_OPEN_LOG": str(log), "KIPRANK_LOG_DIR": str(tmp_path / "logs"),
                "JUPYTER_PLATFORM_DIRS": "1"})
    kiprank = installed["bin"] / ("kiprank.exe" if os.name == "nt" else "kiprank")

    where = _run([installed["python"], "-c", "import kiprank, kiprank.core.resources as r; print(kiprank.__file__); "
                  "print(r.NOTEBOOKS_DIR)"], cwd=work, env=env).stdout.split()
    assert all(Path(p).is_relative_to(installed["purelib"]) for p in where), where

    # the hook is live: a read from the checkout is recorded (then the log starts empty)
    _run([installed["python"], "-c", f"open({str(ROOT / 'README.md')!r}).close()"], cwd=work, env=env)
    assert str(ROOT / "README.md") in log.read_text(encoding="utf-8")
    log.unlink()

    steps = [
        [kiprank, "score", "--year", "2022", "--region", "klaten"],
        [kiprank, "report", "--year", "2022", "--region", "klaten"],
        [kiprank, "robustness", "--year", "2022", "--region", "klaten", "--draws", "200"],
        [kiprank, "letters", "--year", "2022", "--region", "klaten", "--certificates"],
        [kiprank, "score", "--year", "2018", "--region", "jateng"],
        [kiprank, "score", "--year", "2022", "--region", "klaten-xlsx"],
        [kiprank, "report", "--year", "2019", "--region", "jateng", "--lang", "en"],
        [kiprank, "compare", "--region", "jateng", "--years", "2018", "2019", "--focus", "kudus"],
        [kiprank, "forms", "--year", "2022", "--region", "klaten"],
        [installed["python"], "-m", "kiprank.intake.demo", "--year", "2022", "--region", "klaten"],
    ]
    for step in steps:
        _run(step, cwd=work, env=env)

    # the demo returns collected into a region holding only region.yml and bodies.csv give the demo ranking
    fresh = work / "returned" / "2022" / "klaten"
    fresh.mkdir(parents=True)
    for name in ("region.yml", "bodies.csv"):
        shutil.copy2(inputs / "2022" / "klaten" / name, fresh / name)
    proc = _run([kiprank, "collect", "--year", "2022", "--region", "klaten", "--inputs-root", "returned",
                 "outputs/demo-returns/2022/klaten"], cwd=work, env=env)
    assert "saq.csv" in proc.stdout
    _run([kiprank, "score", "--year", "2022", "--region", "klaten", "--inputs-root", "returned",
          "--outputs-root", "collected"], cwd=work, env=env)
    assert (work / "collected/2022/klaten/ranking.csv").read_bytes() == (work / "outputs/2022/klaten/ranking.csv").read_bytes()
    assert "OK" in _run([kiprank, "verify", "collected/2022/klaten"], cwd=work, env=env).stdout

    # a correction: one answer changed in the collected inputs, scored again, and the difference published
    saq = fresh / "saq.csv"
    saq.write_text(saq.read_text(encoding="utf-8").replace(",ya", ",tidak", 3), encoding="utf-8")
    _run([kiprank, "score", "--year", "2022", "--region", "klaten", "--inputs-root", "returned",
          "--outputs-root", "corrected"], cwd=work, env=env)
    _run([kiprank, "diff", "outputs/2022/klaten", "corrected/2022/klaten", "--output", "corrections"], cwd=work, env=env)
    assert len((work / "corrections/corrections.csv").read_text(encoding="utf-8").splitlines()) > 1

    _run([kiprank, "site"], cwd=work, env=env)
    outputs = work / "outputs"
    for folder in ("2022/klaten", "2022/klaten-xlsx", "2018/jateng", "2019/jateng", "compare/jateng_2018-2019",
                   "2022/klaten/forms", "site", "../corrected/2022/klaten", "../corrections"):
        proc = _run([kiprank, "verify", outputs / folder], cwd=work, env=env)
        assert "OK" in proc.stdout, proc.stdout

    klaten = outputs / "2022" / "klaten"
    for name in ("report.pdf", "report.html", "robustness.csv", "letters/all.pdf"):
        assert (klaten / name).stat().st_size > 0, name
    assert (outputs / "compare/jateng_2018-2019/comparison.pdf").stat().st_size > 0
    assert (outputs / "site/2022/klaten/index.html").is_file()
    for html in (klaten / "report.html", outputs / "compare/jateng_2018-2019/comparison.html"):
        text = html.read_text(encoding="utf-8")
        assert "file:" not in text and str(installed["venv"]) not in text, html

    # every data package published (runs, comparison, corrections, and the copies on the site) validates
    from frictionless import validate

    packages = sorted(work.rglob("datapackage.json"))
    where = {p.parent.relative_to(work).as_posix() for p in packages}
    assert where >= {"outputs/2022/klaten", "outputs/2022/klaten-xlsx", "outputs/2018/jateng", "outputs/2019/jateng",
                     "outputs/compare/jateng_2018-2019", "collected/2022/klaten", "corrected/2022/klaten", "corrections",
                     "outputs/site/2022/klaten", "outputs/site/compare/jateng_2018-2019"}, where
    for package in packages:
        report = validate(str(package))
        assert report.valid, (package, report.flatten(["type", "note"])[:5])
    names = {r["path"] for r in json.loads((klaten / "datapackage.json").read_text(encoding="utf-8"))["resources"]}
    assert names == {"ranking.csv", "indicators.csv", "robustness.csv", "sensitivity.csv"}

    opened = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    assert not opened, "read from the checkout:\n" + "\n".join(opened[:20])
