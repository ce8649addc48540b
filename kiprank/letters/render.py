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

from ..core.errors import ReportError
from ..core.glyphs import describe, undrawable
from ..report.typeset import DEFAULT_PDF_STANDARD, typeset_pdf

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
    character has no glyph; given: exactly that standard, or :class:`~kiprank.core.errors.ReportError`."""
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


def concatenate(pdfs: list[bytes], title: str, metadata_from: int = 0) -> bytes:
    """One PDF holding the pages of ``pdfs`` in order (``all.pdf``), each letter exactly as typeset
    alone, so with its own page numbers. Typst lays out a letter with its "page x of y" footer in two
    passes, and a document of a thousand letters much more slowly than a thousand letters one by one;
    joining the letters with pikepdf takes milliseconds per letter.

    The document-level entries of letter ``metadata_from`` (the first; give a PDF 1.7 letter when
    not every letter is PDF/A) are kept (language, output intent, XMP metadata with
    its PDF/A identification), with ``title``; the per-letter structure trees are not joined (the
    pages' structure references are dropped), so the result is a plain, untagged document.
    Deterministic: the same letters give the same bytes."""
    import io
    from xml.sax.saxutils import escape

    import pikepdf

    if not pdfs:
        raise ValueError("no letters to join")
    sources = [pikepdf.open(io.BytesIO(b)) for b in pdfs]
    first = sources[metadata_from]
    out = pikepdf.new()
    try:
        for src in sources:
            out.pages.extend(src.pages)
        for page in out.pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
        for key in ("/Lang", "/OutputIntents", "/ViewerPreferences"):
            if key in first.Root:
                out.Root[key] = _direct_copy(out, first.Root[key])
        if "/Metadata" in first.Root:
            xmp = first.Root.Metadata.read_bytes().decode("utf-8")
            xmp = re.sub(r"(<dc:title><rdf:Alt><rdf:li[^>]*>).*?(</rdf:li>)",
                         lambda m: m.group(1) + escape(title) + m.group(2), xmp, count=1, flags=re.S)
            out.Root.Metadata = out.make_stream(xmp.encode("utf-8"), Type=pikepdf.Name.Metadata,
                                                Subtype=pikepdf.Name.XML)
        info = {k: v for k, v in first.docinfo.items()}
        info["/Title"] = pikepdf.String(title)
        out.docinfo = out.make_indirect(pikepdf.Dictionary(info))
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, min_version=first.pdf_version, compress_streams=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
    finally:
        out.close()
        for src in sources:
            src.close()


def _direct_copy(out, value):
    """A direct object of another PDF, copied into ``out`` (indirect parts through copy_foreign)."""
    import pikepdf

    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({k: _direct_copy(out, v) for k, v in value.items()})
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_direct_copy(out, v) for v in value])
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return out.copy_foreign(value)
    return value
