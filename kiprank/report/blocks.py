"""The content blocks of kiprank's reports: plain, JSON-serialisable data that the content layer
(:mod:`kiprank.report.content`, :mod:`kiprank.report.comparison`) decides once, and that two
renderers only present: :mod:`kiprank.report.html` (the notebook, ``report.html``) and the Typst
templates (``kiprank/typst/kiprank.typ`` ``blocks()``, for the PDF).

Every number is already formatted and every sentence composed when it is put in a block.

Text ("runs"): a string, or a list of runs; a run is a string or a dict with ``text`` (runs) and
any of ``b`` (bold), ``i`` (italic), ``tone`` (``up``, ``down``, ``flat``, ``muted``, ``navy``),
``chip`` (a band colour shown as a small square before the text), ``sub`` (a small second line,
e.g. "Tidak mengembalikan SAQ" under a body's name), ``br`` (a line break), ``size`` (pt).

Blocks (``t`` names the kind):

===========  ==================================================================================
``p``        ``text``; ``style``: "", ``muted``, ``formula``, ``lead``, ``small``
``h3``       ``text``: a sub-heading (bookmarked in the PDF)
``table``    ``headers``, ``rows`` (lists of texts), ``caption`` {no, title}, ``cols`` per column
             ("", ``num``, ``rank``, ``center``, ``code``, ``name``, ``band``), ``kinds`` per row ("",
             ``total``, ``group`` (one cell), ``nr``, ``focus``, ``stage``, ``muted``, ``ind``),
             ``widths`` ("16mm", "30%", None = the rest), ``narrow``, ``compact``, ``tight``,
             ``head_colors`` (a band colour under a heading), ``fills`` (per cell: ``diag``,
             ``better``, ``worse``), ``cls`` (extra HTML classes)
``figure``   ``no``, ``title``, ``svg`` (SVG text), ``note``, ``width`` (e.g. "120mm"), ``alt`` (what
             the chart shows, in words: the PDF's and the HTML's text alternative)
``list``     ``items`` (texts); ``style``: ``rules``, ``refs`` (numbered, small), ``plain``
``notice``   ``kind`` (``note``, ``alert``, ``info``), ``title``, ``paras`` (texts)
``sheet``    a ranking-report score sheet (see :func:`kiprank.report.content.annex_section`)
===========  ==================================================================================

A section (what one notebook cell displays) is a dict with ``kind`` ``section`` (``number``,
``title``, ``heading``, ``anchor``, ``newpage``, ``landscape``, ``blocks``), ``cover`` or ``toc``; see
:class:`Section`. To add a section to a report: write a function returning
``section(...)`` from :mod:`kiprank.report.content`, display it in a new notebook cell, and add
its title to ``SECTIONS`` there (for the contents list of the HTML).
"""

from __future__ import annotations

MIME = "application/vnd.kiprank.section+json"


# -- runs ----------------------------------------------------------------------------------------

def bold(text) -> dict:
    return {"text": text, "b": True}


def tone(text, name: str, **more) -> dict:
    return {"text": text, "tone": name, **more}


def chip(color: str, text) -> dict:
    return {"text": text, "chip": color}


def with_sub(text, sub) -> dict:
    return {"text": text, "sub": sub}


BR = {"br": True}


def plain_text(runs) -> str:
    """The words of a text, without styling (for alt texts and tests)."""
    if runs is None:
        return ""
    if isinstance(runs, str):
        return runs
    if isinstance(runs, list):
        return "".join(plain_text(r) for r in runs)
    if runs.get("br"):
        return "\n"
    out = plain_text(runs.get("text", ""))
    if "sub" in runs:
        out += "\n" + plain_text(runs["sub"])
    return out


# -- blocks --------------------------------------------------------------------------------------

def para(text, style: str = "") -> dict:
    return {"t": "p", "text": text, "style": style}


def h3(text) -> dict:
    return {"t": "h3", "text": text}


def table(headers: list, rows: list[list], *, caption: dict | None = None, cols: list[str] | None = None,
          kinds: list[str] | None = None, widths: list[str | None] | None = None, narrow: bool = False,
          compact: bool = False, tight: bool = False, head_colors: list[str | None] | None = None,
          fills: list[list[str | None]] | None = None, cls: str = "", size: float | None = None) -> dict:
    block = {"t": "table", "headers": headers, "rows": rows, "caption": caption,
             "cols": cols or [""] * len(headers), "kinds": kinds or [""] * len(rows), "widths": widths,
             "narrow": narrow, "compact": compact, "tight": tight, "head_colors": head_colors,
             "fills": fills, "cls": cls}
    if size is not None:
        block["size"] = size
    return block


def caption(no: str, title) -> dict:
    return {"no": no, "title": title}


def figure(no: str, title, svg: str, note=None, width: str | None = None, cls: str = "", alt: str = "") -> dict:
    return {"t": "figure", "no": no, "title": title, "svg": svg, "note": note, "width": width, "cls": cls,
            "alt": alt or plain_text(title)}


def item_list(items: list, style: str = "rules") -> dict:
    return {"t": "list", "items": items, "style": style, "ordered": style == "refs"}


def notice(kind: str, title, paras: list) -> dict:
    return {"t": "notice", "kind": kind, "title": title, "paras": paras}


def section(number: int | None, title: str, anchor: str, blocks: list[dict], *, newpage: bool = True,
            space: float = 0, cls: str = "", heading: str | None = None, landscape: bool = False) -> dict:
    """A numbered (or unnumbered) report section; ``title`` also heads the PDF's pages;
    ``landscape``: the section's pages are A4 landscape (a table too wide for a portrait page)."""
    if heading is None:
        heading = f"{number}. {title}" if number is not None else title
    out = {"kind": "section", "number": number, "title": title, "heading": heading, "anchor": anchor,
           "newpage": newpage, "space": space, "cls": cls, "blocks": blocks}
    if landscape:
        out["landscape"] = True
    return out
