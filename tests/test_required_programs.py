"""KIPRANK_REQUIRE: in CI (.ci/run sets ``KIPRANK_REQUIRE=browser,libreoffice``) a test that needs
Chromium or LibreOffice fails instead of skipping, so a missing program cannot hide."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXAMPLE = '''
import pytest

@pytest.mark.needs("libreoffice")
@pytest.mark.skipif(True, reason="LibreOffice is not installed")
def test_saved_again_by_libreoffice():
    pass

@pytest.mark.needs("browser")
def test_in_a_browser():
    pytest.skip("no chromium")

def test_other():
    pytest.skip("not needed")
'''


def run(tmp_path, require: str | None) -> str:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "KIPRANK_REQUIRE"}
    if require is not None:
        env["KIPRANK_REQUIRE"] = require
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    return done.stdout + done.stderr


def test_skips_are_skips_without_the_variable(tmp_path):
    assert "3 skipped" in run(tmp_path, None)


def test_a_required_program_that_skips_fails(tmp_path):
    out = run(tmp_path, "browser,libreoffice")
    assert "1 failed, 1 skipped, 1 error" in out, out  # a skipif in set-up counts as an error
    assert "needs LibreOffice (soffice) and was skipped (LibreOffice is not installed)" in out
    assert "needs Chromium driven by Playwright and was skipped (no chromium)" in out
    assert "1 failed, 2 skipped" in run(tmp_path, "browser")
    assert "2 skipped, 1 error" in run(tmp_path, "libreoffice")


def test_an_unknown_requirement_is_an_error(tmp_path):
    assert "unknown ['chrome']" in run(tmp_path, "chrome")


def test_ci_requires_both():
    script = (HERE.parent / ".ci" / "run").read_text()
    assert "export KIPRANK_REQUIRE=browser,libreoffice" in script
    assert "chromium" in script and "libreoffice" in script
