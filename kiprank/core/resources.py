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
