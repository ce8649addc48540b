"""Content of the report section "Konsistensi Verifikasi" (agreement of the verifiers).

Shown in every report whose methodology has a verification stage. Where several verifiers judged the
same answers (``verification.csv`` with a ``verifier`` column), the numbers come from
:func:`kiprank.analysis.agreement.analyse_agreement`: a paragraph with the overall Krippendorff's
alpha, its interval and what it means (Krippendorff's conventional bounds, :data:`RELIABLE` and
:data:`TENTATIVE`), exact agreement and the disagreements; a short table (overall, per indicator,
per pair of verifiers); one chart, each verifier's mean difference from the others. With one
verifier per answer the section says that agreement cannot be measured, and why it matters.

Also here: the combination rule as the methodology section states it (:func:`rule_sentence`) and
the line of the web site's region page (:func:`site_line`). Words in
``kiprank/words/agreement.<lang>.yml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.formatting import format_int, format_number, format_percent, format_weight
from ..core.methodology import Methodology
from ..core.wording import words
from . import blocks as B
from . import parts as P
from .agreement_charts import verifier_difference_chart
from .section import Section

SECTION_NUMBER = 6
ANCHOR = "konsistensi"
# Krippendorff (2004), Content Analysis, 2nd ed., p. 241: rely on data with alpha >= .800; data
# with .667 <= alpha < .800 only for tentative conclusions.
RELIABLE, TENTATIVE = 0.800, 0.667
MAX_ROWS = 24  # rows of the table (overall, indicators, pairs); agreement.csv has all


def texts(lang: str) -> dict[str, str]:
    return words("agreement", lang)


def applies(methodology: Methodology) -> bool:
    """Whether the report has the section: the methodology has a verification stage."""
    return bool(methodology.stages_of("verification"))


def contents_entry(lang: str) -> tuple[str, str]:
    return ANCHOR, f"{SECTION_NUMBER}. {texts(lang)['sec_agreement']}"


def _share(value: float, lang: str) -> str:
    """A share of a question's points as a percentage: 0.5 -> '50%'."""
    return format_weight(round(100 * float(value), 2), lang) + "%"


def _rule_name(methodology: Methodology, w: dict) -> str:
    return w[f"combine_{methodology.verification.combine}"]


def rule_sentence(rep) -> str | None:
    """The combination rule for the methodology section: when several verifiers may judge an answer
    (a ``verifier`` column) or the methodology asks for more than one."""
    m = rep.methodology
    rule = m.verification
    if rep.inputs.panel is None and rule.min_verifiers == 1:
        return None
    w = texts(rep.lang)
    if rule.combine == "consensus":
        return w["rule_combine_consensus"].format(min=rule.min_verifiers)
    return w["rule_combine"].format(rule=_rule_name(m, w), min=rule.min_verifiers,
                                    threshold=_share(rule.disagreement, rep.lang))


def _alpha_text(value, lang: str, w: dict) -> str:
    return w["not_computable"] if value is None or pd.isna(value) else format_number(value, 3, lang)


def _reading(alpha: float, w: dict) -> str:
    if alpha >= RELIABLE:
        return w["reading_good"]
    return w["reading_tentative"] if alpha >= TENTATIVE else w["reading_poor"]


def agreement_section(rep) -> Section:
    """The section "Konsistensi Verifikasi" of a prepared report (see the module docstring)."""
    lang, m = rep.lang, rep.methodology
    w = texts(lang)
    res = rep.agreement
    if res is None or not res.several:
        stage = m.stages_of("verification")[0]
        blocks = [B.para(w["one_verifier"]),
                  B.para(w["why_it_matters"].format(weight=format_weight(stage.weight, lang) + "%", stage=stage.label))]
        return Section(B.section(SECTION_NUMBER, w["sec_agreement"], ANCHOR, blocks))
    table = res.table
    overall = table[table["scope"] == "overall"].iloc[0]
    bodies = rep.inputs.panel.items
    bodies = bodies.loc[bodies["verifiers"] > 1, "body_id"].nunique()
    values = {"answers": format_int(overall["answers"], lang), "bodies": format_int(bodies, lang),
              "verifiers": format_int(len(res.verifiers), lang), "names": ", ".join(res.verifiers),
              "rule": _rule_name(m, w), "exact": format_percent(overall["exact"], 1, 0, lang)}
    if pd.isna(overall["alpha"]):
        blocks = [B.para(w["intro_no_alpha"].format(**values))]
    else:
        blocks = [B.para(w["intro"].format(**values, alpha=_alpha_text(overall["alpha"], lang, w),
                                           low=_alpha_text(overall["alpha_low"], lang, w),
                                           high=_alpha_text(overall["alpha_high"], lang, w),
                                           reading=_reading(float(overall["alpha"]), w)))]
    blocks.append(B.para(_disagreement_text(rep, res, w)))
    blocks.append(_table(rep, table, w))
    blocks.append(B.para(w["method_note"].format(resamples=format_int(res.settings["bootstrap"], lang)), "small"))
    chart = _chart(rep, table, w)
    if chart is not None:
        blocks.append(chart)
    return Section(B.section(SECTION_NUMBER, w["sec_agreement"], ANCHOR, blocks))


def _disagreement_text(rep, res, w: dict) -> str:
    lang = rep.lang
    rule = rep.methodology.verification
    threshold = _share(0.0 if rule.combine == "consensus" else rule.disagreement, lang)
    d = res.disagreements
    if d.empty:
        return w["disagreements_none"].format(threshold=threshold)
    decided = int((d["status"] == "decided").sum())
    return w["disagreements"].format(n=format_int(len(d), lang), threshold=threshold,
                                     decided=format_int(decided, lang), combined=format_int(len(d) - decided, lang))


def _table(rep, table: pd.DataFrame, w: dict) -> dict:
    lang = rep.lang
    labels = {i.id: i.label for i in rep.methodology.questionnaire.indicators}
    rows, kinds = [], []
    shown = table[table["scope"].isin(["overall", "indicator", "pair"]) & (table["answers"] > 0)].head(MAX_ROWS)
    for row in shown.itertuples(index=False):
        if row.scope == "overall":
            name = w["row_overall"]
        elif row.scope == "indicator":
            name = w["row_indicator"].format(label=labels.get(row.indicator, row.indicator))
        else:
            name = w["row_pair"].format(a=row.verifier_a, b=row.verifier_b)
        interval = w["not_computable"] if pd.isna(row.alpha_low) else \
            f"{_alpha_text(row.alpha_low, lang, w)}–{_alpha_text(row.alpha_high, lang, w)}"
        rows.append([name, format_int(row.answers, lang), format_percent(row.exact, 1, 0, lang),
                     _alpha_text(row.alpha, lang, w), interval])
        kinds.append("total" if row.scope == "overall" else "")
    return B.table([w["col_scope"], w["col_answers"], w["col_exact"], w["col_alpha"], w["col_interval"]], rows,
                   caption=P.caption(rep, "table", w["table_title"]), cols=["", "num", "num", "num", "num"],
                   kinds=kinds, compact=True)


def _chart(rep, table: pd.DataFrame, w: dict) -> dict | None:
    lang = rep.lang
    ver = table[(table["scope"] == "verifier") & (table["answers"] > 0)]
    if ver.empty:
        return None
    names = ver["verifier_a"].astype(str).tolist()
    diffs = ver["mean_difference"].astype(float).tolist()
    svg = verifier_difference_chart(names, diffs, ver["answers"].astype(int).tolist(), w["chart_x"], lang)
    most, least = int(np.argmax(diffs)), int(np.argmin(diffs))
    alt = w["chart_alt"].format(n=format_int(len(names), lang), lenient=names[most],
                                most=format_number(diffs[most], 1, lang), strict=names[least],
                                least=format_number(diffs[least], 1, lang))
    return P.figure(rep, svg, w["chart_title"], w["chart_note"], alt=alt)


def site_line(table: pd.DataFrame | None, disagreements: pd.DataFrame | None, lang: str) -> str | None:
    """The line of the site's region page, from a published ``agreement.csv`` and
    ``disagreements.csv`` (None without them)."""
    if table is None:
        return None
    w = texts(lang)
    overall = table[table["scope"] == "overall"]
    if overall.empty or not int(overall.iloc[0]["answers"] or 0):
        return w["site_line_one"]
    row = overall.iloc[0]
    d = disagreements if disagreements is not None else pd.DataFrame(columns=["status"])
    values = {"answers": format_int(row["answers"], lang), "disagreements": format_int(len(d), lang),
              "decided": format_int(int((d["status"] == "decided").sum()), lang)}
    if pd.isna(row["alpha"]):
        return w["site_line_no_alpha"].format(**values)
    return w["site_line"].format(**values, alpha=_alpha_text(row["alpha"], lang, w),
                                 low=_alpha_text(row["alpha_low"], lang, w), high=_alpha_text(row["alpha_high"], lang, w))


__all__ = ["agreement_section", "rule_sentence", "site_line", "contents_entry", "applies"]
