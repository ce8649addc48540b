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
    not every letter is PDF/A) are kept (language, output intent, XMP metadata with its PDF/A and
    PDF/UA identification), with ``title``. The letters' tagged structure is joined too
    (:func:`_join_structure`): one structure tree whose top holds each letter's document element, so
    that the whole stays as accessible as each letter (PDF/UA-1); when a letter is not tagged, the
    PDF/UA identification is taken out of the metadata instead.
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
        tagged = _join_structure(out, sources)
        for key in ("/Lang", "/OutputIntents", "/ViewerPreferences"):
            if key in first.Root:
                out.Root[key] = _direct_copy(out, first.Root[key])
        if "/Metadata" in first.Root:
            xmp = first.Root.Metadata.read_bytes().decode("utf-8")
            xmp = re.sub(r"(<dc:title><rdf:Alt><rdf:li[^>]*>).*?(</rdf:li>)",
                         lambda m: m.group(1) + escape(title) + m.group(2), xmp, count=1, flags=re.S)
            if not tagged:  # not every letter is tagged: the whole is not PDF/UA
                xmp = re.sub(r"<pdfuaid:part>.*?</pdfuaid:part>\s*", "", xmp, flags=re.S)
                xmp = re.sub(r'\s*pdfuaid:part="[^"]*"', "", xmp)
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


def _tree_items(node, key: str):
    """(key, value) pairs of a PDF number tree (``/Nums``) or name tree (``/Names``), leaves in order."""
    if key in node:
        items = list(node[key])
        for i in range(0, len(items) - 1, 2):
            yield items[i], items[i + 1]
    for kid in node.get("/Kids", []):
        yield from _tree_items(kid, key)


def _elements(node):
    """Every structure element under ``node`` (depth first)."""
    import pikepdf

    stack = [node]
    while stack:
        elem = stack.pop()
        if isinstance(elem, pikepdf.Array):
            stack.extend(elem)
            continue
        if not isinstance(elem, pikepdf.Dictionary) or "/S" not in elem:
            continue
        yield elem
        kids = elem.get("/K")
        if kids is not None:
            stack.append(kids)


def _join_structure(out, sources) -> bool:
    """Join the letters' structure trees into ``out`` (whose pages are the letters' pages, in
    order): one /StructTreeRoot whose /K holds each letter's top elements; the parent trees
    renumbered (each page's /StructParents and each annotation's /StructParent moved along); the
    ids of table header cells prefixed per letter (``L00003-``), in the elements, in the /Headers
    that refer to them and in the joined /IDTree; the role maps merged. Returns False (and joins
    nothing) when a letter is not tagged."""
    from pikepdf import Array, Dictionary, Name, String

    roots = [src.Root.get("/StructTreeRoot") for src in sources]
    if any(r is None for r in roots):
        for page in out.pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
        return False
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    kids, nums, names, roles = Array(), [], [], {}
    next_key = 0
    page_at = 0
    pages = [page.obj for page in out.pages]  # once: slicing out.pages per letter costs O(pages) each time
    for i, (src, sroot) in enumerate(zip(sources, roots)):
        prefix = f"L{i:05d}-"
        for elem in _elements(sroot.get("/K")):
            if "/ID" in elem:
                elem.ID = String(prefix + str(elem.ID))
            attrs = elem.get("/A")
            for attr in (attrs if isinstance(attrs, Array) else [attrs] if attrs is not None else []):
                if isinstance(attr, Dictionary) and "/Headers" in attr:
                    attr.Headers = Array([String(prefix + str(h)) for h in attr.Headers])
        top = sroot.get("/K")
        for kid in (top if isinstance(top, Array) else [top]):
            copied = out.copy_foreign(kid) if kid.is_indirect else _direct_copy(out, kid)
            copied.P = root
            kids.append(copied)
        for key, value in _tree_items(sroot.get("/ParentTree", Dictionary()), "/Nums"):
            nums.append((int(key) + next_key, out.copy_foreign(value) if value.is_indirect else _direct_copy(out, value)))
        for key, value in _tree_items(sroot.get("/IDTree", Dictionary()), "/Names"):
            names.append((prefix + str(key), out.copy_foreign(value) if value.is_indirect else _direct_copy(out, value)))
        for role, mapped in (sroot.get("/RoleMap") or {}).items():
            roles[role] = mapped
        count = len(src.pages)
        for page in pages[page_at:page_at + count]:
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + next_key
            for annot in page.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + next_key
        page_at += count
        next_key += int(sroot.get("/ParentTreeNextKey", 0))
    root.K = kids
    root.ParentTree = out.make_indirect(Dictionary(Nums=Array([x for key, value in sorted(nums, key=lambda kv: kv[0])
                                                              for x in (key, value)])))
    root.ParentTreeNextKey = next_key
    if names:
        root.IDTree = out.make_indirect(Dictionary(Names=Array([x for key, value in sorted(names, key=lambda kv: kv[0])
                                                               for x in (String(key), value)])))
    if roles:
        root.RoleMap = Dictionary({k: v for k, v in sorted(roles.items())})
    out.Root.StructTreeRoot = root
    out.Root.MarkInfo = Dictionary(Marked=True)
    return True


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
