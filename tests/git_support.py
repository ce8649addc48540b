"""A scratch git checkout for the version tests: a first commit tagged as a release, then a later
commit changing the code."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@x", "PYTHONDONTWRITEBYTECODE": "1"}


class Checkout:
    """git in ``repo`` (a folder holding ``kiprank/`` and ``pyproject.toml``)."""

    def __init__(self, repo: Path):
        self.repo = repo

    def git(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True,
                              env=ENV)

    def release(self, tag: str) -> None:
        """Everything committed and tagged ``tag``."""
        self.git("init", "-q")
        self.git("add", ".")
        self.git("commit", "-q", "-m", "one")
        self.git("tag", tag)

    def later_commit(self) -> str:
        """A change to the code committed after the release; its short commit id."""
        (self.repo / "kiprank" / "x.py").write_text("x = 1\n")
        self.git("add", ".")
        self.git("commit", "-q", "-m", "two")
        return self.git("rev-parse", "--short=7", "HEAD").stdout.strip()
