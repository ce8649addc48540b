"""The corrections list (``kiprank diff``) as content and HTML: every body whose score, band or rank
changed between two published runs (:func:`kiprank.analysis.corrections.diff_rankings`), typeset with the
reports' Typst look (A4 landscape) by :mod:`kiprank.runs.corrections`, which publishes it.
Words in ``kiprank/words/corrections.<lang>.yml``."""

from __future__ import annotations


import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..core.version import __version__
from ..core.formatting import format_date, format_int, format_number
from ..core.wording import words
from ..core.resources import TEMPLATES_DIR
from . import blocks as B
from .html import section_html


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def corrections_content(table: pd.DataFrame, old, new, lang: str = "id") -> dict:
    """The corrections list's content data (``meta`` and one section), numbers formatted here at
    the precision the rankings were published at. ``old`` and ``new``:
    :class:`kiprank.analysis.corrections.Published` (region, year, issuer, the decrees' dates and
    fingerprints); no path of this machine is printed."""
    t = words("corrections", lang)
    dash = "\u2014"
    decimals = table.attrs.get("decimals", max(old.decimals, new.decimals))

    def num(v, signed=False):
        if _blank(v):
            return dash
        text = format_number(v, decimals, lang)
        return ("+" + text) if signed and v > 0 else text

    def rank(v):
        return dash if _blank(v) else format_int(v, lang)

    rows = []
    for r in table.to_dict("records"):
        change = r["final_change"]
        rows.append([
            "" if _blank(r["group"]) else str(r["group"]), str(r["name"]), num(r["final_old"]), num(r["final_new"]),
            dash if _blank(change) else B.tone(num(change, True), "up" if change > 0 else "down" if change < 0 else "flat"),
            dash if _blank(r["band_old"]) else str(r["band_old"]),
            dash if _blank(r["band_new"]) else (B.bold(str(r["band_new"])) if r["band_new"] != r["band_old"] else str(r["band_new"])),
            rank(r["rank_old"]),
            B.bold(rank(r["rank_new"])) if rank(r["rank_new"]) != rank(r["rank_old"]) else rank(r["rank_new"]),
            ", ".join(t["what"].get(w.strip(), w.strip()) for w in str(r["what_changed"]).split(",")),
        ])

    def decree(p) -> str:
        day = format_date(p.date, lang) if p.date else t["not_recorded"]
        return t["decree_value"].format(date=day, fingerprint=p.fingerprint or t["not_recorded"])

    year = new.year or old.year
    region = new.region or old.region or dash
    issuer = new.issuer or old.issuer or dash
    facts = [[t["region"], region], [t["year"], str(year) if year else dash], [t["issuer"], issuer],
             [t["decree_old"], decree(old)], [t["decree_new"], decree(new)]]
    blocks = [B.table([t["fact"], t["value"]], facts, caption=None, cols=["", ""], widths=["45mm", None], compact=True),
              B.para(t["changed"].format(n=format_int(len(rows), lang)) if rows else t["unchanged"])]
    if rows:
        blocks.append(B.table([t["group"], t["body"], t["final_old"], t["final_new"], t["final_change"], t["band_old"],
                               t["band_new"], t["rank_old"], t["rank_new"], t["what_changed"]], rows,
                              caption=B.caption(t["table"], t["table_title"]), compact=True,
                              cols=["", "name", "num", "num", "num", "", "", "num", "num", ""],
                              widths=["30mm", None, "18mm", "18mm", "16mm", "30mm", "30mm", "17mm", "17mm", "26mm"]))
    title = t["doc_title_region"].format(region=region, year=year) if year else t["doc_title"]
    keywords = [f"kiprank {__version__}", "corrections", *[f"manifest {p.fingerprint}" for p in (old, new) if p.fingerprint]]
    meta = {"title": title, "author": issuer if issuer != dash else "kiprank", "keywords": keywords,
            "description": t["description"].format(old=old.fingerprint or dash, new=new.fingerprint or dash),
            "running": t["running_region"].format(region=region, year=year) if year else t["running"],
            "footer": t["footer"].format(version=__version__), "page-word": t["page_word"],
            "of-word": t["of_word"], "lang": lang, "landscape": True}
    section = B.section(None, t["title"], "koreksi", blocks, newpage=False)
    return {"meta": meta, "sections": [section]}


def corrections_html(data: dict, lang: str = "id") -> str:
    """The corrections list's HTML page from its content data (:func:`corrections_content`)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("corrections.html.j2").render(
        title=data["meta"]["title"], lang=lang, version=__version__,
        body=Markup("".join(section_html(s) for s in data["sections"])))


__all__ = ["corrections_content", "corrections_html"]
