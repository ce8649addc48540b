"""The running kiprank's identity: its version (from the package metadata, which setuptools-scm
derives from git: a release tag ``v1.2.0`` gives ``1.2.0``, a commit after it a development
version such as ``1.2.1.dev3+g1a2b3c4``) and a hash of its own files (code, words, templates,
presets, fonts, notebooks), which changes with any edit even when the version does not (an
editable install keeps the version it was installed with)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from .resources import PACKAGE_DIR

try:
    __version__ = version("kiprank")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """SHA-256 over the package's own files (relative path and content of each; compiled
    ``__pycache__`` files and hidden files left out)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        rel = path.relative_to(PACKAGE_DIR)
        if not path.is_file() or "__pycache__" in rel.parts or any(p.startswith(".") for p in rel.parts) \
                or path.suffix in (".pyc", ".pyo"):
            continue
        digest.update(rel.as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
