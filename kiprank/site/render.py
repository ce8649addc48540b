"""Writing the site's pages: Jinja2 templates (autoescape on, so every user text is text) in
``kiprank/site/templates``, the screen stylesheet and the sorting/filtering script from
``kiprank/site/static``, and copies of the published files the pages link to.

Layout of a site folder (every link is relative, so the folder works from the file system and
from any web server, at any path)::

    index.html                                  home: years, regions, band counts, comparisons
    static/site.css, static/site.js
    <year>/<region>/index.html                  a ranking: summary, table, charts, downloads
    <year>/<region>/badan/<body>.html           a body: score sheet, robustness, letter, history
    <year>/<region>/report.pdf, ranking.csv ... copies of the published files
    compare/<name>/index.html                   a comparison, with its PDF and tables
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from ..formatting import MISSING, format_number, format_weight
from ..wording import words
from . import svg
from .pages import Body, Comparison, Region, SiteData

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_FILES = ("site.css", "site.js")


@lru_cache(maxsize=None)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
    return env


class Words:
    """The site's words in one language; ``t("key", name=...)`` fills placeholders (the result is
    plain text: Jinja escapes it where it is written)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.words = words("site", lang)

    def __call__(self, key: str, **values) -> str:
        text = self.words[key]
        return text.format(**values) if values else text

    def num(self, value, decimals: int = 1) -> str:
        return _num(value, decimals, self.lang)

    def pct(self, value) -> str:
        return MISSING if value is None else _num(100 * value, 0, self.lang) + "%"

    def weight(self, value) -> str:
        return _weight(value, self.lang)

    def rank(self, value) -> str:
        return MISSING if value is None else (format_number(value, 0, self.lang))


@lru_cache(maxsize=65536)
def _num(value, decimals: int, lang: str) -> str:
    return format_number(value, decimals, lang)


@lru_cache(maxsize=4096)
def _weight(value, lang: str) -> str:
    return format_weight(value, lang)


def _swatch_of(bands, band: str) -> Markup:
    return Markup(svg.swatch(svg.colours(bands).get(band, svg.NOT_RETURNED_COLOR)))


def _badge(band: str, bands) -> Markup:
    """A band's name after its colour (the name escaped: a band label is text from a methodology)."""
    if not band:
        return Markup("")
    return Markup('<span class="band">') + _swatch_of(bands, band) + " " + band + Markup("</span>")


def _sort_num(value) -> str:
    """``data-sort`` of a number cell (empty for a missing value: the script sorts those last)."""
    return "" if value is None else repr(float(value))


def region_heading(region: Region) -> str:
    return region.title or f"{region.region} {region.year}"


def report_sections(content: dict | None) -> dict | None:
    """The report's sections as HTML, through the report's own renderer
    (:func:`kiprank.report.html.section_html`: every text escaped there): the cover's notes (the
    data note) and each numbered section, but not the annex of score sheets (each body's page has
    its sheet) nor the cover and contents (the page has its own heading and navigation)."""
    if not content:
        return None
    from ..report.html import block_html, section_html

    notes, sections = [], []
    for s in content.get("sections", []):
        kind = s.get("kind")
        if kind == "cover":
            notes += [Markup(block_html({"t": "notice", "kind": "note", **n})) for n in s.get("notes", [])]
            if s.get("alert"):
                notes.append(Markup(block_html({"t": "notice", **s["alert"]})))
        elif kind == "section" and not any(b.get("t") == "sheet" for b in s.get("blocks", [])):
            sections.append(Markup(section_html(s)))
    lang = str((content.get("meta") or {}).get("lang") or "")
    return {"notes": notes, "sections": sections, "lang": lang}


def _region_context(region: Region, t: Words) -> dict:
    charts = []
    for i, group in enumerate(region.groups):
        members = [b for b in region.bodies if b.group == group]
        rows = [(b.name, b.final, b.band, t.num(b.final, region.decimals)) for b in members]
        desc = t("chart_scores_desc") + " " + "; ".join(
            f"{b.name}: {t.num(b.final, region.decimals) if b.final is not None else b.band}" for b in members)
        charts.append({"group": group, "svg": Markup(svg.score_bars(f"c{i}", rows, region.bands,
                                                                    t("chart_scores", group=group), desc))})
    band_table = [{"group": g, "counts": region.band_counts(g)} for g in region.groups]
    stages = [{"id": s, "label": region.stage_labels.get(s, s), "weight": region.stage_weights.get(s)}
              for s in region.stage_ids]
    top = [{"group": g, "bodies": [b for b in region.bodies if b.group == g and b.rank is not None][:3]}
           for g in region.groups]
    return {"region": region, "charts": charts, "band_table": band_table, "stages": stages, "top": top,
            "heading": region_heading(region), "report": report_sections(region.content)}


def _body_context(region: Region, body: Body, t: Words) -> dict:
    """A body page's numbers, formatted here (thousands of pages: the template only places them)."""
    d, bands = region.decimals, region.bands
    sheets = []
    for stage in region.stage_ids:
        rows = [(r["label"] or r["indicator"], t.weight(r["weight"]), t.num(r["score"], 1), t.num(r["contribution"], 2))
                for r in body.indicators if r["stage"] == stage]
        if rows:
            sheets.append({"label": region.stage_labels.get(stage, stage), "rows": rows})
    stages = [(region.stage_labels.get(s, s),
               t.weight(region.stage_weights[s]) if s in region.stage_weights else "", t.num(body.stages[s], d))
              for s in region.stage_ids]
    rank = (t("body_rank_of", rank=body.rank, size=body.group_size, group=body.group) if body.rank is not None
            else f"{t('not_ranked')} ({body.group})")
    robustness = None
    if body.robustness:
        rb = body.robustness
        text = (t("robustness_text", draws=region.robustness_draws or "", median=t.rank(rb["rank_median"]),
                  low=t.rank(rb["rank_p05"]), high=t.rank(rb["rank_p95"])) if rb["rank_median"] is not None else "")
        robustness = {"text": text, "rows": [(_badge(label, bands), t.pct(p)) for label, p in rb["bands"]],
                      "top3": None if rb["p_top3"] is None else t.pct(rb["p_top3"])}
    history = [{"year": h["year"], "href": None if h["current"] else h["href"], "current": h["current"],
                "final": t.num(h["final"], h["decimals"]), "band": _badge(h["band"], bands),
                "rank": f"{h['rank']} / {h['group_size']}" if h["rank"] is not None else t("not_ranked")}
               for h in body.history]
    history_svg = None
    if len(body.history) > 1:
        points = [(h["year"], h["final"], h["band"]) for h in body.history]
        desc = "; ".join(f"{h['year']}: {t.num(h['final'], h['decimals']) if h['final'] is not None else MISSING}"
                         f" ({h['band']})" for h in body.history)
        history_svg = Markup(svg.history_line("h", points, bands, t("chart_history", name=body.name), desc))
    return {"region": region, "body": body, "sheets": sheets, "stages": stages, "final": t.num(body.final, d),
            "band": _badge(body.band, bands), "rank_text": rank, "robustness": robustness, "history": history,
            "history_svg": history_svg, "heading": region_heading(region),
            "history_caption": t("history_caption", name=body.name),
            "back": t("back_to_region", region=region.region, year=region.year)}


def _comparison_context(comp: Comparison, t: Words) -> dict:
    pairs = []
    for y1, y2 in sorted({(c["year_1"], c["year_2"]) for c in comp.changes}, key=lambda p: (p[0] or 0, p[1] or 0)):
        rows = [c for c in comp.changes if c["year_1"] == y1 and c["year_2"] == y2]
        moves = {"moved_up": 0, "moved_down": 0, "unchanged": 0, "band_up": 0, "band_down": 0,
                 "entered": 0, "left": 0}
        for c in rows:
            if c["rank_1"] is None and c["final_1"] is None and c["band_1"] == "":
                moves["entered"] += 1
            elif c["rank_2"] is None and c["final_2"] is None and c["band_2"] == "":
                moves["left"] += 1
            if c["rank_change"] is not None:
                moves["moved_up" if c["rank_change"] > 0 else "moved_down" if c["rank_change"] < 0 else "unchanged"] += 1
            if c["band_change"]:
                moves["band_up" if c["band_change"] > 0 else "band_down"] += 1
        stages = [s for s in comp.by_stage if s["year_1"] == y1 and s["year_2"] == y2]
        groups = list(dict.fromkeys(c["group"] for c in rows))
        bands = list(dict.fromkeys(c["band_2"] for c in rows if c["band_2"]))
        pairs.append({"year_1": y1, "year_2": y2, "rows": rows, "moves": moves, "stages": stages,
                      "groups": groups, "bands": bands})
    years = "\u2013".join(str(y) for y in comp.years) if comp.years else comp.name
    return {"comp": comp, "pairs": pairs, "years": years, "report": report_sections(comp.content)}


def _render(name: str, path: Path, **context) -> None:
    html = environment().get_template(name).render(**context)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(html)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def write_site(data: SiteData, folder: Path, lang: str = "id", version: str = "") -> list[str]:
    """Write every page of ``data`` into ``folder`` (which must exist); returns the paths written,
    relative to ``folder``, in the order written."""
    t = Words(lang)
    folder = Path(folder)
    written: list[str] = []
    common = {"t": t, "w": t.words, "lang": lang, "version": version, "sort_num": _sort_num, "data": data,
              "svg_strip": lambda uid, counts, bands, title: Markup(svg.band_strip(
                  uid, counts, bands, title, "; ".join(f"{label}: {n}" for label, n in counts))),
              "band_colour": lambda bands, band: svg.colours(bands).get(band, svg.NOT_RETURNED_COLOR),
              "swatch_of": _swatch_of, "badge": _badge}

    for name in STATIC_FILES:
        _copy(STATIC / name, folder / "static" / name)
        written.append(f"static/{name}")

    _render("home.html.j2", folder / "index.html", root="", page="home", **common)
    written.append("index.html")

    for region in data.regions:
        base = folder / str(region.year) / region.region
        for name in region.files:
            _copy(region.folder / name, base / name)
            written.append(f"{region.rel}/{name}")
        for rel in [b.letter for b in region.bodies if b.letter] + ([region.letters_all] if region.letters_all else []):
            _copy(region.folder / rel, base / rel)
            written.append(f"{region.rel}/{rel}")
        _render("region.html.j2", base / "index.html", root="../../", page="region",
                **_region_context(region, t), **common)
        written.append(f"{region.rel}/index.html")
        bodies_dir = base / "badan"
        bodies_dir.mkdir(parents=True, exist_ok=True)
        template = environment().get_template("body.html.j2")
        for body in region.bodies:
            html = template.render(root="../../../", page="body", **_body_context(region, body, t), **common)
            with open(bodies_dir / f"{body.slug}.html", "w", encoding="utf-8", newline="\n") as handle:
                handle.write(html)
            written.append(f"{region.rel}/badan/{body.slug}.html")

    for comp in data.comparisons:
        base = folder / "compare" / comp.name
        for name in comp.files:
            _copy(comp.folder / name, base / name)
            written.append(f"compare/{comp.name}/{name}")
        _render("compare.html.j2", base / "index.html", root="../../", page="compare",
                **_comparison_context(comp, t), **common)
        written.append(f"compare/{comp.name}/index.html")
    return written


__all__ = ["write_site", "environment", "Words", "TEMPLATES", "STATIC", "region_heading"]
