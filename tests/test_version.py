"""The version a document names is the version of the code that built it: run from a git checkout
(an editable install), kiprank asks setuptools-scm about the checkout as it is now, not the
installed metadata, which an editable install keeps from the commit it was installed at."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from git_support import ENV, Checkout

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_names_its_own_commit_not_the_installed_one(tmp_path):
    pytest.importorskip("setuptools_scm")
    repo = tmp_path / "checkout"
    shutil.copytree(REPO / "kiprank", repo / "kiprank", ignore=shutil.ignore_patterns("__pycache__", "fonts"))
    shutil.copy(REPO / "pyproject.toml", repo / "pyproject.toml")
    checkout = Checkout(repo)

    def running():
        out = subprocess.run([sys.executable, "-c", "import kiprank.core.version as v; print(v.__file__); "
                              "print(v.__version__)"], cwd=repo, check=True, capture_output=True, text=True, env=ENV)
        where, version = out.stdout.split()
        assert Path(where).is_relative_to(repo), where  # the copy ran, not the installed package
        return version

    checkout.release("v3.4.0")
    assert running() == "3.4.0"
    commit = checkout.later_commit()
    later = running()
    assert later.startswith("3.4.1.dev1+g") and commit in later, later
    (repo / "kiprank" / "x.py").write_text("x = 2\n")  # an edit not committed yet is marked
    assert running().startswith(f"3.4.1.dev1+g{commit}") and running() != later
