"""The words kiprank prints: one YAML file per kind of document and language, in ``kiprank/words/``
(``report.id.yml``, ``report.en.yml``, ``letters.id.yml`` ...), so that an editor at a commission
can change a sentence without touching Python. Placeholders use ``str.format`` names
(``{region}``, ``{year}``); numbers are formatted before they are filled in.
"""

from __future__ import annotations

from functools import lru_cache

from .yamlfile import load_yaml

from .resources import WORDS_DIR  # noqa: E402
LANGUAGES = ("id", "en")


@lru_cache(maxsize=None)
def words(kind: str, lang: str = "id") -> dict[str, str]:
    """The texts of ``kind`` (e.g. ``"report"``) in ``lang``; every key of the Indonesian file must
    exist in the other languages (checked by the tests, so a missing sentence never reaches print)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (choose from {', '.join(LANGUAGES)})")
    path = WORDS_DIR / f"{kind}.{lang}.yml"
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of text keys to sentences")
    return data
