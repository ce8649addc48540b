"""The running kiprank's identity: its version (setuptools-scm's, from git: a release tag
``v1.2.0`` gives ``1.2.0``, a commit after it a development version such as
``1.2.1.dev3+g1a2b3c4``; read from the checkout itself when kiprank runs from one, else from the
package metadata) and a hash of its own files (code, words, templates, presets, fonts,
notebooks), which changes with any edit even when the version does not."""

from __future__ import annotations

import hashlib
import tomllib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from .resources import PACKAGE_DIR


def _running_version() -> str:
    """The version of the code that is running. From a git checkout (an editable install or a
    source tree) it is setuptools-scm's version of the checkout as it is now, with the project's
    own ``[tool.setuptools_scm]`` settings: the installed metadata of an editable install keeps
    the version of the commit it was installed at, so a document would name a version whose code
    did not build it. Elsewhere (a wheel, or setuptools-scm not installed) it is the metadata."""
    root = PACKAGE_DIR.parent
    if (root / ".git").exists() and (root / "pyproject.toml").is_file():
        try:
            from setuptools_scm import get_version
        except ImportError:
            pass
        else:
            settings = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
            try:
                return get_version(root=str(root), **settings.get("tool", {}).get("setuptools_scm", {}))
            except LookupError:  # no version from git (and no fallback): the metadata says it
                pass
    try:
        return version("kiprank")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+unknown"


__version__ = _running_version()


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
