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
    en/...                                      the same pages in the other language (en/ for an
                                                Indonesian site, id/ for an English one)

Every page names the issuer and the region in its header and links to the same page in the other
language; the published files are copied once and linked from both languages' pages.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from ..core.formatting import MISSING, format_number, format_weight
from ..core.files import sha256_file
from ..core.wording import words
from ..report.agreement_content import site_line
from . import svg
from .pages import Body, Comparison, Region, SiteData

from ..core.resources import SITE_STATIC_DIR as STATIC, SITE_TEMPLATES_DIR as TEMPLATES
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
    return _badge_cached(band, tuple(bands))


@lru_cache(maxsize=1024)
def _badge_cached(band: str, bands: tuple) -> Markup:
    if not band:
        return Markup("")
    return Markup('<span class="band">') + _swatch_of(bands, band) + " " + band + Markup("</span>")


@lru_cache(maxsize=8192)
def _escaped(text: str) -> str:
    return str(escape(text))


def _sort_num(value) -> str:
    """``data-sort`` of a number cell (empty for a missing value: the script sorts those last)."""
    return "" if value is None else repr(float(value))


def region_heading(region: Region) -> str:
    return region.title or f"{region.label or region.region} {region.year}"


def _acronyms(name: str) -> list[str]:
    """What a reader may type for a body instead of its name: its initials ('Badan Pengelolaan
    Keuangan dan Aset Daerah' -> 'bpkad', with and without the small words), an acronym it carries
    in brackets, and the common contractions of Indonesian government names ('Dinas Komunikasi dan
    Informatika' -> 'diskominfo', from ``kiprank/site/acronyms.yml``)."""
    words = [w for w in re.split(r"[^\w]+", name.lower()) if w]
    small = {"dan", "di", "ke", "dari", "the", "of", "and"}
    out = {"".join(w[0] for w in words if w not in small), "".join(w[0] for w in words)}
    out |= {m.lower() for m in re.findall(r"\(([^()]{2,20})\)", name)}
    flat = " ".join(words)
    for short, long_forms in _known_acronyms().items():
        if any(f" {form} " in f" {flat} " for form in long_forms):
            out.add(short)
    return sorted(a for a in out if len(a) >= 2)


@lru_cache(maxsize=1)
def _known_acronyms() -> dict[str, list[str]]:
    from ..core.yamlfile import load_yaml

    data = load_yaml(TEMPLATES.parent / "acronyms.yml")
    return {str(k).lower(): [" ".join(str(v).lower().split()) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in data.items()}


def search_text(body: Body) -> str:
    """What the name filter matches a body by: its name, its id and its acronyms (lower case)."""
    return " | ".join([body.name.lower(), body.body_id.lower(), *_acronyms(body.name)])


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


def round_note(region: Region, t: Words) -> dict | None:
    """What a region's and its bodies' pages say about its objection round: ``stage`` and ``text``
    (preliminary results, objections until ...; or final results after the round)."""
    rnd = region.objection_round
    if not rnd:
        return None
    from datetime import date

    from ..core.formatting import format_date

    try:
        day = format_date(date.fromisoformat(rnd["until"]), t.lang)
    except ValueError:
        day = rnd["until"] or MISSING
    return {"stage": rnd["stage"], "text": t(f"round_{rnd['stage']}", date=day)}


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
    stages = [{"id": s, "label": region.stage_labels.get(s, s), "short": region.stage_short.get(s, s),
               "weight": region.stage_weights.get(s)} for s in region.stage_ids]
    top = [{"group": g, "bodies": [b for b in region.bodies if b.group == g and b.rank is not None][:3]}
           for g in region.groups]
    return {"region": region, "charts": charts, "band_table": band_table, "stages": stages, "top": top,
            "heading": region_heading(region), "report": report_sections(region.content),
            "agreement": site_line(*region.agreement, t.lang) if region.agreement else None,
            "search": {b.body_id: search_text(b) for b in region.bodies}, "round": round_note(region, t),
            "header": {"issuer": region.issuer, "region": f"{region.label} {region.year}"}}


def _body_context(region: Region, body: Body, t: Words) -> dict:
    """A body page's numbers, formatted here (thousands of pages: the template only places them)."""
    d, bands = region.decimals, region.bands
    sheets = []
    for stage in region.stage_ids:
        # The heaviest part of thousands of pages, joined here: labels escaped (once each), numbers
        # are the formatter's digits, marks and dashes.
        rows = "".join(
            f'<tr><th scope="row">{_escaped(r["label"] or r["indicator"])}</th><td class="num">{t.weight(r["weight"])}'
            f'</td><td class="num">{t.num(r["score"], 1)}</td><td class="num">{t.num(r["contribution"], 2)}</td></tr>\n'
            for r in body.indicators if r["stage"] == stage)
        if rows:
            sheets.append({"label": region.stage_labels.get(stage, stage), "rows": Markup(rows)})
    stages = [(region.stage_labels.get(s, s),
               t.weight(region.stage_weights[s]) if s in region.stage_weights else "", t.num(body.stages[s], d))
              for s in region.stage_ids]
    weights = any(w for _, w, _ in stages)  # no weights known (a methodology no longer on disk): no column
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
                "rank": f"{h['rank']} / {h['group_size']}" if h["rank"] is not None else t("not_ranked"),
                "name": h.get("name") or body.name}
               for h in body.history]
    renamed = any(h["name"] != body.name for h in history)
    history_svg = None
    if len(body.history) > 1:
        points = [(h["year"], h["final"], h["band"]) for h in body.history]
        desc = "; ".join(f"{h['year']}: {t.num(h['final'], h['decimals']) if h['final'] is not None else MISSING}"
                         f" ({h['band']})" for h in body.history)
        history_svg = Markup(svg.history_line("h", points, bands, t("chart_history", name=body.name), desc))
    return {"region": region, "body": body, "sheets": sheets, "stages": stages, "final": t.num(body.final, d),
            "band": _badge(body.band, bands), "rank_text": rank, "robustness": robustness, "history": history,
            "history_svg": history_svg, "heading": region_heading(region), "weights": weights, "renamed": renamed,
            "history_caption": t("history_caption", name=body.name),
            "back": t("back_to_region", region=region.label, year=region.year), "round": round_note(region, t),
            "header": {"issuer": region.issuer, "region": f"{region.label} {region.year}"}}


def _comparison_context(comp: Comparison, t: Words, data: SiteData | None = None) -> dict:
    pages = {}  # (year, body_id) -> the body's page in that year, when the site has it
    for region in (data.regions if data is not None else []):
        if region.region == comp.region:
            for b in region.bodies:
                pages[(region.year, b.body_id)] = f"{region.rel}/badan/{b.slug}.html"
    pairs = []
    for y1, y2 in sorted({(c["year_1"], c["year_2"]) for c in comp.changes}, key=lambda p: (p[0] or 0, p[1] or 0)):
        rows = [{**c, "href": pages.get((y2, c["body_id"])) or pages.get((y1, c["body_id"])),
                 "search": " | ".join([c["name"].lower(), c["body_id"].lower(), *_acronyms(c["name"])])}
                for c in comp.changes if c["year_1"] == y1 and c["year_2"] == y2]
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
    return {"comp": comp, "pairs": pairs, "years": years, "report": report_sections(comp.content),
            "header": {"issuer": comp.issuer, "region": f"{comp.label} {years}"}}


class Writer:
    """Writes the site's files and keeps the SHA-256 of each (for the manifest) without reading
    them back. Published files are linked (a hard link: no bytes copied; kiprank never changes a
    published file in place, it replaces folders) or copied where links are not possible; the hash
    of a source is computed once (``hashes``, shared with the manifest's list of sources)."""

    def __init__(self, folder: Path, hashes: dict[Path, str] | None = None, link: bool = True):
        self.folder = Path(folder)
        self.written: dict[str, str] = {}
        self.hashes = hashes if hashes is not None else {}
        self.link = link

    def _write(self, path: Path, data: bytes) -> None:
        try:
            handle = open(path, "wb")
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "wb")
        with handle:
            handle.write(data)

    def text(self, rel: str, text: str) -> None:
        data = text.encode("utf-8")
        self._write(self.folder / rel, data)
        self.written[rel] = hashlib.sha256(data).hexdigest()

    def close(self) -> None:
        """Nothing is left to wait for (kept for callers that finish a writer)."""

    def page(self, template: str, rel: str, **context) -> None:
        self.text(rel, environment().get_template(template).render(**context))

    def copy(self, src: Path, rel: str) -> None:
        dst = self.folder / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if self.link:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        else:
            shutil.copyfile(src, dst)
        self.written[rel] = self.source_hash(src)

    def source_hash(self, src: Path) -> str:
        key = Path(src).resolve()
        if key not in self.hashes:
            self.hashes[key] = sha256_file(key)
        return self.hashes[key]


# Below this many bodies the site is written in this process; above it, the regions are shared
# between forked processes (one per core, at most PROCESSES), each writing its own pages.
PARALLEL_BODIES = 1500
PROCESSES = 4
_SHARED: tuple | None = None  # what a forked worker renders: (data, folder, lang, version, link)


def write_site(data: SiteData, folder: Path, lang: str = "id", version: str = "",
               hashes: dict[Path, str] | None = None, link: bool = True,
               processes: int | None = None) -> dict[str, str]:
    """Write every page of ``data`` into ``folder`` (which must exist), in ``lang`` and, under
    ``<other language>/``, in the other language; returns each path written, relative to
    ``folder``, with its SHA-256. ``hashes``: a cache of source file hashes (filled).
    Large sites are rendered by several processes (``processes``, default: the cores, for more
    than :data:`PARALLEL_BODIES` bodies); the bytes are the same either way."""
    global _SHARED
    n_bodies = sum(len(r.bodies) for r in data.regions)
    if processes is None:
        processes = min(os.cpu_count() or 1, PROCESSES) if n_bodies > PARALLEL_BODIES else 1
    chunks = [list(range(i, len(data.regions), processes)) for i in range(processes)] if processes > 1 else []
    written: dict[str, str] = {}
    if len(chunks) > 1:
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
        except ValueError:  # no fork (Windows): one process
            chunks = []
        if chunks:
            _SHARED = (data, Path(folder), lang, version, link)
            try:
                with context.Pool(len(chunks)) as pool:
                    parts = pool.map(_render_chunk, chunks)
            finally:
                _SHARED = None
            for part, part_hashes in parts:
                written.update(part)
                if hashes is not None:
                    hashes.update(part_hashes)
    out = Writer(folder, hashes, link)
    try:
        _write_pages(data, out, lang, version, regions=not chunks)
    finally:
        out.close()
    written.update(out.written)
    return dict(sorted(written.items()))


def _render_chunk(indices: list[int]) -> tuple[dict[str, str], dict[Path, str]]:
    data, folder, lang, version, link = _SHARED
    out = Writer(folder, None, link)
    try:
        for page_lang, prefix in languages(lang):
            common = _common(data, Words(page_lang), page_lang, version, lang)
            for i in indices:
                _write_region(data.regions[i], out, common, prefix, copy=not prefix)
    finally:
        out.close()
    return out.written, out.hashes


OTHER_LANGUAGE = {"id": "en", "en": "id"}


def languages(lang: str) -> list[tuple[str, str]]:
    """(language, folder prefix) of the site's two languages: ``lang`` at the top, the other one in
    its own folder (``en/`` beside an Indonesian site, ``id/`` beside an English one)."""
    other = OTHER_LANGUAGE[lang]
    return [(lang, ""), (other, other + "/")]


def _common(data: SiteData, t: Words, lang: str, version: str, site_lang: str | None = None) -> dict:
    return {"t": t, "w": t.words, "lang": lang, "site_lang": site_lang or lang, "version": version,
            "sort_num": _sort_num, "data": data,
            "svg_strip": lambda uid, counts, bands, title: Markup(svg.band_strip(
                uid, counts, bands, title, "; ".join(f"{label}: {n}" for label, n in counts))),
            "band_colour": lambda bands, band: svg.colours(bands).get(band, svg.NOT_RETURNED_COLOR),
            "swatch_of": _swatch_of, "badge": _badge,
            "header": {"issuer": " · ".join(sorted({r.issuer for r in data.regions if r.issuer})[:3]), "region": ""}}


def _nav(rel: str, prefix: str, common: dict) -> dict:
    """Where a page at ``rel`` of the language folder ``prefix`` finds the site's top (``root``:
    stylesheet, script, published files), its own language's home (``home``), and the same page in
    the other language (``switch``)."""
    root = "../" * (prefix + rel).count("/")
    other = OTHER_LANGUAGE[common["lang"]]
    href = root + rel if prefix else root + other + "/" + rel
    return {"root": root, "home": root + prefix, "switch": {"href": href, "lang": other,
                                                            "label": common["w"]["other_language"]}}


def _files_at(folder: str, page: str) -> str:
    """The relative path from the page ``page`` (site-relative) to the published folder ``folder``
    where the copies of its files are, ending in '/' (or '' beside them)."""
    rel = posixpath.relpath(folder, posixpath.dirname(page) or ".")
    return "" if rel == "." else rel + "/"


def _write_region(region: Region, out: Writer, common: dict, prefix: str = "", copy: bool = True) -> None:
    region.load_details()
    t = common["t"]
    if copy:
        for rel in [*region.files, *[b.letter for b in region.bodies if b.letter],
                    *([region.letters_all] if region.letters_all else [])]:
            out.copy(region.folder / rel, f"{region.rel}/{rel}")
    rel = f"{region.rel}/index.html"
    nav = _nav(rel, prefix, common)
    out.page("region.html.j2", prefix + rel, **{**common, **nav, "page": "region",
                                                "files_at": _files_at(region.rel, prefix + rel), **_region_context(region, t)})
    (out.folder / prefix / region.rel / "badan").mkdir(parents=True, exist_ok=True)
    body_template = environment().get_template("body.html.j2")
    for body in region.bodies:
        rel = f"{region.rel}/badan/{body.slug}.html"
        nav = _nav(rel, prefix, common)
        out.text(prefix + rel, body_template.render(**{**common, **nav, "page": "body",
                                                       "files_at": _files_at(region.rel, prefix + rel),
                                                       **_body_context(region, body, t)}))


def _write_pages(data: SiteData, out: Writer, lang: str, version: str, regions: bool = True) -> None:
    for name in STATIC_FILES:
        out.text(f"static/{name}", (STATIC / name).read_text(encoding="utf-8"))
    for page_lang, prefix in languages(lang):
        common = _common(data, Words(page_lang), page_lang, version, lang)
        out.page("home.html.j2", prefix + "index.html", **{**common, **_nav("index.html", prefix, common), "page": "home"})
        if regions:
            for region in data.regions:
                _write_region(region, out, common, prefix, copy=not prefix)
        for comp in data.comparisons:
            if not prefix:
                for name in comp.files:
                    out.copy(comp.folder / name, f"compare/{comp.name}/{name}")
            rel = f"compare/{comp.name}/index.html"
            nav = _nav(rel, prefix, common)
            out.page("compare.html.j2", prefix + rel, **{**common, **nav, "page": "compare",
                                                         "files_at": _files_at(f"compare/{comp.name}", prefix + rel),
                                                         **_comparison_context(comp, common["t"], data)})


__all__ = ["write_site", "environment", "Words", "TEMPLATES", "STATIC", "region_heading", "languages", "search_text"]
