"""Checks of a typeset PDF from what a reader gets: the text's positions (PyMuPDF), its tagged
structure and its XMP metadata (pikepdf).

- :func:`spans`: every text span of a page with the box of its visible characters (a justified
  line's trailing space is not ink);
- :func:`outside_text_area`: spans that leave the page or its margins;
- :func:`overlapping`: pairs of spans whose ink overlaps (two words printed over each other);
- :func:`table_pages`: for every tagged table, how many of its body rows each page holds;
- :func:`conformance`: the PDF/A and PDF/UA parts its XMP metadata claims;
- :func:`figures_without_alt`: tagged figures without a text alternative.
"""

from __future__ import annotations

import io

import pikepdf
import pymupdf

MM = 72 / 25.4


def open_pdf(pdf: bytes):
    return pymupdf.open(stream=pdf, filetype="pdf")


HANGING = set(",.;:!?)]}'\"\u2019\u201d-\u2010\u2013\u2014")


def spans(page) -> list[tuple[tuple[float, float, float, float], str]]:
    """(box of the visible characters, text) of every span of ``page`` that shows something. A
    justified line's trailing space is not ink, and punctuation that ends a line may hang a little
    into the margin (Typst's optical margin alignment): neither counts in the box."""
    out = []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                chars = [c for c in span["chars"] if c["c"].strip()]
                while len(chars) > 1 and chars[-1]["c"] in HANGING:
                    chars = chars[:-1]
                if not chars:
                    continue
                x0 = min(c["bbox"][0] for c in chars)
                x1 = max(c["bbox"][2] for c in chars)
                y0 = min(c["bbox"][1] for c in chars)
                y1 = max(c["bbox"][3] for c in chars)
                out.append(((x0, y0, x1, y1), "".join(c["c"] for c in span["chars"])))
    return out


def _pages(doc, only):
    for number, page in enumerate(doc, 1):
        if only is None or number in only:
            yield number, page


def outside_text_area(pdf: bytes, tolerance: float = 1.0, pages: set[int] | None = None) -> list[str]:
    """Spans that leave their page, or its text area sideways (portrait pages: 20 mm left and 18 mm
    right margins; landscape pages: 14 mm; charts lie inside the text area, so a chart label cut at
    the chart's edge shows here as text left of the margin)."""
    problems = []
    with open_pdf(pdf) as doc:
        for number, page in _pages(doc, pages):
            area = page.rect
            left, right = (14 * MM, 14 * MM) if area.width > area.height else (20 * MM, 18 * MM)
            for (x0, y0, x1, y1), text in spans(page):
                if (x0 < left - tolerance or x1 > area.x1 - right + tolerance or y0 < area.y0 - tolerance
                        or y1 > area.y1 + tolerance):
                    problems.append(f"page {number}: {text[:50]!r} at {tuple(round(v, 1) for v in (x0, y0, x1, y1))}")
    return problems


def overlapping(pdf: bytes, min_overlap: float = 1.0, pages: set[int] | None = None) -> list[str]:
    """Pairs of spans on a page whose ink overlaps by more than ``min_overlap`` points each way
    (and by more than a third of the lower one's height): text printed over other text."""
    problems = []
    with open_pdf(pdf) as doc:
        for number, page in _pages(doc, pages):
            found = sorted(spans(page), key=lambda s: s[0][1])
            for i, ((ax0, ay0, ax1, ay1), at) in enumerate(found):
                for (bx0, by0, bx1, by1), bt in found[i + 1:]:
                    if by0 >= ay1:
                        break
                    w = min(ax1, bx1) - max(ax0, bx0)
                    h = min(ay1, by1) - max(ay0, by0)
                    if w > min_overlap and h > max(min_overlap, min(ay1 - ay0, by1 - by0) / 3):
                        problems.append(f"page {number}: {at[:40]!r} overlaps {bt[:40]!r}")
    return problems


def _struct(pdf: bytes):
    return pikepdf.open(io.BytesIO(pdf))


def _kids(elem):
    k = elem.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _pages_of(elem, pages: dict, inherited=None) -> set[int]:
    """The pages the content of a structure element is on."""
    own = elem.get("/Pg") if isinstance(elem, pikepdf.Dictionary) else None
    page = pages.get(own.objgen) if own is not None else inherited
    found = set()
    for kid in _kids(elem):
        if isinstance(kid, int):  # a marked-content id on the element's page
            if page is not None:
                found.add(page)
        elif isinstance(kid, pikepdf.Dictionary):
            if kid.get("/Type") == "/MCR":
                pg = kid.get("/Pg")
                found.add(pages.get(pg.objgen) if pg is not None else page)
            elif "/S" in kid:
                found |= _pages_of(kid, pages, page)
    found.discard(None)
    return found


LEAVES = {"/TR", "/TD", "/TH", "/THead", "/TBody", "/TFoot", "/P", "/Span", "/Link", "/Lbl", "/Caption",
          "/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}  # no table or figure lies inside these


def _walk(elem, kind: str):
    if not isinstance(elem, pikepdf.Dictionary):
        return
    s = elem.get("/S")
    if s == kind:
        yield elem
        return
    if s in LEAVES:
        return
    for kid in _kids(elem):
        yield from _walk(kid, kind)


def _row_page(row, pages: dict) -> int | None:
    """The page a table row starts on: that of its first cell that has content."""
    for cell in _kids(row):
        if isinstance(cell, pikepdf.Dictionary):
            where = _pages_of(cell, pages)
            if where:
                return min(where)
    return None


def table_pages(pdf: bytes) -> list[dict[int, int]]:
    """For each tagged table, in document order: page number -> how many of its body rows (rows
    of its ``TBody``, not of its repeated header) start on that page. A table of fewer than 6 rows
    can only be split badly, so for it the first and the last row tell (their pages differ or not)."""
    out = []
    with _struct(pdf) as doc:
        pages = {p.obj.objgen: i + 1 for i, p in enumerate(doc.pages)}
        root = doc.Root.get("/StructTreeRoot")
        if root is None:
            return out
        for table in _walk(root, "/Table"):
            bodies = [k for k in _kids(table) if isinstance(k, pikepdf.Dictionary) and k.get("/S") == "/TBody"] or [table]
            rows = [r for b in bodies for r in _kids(b) if isinstance(r, pikepdf.Dictionary) and r.get("/S") == "/TR"]
            counts: dict[int, int] = {}
            if len(rows) < 6:
                first, last = (_row_page(rows[0], pages), _row_page(rows[-1], pages)) if rows else (None, None)
                if first is not None and last is not None and first != last:
                    counts = {first: 1, last: len(rows) - 1}  # split: at least one page is thin
                elif first is not None:
                    counts = {first: len(rows)}
            else:
                for row in rows:
                    page = _row_page(row, pages)
                    if page is not None:
                        counts[page] = counts.get(page, 0) + 1
            out.append(counts)
    return out


def thin_table_pages(pdf: bytes, keep: int = 3) -> list[str]:
    """Pages holding fewer than ``keep`` rows of a table that has more (a row left alone)."""
    problems = []
    for i, counts in enumerate(table_pages(pdf), 1):
        total = sum(counts.values())
        if total < keep or len(counts) < 2:
            continue
        for page, n in sorted(counts.items()):
            if n < keep:
                problems.append(f"table {i} ({total} rows): page {page} holds {n} of its rows")
    return problems


def sample_pages(pdf: bytes, head: int = 200, every: int = 10, tail: int = 10) -> set[int]:
    """The pages a check of a very long document looks at: the first ``head`` (cover, contents,
    method, the results tables of thousands of rows), every ``every``-th, and the last ``tail``."""
    with open_pdf(pdf) as doc:
        n = doc.page_count
    return set(range(1, min(head, n) + 1)) | set(range(1, n + 1, every)) | set(range(max(1, n - tail + 1), n + 1))


def conformance(pdf: bytes) -> dict[str, str]:
    """The conformance its XMP metadata claims: ``pdfa`` ('2B'), ``pdfua`` ('1'), or absent."""
    out = {}
    with _struct(pdf) as doc:
        meta = doc.open_metadata()
        part, level = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
        if part:
            out["pdfa"] = f"{part}{level or ''}"
        if meta.get("pdfuaid:part"):
            out["pdfua"] = str(meta.get("pdfuaid:part"))
        out["lang"] = str(doc.Root.get("/Lang", ""))
        out["marked"] = str(bool((doc.Root.get("/MarkInfo") or {}).get("/Marked", False)))
        out["title_shown"] = str(bool((doc.Root.get("/ViewerPreferences") or {}).get("/DisplayDocTitle", False)))
    return out


def figures_without_alt(pdf: bytes) -> int:
    """How many tagged figures have no text alternative (``/Alt``)."""
    with _struct(pdf) as doc:
        root = doc.Root.get("/StructTreeRoot")
        return 0 if root is None else sum(1 for f in _walk(root, "/Figure") if not str(f.get("/Alt", "")).strip())


def figure_alts(pdf: bytes) -> list[str]:
    with _struct(pdf) as doc:
        root = doc.Root.get("/StructTreeRoot")
        return [] if root is None else [str(f.get("/Alt", "")) for f in _walk(root, "/Figure")]


__all__ = ["spans", "outside_text_area", "overlapping", "table_pages", "thin_table_pages", "conformance", "sample_pages",
           "figures_without_alt", "figure_alts", "open_pdf", "MM"]
