"""Content of the report section "Ketahanan peringkat" (robustness of the ranking).

Shown when the methodology asks for it (``robustness: {report: true}``) or with
``kiprank report --robustness``. The numbers come from :func:`kiprank.analysis.analyse_robustness`;
here they are formatted, the sentences composed (words in ``kiprank/words/robustness.<lang>.yml``)
and the chart drawn, once, as content blocks that the HTML and Typst renderers only present:

- what was varied and how (one paragraph, from the methodology's robustness settings);
- per group, a rank-interval chart (published rank, median, 5-95 % interval) and one sentence naming
  the ranks that cannot be told apart (:func:`kiprank.analysis.indistinct_ranks`);
- the bodies whose band is not certain, with their band chances;
- the Sobol' sensitivity table and a sentence naming the choice that matters most.

Each body's score sheet in the annex gets a line with its band chances (:func:`sheet_line`).
"""

from __future__ import annotations

import pandas as pd

from ..core.formatting import format_int, format_number
from ..core.wording import words
from . import blocks as B
from . import parts as P
from .robustness_charts import rank_interval_chart
from .section import Section

SECTION_NUMBER = 6
ANCHOR = "ketahanan"
MAX_CHART_BODIES = 40   # rows of one rank-interval chart
MAX_SETS = 12           # sets of ranks named in one sentence


def texts(lang: str) -> dict[str, str]:
    return words("robustness", lang)


def _pct(value: float, lang: str, w: dict) -> str:
    """A share as a whole percentage; '<1%' / '>99%' rather than a misleading 0% or 100%."""
    pct = 100.0 * float(value)
    if 0 < pct < 1:
        return w["less_than"].format(p=format_int(1, lang) + "%")
    if 99 < pct < 100:
        return w["more_than"].format(p=format_int(99, lang) + "%")
    return format_int(pct, lang) + "%"  # half up


def _and_list(items: list[str], w: dict) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {w['and']} " + items[-1]


def ranks_phrase(ranks: tuple[int, ...], lang: str, w: dict) -> str:
    """'2 dan 3', '5 sampai 7', '7, 8, 9 dan 11'."""
    nums = [format_int(r, lang) for r in ranks]
    if len(ranks) == 2:
        return w["ranks_two"].format(a=nums[0], b=nums[1])
    if list(ranks) == list(range(ranks[0], ranks[-1] + 1)):
        return w["ranks_range"].format(a=nums[0], b=nums[-1])
    return w["ranks_list"].format(items=", ".join(nums[:-1]), last=nums[-1])


def indistinct_sentence(group_label: str, sets: list[tuple[int, ...]], lang: str) -> str:
    """One plain sentence per group naming the ranks that cannot be told apart."""
    w = texts(lang)
    if not sets:
        return w["indistinct_none"].format(group=group_label)
    shown = [ranks_phrase(s, lang, w) for s in sets[:MAX_SETS]]
    if len(sets) > MAX_SETS:
        shown.append(w["indistinct_more"].format(n=format_int(len(sets) - MAX_SETS, lang)))
    return w["indistinct"].format(group=group_label, sets=w["sets_join"].join(shown))


def chances_text(row, band_labels: list[str], lang: str, w: dict) -> str:
    """'Informatif 79%, Menuju Informatif 21%': the bands a body lands in, best first."""
    parts = [f"{b} {_pct(row[f'p_{b}'], lang, w)}" for b in band_labels if row[f"p_{b}"] > 0]
    return ", ".join(parts)


def choices_text(settings: dict, inputs: list[str], lang: str) -> str:
    """What was varied (``inputs``: the names of the inputs that vary) and how, as a list in a
    sentence (empty: nothing varied)."""
    w = texts(lang)
    parts = []
    for name in ("stage_weights", "indicator_weights", "item_weights"):
        noise = settings.get(name)
        if name not in inputs or not noise:
            continue
        what = w[f"what_{name}"]
        if noise["distribution"] == "dirichlet":
            parts.append(w["choice_dirichlet"].format(what=what, c=format_number(noise["concentration"], 0, lang)))
        elif noise["spread"] > 0:
            parts.append(w["choice_uniform"].format(what=what, spread=format_int(round(100 * noise["spread"]), lang) + "%"))
    seb = settings.get("sebagian") or {}
    if "sebagian" in inputs and seb.get("spread", 0) > 0:
        parts.append(w[f"choice_sebagian_{seb['per']}"].format(spread=format_int(round(100 * seb["spread"]), lang) + "%"))
    if "verifier" in inputs:
        parts.append(w["choice_verifier"])
    return _and_list(parts, w)


def robustness_section(rep, number: int = SECTION_NUMBER) -> Section:
    """The section "Ketahanan peringkat" of a prepared report whose ``robust`` is set (``number``: its
    number, after the sections the report has before it)."""
    res = rep.robust
    lang, m = rep.lang, rep.methodology
    w = texts(lang)
    s = res.settings
    choices = choices_text(s, s["varied"], lang)
    draws, seed = format_int(s["draws"], lang), str(s["seed"])
    intro = w["intro"].format(choices=choices, draws=draws, seed=seed) if choices else \
        w["intro_nothing"].format(draws=draws, seed=seed)
    blocks = [B.para(intro), B.h3(w["intervals_title"]), B.para(w["intervals_intro"])]

    table = res.table.merge(rep.ranking[["body_id", "name", "band", "final", "group_label"]], on="body_id")
    drawn = table[table["rank_p05"].notna()]
    sets = res.indistinct
    for gid, label in rep.groups.items():
        g = drawn[drawn["group"] == gid]
        if g.empty:
            continue
        shown = g.head(MAX_CHART_BODIES)
        svg = rank_interval_chart(shown["name"].tolist(), shown["rank"].astype(int).tolist(),
                                  shown["rank_median"].astype(int).tolist(), shown["rank_p05"].astype(int).tolist(),
                                  shown["rank_p95"].astype(int).tolist(), shown["band"].tolist(), m.band_labels,
                                  w["chart_x"], (w["legend_published"], w["legend_median"], w["legend_interval"]))
        note = w["chart_note"]
        if len(g) > len(shown):
            note += " " + w["chart_limited"].format(n=format_int(len(shown), lang), total=format_int(len(g), lang))
        spread = (shown["rank_p95"] - shown["rank_p05"]).astype(int)
        widest = shown.loc[spread.idxmax()]
        alt = w["chart_alt"].format(n=format_int(len(shown), lang), group=label, name=widest["name"],
                                    lo=format_int(widest["rank_p05"], lang), hi=format_int(widest["rank_p95"], lang),
                                    rank=format_int(widest["rank"], lang))
        blocks.append(P.figure(rep, svg, w["chart_title"].format(group=label), note, alt=alt))
        group_sets = [tuple(r) for r in sets.loc[sets["group"] == gid, "ranks"]]
        blocks.append(B.para(indistinct_sentence(label, group_sets, lang)))

    blocks.append(B.h3(w["uncertain_title"]))
    uncertain = res.uncertain
    if uncertain.empty:
        blocks.append(B.para(w["uncertain_none"]))
    else:
        blocks.append(B.para(w["uncertain_intro"].format(n=format_int(len(uncertain), lang))))
        by_id = table.set_index("body_id")
        rows = []
        for row in uncertain.itertuples(index=False):
            full = by_id.loc[row.body_id]
            rows.append([full["name"], full["group_label"], format_int(full["rank"], lang), rep.num(full["final"]),
                         B.chip(_band_color(m, full["band"]), full["band"]),
                         chances_text(full, m.band_labels, lang, w)])
        blocks.append(B.table([w["col_body"], w["col_group"], w["col_rank"], w["col_final"], w["col_band"],
                               w["col_chances"]], rows,
                              caption=P.caption(rep, "table", w["uncertain_table"]),
                              cols=["name", "", "rank", "num", "band", ""],
                              widths=[None, "24mm", "18mm", "14mm", "30mm", "52mm"], compact=True))

    blocks.append(B.h3(w["sensitivity_title"]))
    blocks += sensitivity_blocks(rep, res, w)
    return Section(B.section(number, w["sec_robustness"], ANCHOR, blocks))


def _band_color(m, band: str) -> str:
    from .charts import NOT_RETURNED_COLOR, band_colors

    return band_colors(m.band_labels).get(band, NOT_RETURNED_COLOR)


def sensitivity_blocks(rep, res, w: dict) -> list[dict]:
    """The Sobol' table (inputs x rank/band S1 and ST) and the sentence naming the main driver."""
    lang = rep.lang
    sens = res.sensitivity
    if sens.empty:
        return [B.para(w["sensitivity_none"])]
    s = res.settings
    runs = s["sensitivity_samples"] * (len(s["inputs"]) + 2)
    rank = sens[sens["output"] == "rank"].set_index("input")
    band = sens[sens["output"] == "band"].set_index("input")
    conf = float(max(rank[["S1_conf", "ST_conf"]].to_numpy().max(), band[["S1_conf", "ST_conf"]].to_numpy().max()))
    out = [B.para(w["sensitivity_intro"].format(runs=format_int(runs, lang), conf=format_number(conf, 2, lang)))]
    varied = rank[rank["varied"]]
    if varied.empty:
        out.append(B.para(w["sensitivity_none"]))
    else:
        top = varied["ST"].idxmax()
        out.append(B.para(w["sensitivity_main"].format(
            input=_lower_first(w[f"input_{top}"]),
            st=format_number(max(0.0, varied.loc[top, "ST"]), 2, lang),
            s1=format_number(max(0.0, varied.loc[top, "S1"]), 2, lang))))
    rows, kinds = [], []
    for name in rank.index:
        label = w[f"input_{name}"]
        if not rank.loc[name, "varied"]:
            label = [label, B.tone(f" ({w['not_varied']})", "muted")]
        rows.append([label, *[sobol_cell(table.loc[name, index], table.loc[name, f"{index}_conf"], lang, w)
                              for table in (rank, band) for index in ("S1", "ST")]])
        kinds.append("" if rank.loc[name, "varied"] else "muted")
    out.append(B.table([w["col_input"], w["col_rank_s1"], w["col_rank_st"], w["col_band_s1"], w["col_band_st"]], rows,
                       caption=P.caption(rep, "table", w["sensitivity_table"]),
                       cols=["", "num", "num", "num", "num"], kinds=kinds,
                       widths=[None, "26mm", "26mm", "26mm", "26mm"]))
    out.append(B.para(w["sensitivity_note"], "small"))
    return out


def sobol_cell(value: float, conf: float, lang: str, w: dict) -> dict:
    """A Sobol' index as the table shows it: the estimate, and under it its 95 % confidence
    interval (estimate ± SALib's ``conf``), both clipped at 0. An index cannot be negative: an
    estimate below 0 is sampling noise around 0, shown as 0 with the interval that says so."""
    low, high = max(0.0, value - conf), max(0.0, value + conf)
    return B.with_sub(format_number(max(0.0, value), 2, lang),
                      w["sobol_interval"].format(low=format_number(low, 2, lang), high=format_number(high, 2, lang)))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def sheet_line(rep, body_id: str) -> list | None:
    """The line on a body's score sheet: its band chances and 5-95 % rank interval (None for a body
    without draws)."""
    res = rep.robust
    row = res.table.set_index("body_id").loc[body_id] if res is not None else None
    if row is None or pd.isna(row["rank_p05"]):
        return None
    w = texts(rep.lang)
    text = w["sheet_chances_text"].format(chances=chances_text(row, rep.methodology.band_labels, rep.lang, w),
                                          lo=format_int(row["rank_p05"], rep.lang),
                                          hi=format_int(row["rank_p95"], rep.lang),
                                          draws=format_int(res.settings["draws"], rep.lang))
    return [B.tone(B.bold(w["sheet_chances"] + ":"), "navy"), " " + text]


def contents_entry(lang: str, number: int = SECTION_NUMBER) -> tuple[str, str]:
    return ANCHOR, f"{number}. {texts(lang)['sec_robustness']}"


__all__ = ["robustness_section", "sobol_cell", "sheet_line", "indistinct_sentence", "chances_text", "choices_text",
           "ranks_phrase", "contents_entry"]
