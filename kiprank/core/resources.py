"""Where the files that ship inside the package are: fonts, words, methodology presets, Typst and
HTML templates, notebooks, the site's static files. Every command finds them here, never in a
checkout, so a regular install (a wheel) holds everything it reads.

The folders are found through :mod:`importlib.resources` (the package's own location, wherever it
was installed) and must be real folders: Typst, nbconvert and Jupyter read them by path, so a
kiprank imported from a zip archive is refused with a message rather than failing later.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _package_dir() -> Path:
    root = files("kiprank")
    if not isinstance(root, Path):  # a zip import (zipimport, a zipped egg): no folders to hand to Typst
        raise ImportError(f"kiprank must be installed as files (pip install kiprank), not imported from {root}")
    return root.resolve()


PACKAGE_DIR = _package_dir()
FONTS_DIR = PACKAGE_DIR / "fonts"
WORDS_DIR = PACKAGE_DIR / "words"
PRESET_DIR = PACKAGE_DIR / "methodologies"
TYPST_DIR = PACKAGE_DIR / "typst"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
REPORT_TEMPLATE_DIR = TEMPLATES_DIR / "kiprank_report"
SITE_TEMPLATES_DIR = PACKAGE_DIR / "site" / "templates"
SITE_STATIC_DIR = PACKAGE_DIR / "site" / "static"
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
SCHEMAS_DIR = PACKAGE_DIR / "schemas"

# Every folder of data files above, relative to the package: what the wheel must hold (a test
# builds the wheel and checks each of them, and each file under them that git tracks, is in it).
DATA_DIRS = ("fonts", "words", "methodologies", "typst", "templates", "site/templates", "site/static",
             "notebooks", "schemas")


def notebook_path(name: str) -> Path:
    """``kiprank/notebooks/<name>``, the notebook a build runs; a ReportError (exit 3) when the
    install lacks it. Standard library only: the up-to-date check of a whole year uses it too."""
    from .errors import ReportError

    path = NOTEBOOKS_DIR / name
    if not path.is_file():
        raise ReportError("notebook", f"the notebook {name} was not found in the kiprank package ({NOTEBOOKS_DIR})")
    return path


def methodology_location(ref: str, base_dir: Path | None = None) -> Path:
    """The file a methodology reference names, existing or not: a preset id (``klaten-2022``) when
    such a preset ships, else a path, relative to ``base_dir`` (the region folder). Standard library
    only (:func:`kiprank.core.methodology.resolve_methodology_path` adds the checks and messages)."""
    preset = PRESET_DIR / f"{ref}.yml"
    if "/" not in ref and preset.is_file():
        return preset
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path
