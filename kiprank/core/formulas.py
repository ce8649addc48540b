"""The formula guard: text that a spreadsheet would run as a formula never reaches a CSV or
workbook cell as one. One rule, used by every writer (:mod:`kiprank.core.export`), by collect (ids
it refuses) and, in reverse, by every reader of kiprank's CSV files (the site, corrections).

A text is formula-like when it starts, after any spaces (plain, no-break or full-width), with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed, or the full-width forms
``＝``, ``＋``, ``－``, ``＠`` (spreadsheets in East Asian locales read those as the plain ones).
In a CSV such a text gets a leading ``'`` (shown, not run); :func:`unguard` takes exactly that
``'`` off again. Standard library only, so that light readers (the site) can use it.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_SPACES = " \u00a0\u3000"


def is_formula(text) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula (see the module docstring)."""
    return isinstance(text, str) and (text.startswith(FORMULA_START) or text.lstrip(_SPACES).startswith(FORMULA_START))


def safe_text(value):
    """Neutralise a formula-like text (CSV injection): ``=SUM(A1)`` -> ``'=SUM(A1)``, shown, not
    run. Anything else (other text, numbers, None) is returned as it is."""
    return "'" + value if is_formula(value) else value


def unguard(text: str) -> str:
    """Undo :func:`safe_text` (``'=SUM(A1)`` -> ``=SUM(A1)``, `` ' =x`` -> `` =x``); a ``'`` that
    :func:`safe_text` did not put there stays."""
    if isinstance(text, str) and text.startswith("'") and is_formula(text[1:]):
        return text[1:]
    return text


__all__ = ["FORMULA_START", "is_formula", "safe_text", "unguard"]
