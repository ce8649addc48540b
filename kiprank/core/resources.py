"""Where the files that ship inside the package are: fonts, words, methodology presets, Typst and
HTML templates, notebooks, the site's static files. Every command finds them here, never in a
checkout, so a regular install (a wheel) holds everything it reads."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FONTS_DIR = PACKAGE_DIR / "fonts"
WORDS_DIR = PACKAGE_DIR / "words"
PRESET_DIR = PACKAGE_DIR / "methodologies"
TYPST_DIR = PACKAGE_DIR / "typst"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
SITE_TEMPLATES_DIR = PACKAGE_DIR / "site" / "templates"
SITE_STATIC_DIR = PACKAGE_DIR / "site" / "static"
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
