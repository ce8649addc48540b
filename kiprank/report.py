"""Content of the published ranking report: tables, charts and text, built from the kiprank API.

The report notebook (``notebooks/ranking_report.ipynb``) only calls :func:`prepare` and then
displays the HTML of each section (``cover_html``, ``summary_html``, ...). Everything the report
shows is computed here or in :mod:`kiprank.scoring` and described from the
:class:`~kiprank.methodology.Methodology` object, so no rule is written by hand in the notebook.

Section functions return HTML fragments styled by the project's nbconvert template
(``kiprank/templates/kiprank_report``); words come from :mod:`kiprank.texts`, numbers from
:mod:`kiprank.formatting` (Indonesian style in the Indonesian report).

The report date is, in this order: the ``report_date`` given (``YYYY-MM-DD``), else the UTC date of
``SOURCE_DATE_EPOCH`` if that is set, else today's date. Give one of the first two for a
reproducible report (``kiprank report --date``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, charts
from .formatting import (check_lang, format_date, format_int, format_number, format_percent, format_weight,
                         resolve_report_date)
from .inputs import RegionInputs, load_region
from .methodology import Methodology, Stage
from .scoring import ScoreResult, score, shortfalls
from .texts import texts

TOP_N = 3
LABELLED_CLAIMS = 5
MISSING_ITEMS_SHOWN = 10


@dataclass
class Report:
    """Everything a report shows, for one region and year, in one language."""

    year: int
    region_id: str
    lang: str
    report_date: date
    inputs: RegionInputs
    result: ScoreResult
    t: dict[str, str]
    version: str = __version__
    fingerprint: str | None = None
    _counters: dict[str, int] = field(default_factory=lambda: {"table": 0, "figure": 0})

    @property
    def methodology(self) -> Methodology:
        return self.result.methodology

    @property
    def ranking(self) -> pd.DataFrame:
        return self.result.ranking

    @property
    def groups(self) -> dict[str, str]:
        """Group id -> label, in the order of region.yml."""
        return dict(self.inputs.config.groups)

    def num(self, value, decimals: int | None = None) -> str:
        """A score in the report's language, at the methodology's precision by default."""
        return format_number(value, self.methodology.decimals if decimals is None else decimals, self.lang)

    def next(self, kind: str) -> str:
        """'Tabel 3' / 'Gambar 2': numbered in the order the sections are displayed."""
        self._counters[kind] += 1
        return self.t[kind].format(n=self._counters[kind])


# -- preparing ---------------------------------------------------------------------------------

def resolve_inputs_root(inputs_root: str | Path, year: int | str, region: str) -> Path:
    """Where ``<inputs_root>/<year>/<region>`` is: an absolute root as given; a relative one
    from the working folder or, failing that, from its parent folders (so the notebook finds
    ``inputs/`` whether it runs from the repository root or from ``notebooks/``)."""
    root = Path(inputs_root)
    if root.is_absolute():
        return root
    cwd = Path.cwd()
    for base in (cwd, *list(cwd.parents)[:2]):
        if (base / root / str(year) / str(region)).is_dir():
            return base / root
    return root


def prepare(year: int | str, region: str, inputs_root: str | Path = "inputs", lang: str = "id",
            report_date: str | date | None = None, fingerprint: str | None = None) -> Report:
    """Validate and score a region's inputs and hold what the report needs."""
    check_lang(lang)
    root = resolve_inputs_root(inputs_root, year, region)
    inputs = load_region(year, region, root)
    result = score(inputs)
    day = resolve_report_date(report_date or inputs.config.report_date)
    return Report(year=int(year), region_id=region, lang=lang, report_date=day,
                  inputs=inputs, result=result, t=texts(lang), fingerprint=fingerprint)


# -- tables (data) -----------------------------------------------------------------------------

def participation_table(rep: Report) -> pd.DataFrame:
    """Per group: bodies, bodies that returned the SAQ, share returned (%); a total row last."""
    r = rep.ranking
    rows = []
    for gid, label in rep.groups.items():
        g = r[r["group"] == gid]
        rows.append((label, len(g), int(g["returned"].sum())))
    rows.append((rep.t["total"], len(r), int(r["returned"].sum())))
    table = pd.DataFrame(rows, columns=["group", "bodies", "returned"])
    table["share"] = np.where(table["bodies"] > 0, 100.0 * table["returned"] / table["bodies"].clip(lower=1), np.nan)
    return table


def band_counts_table(rep: Report) -> pd.DataFrame:
    """Per group (rows, with a total row): number of assessed bodies in each band, and the number
    of bodies that did not return the SAQ (last column)."""
    r = rep.ranking
    labels = rep.methodology.band_labels
    assessed = r[r["returned"]]
    counts = pd.crosstab(pd.Categorical(assessed["group"], categories=list(rep.groups)),
                         pd.Categorical(assessed["band"], categories=labels), dropna=False)
    counts = counts.reindex(index=list(rep.groups), columns=labels, fill_value=0)
    counts[NOT_RETURNED] = r[~r["returned"]].groupby("group").size().reindex(list(rep.groups), fill_value=0)
    counts.index = [rep.groups[g] for g in counts.index]
    counts.loc[rep.t["total"]] = counts.sum()
    return counts.astype(int)


NOT_RETURNED = "__not_returned__"


def top_bodies(rep: Report, n: int = TOP_N) -> pd.DataFrame:
    """The bodies ranked 1..n in each group (ties included), in report order."""
    r = rep.ranking
    return r[r["rank"].notna() & (r["rank"].astype("Float64") <= n)].reset_index(drop=True)


def claim_columns(m: Methodology, ranking: pd.DataFrame) -> tuple[str | None, str | None]:
    """(self-assessed column, verified column) of the ranking table, or None where missing."""
    claim = m.stages_of("questionnaire")[0].id if m.stages_of("questionnaire") else (
        "self_assessed" if "self_assessed" in ranking.columns else None)
    verified = m.stages_of("verification")[0].id if m.stages_of("verification") else None
    return claim, verified


def overclaims(rep: Report) -> pd.DataFrame:
    """Assessed bodies with their SAQ claim, verified score and gap (claim - verified), largest
    gap first. Empty when the methodology has no SAQ claim and verification to compare."""
    claim, verified = claim_columns(rep.methodology, rep.ranking)
    if claim is None or verified is None:
        return pd.DataFrame(columns=["body_id", "name", "group_label", "claimed", "verified", "gap"])
    r = rep.ranking[rep.ranking["returned"]]
    table = pd.DataFrame({"body_id": r["body_id"], "name": r["name"], "group_label": r["group_label"],
                          "claimed": r[claim].astype(float), "verified": r[verified].astype(float)})
    table["gap"] = table["claimed"] - table["verified"]
    return table.sort_values(["gap", "name"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def missing_items(rep: Report) -> pd.DataFrame:
    """Website checklist items with the share (%) of assessed bodies lacking each, most missed first.
    Columns stage, item, label, missing (count), share."""
    res = rep.result
    returned = rep.ranking.set_index("body_id")["returned"].reindex(res.body_order).to_numpy(dtype=bool)
    rows = []
    for stage in rep.methodology.stages_of("checklist"):
        matrix = res.matrices.get(stage.id)
        if matrix is None or not returned.any():
            continue
        lacking = (matrix[returned] < 1 - 1e-9).sum(axis=0)
        for item, count in zip(stage.items, lacking):
            rows.append((stage.id, item.id, item.label, int(count), 100.0 * count / returned.sum()))
    table = pd.DataFrame(rows, columns=["stage", "item", "label", "missing", "share"])
    return table.sort_values(["share", "label"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def band_range_text(m: Methodology, index: int, lang: str) -> str:
    """'90,0 – 100' for the top band, '80,0 – 89,9' below it, at the methodology's precision."""
    band = m.bands[index]
    step = 10 ** -m.decimals
    upper = 100.0 if index == 0 else m.bands[index - 1].min - step
    return f"{format_number(band.min, m.decimals, lang)} \u2013 {format_number(upper, m.decimals, lang)}"


# -- HTML helpers ------------------------------------------------------------------------------

class Raw(str):
    """Text that is already HTML (not escaped again)."""


def _e(value) -> str:
    if isinstance(value, Raw):
        return value
    return escape("" if value is None else str(value), quote=True)


def _table(headers: list[str], rows: list[list[str]], cls: str = "", caption: str = "",
           col_classes: list[str] | None = None, row_classes: list[str] | None = None,
           escape_cells: bool = True, widths: list[str] | None = None) -> str:
    """A table whose header repeats on every page it spans (thead), with its caption kept with it.

    Cells are escaped unless ``escape_cells`` is False (``Raw`` text is never escaped). With
    ``widths`` (CSS lengths, '' for the rest) the table uses a fixed layout, which is much faster
    to render for long tables.
    """
    col_classes = col_classes or [""] * len(headers)
    out = []
    if caption:
        out.append(f'<div class="table-caption">{caption}</div>')
    style = ' style="table-layout: fixed"' if widths else ""
    out.append(f'<table class="{_e(cls)}"{style}>')
    if widths:
        out.append("<colgroup>" + "".join(f'<col style="width:{w}">' if w else "<col>" for w in widths)
                   + "</colgroup>")
    out.append("<thead><tr>" + "".join(
        f'<th class="{c}">{_e(h)}</th>' for h, c in zip(headers, col_classes)) + "</tr></thead><tbody>")
    for i, row in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="{c}">{_e(v) if escape_cells else v}</td>' for v, c in zip(row, col_classes))
        out.append(f"<tr{rc}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _caption(rep: Report, kind: str, title: str) -> str:
    return f'<span class="caption-no">{_e(rep.next(kind))}.</span> {_e(title)}'


def _band_chip(rep: Report, band: str, returned: bool = True) -> str:
    colors = charts.band_colors(rep.methodology.band_labels)
    color = colors.get(band, charts.NOT_RETURNED_COLOR) if returned else charts.NOT_RETURNED_COLOR
    return f'<span class="chip" style="background:{color}"></span>{_e(band)}'


def _section(rep: Report, number: int | None, key: str, anchor: str, body: str, cls: str = "") -> str:
    title = rep.t[key]
    heading = f"{number}. {title}" if number is not None else title
    return (f'<section class="report-section {cls}" id="{anchor}">'
            f'<h2 data-title="{_e(title)}">{_e(heading)}</h2>{body}</section>')


SECTIONS = [  # (number, text key, anchor) in display order; the annex is unnumbered
    (1, "sec_summary", "ringkasan"),
    (2, "sec_methodology", "metodologi"),
    (3, "sec_results", "hasil"),
    (4, "sec_charts", "grafik"),
    (5, "sec_not_returned", "tidak-mengembalikan"),
    (None, "sec_annex", "lampiran"),
]


# -- sections ----------------------------------------------------------------------------------

def running_strings_html(running: str, footer: str, t: dict) -> str:
    """The invisible texts that the running header and the footer repeat on every page (CSS
    ``string-set``); :mod:`kiprank.pdf` copies this block into each part of a split PDF."""
    return (f'<div class="running-strings"><span class="set-running">{_e(running)}</span>'
            f'<span class="set-footer">{_e(footer)}</span><span class="set-page-word">{_e(t["page_word"])}</span>'
            f'<span class="set-of-word">{_e(t["of_word"])}</span></div>')


def cover_html(rep: Report) -> str:
    """Cover page, plus the (invisible) strings used in the running header and footer."""
    t, cfg, m = rep.t, rep.inputs.config, rep.methodology
    n = len(rep.ranking)
    meta = [
        (t["issuer"], cfg.issuer),
        (t["methodology"], f"{m.name} ({m.id})"),
        (t["bodies_assessed_cover"], t["bodies_cover_value"].format(n=format_int(n, rep.lang), k=len(rep.groups))),
        (t["report_date"], format_date(rep.report_date, rep.lang)),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in meta)
    note = ""
    if cfg.note(rep.lang):
        note = (f'<div class="data-note"><div class="data-note-title">{_e(t["data_note"])}</div>'
                f"<p>{_e(cfg.note(rep.lang))}</p></div>")
    running = t["running_head"].format(region=cfg.region, year=rep.year)
    footer = t["footer_line"].format(version=rep.version, methodology=m.id)
    if rep.fingerprint:
        footer += t["footer_fingerprint"].format(fingerprint=rep.fingerprint)
    return (
        '<section class="cover">'
        f"{running_strings_html(running, footer, t)}"
        f'<div class="cover-issuer">{_e(cfg.issuer)}</div>'
        '<div class="cover-rule"></div>'
        f'<div class="cover-kind">{_e(t["report_kind"])}</div>'
        f'<h1 class="cover-title">{_e(cfg.title)}</h1>'
        f'<div class="cover-subtitle">{_e(t["cover_subtitle"])}</div>'
        f'<div class="cover-region">{_e(t["cover_region_year"].format(region=cfg.region, year=rep.year))}</div>'
        f"{note}"
        f'<table class="cover-meta">{rows}</table>'
        f'<p class="cover-legal">{_e(t["legal_basis"].format(version=rep.version))}</p>'
        "</section>"
    )


def contents_html(rep: Report) -> str:
    """Table of contents with page numbers (filled in by the PDF renderer)."""
    items = "".join(
        f'<li><a href="#{anchor}">{_e(f"{num}. " if num else "")}{_e(rep.t[key])}</a></li>'
        for num, key, anchor in SECTIONS)
    return f'<nav class="toc"><h2 class="toc-title">{_e(rep.t["contents"])}</h2><ul>{items}</ul></nav>'


def summary_html(rep: Report) -> str:
    t, m, r = rep.t, rep.methodology, rep.ranking
    n, returned = len(r), int(r["returned"].sum())
    intro = t["summary_intro"].format(
        n=format_int(n, rep.lang), region=rep.inputs.config.region, year=rep.year, k=len(rep.groups),
        methodology=m.name, returned=format_int(returned, rep.lang),
        pct=format_percent(returned, n, 1, rep.lang), missing=format_int(n - returned, rep.lang))
    parts = [f"<p>{_e(intro)}</p>"]

    part = participation_table(rep)
    rows = [[g, format_int(b, rep.lang), format_int(s, rep.lang), format_percent(s, b, 1, rep.lang)]
            for g, b, s in part[["group", "bodies", "returned"]].itertuples(index=False)]
    parts.append(_table([t["group"], t["bodies"], t["saq_returned"], t["saq_pct"]], rows, "data narrow",
                        _caption(rep, "table", t["participation"]), ["", "num", "num", "num"],
                        ["", *[""] * (len(rows) - 2), "total"]))

    counts = band_counts_table(rep)
    colors = charts.band_colors(m.band_labels)
    headers = [t["group"], *m.band_labels, t["not_assessed_col"]]
    rows = [[idx, *[format_int(v, rep.lang) for v in row]] for idx, row in zip(counts.index, counts.to_numpy())]
    table = _table(headers, rows, "data band-counts", _caption(rep, "table", t["band_counts"]),
                   ["", *["num"] * (len(headers) - 1)], ["", *[""] * (len(rows) - 2), "total"],
                   widths=["25mm", *[""] * len(m.band_labels), "31mm"])
    for b in m.band_labels:  # a band's colour under its column heading
        table = table.replace(f'<th class="num">{_e(b)}</th>',
                              f'<th class="num band-head" style="border-bottom-color:{colors[b]}">{_e(b)}</th>', 1)
    parts.append(table)

    top = top_bodies(rep)
    rows, row_classes = [], []
    for gid, label in rep.groups.items():
        g = top[top["group"] == gid]
        rows.append([f'<strong>{_e(label)}</strong>', "", "", ""])
        row_classes.append("group-row")
        for row in g.itertuples():
            rows.append([_e(format_int(row.rank, rep.lang)), _e(row.name), _e(rep.num(row.final)),
                         _band_chip(rep, row.band)])
            row_classes.append("")
    parts.append(_table([t["rank"], t["body"], t["final"], t["band"]], rows, "data top3",
                        _caption(rep, "table", t["top3"]), ["num rank", "name", "num", "band"], row_classes,
                        escape_cells=False, widths=["18mm", "", "20mm", "38mm"]))
    return _section(rep, 1, "sec_summary", "ringkasan", "".join(parts))


def _gate_text(rep: Report, stage: Stage) -> str:
    t, g = rep.t, stage.gate
    if g is None:
        return t["all_returned"]
    otherwise = t["gate_carry"].format(stage=g.stage) if g.otherwise == "carry" else \
        t["gate_value"].format(value=format_weight(g.otherwise, rep.lang))
    if g.min_score is not None:
        return t["gate_min"].format(stage=g.stage, min=format_weight(g.min_score, rep.lang), otherwise=otherwise)
    return t["gate_top"].format(n=g.top_n, stage=g.stage, otherwise=otherwise)


def _source_text(rep: Report, stage: Stage) -> str:
    if stage.source == "checklist":
        return rep.t["src_checklist"].format(n=len(stage.items))
    return rep.t[f"src_{stage.source}"]


def methodology_html(rep: Report) -> str:
    """Stages, weights, indicators, questions, checklist items, bands and rules: all generated from
    the methodology object, with its sources and assumptions."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    intro = t["meth_intro"].format(
        name=m.name, id=m.id,
        commission=t["meth_commission"].format(commission=m.commission) if m.commission else "",
        years=t["meth_years"].format(years=m.years) if m.years else "")
    parts = [f"<p>{_e(intro)}</p>"]

    rows = [[str(i), s.label, format_weight(s.weight, lang) + "%", _source_text(rep, s), _gate_text(rep, s)]
            for i, s in enumerate(m.stages, 1)]
    rows.append(["", t["total"], format_weight(sum(s.weight for s in m.stages), lang) + "%", "", ""])
    parts.append(_table([t["stage_no"], t["stage"], t["weight"], t["source"], t["participation_rule"]], rows,
                        "data", _caption(rep, "table", t["stages"]), ["num", "", "num", "", ""],
                        [*[""] * (len(rows) - 1), "total"]))
    formula = " + ".join(f"{format_weight(s.weight, lang)}% \u00d7 {s.label}" for s in m.stages)
    parts.append(f'<p class="formula">{_e(t["final_formula"].format(formula=formula))}</p>')

    if m.questionnaire:
        q = m.questionnaire
        counts = pd.Series([x.indicator for x in q.questions]).value_counts()
        rows = [[i.label, format_weight(i.weight, lang) + "%", format_int(counts.get(i.id, 0), lang)]
                for i in q.indicators]
        parts.append(_table([t["indicator"], t["weight"], t["questions"]], rows, "data narrow",
                            _caption(rep, "table", t["indicators"]), ["", "num", "num"]))
        labels = {i.id: i.label for i in q.indicators}
        rows = [[x.id, x.text, labels[x.indicator], _answer_type(rep, x)] for x in q.questions]
        parts.append(_table([t["question_id"], t["question"], t["indicator"], t["answer_type"]], rows,
                            "data compact", _caption(rep, "table", t["question_list"]), ["code", "", "", ""],
                            widths=["11mm", "", "48mm", "34mm"]))

    for stage in m.stages_of("checklist"):
        rows = [[it.label, it.category or "\u2014", format_weight(it.weight, lang)] for it in stage.items]
        parts.append(_table([t["item"], t["category"], t["weight"]], rows, "data narrow compact",
                            _caption(rep, "table", t["checklist"].format(stage=stage.label)), ["", "", "num"]))

    colors = charts.band_colors(m.band_labels)
    rows = [[f'<span class="chip" style="background:{colors[b.label]}"></span>{_e(b.label)}',
             _e(band_range_text(m, i, lang))] for i, b in enumerate(m.bands)]
    parts.append(_table([t["band"], t["score_range"]], rows, "data narrow", _caption(rep, "table", t["bands"]),
                        ["band", "num"], escape_cells=False))

    rules = [t["rule_rounding"].format(d=m.decimals),
             t["rule_groups"].format(groups=", ".join(rep.groups.values())),
             t[f"rule_ties_{m.ranking.ties}"]]
    if m.stages_of("verification"):
        rules.append(t["rule_verification"])
    gated = [s for s in m.stages if s.gate]
    for s in gated:
        g = s.gate
        rule = (t["rule_gate_min"].format(stage=g.stage, min=format_weight(g.min_score, lang))
                if g.min_score is not None else t["rule_gate_top"].format(n=g.top_n, stage=g.stage))
        otherwise = t["gate_carry"].format(stage=g.stage) if g.otherwise == "carry" else \
            t["gate_value"].format(value=format_weight(g.otherwise, lang))
        rules.append(t["rule_gate"].format(stage=s.id, rule=rule, otherwise=otherwise))
    if not gated:
        rules.append(t["rule_no_gate"])
    nr = m.not_returned
    ranked = t["rule_ranked"].format(score=rep.num(nr.score if nr.score is not None else 0)) if nr.ranked \
        else t["rule_not_ranked"]
    rules.append(t["rule_not_returned"].format(status=nr.status, band=nr.band, ranked=ranked))
    parts.append(f'<h3>{_e(t["rules"])}</h3><ul class="rules">' + "".join(f"<li>{_e(x)}</li>" for x in rules) + "</ul>")
    if m.sources:
        parts.append(f'<h3>{_e(t["sources"])}</h3><ol class="refs">'
                     + "".join(f"<li>{_e(x)}</li>" for x in m.sources) + "</ol>")
    if m.assumptions:
        parts.append(f'<h3>{_e(t["assumptions"])}</h3><ol class="refs">'
                     + "".join(f"<li>{_e(x)}</li>" for x in m.assumptions) + "</ol>")
    return _section(rep, 2, "sec_methodology", "metodologi", "".join(parts))


def _answer_type(rep: Report, q) -> str:
    if q.type == "yesno":
        return rep.t["type_yesno"]
    if q.type == "graded":
        return rep.t["type_graded"].format(options=", ".join(q.options))
    return rep.t["type_numeric"].format(max=format_weight(q.max, rep.lang))


def results_html(rep: Report) -> str:
    """The full ranking table of each group (rank, body, each stage score, final, band)."""
    t, m, r = rep.t, rep.methodology, rep.ranking
    stages = "; ".join(f"{_short_label(s_)} = {s_.label}" for s_ in m.stages if _short_label(s_) != s_.label)
    parts = [f'<p>{_e(t["results_intro"].format(d=m.decimals))}'
             + (f' {_e(t["columns"])}: {_e(stages)}.' if stages else "") + "</p>"]
    has_self = "self_assessed" in r.columns
    has_notes = r["notes"].astype(str).str.len().gt(0).any()
    headers = [t["rank"], t["body"]]
    classes = ["num rank", "name"]
    if has_self:
        headers.append(t["self_assessed"])
        classes.append("num score")
    for s in m.stages:
        headers.append(f"{_short_label(s)} ({format_weight(s.weight, rep.lang)}%)")
        classes.append("num score")
    headers += [t["final"], t["band"]]
    classes += ["num final", "band"]
    if has_notes:
        headers.append(t["notes"])
        classes.append("notes")
    n_scores = len(m.stages) + has_self
    score_w = "19mm" if n_scores <= 3 else "16mm"
    widths = ["16mm", "", *[score_w] * n_scores, "15mm", "34mm"] + (["30mm"] if has_notes else [])
    for gid, label in rep.groups.items():
        g = r[r["group"] == gid]
        rows, row_classes = [], []
        for row in g.itertuples(index=False):
            d = row._asdict()
            name = _e(d["name"]) if d["returned"] else \
                f'{_e(d["name"])}<span class="status">{_e(d["status"])}</span>'
            cells = [_e(format_int(d["rank"], rep.lang) if not pd.isna(d["rank"]) else t["no_rank"]), name]
            if has_self:
                cells.append(_e(rep.num(d["self_assessed"])))
            cells += [_e(rep.num(d[s.id])) for s in m.stages]
            cells += [f"<strong>{_e(rep.num(d['final']))}</strong>", _band_chip(rep, d["band"], d["returned"])]
            if has_notes:
                cells.append(_e(d["notes"]))
            rows.append(cells)
            row_classes.append("" if d["returned"] else "not-returned")
        parts.append(_table(headers, rows, "data ranking", _caption(rep, "table", f"{t['group']} {label}"),
                            classes, row_classes, escape_cells=False, widths=widths))
    return _section(rep, 3, "sec_results", "hasil", "".join(parts))


def _figure(rep: Report, svg: str, title: str, caption: str = "", cls: str = "") -> str:
    """A numbered figure holding an SVG chart as an ``<img>`` (a data URI), so chart ids and
    styles stay inside the image and the HTML stays valid."""
    note = f'<div class="figure-note">{_e(caption)}</div>' if caption else ""
    return (f'<figure class="chart {cls}"><figcaption>{_caption(rep, "figure", title)}</figcaption>'
            f'<div class="svg-box"><img alt="{_e(title)}" src="{charts.data_uri(svg)}"></div>{note}</figure>')


def charts_html(rep: Report) -> str:
    """Final scores by body (coloured by band), SAQ claim against verified score, band
    distribution per group, and the website items most often missing."""
    t, m, r, lang = rep.t, rep.methodology, rep.ranking, rep.lang
    parts = []
    for gid, label in rep.groups.items():
        g = r[(r["group"] == gid) & r["returned"]]
        if g.empty:
            continue
        svg = charts.final_scores_chart(g["name"].tolist(), g["final"].astype(float).tolist(), g["band"].tolist(),
                                        m.band_labels, [b.min for b in m.bands], m.decimals, lang)
        parts.append(_figure(rep, svg, t["chart_final"].format(group=label), t["chart_final_caption"]))

    counts = band_counts_table(rep).drop(index=t["total"])
    categories = [*m.band_labels, m.not_returned.status]
    colors = [*charts.band_colors(m.band_labels).values(), charts.NOT_RETURNED_COLOR]
    used = counts.sum(axis=0).to_numpy() > 0  # categories nobody falls in are left out of the legend
    svg = charts.band_distribution_chart(list(counts.index), counts.to_numpy()[:, used].tolist(),
                                         [c for c, u in zip(categories, used) if u],
                                         [c for c, u in zip(colors, used) if u], t["chart_bands_x"])
    parts.append(_figure(rep, svg, t["chart_bands"]))

    claims = overclaims(rep)
    claim, verified = claim_columns(m, r)
    if claims.empty:
        parts.append(f'<p class="muted">{_e(t["no_claim_chart"])}</p>')
    else:
        top = claims[claims["gap"] > 0].head(LABELLED_CLAIMS)
        numbers = {name: i for i, name in enumerate(top["name"], 1)}
        points = list(claims[["name", "group_label", "claimed", "verified"]].itertuples(index=False, name=None))
        x_stage = _short_label(m.stage(claim)) if claim in [s.id for s in m.stages] else t["self_assessed"]
        y_stage = _short_label(m.stage(verified))
        svg = charts.claims_chart(points, list(rep.groups.values()), numbers,
                                  t["chart_claim_x"].format(stage=x_stage), t["chart_claim_y"].format(stage=y_stage))
        parts.append(_figure(rep, svg, t["chart_claim"], t["chart_claim_caption"].format(n=len(numbers)), "square"))
        rows = [[format_int(i, lang), row.name, row.group_label, rep.num(row.claimed), rep.num(row.verified),
                 rep.num(row.gap)] for i, row in enumerate(claims[claims["gap"] > 0].head(10).itertuples(), 1)]
        if rows:
            parts.append(_table([t["no"], t["body"], t["group"], t["chart_claim_x"].format(stage=x_stage),
                                 t["chart_claim_y"].format(stage=y_stage), t["gap"]], rows, "data compact",
                                _caption(rep, "table", t["overclaim_table"]), ["num", "name", "", "num", "num", "num"],
                                widths=["10mm", "", "30mm", "24mm", "24mm", "16mm"]))

    missing = missing_items(rep)
    if m.stages_of("checklist"):
        returned = int(r["returned"].sum())
        for stage in m.stages_of("checklist"):
            st = missing[missing["stage"] == stage.id].head(MISSING_ITEMS_SHOWN)
            if st.empty:
                continue
            svg = charts.missing_items_chart(st["label"].tolist(), st["share"].tolist(), t["chart_missing_x"], lang)
            parts.append(_figure(rep, svg, t["chart_missing"].format(stage=stage.label),
                                 t["chart_missing_caption"].format(n=format_int(returned, lang))))
    else:
        parts.append(f'<p class="muted">{_e(t["no_checklist_chart"])}</p>')
    return _section(rep, 4, "sec_charts", "grafik", "".join(parts))


def not_returned_html(rep: Report) -> str:
    t, m, r = rep.t, rep.methodology, rep.ranking
    missing = r[~r["returned"]]
    if missing.empty:
        return _section(rep, 5, "sec_not_returned", "tidak-mengembalikan", f'<p>{_e(t["none_missing"])}</p>')
    parts = [f'<p>{_e(t["not_returned_intro"].format(n=format_int(len(missing), rep.lang), status=m.not_returned.status, band=m.not_returned.band))}</p>']
    rows = [[format_int(i, rep.lang), row.name, row.group_label, row.status]
            for i, row in enumerate(missing.itertuples(), 1)]
    parts.append(_table([t["no"], t["body"], t["group"], t["status"]], rows, "data",
                        _caption(rep, "table", t["sec_not_returned"]), ["num", "name", "", ""]))
    return _section(rep, 5, "sec_not_returned", "tidak-mengembalikan", "".join(parts))


def annex_html(rep: Report) -> str:
    """One compact score sheet per body: stage and indicator scores with their contribution to the
    final score, and what the body did not fully earn (from :func:`kiprank.scoring.shortfalls`)."""
    t = rep.t
    sheets = [f'<p>{_e(t["annex_intro"])}</p>']
    ranked_n = rep.ranking[rep.ranking["rank"].notna()].groupby("group").size()
    indicators = rep.result.indicators
    by_body = dict(tuple(indicators.groupby(indicators["body_id"].astype(str), sort=False)))
    empty = indicators.iloc[0:0]
    for row in rep.ranking.itertuples(index=False):
        body = row._asdict()
        gaps = shortfalls(rep.result, body["body_id"], rep.inputs) if body["returned"] else None
        sheets.append(_sheet_html(rep, body, int(ranked_n.get(row.group, 0)),
                                  by_body.get(str(body["body_id"]), empty), gaps))
    return _section(rep, None, "sec_annex", "lampiran", "".join(sheets), "annex")


def _short_label(stage: Stage) -> str:
    """A stage's short name for narrow columns: the acronym in brackets ('... (SAQ)' -> 'SAQ'),
    else the first word of its label."""
    label = stage.label.strip()
    if label.endswith(")") and "(" in label:
        inner = label[label.rindex("(") + 1:-1].strip()
        if 0 < len(inner) <= 12:
            return inner
    words = label.replace("/", " ").split()
    if len(words) <= 2 and len(label) <= 22:
        return label
    return words[0] if words else stage.id


def _pct(value: float, lang: str) -> str:
    return format_number(100 * value, 0, lang) + "%"


def _sheet_html(rep: Report, body: dict, ranked_in_group: int, ind: pd.DataFrame, gaps: pd.DataFrame | None) -> str:
    """One body's score sheet. ``ind``: its rows of ``result.indicators``; ``gaps``: its shortfalls.

    Kept to few HTML elements on purpose (one small fixed-layout table and one paragraph): a
    region has dozens of bodies and the PDF renderer's time grows with the number of elements.
    """
    t, m, lang = rep.t, rep.methodology, rep.lang
    if pd.isna(body["rank"]):
        where = t["sheet_unranked"].format(group=body["group_label"])
    else:
        where = t["sheet_rank"].format(rank=format_int(body["rank"], lang), n=format_int(ranked_in_group, lang),
                                       group=body["group_label"])
    score_text = rep.num(body["final"]) if body["returned"] else "\u2014"
    head = (f'<div class="sheet-head"><span class="sheet-score">{_e(score_text)} '
            f'{_band_chip(rep, body["band"], body["returned"])}</span>'
            f'{_e(body["name"])}</div><div class="sheet-sub">{_e(body["body_id"])} \u2022 {_e(where)}</div>')
    if not body["returned"]:
        return f'<div class="sheet">{head}<p class="short-items">{_e(t["sheet_not_returned"])}</p></div>'

    contrib_dec = max(2, m.decimals)
    contrib = ind.groupby("stage", observed=True)["contribution"].sum()
    q_ids = {s.id for s in m.stages if s.source in ("questionnaire", "verification")}
    cols = len(m.stages)
    # header: indicator | weight | one column per stage
    # widths on the first row (no colgroup, no thead: a sheet never spans two pages)
    head_cells = "".join(f'<th class="num" style="width:14mm">{_e(_short_label(s))} '
                         f'({_e(format_weight(s.weight, lang))}%)</th>' for s in m.stages)
    rows = [f'<tr><th>{_e(t["indicator"])}</th><th class="num" style="width:8mm">{_e(t["weight"])}</th>{head_cells}</tr>']
    if m.questionnaire and q_ids:
        sub = ind[ind["stage"].isin(q_ids)]
        score_of = {(str(st), str(i)): v for st, i, v in zip(sub["stage"], sub["indicator"], sub["score"])}
        for i in m.questionnaire.indicators:
            cells = "".join(f'<td class="num">{_e(rep.num(score_of.get((s.id, i.id), np.nan))) if s.id in q_ids else ""}</td>'
                            for s in m.stages)
            rows.append(f'<tr><td>{_e(i.label)}</td><td class="num">{_e(format_weight(i.weight, lang))}</td>{cells}</tr>')
    stage_scores = "".join(f'<td class="num">{_e(rep.num(body[s.id]))}</td>' for s in m.stages)
    stage_contrib = "".join(f'<td class="num">{_e(format_number(contrib.get(s.id, 0.0), contrib_dec, lang))}</td>'
                            for s in m.stages)
    rows.append(f'<tr class="stage-row"><td colspan="2">{_e(t["stage_total"])}</td>{stage_scores}</tr>')
    rows.append(f'<tr class="plain"><td colspan="2">{_e(t["contribution"])} = {_e(rep.num(body["final"]))}</td>'
                f'{stage_contrib}</tr>')
    width = 59 if cols <= 3 else 64  # % of the line; the list of shortfalls floats to its right
    table = f'<table class="sheet-table" style="width:{width}%">' + "".join(rows) + "</table>"

    notes = []
    q_stages = [s for s in m.stages if s.id in q_ids]
    qgaps = gaps[gaps["stage"].isin(q_ids)]
    if not qgaps.empty:
        earned = {(r.stage, r.item): r.earned for r in qgaps.itertuples()}
        texts_by_q = {q.id: q.text for q in m.questionnaire.questions}
        items = []
        for qid in m.question_ids:
            vals = [earned.get((s.id, qid)) for s in q_stages]
            if all(v is None for v in vals):
                continue
            shown = " / ".join(_pct(1.0 if v is None else v, lang) for v in vals)
            items.append(f"{qid} {texts_by_q[qid]} ({shown})")
        label = t["shortfalls_questions"].format(stages=" / ".join(_short_label(s) for s in q_stages))
        notes.append(f"<b>{_e(label)}:</b> {_e('; '.join(items))}.")
    for stage in m.stages_of("checklist"):
        missing = gaps.loc[gaps["stage"] == stage.id, "label"]
        if not missing.empty:
            notes.append(f"<b>{_e(t['shortfalls_items'].format(stage=_short_label(stage)))}:</b> {_e('; '.join(missing))}.")
    if gaps.empty:
        notes.append(_e(t["no_shortfalls"]))
    if body.get("notes"):
        notes.append(f"<b>{_e(t['sheet_notes'])}:</b> {_e(body['notes'])}")
    return (f'<div class="sheet">{head}<p class="short-items" style="width:{97.5 - width}%">' + "<br>".join(notes)
            + f"</p>{table}</div>")


def publish_tables(rep: Report, outputs_root: str | Path) -> Path:
    """Write ranking.csv, ranking.xlsx and indicators.csv of the report's scores into
    ``<outputs_root>/<year>/<region>`` (atomically; other files there are kept)."""
    from .pipeline import output_folder, write_tables
    from .publish import staged_folder

    target = output_folder(outputs_root, rep.year, rep.region_id)
    with staged_folder(target, keep_existing=True, kind="run") as stage:
        write_tables(rep.inputs, rep.result, stage)
    return target


def full_html(rep: Report) -> str:
    """All sections in order (what the notebook displays, cell by cell)."""
    return "".join(f(rep) for f in (cover_html, contents_html, summary_html, methodology_html, results_html,
                                    charts_html, not_returned_html, annex_html))


__all__ = ["Report", "prepare", "resolve_inputs_root", "resolve_report_date", "participation_table",
           "band_counts_table", "top_bodies", "overclaims", "missing_items", "band_range_text", "cover_html",
           "contents_html", "summary_html", "methodology_html", "results_html", "charts_html",
           "not_returned_html", "annex_html", "publish_tables", "full_html"]
