"""Typesetting letters: the data of :mod:`kiprank.letters.content` handed to ``typst/letter.typ``.

PDF/A-2b (the default, for archiving) needs a glyph for every character, and the bundled DejaVu fonts
have none for emoji and some scripts. When the caller did not ask for a standard, such a document is
typeset as plain PDF 1.7 instead and the caller is told (``Rendered.fallback``); when PDF/A-2b was
asked for, it is an error naming the character.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from ..errors import ReportError
from ..glyphs import describe, undrawable
from ..typeset import DEFAULT_PDF_STANDARD, typeset_pdf

TEMPLATE = "letter.typ"
FALLBACK_STANDARD = "1.7"
_GLYPH = re.compile(r"the text `?\"?(.*?)\"?`? could not be displayed", re.S)


@dataclass
class Rendered:
    pdf: bytes
    standard: str  # the PDF standard the document was made to
    fallback: str = ""  # why PDF/A-2b was not possible (the missing character), else ""


def missing_glyph(exc: ReportError) -> str | None:
    """The text that has no glyph in the bundled fonts, when that is why Typst refused PDF/A."""
    match = _GLYPH.search(exc.reason)
    return match.group(1) if match else None


def _text_of(data: dict) -> str:
    """Every string the document prints (the logo's bytes left out)."""
    printed = {k: v for k, v in data.items() if k != "letterhead"}
    head = data.get("letterhead") or {}
    return json.dumps([printed, head.get("issuer", ""), head.get("region", "")], ensure_ascii=False)


def render(data: dict, *, report_date: date | None, pdf_standard: str | None = None, what: str = "letters") -> Rendered:
    """Typeset ``data`` (one or more letters). ``pdf_standard`` None: PDF/A-2b, or PDF 1.7 when a
    character has no glyph; given: exactly that standard, or :class:`~kiprank.errors.ReportError`."""
    wanted = pdf_standard or DEFAULT_PDF_STANDARD
    if wanted != FALLBACK_STANDARD:
        chars = undrawable(_text_of(data))
        if chars:
            if pdf_standard is not None:
                raise ReportError("letters", f"{what}: PDF/A-2b needs a glyph for every character, and the bundled "
                                  f"DejaVu fonts have none for {describe(chars)}; use --pdf-standard 1.7 "
                                  "(or change the text)")
            pdf = typeset_pdf(TEMPLATE, data, date=report_date, pdf_standard=FALLBACK_STANDARD, step="letters")
            return Rendered(pdf, FALLBACK_STANDARD, fallback=describe(chars))
    try:
        return Rendered(typeset_pdf(TEMPLATE, data, date=report_date, pdf_standard=wanted, step="letters"), wanted)
    except ReportError as exc:
        glyph = missing_glyph(exc)
        if glyph is None:
            raise
        if pdf_standard is not None:
            raise ReportError("letters", f"{what}: PDF/A-2b needs a glyph for every character, and the bundled "
                              f"DejaVu fonts have none for {glyph!r}; use --pdf-standard 1.7 (or change the text)") from None
    pdf = typeset_pdf(TEMPLATE, data, date=report_date, pdf_standard=FALLBACK_STANDARD, step="letters")
    return Rendered(pdf, FALLBACK_STANDARD, fallback=glyph)
