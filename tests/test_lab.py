"""`make lab` starts JupyterLab on the package's notebooks, for root (Jupyter refuses root without
--allow-root, which the Makefile passes only then) and for any other user. Each run starts the real
server on 127.0.0.1 with a free port, asks it for the notebooks folder and the Lab page, and stops it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _lab(tmp: Path, user: str | None = None, make_args: list[str] = ()) -> tuple[str, dict, str]:
    """Run ``make lab`` (as ``user`` when given), wait for the server, fetch the notebook listing
    and /lab, stop it; returns (make's command line, the listing, the /lab page)."""
    token = secrets.token_hex(16)
    home = tmp / "home"
    home.mkdir()
    if user:
        shutil.chown(home, user)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV", "PYTHON"))}
    env.update({"HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"),
                "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTER_PLATFORM_DIRS": "1"})
    args = (f"LAB_ARGS=--no-browser --ip=127.0.0.1 --port=0 --ServerApp.token={token} "
            "--ServerApp.open_browser=False --LabApp.news_url=None --LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate")
    cmd = ["make", "--no-print-directory", "lab", args, *make_args]
    if user:
        cmd = ["runuser", "-u", user, "--", "env", *[f"{k}={v}" for k, v in env.items()], *cmd]
    log = tmp / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 180
        while url is None and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            found = re.search(r"http://127\.0\.0\.1:(\d+)/lab", log.read_text(errors="replace"))
            url = f"http://127.0.0.1:{found.group(1)}" if found else None
            time.sleep(0.5)
        text = log.read_text(errors="replace")
        assert url, f"JupyterLab did not start (exit {proc.poll()}):\n{text[-3000:]}"
        with urllib.request.urlopen(f"{url}/api/contents?token={token}", timeout=60) as r:
            listing = json.load(r)
        with urllib.request.urlopen(f"{url}/lab?token={token}", timeout=60) as r:
            page = r.read().decode("utf-8", "replace")
        command = next((line for line in text.splitlines() if "jupyter lab" in line), "")  # make's echo of it
        return command, listing, page
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _check(listing: dict, page: str) -> None:
    names = {item["name"] for item in listing["content"]}
    assert {"ranking_report.ipynb", "year_comparison.ipynb"} <= names, names
    assert "JupyterLab" in page


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_starts_jupyterlab_for_the_user_running_it(tmp_path):
    command, listing, page = _lab(tmp_path)
    assert ("--allow-root" in command) == IS_ROOT, command
    _check(listing, page)


SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(not IS_ROOT or shutil.which("runuser") is None or not Path(SYSTEM_PYTHON).is_file(),
                    reason="run as root (with runuser and /usr/bin/python3) to start JupyterLab as another user too")
def test_make_lab_starts_jupyterlab_for_a_user_who_is_not_root():
    """As the user nobody, with an environment that user can run (the checkout's .venv may use a
    Python under /root, which other users cannot read): make's install steps are up to date, so
    `make lab` only starts JupyterLab, without --allow-root."""
    tmp = Path(tempfile.mkdtemp(prefix="kiprank-lab-"))
    os.chmod(tmp, 0o777)
    try:
        venv = tmp / "venv"
        subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "jupyterlab>=4"], check=True, capture_output=True, timeout=900)
        for stamp in (".kiprank-installed", ".kiprank-lab-installed"):
            (venv / stamp).touch()
        readable = subprocess.run(["runuser", "-u", "nobody", "--", "test", "-r", str(ROOT / "Makefile")],
                                  capture_output=True)
        if readable.returncode != 0:
            pytest.skip(f"the user nobody cannot read {ROOT} (a checkout in a private folder)")
        command, listing, page = _lab(tmp, user="nobody", make_args=[f"VENV={venv}"])
        assert "--allow-root" not in command and str(venv) in command, command
        _check(listing, page)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
