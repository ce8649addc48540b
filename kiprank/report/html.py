"""HTML rendering of report sections (the notebook's display, ``report.html``, the site's pages).

:func:`section_html` turns one section's data (:mod:`kiprank.report.blocks`) into an HTML
fragment styled by ``kiprank/templates/kiprank_report/report.css``: it only presents, every
number and sentence is already in the data, and every string is escaped here.

For the site: the executed ``report.ipynb`` of a published folder holds each section's data
(``application/vnd.kiprank.section+json``) and its HTML (``text/html``) in the output bundles, and
``report-content.json`` (listed in the manifest) holds the same data as one file; so
``section_html(section)`` for each entry of ``load_content(folder)["sections"]`` gives the
report's sections from a published folder alone.
"""

from __future__ import annotations

import base64
import functools
import json
from html import escape
from pathlib import Path

from .blocks import plain_text

CONTENT_FILE = {"report": "report-content.json", "comparison": "comparison-content.json"}


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def runs_html(runs) -> str:
    """A text (string or runs) as escaped HTML."""
    if runs is None:
        return ""
    if isinstance(runs, str):
        return _e(runs)
    if isinstance(runs, list):
        return "".join(runs_html(r) for r in runs)
    if runs.get("br"):
        return "<br>"
    out = runs_html(runs.get("text", ""))
    if "chip" in runs:
        out = f'<span class="chip" style="background:{_e(runs["chip"])}"></span>' + out
    if runs.get("b"):
        out = f"<strong>{out}</strong>"
    if runs.get("i"):
        out = f"<em>{out}</em>"
    if "tone" in runs:
        out = f'<span class="{_e(runs["tone"])}">{out}</span>'
    if "size" in runs:
        out = f'<span style="font-size:{float(runs["size"]):g}pt">{out}</span>'
    if "sub" in runs:
        out += f'<span class="status">{runs_html(runs["sub"])}</span>'
    return out


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def embedded_fonts(text: str = "") -> dict[str, str]:
    """The bundled fonts a page needs as ``data:`` URLs by file name, for the ``@font-face`` rules of
    ``report.html`` and ``comparison.html``: a published page carries its fonts (the same bytes on
    every machine) instead of pointing into the installation. DejaVu always; a font for another
    script (Noto Arabic, Hebrew, CJK) only when ``text`` (the page's text) has a character that
    DejaVu lacks and it draws, so a page in Latin script does not carry megabytes of CJK glyphs."""
    from ..core.glyphs import font_files, font_points

    others = {ord(ch) for ch in set(text)} - _latin_points()
    return {path.name: _font_url(path.name) for path in font_files()
            if path.name.startswith("DejaVu") or others & font_points(path.name)}


@functools.lru_cache(maxsize=1)
def _latin_points() -> frozenset[int]:
    """What the DejaVu fonts (embedded in every page) draw."""
    from ..core.glyphs import font_files, font_points

    return frozenset(p for path in font_files() if path.name.startswith("DejaVu") for p in font_points(path.name))


@functools.lru_cache(maxsize=None)
def _font_url(name: str) -> str:
    from ..core.resources import FONTS_DIR

    kind = "otf" if name.endswith(".otf") else "ttf"
    return f"data:font/{kind};base64," + base64.b64encode((FONTS_DIR / name).read_bytes()).decode("ascii")


_ROW_CLASS = {"total": "total", "group": "group-row", "nr": "not-returned", "focus": "focus",
              "stage": "stage-row", "muted": "muted-row", "ind": "ind-row"}


def table_html(b: dict) -> str:
    cols = b.get("cols") or [""] * len(b["headers"])
    kinds = b.get("kinds") or [""] * len(b["rows"])
    widths = b.get("widths")
    heads = b.get("head_colors") or [None] * len(b["headers"])
    fills = b.get("fills")
    classes = " ".join(x for x in ("data", b.get("cls", ""), "narrow" if b.get("narrow") else "",
                                   "compact" if b.get("compact") else "", "cmp-tight" if b.get("tight") else "") if x)
    out = []
    cap = b.get("caption")
    if cap:
        out.append(f'<div class="table-caption"><span class="caption-no">{_e(cap["no"])}.</span> '
                   f'{runs_html(cap["title"])}</div>')
    # the table scrolls sideways in its own box on a narrow screen; the box can be reached with the
    # keyboard and is named after the table's caption
    label = f'{cap["no"]}. {plain_text(cap["title"])}' if cap else plain_text(b["headers"][0] if b["headers"] else "")
    out.append(f'<div class="table-box" tabindex="0" role="region" aria-label="{_e(label)}">')
    style = ' style="table-layout: fixed"' if widths else ""
    out.append(f'<table class="{classes}"{style}>')
    if widths:
        out.append("<colgroup>" + "".join(f'<col style="width:{_e(w)}">' if w else "<col>" for w in widths)
                   + "</colgroup>")
    th = []
    for h, c, color in zip(b["headers"], cols, heads):
        if color:
            th.append(f'<th class="{_e(c)} band-head" style="border-bottom-color:{_e(color)}">{runs_html(h)}</th>')
        else:
            th.append(f'<th class="{_e(c)}">{runs_html(h)}</th>')
    out.append("<thead><tr>" + "".join(th) + "</tr></thead><tbody>")
    for i, (row, kind) in enumerate(zip(b["rows"], kinds)):
        rc = f' class="{_ROW_CLASS[kind]}"' if kind in _ROW_CLASS else ""
        if kind == "group":
            out.append(f'<tr{rc}><td colspan="{len(b["headers"])}"><strong>{runs_html(row[0])}</strong></td></tr>')
            continue
        cells = []
        for j, (v, c) in enumerate(zip(row, cols)):
            f = fills[i][j] if fills and i < len(fills) and fills[i] and j < len(fills[i]) else None
            cls = " ".join(x for x in (c, f or "", "first" if j == 0 else "") if x)
            cells.append(f'<td class="{cls}">{runs_html(v)}</td>')
        out.append(f"<tr{rc}>{''.join(cells)}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def figure_html(b: dict) -> str:
    note = f'<div class="figure-note">{runs_html(b["note"])}</div>' if b.get("note") else ""
    width = f' style="width:{_e(b["width"])}"' if b.get("width") else ""
    return (f'<figure class="chart {_e(b.get("cls", ""))}"><figcaption><span class="caption-no">{_e(b["no"])}.</span> '
            f'{runs_html(b["title"])}</figcaption><div class="svg-box"><img alt="{_e(b.get("alt") or plain_text(b["title"]))}"'
            f'{width} src="{data_uri(b["svg"])}"></div>{note}</figure>')


def sheet_html(b: dict) -> str:
    """A ranking-report score sheet (see :func:`kiprank.report.content.annex_section`)."""
    head = (f'<div class="sheet-head"><span class="sheet-score">{runs_html(b["score"])}</span>'
            f'{_e(b["name"])}</div><div class="sheet-sub">{runs_html(b["sub"])}</div>')
    notes = "<br>".join(runs_html(n) for n in b["notes"])
    if not b.get("table"):
        return f'<div class="sheet">{head}<p class="short-items">{notes}</p></div>'
    t = b["table"]
    width = b["width"]
    rows = ['<tr>' + "".join(
        f'<th class="{"num" if j else ""}"{" style=" + chr(34) + "width:" + ("8mm" if j == 1 else "14mm") + chr(34) if j else ""}>'
        f'{runs_html(h)}</th>' for j, h in enumerate(t["headers"])) + "</tr>"]
    for row in t["rows"]:
        rows.append("<tr>" + "".join(f'<td class="{"num" if j else ""}">{runs_html(c)}</td>'
                                     for j, c in enumerate(row)) + "</tr>")
    stage, contrib = t["stage"], t["contrib"]
    rows.append(f'<tr class="stage-row"><td colspan="2">{runs_html(stage[0])}</td>'
                + "".join(f'<td class="num">{runs_html(c)}</td>' for c in stage[1:]) + "</tr>")
    rows.append(f'<tr class="plain"><td colspan="2">{runs_html(contrib[0])}</td>'
                + "".join(f'<td class="num">{runs_html(c)}</td>' for c in contrib[1:]) + "</tr>")
    table = f'<table class="sheet-table" style="width:{width}%">' + "".join(rows) + "</table>"
    if width >= 100:  # many stages: the shortfalls below the table
        return f'<div class="sheet">{head}{table}<p class="short-items below">{notes}</p></div>'
    return (f'<div class="sheet">{head}<p class="short-items" style="width:{97.5 - width}%">{notes}</p>'
            f"{table}</div>")


def block_html(b: dict) -> str:
    t = b["t"]
    if t == "p":
        style = b.get("style") or ""
        if style == "caption":
            return f'<div class="table-caption">{runs_html(b["text"])}</div>'
        cls = {"muted": "muted", "formula": "formula", "lead": "cmp-lead", "small": "figure-note"}.get(style, "")
        return f'<p class="{cls}">{runs_html(b["text"])}</p>' if cls else f"<p>{runs_html(b['text'])}</p>"
    if t == "h3":
        return f"<h3>{runs_html(b['text'])}</h3>"
    if t == "h4":
        return f"<h4>{runs_html(b['text'])}</h4>"
    if t == "table":
        return table_html(b)
    if t == "figure":
        return figure_html(b)
    if t == "list":
        style = b.get("style", "rules")
        tag = "ol" if b.get("ordered") else "ul"
        cls = {"rules": "rules", "refs": "refs", "plain": "drivers"}.get(style, style)
        return f'<{tag} class="{cls}">' + "".join(f"<li>{runs_html(x)}</li>" for x in b["items"]) + f"</{tag}>"
    if t == "notice":
        cls = {"note": "data-note", "alert": "cmp-alert", "info": "cmp-info"}.get(b["kind"], "cmp-info")
        title_cls = "data-note-title" if b["kind"] == "note" else "cmp-box-title"
        title = f'<div class="{title_cls}">{runs_html(b["title"])}</div>' if b.get("title") else ""
        return f'<div class="{cls}">{title}' + "".join(f"<p>{runs_html(p)}</p>" for p in b["paras"]) + "</div>"
    if t == "space":
        return ""
    if t == "sheet":
        return sheet_html(b)
    raise ValueError(f"unknown block kind {t!r}")


def cover_html(s: dict) -> str:
    notes = "".join(block_html({"t": "notice", "kind": "note", **n}) for n in s.get("notes", []))
    alert = block_html({"t": "notice", **s["alert"]}) if s.get("alert") else ""
    rows = "".join(f"<tr><th>{runs_html(k)}</th><td>{runs_html(v)}</td></tr>" for k, v in s["meta"])
    cls = "cover cmp-cover" if s.get("compact") else "cover"
    return (f'<section class="{cls}">'
            f'<div class="cover-issuer">{_e(s["issuer"])}</div><div class="cover-rule"></div>'
            f'<div class="cover-kind">{_e(s["kind_label"])}</div><h1 class="cover-title">{_e(s["title"])}</h1>'
            f'<div class="cover-subtitle">{_e(s["subtitle"])}</div><div class="cover-region">{_e(s["region"])}</div>'
            f'{alert}{notes}<table class="cover-meta">{rows}</table>'
            f'<p class="cover-legal">{runs_html(s["legal"])}</p></section>')


def section_html(s: dict) -> str:
    """One section's data (cover, contents or section) as an HTML fragment (escaped, styled by
    report.css). The public entry point for anything that shows report content as HTML."""
    kind = s["kind"]
    if kind == "cover":
        return cover_html(s)
    if kind == "toc":
        items = "".join(f'<li><a href="#{_e(a)}">{_e(label)}</a></li>' for a, label in s.get("entries", []))
        return f'<nav class="toc"><h2 class="toc-title">{_e(s["title"])}</h2><ul>{items}</ul></nav>'
    if kind == "blocks":
        return "".join(block_html(b) for b in s["blocks"])
    cls = " ".join(x for x in ("report-section", s.get("cls", ""), "" if s.get("newpage", True) else "cmp-flow") if x)
    body = "".join(block_html(b) for b in s["blocks"])
    return (f'<section class="{cls}" id="{_e(s["anchor"])}"><h2 data-title="{_e(s["title"])}">'
            f'{_e(s["heading"])}</h2>{body}</section>')


SCOPE = "kiprank-output"  # the class of the element that holds a section displayed in a notebook
# Its rules are scoped by two classes: front ends style their outputs' tables with two-class selectors
# (JupyterLab right-aligns every cell with ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``).
SCOPE_SELECTOR = f".kiprank.{SCOPE}"


@functools.lru_cache(maxsize=1)
def scoped_stylesheet() -> str:
    """``report.css`` for a section displayed on its own (JupyterLab, Notebook, VS Code): every rule
    scoped to ``.kiprank.kiprank-output`` so that it styles the section and nothing else of the notebook's
    page (``html`` rules apply to that element itself), after ``notebook.css`` (the browser defaults
    report.css relies on, which front ends change), ``@page`` rules (print) left out, and the
    fonts taken from the system's DejaVu (``local()``) rather than embedded in every output."""
    import tinycss2
    from jinja2 import Environment, FileSystemLoader

    from ..core.resources import REPORT_TEMPLATE_DIR

    env = Environment(loader=FileSystemLoader(str(REPORT_TEMPLATE_DIR)))
    css = env.get_template("notebook.css").render() + "\n" + env.get_template("report.css").render(fonts={})
    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
            out.append(_compact(tinycss2.serialize([rule])))
        elif rule.type == "qualified-rule":
            selectors = [_compact(s) for s in tinycss2.serialize(rule.prelude).split(",")]
            scoped = []
            for sel in selectors:
                if sel == "body":
                    continue
                scoped.append(SCOPE_SELECTOR if sel == "html" else f"{SCOPE_SELECTOR} {sel}")
            if scoped:
                out.append(",".join(scoped) + "{" + _compact(tinycss2.serialize(rule.content)) + "}")
        # other at-rules (@page: margins, running headers) only mean something in print
    return "\n".join(out)


def _compact(text: str) -> str:
    return " ".join(text.split())


def notebook_html(fragment: str) -> str:
    """A section's HTML as a notebook cell shows it: inside ``<div class="kiprank kiprank-output">`` with
    the scoped stylesheet, so the section looks like the report wherever the output is shown (the
    report template takes the fragment out again: ``report.html`` has the whole stylesheet once)."""
    return f'<div class="kiprank {SCOPE}"><style>{scoped_stylesheet()}</style>{fragment}</div>'


def load_content(folder: Path | str, kind: str = "report") -> dict:
    """The content data a build published (``report-content.json``: ``meta`` and ``sections``)."""
    return json.loads((Path(folder) / CONTENT_FILE[kind]).read_text(encoding="utf-8"))


__all__ = ["section_html", "block_html", "runs_html", "table_html", "load_content", "data_uri", "CONTENT_FILE",
           "embedded_fonts", "scoped_stylesheet", "notebook_html", "SCOPE", "SCOPE_SELECTOR"]
