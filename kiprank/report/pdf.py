"""The Typst rendering of the reports: the PDF is typeset from the section data an executed
notebook displayed (:func:`kiprank.report.blocks.sections_of_notebook`), with the template
``kiprank/typst/report.typ`` (the shared look of ``kiprank/typst/kiprank.typ``), through
:func:`kiprank.report.typeset.typeset_pdf` (this process, bundled fonts only, data as JSON).

PDF standard: PDF/A-2b with PDF/UA-1 by default (archivable and accessible; tagged either way).
Typst cannot write either when a character has no glyph in the bundled fonts (an emoji, a script
none of them covers): then, when the standard was not asked for explicitly, the PDF is written as
plain PDF 1.7 and a warning names the characters and the text that holds them; when PDF/A-2b was
asked for explicitly (``--pdf-standard a-2b``), the build fails with that message instead.
"""

from __future__ import annotations

from datetime import date

from ..core.errors import ReportError
from ..core.glyphs import describe, undrawable
from .typeset import DEFAULT_PDF_STANDARD, PDF_STANDARDS, typeset_pdf
from .blocks import plain_text
from .section import sections_of_notebook

TEMPLATE = "report.typ"


def document_from_notebook(nb) -> dict:
    """``{meta, sections}`` from an executed report notebook: the section data of every cell's
    output, in order; ``meta`` (title, author, keywords, header, footer) comes with the cover."""
    sections = sections_of_notebook(nb)
    covers = [s for s in sections if s.get("kind") == "cover"]
    if not sections or not covers:
        raise ReportError("pdf", "the executed notebook displayed no report cover (nothing to typeset)")
    return {"meta": covers[0]["meta_doc"], "sections": sections}


def _strings(node, path=""):
    """(where, text) of every text in a document's data (SVG charts excluded: their labels are
    the same names)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, path)
    elif isinstance(node, dict):
        if "t" in node or "kind" in node:
            path = node.get("title") if isinstance(node.get("title"), str) else path
        for key, value in node.items():
            if key not in ("svg",):
                yield from _strings(value, path)


def undrawable_texts(data) -> list[tuple[str, str, str]]:
    """(characters, text, section) for every text of ``data`` holding characters the bundled fonts
    cannot draw (each text once)."""
    found, seen = [], set()
    for where, text in _strings(data):
        chars = undrawable(text)
        if chars and text not in seen:
            seen.add(text)
            found.append((chars, text, where or ""))
    return found


def choose_standard(data, requested: str | None) -> tuple[str, list[str]]:
    """The PDF standard to write ``data`` with, and warnings. ``requested`` None: PDF/A-2b when
    every character can be drawn, else PDF 1.7 with a warning; an explicit ``a-2b`` fails
    (:class:`ReportError`) naming what cannot be drawn."""
    if requested is not None and requested not in PDF_STANDARDS:
        raise ReportError("pdf", f"unknown PDF standard {requested!r} (choose from {', '.join(PDF_STANDARDS)})")
    standard = requested or DEFAULT_PDF_STANDARD
    if standard != "a-2b":
        return standard, []
    bad = undrawable_texts(data)
    if not bad:
        return standard, []
    chars = "".join(dict.fromkeys("".join(c for c, _, _ in bad)))
    texts = "; ".join(f"'{_short(t)}'" + (f" ({w})" if w else "") for _, t, w in bad[:3])
    more = f" and {len(bad) - 3} more texts" if len(bad) > 3 else ""
    reason = (f"the bundled fonts cannot draw {describe(chars)}, found in {texts}{more}; "
              "PDF/A-2b and PDF/UA-1 need every character drawn")
    if requested == "a-2b":
        raise ReportError("pdf", reason + ": use --pdf-standard 1.7, or change the text")
    warning = f"PDF written as plain PDF 1.7, not PDF/A-2b with PDF/UA-1: {reason}"
    return "1.7", [warning]


def _short(text: str, n: int = 60) -> str:
    text = " ".join(plain_text(text).split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def typeset_document(data: dict, day: date | None, pdf_standard: str | None = None,
                     template: str = TEMPLATE) -> tuple[bytes, list[str]]:
    """The PDF of a document's data (``{meta, sections}``) and the warnings of its standard choice."""
    standard, messages = choose_standard(data, pdf_standard)
    return typeset_pdf(template, data, date=day, pdf_standard=standard), messages


def typeset_notebook(nb, day: date | None, pdf_standard: str | None = None) -> tuple[bytes, list[str]]:
    """The PDF of an executed report (or comparison) notebook."""
    return typeset_document(document_from_notebook(nb), day, pdf_standard)


__all__ = ["document_from_notebook", "typeset_document", "typeset_notebook", "choose_standard",
           "undrawable_texts", "TEMPLATE"]
