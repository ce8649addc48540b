"""Content of the published ranking report: tables, charts and text, built from the kiprank API.

The report notebook (``notebooks/ranking_report.ipynb``) only calls :func:`prepare` and then
displays each section (``cover``, ``summary``, ...: a :class:`~kiprank.report.section.Section` with
its HTML and its data, from which the PDF is typeset). Everything the report
shows is computed here or in :mod:`kiprank.core.scoring` and described from the
:class:`~kiprank.core.methodology.Methodology` object, so no rule is written by hand in the notebook.

This is the report's content layer: numbers are formatted (:mod:`kiprank.core.formatting`, Indonesian
style in the Indonesian report), sentences composed (words from ``kiprank/words/report.<lang>.yml``)
and tables, charts (SVG) and score sheets decided here, once, as content blocks
(:mod:`kiprank.report.blocks`); :mod:`kiprank.report.html` and the Typst template only present them.

The report date is, in this order: the ``report_date`` given (``YYYY-MM-DD``), else the UTC date of
``SOURCE_DATE_EPOCH`` if that is set, else today's date. Give one of the first two for a
reproducible report (``kiprank report --date``).

(About 800 lines: one function per section of the report, sharing the formatting of numbers and
names; the blocks, charts and the robustness section are in modules of their own.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.version import __version__
from ..core.formatting import (check_lang, format_date, format_int, format_number, format_percent, format_weight, resolve_report_date)
from ..core.inputs import RegionInputs, load_region
from ..core.region import find_inputs_root
from ..core.methodology import Methodology, Stage
from ..core.methodology import short_stage_label as _short_label
from ..core.scoring import ScoreResult, body_notes, score, shortfall_rows
from . import blocks as B
from . import charts
from . import parts as P
from .section import Section
from .words import texts

if TYPE_CHECKING:
    from ..analysis import RobustnessResult
    from ..analysis.agreement import AgreementResult
    from .objections_content import RoundView

TOP_N = 3
BARS_MAX = 60  # a group with more assessed bodies gets a histogram of its scores, not one bar per body
LABELLED_CLAIMS = 5
MISSING_ITEMS_SHOWN = 10


@dataclass
class Report(P.Numbering):
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
    robust: RobustnessResult | None = None  # set when the report has the section "Ketahanan peringkat"
    agreement: AgreementResult | None = None  # several verifiers: their agreement (section "Konsistensi Verifikasi")
    objections: RoundView | None = None  # the objection round (masa sanggah), when region.yml declares one
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


# -- preparing ---------------------------------------------------------------------------------

def prepare(year: int | str, region: str, inputs_root: str | Path = "inputs", lang: str = "id",
            report_date: str | date | None = None, fingerprint: str | None = None,
            robustness: bool = False, preliminary: bool = False) -> Report:
    """Validate and score a region's inputs and hold what the report needs. With ``robustness``
    (or ``robustness: {report: true}`` in the methodology) the report gets the section "Ketahanan
    peringkat" (:mod:`kiprank.report.robustness`). A region with an objection round gets the
    section "Masa Sanggah" (:mod:`kiprank.report.objections_content`): of its preliminary results
    with ``preliminary``, else of its final results."""
    from .objections_content import round_view

    check_lang(lang)
    root = find_inputs_root(inputs_root, year, region)
    inputs = load_region(year, region, root, preliminary=preliminary)
    result = score(inputs)
    day = resolve_report_date(report_date or inputs.config.report_date)
    robust = None
    if robustness or inputs.methodology.robustness.report:
        from ..analysis import analyse_robustness

        robust = analyse_robustness(inputs, result)
    from ..analysis.agreement import analyse_agreement

    return Report(year=int(year), region_id=region, lang=lang, report_date=day, inputs=inputs, result=result,
                  t=texts(lang), fingerprint=fingerprint, robust=robust, agreement=analyse_agreement(inputs),
                  objections=round_view(inputs, result))


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


# -- sections ----------------------------------------------------------------------------------
# Each function returns one section as a :class:`~kiprank.report.section.Section` (what one notebook
# cell displays: HTML and data). Numbers are formatted and sentences composed here, nowhere else.

SECTIONS = [  # (number, text key, anchor) in display order; the annex is unnumbered
    (1, "sec_summary", "ringkasan"),
    (2, "sec_methodology", "metodologi"),
    (3, "sec_results", "hasil"),
    (4, "sec_charts", "grafik"),
    (5, "sec_not_returned", "tidak-mengembalikan"),
    (None, "sec_annex", "lampiran"),
]


def document_meta(rep: Report) -> dict:
    """The PDF's metadata, running header and footer words (typeset from the cover's data)."""
    t, cfg, m = rep.t, rep.inputs.config, rep.methodology
    footer = t["footer_line"].format(version=rep.version, methodology=m.id)
    keywords = [f"methodology {m.id}", f"kiprank {rep.version}"]
    description = f"kiprank {rep.version}"
    if rep.fingerprint:
        footer += t["footer_fingerprint"].format(fingerprint=rep.fingerprint)
        keywords.insert(0, f"kiprank manifest {rep.fingerprint}")
        description += f"; manifest fingerprint {rep.fingerprint}"
    from .objections_content import stamp

    meta = {"title": cfg.title, "author": cfg.issuer, "keywords": keywords, "description": description,
            "running": t["running_head"].format(region=cfg.region, year=rep.year), "footer": footer,
            "page-word": t["page_word"], "of-word": t["of_word"], "lang": rep.lang}
    if stamp(rep.objections, rep.lang):  # "HASIL SEMENTARA" on every page of preliminary results
        meta["stamp"] = stamp(rep.objections, rep.lang)
    return meta


def cover(rep: Report) -> Section:
    """Cover page; its data also carries the document's metadata, header and footer (``meta``)."""
    t, cfg, m = rep.t, rep.inputs.config, rep.methodology
    n = len(rep.ranking)
    meta = [
        (t["issuer"], cfg.issuer),
        (t["methodology"], f"{m.name} ({m.id})"),
        (t["bodies_assessed_cover"], t["bodies_cover_value"].format(n=format_int(n, rep.lang), k=len(rep.groups))),
        (t["report_date"], format_date(rep.report_date, rep.lang)),
    ]
    notes = [{"title": t["data_note"], "paras": [cfg.note(rep.lang)]}] if cfg.note(rep.lang) else []
    from .objections_content import cover_notice

    data = {
        "kind": "cover", "meta_doc": document_meta(rep), "issuer": cfg.issuer, "kind_label": t["report_kind"],
        "title": cfg.title, "subtitle": t["cover_subtitle"],
        "region": t["cover_region_year"].format(region=cfg.region, year=rep.year), "notes": notes,
        "meta": [list(x) for x in meta], "legal": t["legal_basis"].format(version=rep.version)}
    if rep.objections is not None:  # preliminary or final results of an objection round
        data["alert"] = cover_notice(rep.objections, rep.lang)
    return Section(data)


def contents(rep: Report) -> Section:
    """Table of contents (the PDF's has page numbers and links; the HTML's links)."""
    entries = [(anchor, f"{num}. {rep.t[key]}" if num else rep.t[key]) for num, key, anchor in SECTIONS]
    from . import agreement_content

    if agreement_content.applies(rep.methodology):  # before the annex, which stays last
        entries.insert(len(entries) - 1, agreement_content.contents_entry(rep.lang))
    if rep.robust is not None:
        from .robustness_content import contents_entry

        entries.insert(len(entries) - 1, contents_entry(rep.lang, _robustness_number(rep)))
    if rep.objections is not None:  # after robustness, before the annex
        from .objections_content import contents_entry as round_entry

        entries.insert(len(entries) - 1, round_entry(round_number(rep), rep.lang))
    return Section({"kind": "toc", "title": rep.t["contents"], "entries": [list(e) for e in entries]})


def summary(rep: Report) -> Section:
    t, m, r = rep.t, rep.methodology, rep.ranking
    n, returned = len(r), int(r["returned"].sum())
    intro = t["summary_intro"].format(
        n=format_int(n, rep.lang), region=rep.inputs.config.region, year=rep.year, k=len(rep.groups),
        methodology=m.name, returned=format_int(returned, rep.lang),
        pct=format_percent(returned, n, 1, rep.lang), missing=format_int(n - returned, rep.lang))
    blocks = [B.para(intro)]

    part = participation_table(rep)
    rows = [[g, format_int(b, rep.lang), format_int(s, rep.lang), format_percent(s, b, 1, rep.lang)]
            for g, b, s in part[["group", "bodies", "returned"]].itertuples(index=False)]
    blocks.append(B.table([t["group"], t["bodies"], t["saq_returned"], t["saq_pct"]], rows,
                          caption=P.caption(rep, "table", t["participation"]), cols=["", "num", "num", "num"],
                          kinds=[*[""] * (len(rows) - 1), "total"], narrow=True))

    counts = band_counts_table(rep)
    colors = charts.band_colors(m.band_labels)
    headers = [t["group"], *m.band_labels, t["not_assessed_col"]]
    rows = [[str(idx), *[format_int(v, rep.lang) for v in row]] for idx, row in zip(counts.index, counts.to_numpy())]
    blocks.append(B.table(headers, rows, caption=P.caption(rep, "table", t["band_counts"]),
                          cols=["", *["num"] * (len(headers) - 1)], kinds=[*[""] * (len(rows) - 1), "total"],
                          widths=["25mm", *[None] * len(m.band_labels), "31mm"], cls="band-counts",
                          head_colors=[None, *[colors[b] for b in m.band_labels], None]))

    top = top_bodies(rep)
    rows, kinds = [], []
    for gid, label in rep.groups.items():
        g = top[top["group"] == gid]
        rows.append([label])
        kinds.append("group")
        for row in g.itertuples():
            rows.append([format_int(row.rank, rep.lang), row.name, rep.num(row.final), P.band_run(rep.methodology.band_labels, row.band)])
            kinds.append("")
    blocks.append(B.table([t["rank"], t["body"], t["final"], t["band"]], rows, caption=P.caption(rep, "table", t["top3"]),
                          cols=["rank", "name", "num", "band"], kinds=kinds, widths=["18mm", None, "20mm", "38mm"],
                          cls="top3"))
    return P.section(1, rep.t["sec_summary"], "ringkasan", blocks, newpage=False)


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


def methodology(rep: Report) -> Section:
    """Stages, weights, indicators, questions, checklist items, bands and rules: all generated from
    the methodology object, with its sources and assumptions."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    intro = t["meth_intro"].format(
        name=m.name, id=m.id,
        commission=t["meth_commission"].format(commission=m.commission) if m.commission else "",
        years=t["meth_years"].format(years=m.years) if m.years else "")
    blocks = [B.para(intro)]

    rows = [[str(i), s.label, format_weight(s.weight, lang) + "%", _source_text(rep, s), _gate_text(rep, s)]
            for i, s in enumerate(m.stages, 1)]
    rows.append(["", t["total"], format_weight(sum(s.weight for s in m.stages), lang) + "%", "", ""])
    blocks.append(B.table([t["stage_no"], t["stage"], t["weight"], t["source"], t["participation_rule"]], rows,
                          caption=P.caption(rep, "table", t["stages"]), cols=["num", "", "num", "", ""],
                          kinds=[*[""] * (len(rows) - 1), "total"]))
    formula = " + ".join(f"{format_weight(s.weight, lang)}% \u00d7 {s.label}" for s in m.stages)
    blocks.append(B.para(t["final_formula"].format(formula=formula), "formula"))

    if m.questionnaire:
        q = m.questionnaire
        counts = pd.Series([x.indicator for x in q.questions]).value_counts()
        rows = [[i.label, format_weight(i.weight, lang) + "%", format_int(counts.get(i.id, 0), lang)]
                for i in q.indicators]
        blocks.append(B.table([t["indicator"], t["weight"], t["questions"]], rows, narrow=True,
                              caption=P.caption(rep, "table", t["indicators"]), cols=["", "num", "num"]))
        labels = {i.id: i.label for i in q.indicators}
        rows = [[x.id, x.text, labels[x.indicator], _answer_type(rep, x)] for x in q.questions]
        blocks.append(B.table([t["question_id"], t["question"], t["indicator"], t["answer_type"]], rows,
                              compact=True, caption=P.caption(rep, "table", t["question_list"]),
                              cols=["code", "", "", ""], widths=["11mm", None, "48mm", "34mm"]))

    for stage in m.stages_of("checklist"):
        rows = [[it.label, it.category or "\u2014", format_weight(it.weight, lang)] for it in stage.items]
        blocks.append(B.table([t["item"], t["category"], t["weight"]], rows, narrow=True, compact=True,
                              caption=P.caption(rep, "table", t["checklist"].format(stage=stage.label)),
                              cols=["", "", "num"]))

    rows = [[P.band_run(rep.methodology.band_labels, b.label), band_range_text(m, i, lang)] for i, b in enumerate(m.bands)]
    blocks.append(B.table([t["band"], t["score_range"]], rows, narrow=True, caption=P.caption(rep, "table", t["bands"]),
                          cols=["band", "num"]))

    rules = _rules(rep)
    blocks += [B.h3(t["rules"]), B.item_list(rules, "rules")]
    for key in ("sources", "assumptions"):
        items, own_language = m.written_in(key, lang)
        if items:  # in the report's language, or as written under "Sumber (bahasa asli)"
            blocks += [B.h3(t[key] if own_language else t[f"{key}_original"]), B.item_list(items, "refs")]
    return P.section(2, rep.t["sec_methodology"], "metodologi", blocks)


def _rules(rep: Report) -> list[str]:
    """The methodology's rules, one sentence each: rounding, groups, ties, verification, missing
    values, the stages' participation rules (gates) and what a body that did not return gets."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    rules = [t["rule_rounding"].format(d=m.decimals),
             t["rule_groups"].format(groups=", ".join(rep.groups.values())),
             t[f"rule_ties_{m.ranking.ties}"]]
    if m.stages_of("verification"):
        rules.append(t["rule_verification"])
        from .agreement_content import rule_sentence

        combination = rule_sentence(rep)
        if combination:
            rules.append(combination)
    rules += _missing_rules(m, t)
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
    return rules


def _answer_type(rep: Report, q) -> str:
    if q.type == "yesno":
        return rep.t["type_yesno"]
    if q.type == "graded":
        return rep.t["type_graded"].format(options=", ".join(q.options))
    return rep.t["type_numeric"].format(max=format_weight(q.max, rep.lang))


def _missing_rules(m, t) -> list[str]:
    """What the methodology makes of a missing value (its ``missing:`` rules), one sentence each."""
    out = []
    if m.questionnaire is not None and m.questionnaire.missing != "error":
        stages = ", ".join(s.id for s in m.stages if s.source in ("questionnaire", "verification"))
        out.append(t[f"rule_missing_unanswered_{m.questionnaire.missing.replace('-', '_')}"].format(stages=stages))
    what = {"score": "missing_what_score", "checklist": "missing_what_item", "verification": "missing_what_verdict"}
    for s in m.stages:
        if s.source in what and s.missing_rule != "error":
            out.append(t[f"rule_missing_{s.missing_rule.replace('-', '_')}"].format(stage=s.id, what=t[what[s.source]]))
    return out


RANK_MM, SCORE_MM, FINAL_MM, BAND_MM, NOTES_MM = 16, 16, 15, 34, 34


def results(rep: Report) -> Section:
    """The full ranking table of each group (rank, body, each stage score, final, band, notes).

    The table adapts to the number of stages: on a portrait page while the body names keep at
    least :data:`~kiprank.report.parts.NAME_MIN_MM`, else on landscape pages; with more score
    columns than even a landscape page holds, each group gets a table of rank, body, final score,
    band and notes, and tables of its stage scores (rank and body again, then as many stages as
    fit)."""
    t, m, r = rep.t, rep.methodology, rep.ranking
    stages = "; ".join(f"{_short_label(s_)} = {s_.label}" for s_ in m.stages if _short_label(s_) != s_.label)
    intro = t["results_intro"].format(d=m.decimals) + (f' {t["columns"]}: {stages}.' if stages else "")
    blocks = [B.para(intro)]
    has_self = "self_assessed" in r.columns
    has_notes = r["notes"].astype(str).str.len().gt(0).any()
    scores = ([(t["self_assessed"], "self_assessed")] if has_self else []) + \
        [(f"{_short_label(s)} ({format_weight(s.weight, rep.lang)}%)", s.id) for s in m.stages]
    tail = [(t["final"], "num", FINAL_MM), (t["band"], "band", BAND_MM)] + \
        ([(t["notes"], "", NOTES_MM)] if has_notes else [])
    score_mm = 19 if len(scores) <= 3 else SCORE_MM
    fixed = RANK_MM + score_mm * len(scores) + sum(w for _, _, w in tail)
    page = P.orientation(fixed)
    if page is None:  # split: the names with the result, then the stage scores in chunks
        per_table = int((P.LANDSCAPE_MM - P.NAME_MIN_MM - RANK_MM) // score_mm)
        layouts = [([], tail)] + [(scores[i:i + per_table], []) for i in range(0, len(scores), per_table)]
    else:
        layouts = [(scores, tail)]
    for gid, label in rep.groups.items():
        g = r[r["group"] == gid]
        for part, (score_cols, tail_cols) in enumerate(layouts):
            headers = [t["rank"], t["body"], *[h for h, _ in score_cols], *[h for h, _, _ in tail_cols]]
            cols = ["rank", "name", *["num"] * len(score_cols), *[c for _, c, _ in tail_cols]]
            widths = [f"{RANK_MM}mm", None, *[f"{score_mm}mm"] * len(score_cols), *[f"{w}mm" for _, _, w in tail_cols]]
            rows, kinds = [], []
            for row in g.itertuples(index=False):
                d = row._asdict()
                name = d["name"] if d["returned"] else B.with_sub(d["name"], d["status"])
                cells = [format_int(d["rank"], rep.lang) if not pd.isna(d["rank"]) else t["no_rank"], name]
                cells += [rep.num(d[col]) for _, col in score_cols]
                for _, col, _ in tail_cols:
                    cells.append(B.bold(rep.num(d["final"])) if col == "num" else
                                 P.band_run(m.band_labels, d["band"], d["returned"]) if col == "band" else
                                 body_notes(rep.result, d["body_id"], rep.lang))
                rows.append(cells)
                kinds.append("" if d["returned"] else "nr")
            title = f"{t['group']} {label}" if len(layouts) == 1 else \
                t["results_part"].format(group=label, part=part + 1, parts=len(layouts))
            blocks.append(B.table(headers, rows, caption=P.caption(rep, "table", title), cols=cols,
                                  kinds=kinds, widths=widths, cls="ranking", tight=True))
    return P.section(3, rep.t["sec_results"], "hasil", blocks, landscape=page != "portrait")


def charts_section(rep: Report) -> Section:
    """Final scores by body (coloured by band), SAQ claim against verified score, band
    distribution per group, and the website items most often missing. Each chart carries its
    text alternative, written from its data (what it shows and its extremes)."""
    blocks = [*_final_score_figures(rep), *_band_figures(rep), *_claim_blocks(rep), *_missing_item_figures(rep)]
    return P.section(4, rep.t["sec_charts"], "grafik", blocks)


def _final_score_figures(rep: Report) -> list:
    """Per group: the final scores by body (bars), or their histogram for a large group."""
    t, m, r, lang = rep.t, rep.methodology, rep.ranking, rep.lang
    blocks = []
    limits = ", ".join(format_weight(b.min, lang) for b in m.bands if 0 < b.min < 100)
    for gid, label in rep.groups.items():
        g = r[(r["group"] == gid) & r["returned"]]
        if g.empty:
            continue
        best, worst = g.loc[g["final"].astype(float).idxmax()], g.loc[g["final"].astype(float).idxmin()]
        extremes = dict(n=format_int(len(g), lang), group=label, top=best["name"], top_score=rep.num(best["final"]),
                        bottom=worst["name"], bottom_score=rep.num(worst["final"]), limits=limits or "\u2014")
        if len(g) <= BARS_MAX:
            svg = charts.final_scores_chart(g["name"].tolist(), g["final"].astype(float).tolist(), g["band"].tolist(),
                                            m.band_labels, [b.min for b in m.bands], m.decimals, lang)
            blocks.append(P.figure(rep, svg, t["chart_final"].format(group=label), t["chart_final_caption"],
                                   alt=t["chart_final_alt"].format(**extremes)))
        else:
            svg = charts.score_histogram_chart(g["final"].astype(float).tolist(), g["band"].tolist(), m.band_labels,
                                               [b.min for b in m.bands], t["chart_hist_x"], t["chart_hist_y"])
            blocks.append(P.figure(rep, svg, t["chart_hist"].format(group=label),
                                   t["chart_hist_caption"].format(n=format_int(len(g), lang)),
                                   alt=t["chart_hist_alt"].format(**extremes)))
    return blocks


def _band_figures(rep: Report) -> list:
    """The bands per group (stacked bars), categories nobody falls in left out."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    blocks = []
    counts = band_counts_table(rep).drop(index=t["total"])
    categories = [*m.band_labels, m.not_returned.status]
    colors = [*charts.band_colors(m.band_labels).values(), charts.NOT_RETURNED_COLOR]
    used = counts.sum(axis=0).to_numpy() > 0  # categories nobody falls in are left out of the legend
    svg = charts.band_distribution_chart(list(counts.index), counts.to_numpy()[:, used].tolist(),
                                         [c for c, u in zip(categories, used) if u],
                                         [c for c, u in zip(colors, used) if u], t["chart_bands_x"])
    per_group = "; ".join(
        f"{group}: " + ", ".join(f"{cat} {format_int(v, lang)}" for cat, v, u in zip(categories, row, used) if u and v)
        for group, row in zip(counts.index, counts.to_numpy()))
    blocks.append(P.figure(rep, svg, t["chart_bands"], alt=t["chart_bands_alt"].format(groups=per_group)))
    return blocks


def _claim_blocks(rep: Report) -> list:
    """The SAQ claim against the verified score (scatter) and the largest overclaims (table)."""
    t, m, r, lang = rep.t, rep.methodology, rep.ranking, rep.lang
    blocks = []
    claims = overclaims(rep)
    claim, verified = claim_columns(m, r)
    if claims.empty:
        blocks.append(B.para(t["no_claim_chart"], "muted"))
    else:
        top = claims[claims["gap"] > 0].head(LABELLED_CLAIMS)
        numbers = {name: i for i, name in enumerate(top["name"], 1)}
        points = list(claims[["name", "group_label", "claimed", "verified"]].itertuples(index=False, name=None))
        x_stage = _short_label(m.stage(claim)) if claim in [s.id for s in m.stages] else t["self_assessed"]
        y_stage = _short_label(m.stage(verified))
        svg = charts.claims_chart(points, list(rep.groups.values()), numbers,
                                  t["chart_claim_x"].format(stage=x_stage), t["chart_claim_y"].format(stage=y_stage))
        first = claims.iloc[0]
        alt = t["chart_claim_alt"].format(
            n=format_int(len(claims), lang), x=x_stage, y=y_stage,
            below=format_int(int((claims["gap"] > 0).sum()), lang), name=first["name"],
            claimed=rep.num(first["claimed"]), verified=rep.num(first["verified"]), gap=rep.num(first["gap"]))
        blocks.append(P.figure(rep, svg, t["chart_claim"], t["chart_claim_caption"].format(n=len(numbers)),
                               alt=alt, cls="square"))
        rows = [[format_int(i, lang), row.name, row.group_label, rep.num(row.claimed), rep.num(row.verified),
                 rep.num(row.gap)] for i, row in enumerate(claims[claims["gap"] > 0].head(10).itertuples(), 1)]
        if rows:
            blocks.append(B.table([t["no"], t["body"], t["group"], t["chart_claim_x"].format(stage=x_stage),
                                   t["chart_claim_y"].format(stage=y_stage), t["gap"]], rows, compact=True,
                                  caption=P.caption(rep, "table", t["overclaim_table"]),
                                  cols=["num", "name", "", "num", "num", "num"],
                                  widths=["10mm", None, "30mm", "24mm", "24mm", "16mm"]))
    return blocks


def _missing_item_figures(rep: Report) -> list:
    """Per checklist stage: the items most often missing."""
    t, m, r, lang = rep.t, rep.methodology, rep.ranking, rep.lang
    blocks = []
    missing = missing_items(rep)
    if m.stages_of("checklist"):
        returned = int(r["returned"].sum())
        for stage in m.stages_of("checklist"):
            st = missing[missing["stage"] == stage.id].head(MISSING_ITEMS_SHOWN)
            if st.empty:
                continue
            svg = charts.missing_items_chart(st["label"].tolist(), st["share"].tolist(), t["chart_missing_x"], lang)
            alt = t["chart_missing_alt"].format(
                stage=stage.label, n=format_int(len(st), lang), top=st["label"].iloc[0],
                top_share=format_number(st["share"].iloc[0], 0, lang) + "%", bottom=st["label"].iloc[-1],
                bottom_share=format_number(st["share"].iloc[-1], 0, lang) + "%")
            blocks.append(P.figure(rep, svg, t["chart_missing"].format(stage=stage.label),
                                   t["chart_missing_caption"].format(n=format_int(returned, lang)), alt=alt))
    else:
        blocks.append(B.para(t["no_checklist_chart"], "muted"))
    return blocks


def not_returned(rep: Report) -> Section:
    t, m, r = rep.t, rep.methodology, rep.ranking
    missing = r[~r["returned"]]
    if missing.empty:
        return P.section(5, rep.t["sec_not_returned"], "tidak-mengembalikan", [B.para(t["none_missing"])])
    blocks = [B.para(t["not_returned_intro"].format(n=format_int(len(missing), rep.lang),
                                                    status=m.not_returned.status, band=m.not_returned.band))]
    rows = [[format_int(i, rep.lang), row.name, row.group_label, row.status]
            for i, row in enumerate(missing.itertuples(), 1)]
    blocks.append(B.table([t["no"], t["body"], t["group"], t["status"]], rows,
                          caption=P.caption(rep, "table", t["sec_not_returned"]), cols=["num", "name", "", ""]))
    return P.section(5, rep.t["sec_not_returned"], "tidak-mengembalikan", blocks)


def annex(rep: Report) -> Section:
    """One compact score sheet per body: stage and indicator scores with their contribution to the
    final score, and what the body did not fully earn (from :func:`kiprank.core.scoring.shortfall_rows`)."""
    t = rep.t
    blocks = [B.para(t["annex_intro"])]
    ranked_n = rep.ranking[rep.ranking["rank"].notna()].groupby("group").size()
    indicators = rep.result.indicators
    body_ids = indicators["body_id"].astype(str)
    q_ids = {s.id for s in rep.methodology.stages if s.source in ("questionnaire", "verification")}
    q_rows = indicators["stage"].isin(q_ids)
    scores_of: dict[str, dict] = {}
    for body_id, stage, indicator, value in zip(body_ids[q_rows], indicators["stage"][q_rows],
                                                indicators["indicator"][q_rows], indicators["score"][q_rows]):
        scores_of.setdefault(body_id, {})[(str(stage), str(indicator))] = value
    by_body = dict(tuple(indicators.groupby(body_ids, sort=False)))
    position = {str(b): i for i, b in enumerate(rep.result.body_order)}
    for row in rep.ranking.itertuples(index=False):
        body = row._asdict()
        key = str(body["body_id"])
        gaps = shortfall_rows(rep.result, position[key]) if body["returned"] else None
        # each body's own groupby: one groupby of all bodies sums a group's rows in another order
        # (pandas sorts them), which can differ in the last bit and so in a rounded contribution
        contrib = (by_body[key].groupby("stage", observed=True)["contribution"].sum().to_dict()
                   if body["returned"] and key in by_body else {})
        blocks.append(_sheet(rep, body, int(ranked_n.get(row.group, 0)), contrib, scores_of.get(key, {}), gaps))
    return P.section(None, rep.t["sec_annex"], "lampiran", blocks, cls="annex")


def _pct(value: float, lang: str) -> str:
    return format_number(100 * value, 0, lang) + "%"


def _sheet(rep: Report, body: dict, ranked_in_group: int, contrib: dict, score_of: dict,
           gaps: list[tuple] | None) -> dict:
    """One body's score sheet (block ``sheet``): ``name``, ``score`` (runs), ``sub``, ``notes``
    (texts, one per line), ``width`` (% of the line for the table) and ``table`` (``headers``,
    ``rows``, ``stage`` and ``contrib`` rows) or None for a body that did not return the SAQ.
    ``contrib``: stage -> the body's contribution to its final score; ``score_of``: (stage,
    indicator) -> the body's indicator score in the questionnaire and verification stages; ``gaps``:
    :func:`kiprank.core.scoring.shortfall_rows` (stage, item, label, earned)."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    if pd.isna(body["rank"]):
        where = t["sheet_unranked"].format(group=body["group_label"])
    else:
        where = t["sheet_rank"].format(rank=format_int(body["rank"], lang), n=format_int(ranked_in_group, lang),
                                       group=body["group_label"])
    score_text = rep.num(body["final"]) if body["returned"] else "\u2014"
    sheet = {"t": "sheet", "name": str(body["name"]), "score": [score_text + " ", P.band_run(rep.methodology.band_labels, body["band"], body["returned"])],
             "sub": f"{body['body_id']} \u2022 {where}", "notes": [], "width": 59, "table": None}
    if not body["returned"]:
        sheet["notes"] = [t["sheet_not_returned"]]
        return sheet

    contrib_dec = max(2, m.decimals)
    q_ids = {s.id for s in m.stages if s.source in ("questionnaire", "verification")}
    headers = [t["indicator"], t["weight"], *[f"{_short_label(s)} ({format_weight(s.weight, lang)}%)" for s in m.stages]]
    rows = []
    if m.questionnaire and q_ids:
        for i in m.questionnaire.indicators:
            rows.append([i.label, format_weight(i.weight, lang),
                         *[rep.num(score_of.get((s.id, i.id), np.nan)) if s.id in q_ids else "" for s in m.stages]])
    stage_row = [t["stage_total"], *[rep.num(body[s.id]) for s in m.stages]]
    contrib_row = [f'{t["contribution"]} = {rep.num(body["final"])}',
                   *[format_number(contrib.get(s.id, 0.0), contrib_dec, lang) for s in m.stages]]
    sheet["table"] = {"headers": headers, "rows": rows, "stage": stage_row, "contrib": contrib_row}
    # % of the line, the shortfalls to its right; with more stages the table takes the whole line
    # (its indicator column at least a third of it) and the shortfalls follow below
    sheet["width"] = 59 if len(m.stages) <= 3 else 100

    sheet["notes"] = _sheet_notes(rep, body, gaps)
    return sheet


def _sheet_notes(rep: Report, body: dict, gaps: list[tuple]) -> list:
    """The lines under a returned body's sheet: the questions, checklist items and directly scored
    stages it did not earn in full, its notes, and its robustness line when the report has one."""
    t, m, lang = rep.t, rep.methodology, rep.lang
    q_ids = {s.id for s in m.stages if s.source in ("questionnaire", "verification")}
    notes = []
    q_stages = [s for s in m.stages if s.id in q_ids]
    earned = {(stage, item): value for stage, item, _, value in gaps if stage in q_ids}
    if earned:
        texts_by_q = {q.id: q.text for q in m.questionnaire.questions}
        items = []
        for qid in m.question_ids:
            vals = [earned.get((s.id, qid)) for s in q_stages]
            if all(v is None for v in vals):
                continue
            shown = " / ".join(_pct(1.0 if v is None else v, lang) for v in vals)
            items.append(f"{qid} {texts_by_q[qid]} ({shown})")
        label = t["shortfalls_questions"].format(stages=" / ".join(_short_label(s) for s in q_stages))
        notes.append([B.tone(B.bold(label + ":"), "navy"), " " + "; ".join(items) + "."])
    for stage in m.stages_of("checklist"):
        missing = [label for stage_id, _, label, _ in gaps if stage_id == stage.id]
        if missing:
            notes.append([B.tone(B.bold(t["shortfalls_items"].format(stage=_short_label(stage)) + ":"), "navy"),
                          " " + "; ".join(missing) + "."])
    direct = [s for s in m.stages if s.source == "score" and not pd.isna(body[s.id]) and float(body[s.id]) < 100 - 1e-9]
    if direct:
        notes.append([B.tone(B.bold(t["shortfalls_scores"] + ":"), "navy"),
                      " " + "; ".join(f"{_short_label(s)} {rep.num(body[s.id])}" for s in direct) + "."])
    if not gaps and not direct:
        notes.append(t["no_shortfalls"])
    if body.get("notes"):
        notes.append([B.tone(B.bold(t["sheet_notes"] + ":"), "navy"),
                      " " + body_notes(rep.result, body["body_id"], rep.lang)])
    if rep.robust is not None:
        from .robustness_content import sheet_line

        line = sheet_line(rep, body["body_id"])
        if line:
            notes.append(line)
    return notes


def sections(rep: Report) -> list[Section]:
    """Every section in display order (what the notebook displays, cell by cell)."""
    return [s for s in (f(rep) for f in SECTION_FUNCTIONS) if s is not None]  # noqa: F821 (defined below)


def agreement(rep: Report) -> Section | None:
    """The section "Konsistensi Verifikasi" (None when the methodology has no verification stage)."""
    from . import agreement_content

    return agreement_content.agreement_section(rep) if agreement_content.applies(rep.methodology) else None


def _robustness_number(rep: Report) -> int:
    from . import agreement_content

    return agreement_content.SECTION_NUMBER + (1 if agreement_content.applies(rep.methodology) else 0)


def robustness(rep: Report) -> Section | None:
    """The section "Ketahanan peringkat" (None when the report does not have it)."""
    if rep.robust is None:
        return None
    from .robustness_content import robustness_section

    return robustness_section(rep, _robustness_number(rep))


def round_number(rep: Report) -> int:
    """The number of the section "Masa Sanggah": after the numbered sections, the verifiers'
    agreement and robustness (when the report has them)."""
    return _robustness_number(rep) + (rep.robust is not None)


def objection_round(rep: Report) -> Section | None:
    """The section "Masa Sanggah" (None when the region declares no objection round)."""
    if rep.objections is None:
        return None
    from .objections_content import round_section

    return round_section(rep, round_number(rep))


def full_html(rep: Report) -> str:
    """All sections as one HTML fragment."""
    from .html import section_html

    return "".join(section_html(s.data) for s in sections(rep))


def report_content(rep: Report) -> dict:
    """The whole report's content data: ``meta`` (title, author, keywords, running header, footer)
    and ``sections`` (what :func:`kiprank.report.pdf.typeset_report` typesets)."""
    secs = [s.data for s in sections(rep)]
    return {"meta": secs[0]["meta_doc"], "sections": secs}


# The sections of the report, in display order (the notebook displays them one per cell; ``robustness``
# only when the report has it).
SECTION_FUNCTIONS = (cover, contents, summary, methodology, results, charts_section, not_returned, agreement, robustness,
                     objection_round, annex)


__all__ = ["Report", "prepare", "resolve_report_date", "participation_table",
           "band_counts_table", "top_bodies", "overclaims", "missing_items", "band_range_text", "cover",
           "contents", "summary", "methodology", "results", "charts_section", "not_returned", "agreement", "robustness",
           "objection_round", "round_number", "annex",
           "sections", "report_content", "document_meta", "full_html", "SECTIONS"]
