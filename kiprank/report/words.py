"""The words of the reports: ``kiprank/words/report.<lang>.yml`` (ranking report) and
``compare.<lang>.yml`` (comparison report), loaded with :func:`kiprank.core.wording.words`. Edit the
YAML files to change a sentence; placeholders in braces are filled in by the content layer."""

from __future__ import annotations

from ..core.formatting import check_lang
from ..core.wording import words


def texts(lang: str = "id") -> dict[str, str]:
    """The ranking report's strings in ``lang`` (``id`` or ``en``)."""
    return words("report", check_lang(lang))


def compare_texts(lang: str = "id") -> dict:
    """The comparison report's strings in ``lang``."""
    return words("compare", check_lang(lang))


__all__ = ["texts", "compare_texts"]
