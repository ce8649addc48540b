"""The year-over-year comparison report's content layer: one function per section, returning a
:class:`~kiprank.report.section.Section` (HTML + data), as in :mod:`kiprank.report.content`.

``notebooks/year_comparison.ipynb`` calls :func:`prepare` and displays each section (``cover``,
``summary``, ...). Every number comes from :mod:`kiprank.analysis.compare`; this module formats numbers and
composes sentences (words in ``kiprank/words/compare.<lang>.yml``) once; the charts are in
:mod:`kiprank.report.comparison_charts`, the build (``kiprank compare``) in
:mod:`kiprank.runs.comparison`. The HTML uses the ranking report's stylesheet, the PDF
the same Typst template (``kiprank/typst/report.typ``).

(About 800 lines: one function per section, sharing its formatting; the charts are apart. The next
section added should split it, e.g. the annex into a module of its own.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.version import __version__
from ..analysis import compare as cmp
from ..core.formatting import (check_lang, format_date, format_int, format_number, format_weight)
from ..core.region import find_inputs_root
from . import blocks as B
from . import parts as P
from .section import Section
from .comparison_charts import dumbbell_chart, trajectory_chart, waterfall_chart
from .words import compare_texts

TOP_MOVERS = 5
DUMBBELL_MAX = 60  # rows of the dumbbell chart; a larger region shows its largest changes
NAMES_LISTED = 20  # bodies named in a sentence; the others are counted
WATERFALL_MAX_BARS = 16
SENTENCE_DECIMALS = 1


def texts(lang: str = "id") -> dict:
    """The comparison report's words (``kiprank/words/compare.<lang>.yml``)."""
    return compare_texts(lang)


# -- the report object -------------------------------------------------------------------------

@dataclass
class CompareReport(P.Numbering):
    """Everything the comparison report shows, in one language."""

    comp: cmp.Comparison
    lang: str
    report_date: date
    focus: str | None  # trajectory key of the focus body
    t: dict
    version: str = __version__
    _counters: dict[str, int] = field(default_factory=lambda: {"table": 0, "figure": 0})

    @property
    def years(self) -> list[int]:
        return self.comp.years

    @property
    def years_text(self) -> str:
        ys = self.years
        return f"{ys[0]}\u2013{ys[-1]}" if len(ys) > 2 else self.t["years_two"].format(y1=ys[0], y2=ys[1])

    @property
    def span(self) -> str:
        return f"{self.years[0]}\u2013{self.years[-1]}"

    @property
    def latest(self) -> cmp.YearRun:
        return self.comp.runs[-1]

    @property
    def decimals(self) -> int:
        return max(r.methodology.decimals for r in self.comp.runs)

    @property
    def focus_name(self) -> str | None:
        if self.focus is None:
            return None
        t = self.comp.trajectories
        return str(t.loc[t["key"] == self.focus, "name"].iloc[0])

    def num(self, value, decimals: int | None = None) -> str:
        return format_number(value, self.decimals if decimals is None else decimals, self.lang)

    def chg(self, value, decimals: int | None = None) -> str:
        if value is None or pd.isna(value):
            return "\u2014"
        return cmp.signed(float(value), self.decimals if decimals is None else decimals, self.lang)

    def sections(self) -> list[tuple[int | None, str, str]]:
        """(number, title, anchor) of the sections in display order."""
        out = [("sec_summary", "ringkasan"), ("sec_method", "metodologi"), ("sec_changes", "perubahan"),
               ("sec_charts", "grafik")]
        if self.focus is not None:
            out.append(("sec_focus", "fokus"))
        numbered = [(i, self.t[k].format(name=self.focus_name), a) for i, (k, a) in enumerate(out, 1)]
        return numbered + [(None, self.t["sec_annex"], "lampiran")]

    def section(self, anchor: str, blocks: list[dict], cls: str = "", newpage: bool = True) -> Section:
        """The section ``anchor`` (numbered and titled as :meth:`sections` lists it) holding ``blocks``;
        on landscape pages when one of its tables is too wide for a portrait page (:func:`_wide`)."""
        number, title = next((n, ti) for n, ti, a in self.sections() if a == anchor)
        landscape = any(_wide(b) for b in blocks)
        return P.section(number, title, anchor, blocks, cls=cls, newpage=newpage or landscape,
                         space=9 if not (newpage or landscape) else 0, landscape=landscape)


def prepare(region: str, years, focus: str | None = None, inputs_root: str | Path = "inputs", lang: str = "id",
            report_date: str | date | None = None) -> CompareReport:
    """Load, score and compare ``region`` over ``years`` and hold what the report shows."""
    check_lang(lang)
    ys = cmp.check_years(years)
    root = find_inputs_root(inputs_root, ys[0], region)
    comp = cmp.load_comparison(region, ys, root)
    key = cmp.focus_key(comp, focus) if focus else None
    return CompareReport(comp=comp, lang=lang, report_date=cmp.comparison_date(comp, report_date), focus=key,
                         t=texts(lang))


# -- presenting helpers (runs of text) -------------------------------------------------------------

def _pair_heading(rep: CompareReport, pair: cmp.PairComparison) -> list[dict]:
    if len(rep.comp.pairs) == 1:
        return []
    return [B.h3(rep.t["pair_heading"].format(y1=pair.before.year, y2=pair.after.year))]


def _arrow(value) -> dict:
    if value is None or pd.isna(value):
        return B.tone("\u2014", "flat")
    if value > 0:
        return B.tone(f"\u25b2 {int(value)}", "up")
    if value < 0:
        return B.tone(f"\u25bc {int(-value)}", "down")
    return B.tone("=", "flat")


def _band_mark(change) -> list:
    """'▲ ' (better band) or '▼ ' (worse band); nothing when unknown (different band lists)."""
    if change is None or pd.isna(change) or change == 0:
        return []
    return [B.tone("\u25b2", "up"), " "] if change > 0 else [B.tone("\u25bc", "down"), " "]


def _chg(rep: CompareReport, value, decimals=None) -> dict:
    text = rep.chg(value, decimals)
    if value is None or pd.isna(value) or abs(value) < 0.5 * 10 ** -(rep.decimals if decimals is None else decimals):
        return B.tone(text, "flat")
    return B.tone(text, "up" if value > 0 else "down")


def _rank_text(rep: CompareReport, value) -> str:
    return "\u2014" if value is None or pd.isna(value) else format_int(value, rep.lang)


# -- sections ----------------------------------------------------------------------------------

def _method_notice(rep: CompareReport, in_cover: bool = False) -> dict | None:
    """The methodology box: an alert when a pair changed method, else a short note."""
    t = rep.t
    changed = [p for p in rep.comp.pairs if p.method_changed]
    section_title = next(ti for _, ti, a in rep.sections() if a == "metodologi")
    if not changed:
        ids = sorted({r.methodology.id for r in rep.comp.runs})
        labels_only = [p for p in rep.comp.pairs if len(p.differences)]
        paras = [t["method_same"].format(ids=", ".join(ids))] if not labels_only else [
            t["method_labels_only"].format(y1=p.before.year, y2=p.after.year, m1=p.before.methodology.id,
                                           m2=p.after.methodology.id) for p in labels_only]
        if in_cover:
            return None
        return B.notice("info", t["box_same"], paras)
    paras = []
    for p in changed:
        y1, y2 = p.before.year, p.after.year
        paras.append(t["method_changed"].format(y1=y1, y2=y2, m1=p.before.methodology.id, m2=p.after.methodology.id,
                                                what=_what_changed(rep, p.differences), section=section_title))
        if p.split.comparable:
            paras.append(t["comparable"].format(y1=y1, y2=y2))
        else:
            paras.append(t["not_comparable"].format(y1=y1, y2=y2, reasons="; ".join(_reasons(rep, p))))
    return B.notice("alert", t["box_changed"], paras)


def _reasons(rep: CompareReport, pair: cmp.PairComparison) -> list[str]:
    return [cmp.reason_text(i, rep.lang) for i in pair.split.issues] or pair.split.reasons


def _what_changed(rep: CompareReport, diff: pd.DataFrame) -> str:
    d = diff[diff["affects_scores"]]
    kinds = []
    if (d["attribute"] == "weight").any():
        kinds.append("what_weight")
    if (d["part"] == "stage").any() and (d[d["part"] == "stage"]["attribute"] != "weight").any():
        kinds.append("what_stage")
    if (d["part"] == "indicator").any() and (d[d["part"] == "indicator"]["attribute"] != "weight").any():
        kinds.append("what_indicator")
    if (d["part"].isin(["question", "questionnaire"])).any():
        kinds.append("what_question")
    if (d["part"] == "item").any() and (d[d["part"] == "item"]["attribute"] != "weight").any():
        kinds.append("what_item")
    if (d["part"] == "band").any():
        kinds.append("what_band")
    if (d["part"] == "rule").any():
        kinds.append("what_rule")
    return ", ".join(rep.t[k] for k in kinds)


def document_meta(rep: CompareReport) -> dict:
    t, cfg = rep.t, rep.latest.inputs.config
    return {"title": f"{t['cover_title']} \u2014 {cfg.region} {rep.span}", "author": cfg.issuer,
            "keywords": [f"kiprank {rep.version}", f"comparison {rep.comp.region_id} {rep.span}",
                         *[f"methodology {r.methodology.id}" for r in rep.comp.runs]],
            "description": f"kiprank {rep.version}; {t['report_kind']}",
            "running": t["running_head"].format(region=cfg.region, years=rep.span),
            "footer": t["footer_line"].format(version=rep.version, region=cfg.region, years=rep.span),
            "page-word": t["page_word"], "of-word": t["of_word"], "lang": rep.lang}


def cover(rep: CompareReport) -> Section:
    """Cover page (with the methodology alert when the method changed); its data carries the
    document's metadata, running header and footer."""
    t, comp = rep.t, rep.comp
    cfg = rep.latest.inputs.config
    ids = [r.methodology.id for r in comp.runs]
    method = t["methodology_same"].format(id=ids[0]) if len(set(ids)) == 1 else \
        "; ".join(f"{r.year}: {r.methodology.id}" for r in comp.runs)
    bodies = ", ".join(t["bodies_value"].format(n=format_int(len(r.result.ranking), rep.lang), year=r.year)
                       for r in comp.runs)
    meta = [(t["issuer"], cfg.issuer), (t["years"], ", ".join(map(str, rep.years))), (t["methodology"], method),
            (t["bodies"], bodies)]
    if rep.focus is not None:
        meta.append((t["focus"], rep.focus_name))
    meta.append((t["report_date"], format_date(rep.report_date, rep.lang)))
    notes, seen = [], set()
    for r in comp.runs:
        note = r.inputs.config.note(rep.lang)
        if note and note not in seen:
            seen.add(note)
            notes.append({"title": t["data_note"].format(year=r.year), "paras": [note]})
    alert = _method_notice(rep, in_cover=True)
    return Section({
        "kind": "cover", "compact": True, "meta_doc": document_meta(rep), "issuer": cfg.issuer,
        "kind_label": t["report_kind"], "title": t["cover_title"], "subtitle": t["cover_subtitle"],
        "region": t["cover_region_years"].format(region=cfg.region, years=rep.years_text),
        "alert": {k: v for k, v in alert.items() if k != "t"} if alert else None, "notes": notes,
        "meta": [list(x) for x in meta], "legal": t["legal"].format(version=rep.version)})


def contents(rep: CompareReport) -> Section:
    entries = [[a, f"{n}. {title}" if n else title] for n, title, a in rep.sections()]
    return Section({"kind": "toc", "title": rep.t["contents"], "entries": entries})


def pair_summary_text(rep: CompareReport, pair: cmp.PairComparison) -> str:
    """One paragraph: how many bodies rose and fell in rank and band, and who could not be compared."""
    t, lang = rep.t, rep.lang
    ch = pair.changes
    assessed = ch[ch["returned_1"] & ch["returned_2"]]
    counts = cmp.movement_counts(assessed)
    text = t["pair_summary"].format(
        y1=pair.before.year, y2=pair.after.year, n=format_int(len(assessed), lang),
        up=format_int(counts["up"], lang), down=format_int(counts["down"], lang),
        same=format_int(counts["same"], lang), band_up=format_int(counts["band_up"], lang),
        band_down=format_int(counts["band_down"], lang), band_same=format_int(counts["band_same"], lang))
    k = len(ch) - len(assessed)
    if k:
        text += t["pair_not_assessed"].format(k=format_int(k, lang))
    m = pair.matches["match"]
    parts = []
    for kind, key in ((cmp.ENTERED, "identity_entered"), (cmp.LEFT, "identity_left"),
                      (cmp.RENAMED, "identity_renamed")):
        n = int((m == kind).sum())
        if n:
            parts.append(t[key].format(n=format_int(n, lang)))
    joined = pair.matches[m.isin([cmp.MERGED, cmp.SPLIT, cmp.RESTRUCTURED])]
    if len(joined):
        n = len(set(joined["body_id_1"]) | set(joined["body_id_2"]))
        parts.append(t["identity_merged"].format(n=format_int(n, lang)))
    text += t["pair_identity"].format(parts="; ".join(parts)) if parts else t["pair_all_same"]
    return text
def focus_lead_text(rep: CompareReport, pair: cmp.PairComparison) -> str | None:
    """'Kabupaten Kudus: turun 11 peringkat (3 → 14), nilai akhir 88,63 → 77,92 (−10,71 poin), ...'
    followed by the drivers sentence; None when the focus body is not compared in this pair."""
    key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
    if key is None:
        return None
    t, lang = rep.t, rep.lang
    row = pair.changes.set_index("key").loc[key]
    if not (row["returned_1"] and row["returned_2"]):
        return None
    r1, r2 = _rank_text(rep, row["rank_1"]), _rank_text(rep, row["rank_2"])
    rc = row["rank_change"]
    if pd.isna(rc):
        rank = t["rank_na"].format(r1=r1, r2=r2)
    elif rc > 0:
        rank = t["rank_up"].format(n=format_int(rc, lang), r1=r1, r2=r2)
    elif rc < 0:
        rank = t["rank_down"].format(n=format_int(-rc, lang), r1=r1, r2=r2)
    else:
        rank = t["rank_same"].format(r1=r1)
    bands = t["band_same"].format(b=row["band_1"]) if row["band_1"] == row["band_2"] else \
        f"{row['band_1']} \u2192 {row['band_2']}"
    lead = t["focus_lead"].format(name=row["name"], y1=pair.before.year, y2=pair.after.year, rank=rank, f1=rep.num(row["final_1"]), f2=rep.num(row["final_2"]),
                                  change=rep.chg(row["final_change"]), bands=bands)
    decomp = pair.decomposition if not (pair.method_changed and pair.split.comparable) else pair.split.answers_decomposition
    split_used = pair.method_changed and pair.split.comparable
    intro = t["drivers_intro_answers"] if split_used else t["drivers_intro"]
    sentence = intro + cmp.drivers_sentence(decomp, key, pair.after.methodology, lang, SENTENCE_DECIMALS)
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        sentence = t["method_part"].format(total=rep.chg(s["total_change"]), method=rep.chg(s["method_effect"]),
                                           answers=rep.chg(s["answers_effect"])) + " " + sentence
    return f"{lead} {sentence}"


def summary(rep: CompareReport) -> Section:
    t = rep.t
    notice = _method_notice(rep)
    blocks = [notice] if notice else []
    for pair in rep.comp.pairs:
        lead = focus_lead_text(rep, pair)
        if lead:
            name = rep.focus_name
            i = lead.find(name)
            runs = [lead[:i], B.tone(B.bold(name), "navy"), lead[i + len(name):]] if i >= 0 else lead
            blocks.append(B.para(runs, "lead"))
    for pair in rep.comp.pairs:
        blocks.append(B.para(pair_summary_text(rep, pair)))
    for pair in rep.comp.pairs:
        ch = pair.changes[pair.changes["returned_1"] & pair.changes["returned_2"]]
        ch = ch.assign(_c=ch["exact_change"]).sort_values(["_c", "name"], ascending=[False, True], kind="mergesort")
        ups = ch[ch["_c"] > 0].head(TOP_MOVERS)
        downs = ch[ch["_c"] < 0].sort_values(["_c", "name"], kind="mergesort").head(TOP_MOVERS)
        rows, kinds = [], []
        for r in pd.concat([ups, downs]).itertuples():
            rows.append([r.name, rep.num(r.final_1), rep.num(r.final_2), _chg(rep, r.final_change),
                         _arrow(r.rank_change), P.band_run(pair.after.methodology.band_labels, r.band_2)])
            kinds.append("focus" if rep.focus and r.key == cmp.pair_key(pair, rep.comp, rep.focus) else "")
        if rows:
            y1, y2 = pair.before.year, pair.after.year
            blocks.append(B.table([t["body"], t["score_y"].format(y=y1), t["score_y"].format(y=y2), t["change"],
                                   t["rank"], t["band_y"].format(y=y2)], rows, compact=True, tight=True,
                                  caption=P.caption(rep, "table", t["movers"].format(y1=y1, y2=y2)),
                                  cols=["name", "num", "num", "num", "num", "band"], kinds=kinds,
                                  widths=[None, "16mm", "16mm", "18mm", "17mm", "40mm"]))
    return rep.section("ringkasan", blocks, newpage=False)


def methodology(rep: CompareReport) -> Section:
    t, lang = rep.t, rep.lang
    blocks = []
    rows = [[str(r.year), r.methodology.id, r.methodology.name,
             ", ".join(f"{cmp.short_stage_label(s)} {format_weight(s.weight, lang)}%" for s in r.methodology.stages)]
            for r in rep.comp.runs]  # the stages' labels, as the tables name them, never their ids
    blocks.append(B.table([t["year"], t["method_id"], t["method_name"], t["stages_weights"]], rows, compact=True,
                          caption=P.caption(rep, "table", t["methods_used"]), cols=["", "code", "", ""],
                          widths=["12mm", "26mm", None, "52mm"]))
    if any(p.method_changed for p in rep.comp.pairs):
        blocks.append(_method_notice(rep))
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        blocks += _pair_heading(rep, pair)
        d = pair.differences
        if d.empty:
            blocks.append(B.para(t["no_differences"].format(y1=y1, y2=y2)))
        else:
            rows = [[t["parts"].get(r.part, r.part), str(r.id), t["attributes"].get(r.attribute, r.attribute),
                     t["absent"] if r.value_1 is None or pd.isna(r.value_1) else str(r.value_1),
                     t["absent"] if r.value_2 is None or pd.isna(r.value_2) else str(r.value_2)] for r in d.itertuples()]
            blocks.append(B.table([t["part"], t["method_id"], t["what"], str(y1), str(y2)], rows, compact=True,
                                  caption=P.caption(rep, "table", t["differences"].format(y1=y1, y2=y2)),
                                  cols=["", "code", "", "", ""], widths=["22mm", "26mm", "26mm", None, None]))
        if pair.method_changed:
            if pair.split.comparable:
                blocks.append(B.para(t["split_intro"].format(y1=y1, y2=y2)))
                order = {k: i for i, k in enumerate(pair.changes["key"])}
                s = pair.split.table.sort_values("key", key=lambda k: k.map(order), kind="mergesort")
                rows, kinds = [], []
                for r in s.itertuples():
                    rows.append([r.name, rep.num(r.exact_1), rep.num(r.exact_1_under_2), rep.num(r.exact_2),
                                 _chg(rep, r.method_effect), _chg(rep, r.answers_effect), _chg(rep, r.total_change)])
                    kinds.append("focus" if rep.focus and r.key == cmp.pair_key(pair, rep.comp, rep.focus) else "")
                blocks.append(B.table(
                    [t["body"], t["exact_1"].format(y1=y1), t["exact_1_under_2"].format(y1=y1, y2=y2),
                     t["exact_2"].format(y2=y2), t["method_effect"], t["answers_effect"], t["total_change"]],
                    rows, compact=True, tight=True, caption=P.caption(rep, "table", t["split_title"].format(y1=y1, y2=y2)),
                    cols=["name", "num", "num", "num", "num", "num", "num"], kinds=kinds,
                    widths=[None, "15mm", "24mm", "15mm", "17mm", "17mm", "19mm"]))
            else:
                blocks += [B.h3(t["reasons_title"]), B.item_list(_reasons(rep, pair), "rules")]
    changed = any(p.method_changed for p in rep.comp.pairs)
    return rep.section("metodologi", blocks, newpage=changed)


def changes(rep: CompareReport) -> Section:
    """Every matched body's rank, score and band in both years; the band transition matrix; the
    bodies that changed id, entered, left, merged or split."""
    t = rep.t
    blocks = []
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        m2 = pair.after.methodology
        blocks += _pair_heading(rep, pair)
        blocks.append(B.para(t["changes_intro"].format(y1=y1, y2=y2)))
        focus_key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
        for group, g in pair.changes.groupby("group_2", sort=False):
            rows, kinds = [], []
            for r in g.itertuples():
                band = P.band_run(m2.band_labels, r.band_2)
                if r.band_2 != r.band_1:
                    band = B.with_sub(band, [*_band_mark(r.band_change), t["band_from"].format(y=y1, band=r.band_1)])
                rows.append([r.name, _rank_text(rep, r.rank_1), _rank_text(rep, r.rank_2), _arrow(r.rank_change),
                             rep.num(r.final_1), rep.num(r.final_2), _chg(rep, r.final_change), band])
                kinds.append("focus" if r.key == focus_key else "")
            title = t["changes_table"].format(y1=y1, y2=y2)
            if pair.changes["group_2"].nunique() > 1:
                title += f" \u2014 {group}"
            blocks.append(B.table([t["body"], t["rank_y"].format(y=y1), t["rank_y"].format(y=y2), t["change"],
                                   t["score_y"].format(y=y1), t["score_y"].format(y=y2), t["change"],
                                   t["band_y"].format(y=y2)], rows, compact=True, tight=True,
                                  caption=P.caption(rep, "table", title),
                                  cols=["name", "num", "num", "num", "num", "num", "num", "band"], kinds=kinds,
                                  widths=[None, "15mm", "15mm", "16mm", "14mm", "14mm", "17mm", "44mm"]))
        blocks += _matrix(rep, pair)
        blocks += _identity(rep, pair)
    changed = any(p.method_changed for p in rep.comp.pairs)
    return rep.section("perubahan", blocks, newpage=changed)


def _matrix(rep: CompareReport, pair: cmp.PairComparison) -> list[dict]:
    """The band transition matrix: rows year-1 bands, columns year-2 bands; the diagonal (same
    band), better (green) and worse (red) cells are shaded when both years use the same bands."""
    t, lang = rep.t, rep.lang
    y1, y2 = pair.before.year, pair.after.year
    m1, m2 = pair.before.methodology, pair.after.methodology
    mat = pair.transitions
    same_labels = list(mat.index) == list(mat.columns)
    headers = [t["matrix_corner"].format(y1=y1, y2=y2), *[P.band_run(m2.band_labels, c) for c in mat.columns], t["total"]]
    rows, fills, kinds = [], [], []
    for i, (band, row) in enumerate(mat.iterrows()):
        cells, fill = [B.bold(P.band_run(m1.band_labels, band))], [None]
        for j, v in enumerate(row.to_numpy()):
            cls = ("diag" if i == j else "better" if j < i else "worse") if same_labels else None
            if v == 0 and cls != "diag":
                cls = None
            cells.append(B.tone(format_int(v, lang), "muted") if v == 0 else
                         B.tone(B.bold(format_int(v, lang)), "up" if cls == "better" else "down") if cls in ("better", "worse")
                         else B.bold(format_int(v, lang)) if cls == "diag" else format_int(v, lang))
            fill.append(cls)
        cells.append(format_int(int(row.sum()), lang))
        fill.append(None)
        rows.append(cells)
        fills.append(fill)
        kinds.append("")
    rows.append([t["total"], *[format_int(int(v), lang) for v in mat.sum(axis=0)],
                 format_int(int(mat.to_numpy().sum()), lang)])
    fills.append([None] * (len(mat.columns) + 2))
    kinds.append("total")
    return [B.table(headers, rows, caption=P.caption(rep, "table", t["matrix"].format(y1=y1, y2=y2)), compact=True,
                    tight=True, cols=["", *["center"] * (len(mat.columns) + 1)], kinds=kinds, fills=fills,
                    widths=["45mm", *[None] * len(mat.columns), "13mm"], cls="matrix", size=7.4),
            B.para(t["matrix_note"].format(y1=y1, y2=y2), "small")]


def _identity(rep: CompareReport, pair: cmp.PairComparison) -> list[dict]:
    t = rep.t
    y1, y2 = pair.before.year, pair.after.year
    rows = pair.matches[pair.matches["match"] != cmp.SAME]
    if rows.empty:
        return []
    body = [[t["matches"][r.match].format(y2=y2), r.body_id_1 or "\u2014", r.name_1 or "\u2014",
             r.body_id_2 or "\u2014", r.name_2 or "\u2014", " ".join(x for x in (r.link, r.note) if x)]
            for r in rows.itertuples()]
    return [B.para(t["identity_intro"]),
            B.table([t["match"], t["id_y"].format(y=y1), t["name_y"].format(y=y1), t["id_y"].format(y=y2),
                     t["name_y"].format(y=y2), t["note"]], body, compact=True,
                    caption=P.caption(rep, "table", t["identity_title"].format(y1=y1, y2=y2)),
                    cols=["", "code", "", "code", "", ""], widths=["22mm", "24mm", None, "24mm", None, "30mm"])]


def charts_section(rep: CompareReport) -> Section:
    t, lang = rep.t, rep.lang
    blocks = []
    if len(rep.comp.runs) > 2:
        blocks += _trajectory(rep)
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        ch = pair.changes
        ok = ch[ch["returned_1"] & ch["returned_2"]].sort_values(["final_2", "name"], ascending=[False, True],
                                                                   kind="mergesort")
        missing = ch[~(ch["returned_1"] & ch["returned_2"])]["name"].tolist()
        assessed = len(ok)
        if assessed > DUMBBELL_MAX:  # the largest changes only (every body is in the tables)
            size = (ok["final_2"].astype(float) - ok["final_1"].astype(float)).abs()
            ok = ok.loc[size.sort_values(ascending=False, kind="mergesort").index[:DUMBBELL_MAX]].sort_values(
                ["final_2", "name"], ascending=[False, True], kind="mergesort")
        focus_name = None
        if rep.focus:
            key = cmp.pair_key(pair, rep.comp, rep.focus)
            focus_name = ch.set_index("key")["name"].get(key) if key else None
        m2 = pair.after.methodology
        svg = dumbbell_chart(ok["name"].tolist(), ok["final_1"].tolist(), ok["final_2"].tolist(), str(y1), str(y2),
                             [b.min for b in m2.bands], lang, focus_name,
                             {k: t[k] for k in ("legend_up", "legend_down", "legend_same", "score_axis")})
        miss = t["dumbbell_missing"].format(names=_names_list(rep, missing)) if missing else ""
        if assessed > DUMBBELL_MAX:
            miss += t["dumbbell_largest"].format(n=format_int(DUMBBELL_MAX, lang), total=format_int(assessed, lang))
        blocks.append(P.figure(rep, svg, t["dumbbell"].format(y1=y1, y2=y2),
                               t["dumbbell_caption"].format(y1=y1, y2=y2, missing=miss), alt=_dumbbell_alt(rep, ok, y1, y2)))
    return rep.section("grafik", blocks)


def _wide(block: dict) -> bool:
    """A table whose fixed columns leave its name column less than the least a name needs on a
    portrait page."""
    if block.get("t") != "table" or not block.get("widths") or "name" not in (block.get("cols") or []):
        return False
    fixed = sum(float(w[:-2]) for w in block["widths"] if w and w.endswith("mm"))
    return P.orientation(fixed) != "portrait"


def _names_list(rep: CompareReport, names: list[str]) -> str:
    """'A, B, C' or, for a long list, the first :data:`NAMES_LISTED` and how many more."""
    if len(names) <= NAMES_LISTED:
        return ", ".join(names)
    more = rep.t["names_more"].format(n=format_int(len(names) - NAMES_LISTED, rep.lang))
    return ", ".join(names[:NAMES_LISTED]) + more


def _dumbbell_alt(rep: CompareReport, ok: pd.DataFrame, y1: int, y2: int) -> str:
    """The dumbbell chart in words: how many rose and fell, and the largest rise and fall."""
    t, lang = rep.t, rep.lang
    change = (ok["final_2"].astype(float) - ok["final_1"].astype(float)) if len(ok) else pd.Series(dtype=float)
    up, down = change[change > 0], change[change < 0]
    rise = t["alt_largest_rise"].format(name=ok.loc[up.idxmax(), "name"], change=rep.chg(up.max())) if len(up) else ""
    fall = t["alt_largest_fall"].format(name=ok.loc[down.idxmin(), "name"], change=rep.chg(down.min())) if len(down) else ""
    return t["dumbbell_alt"].format(n=format_int(len(ok), lang), y1=y1, y2=y2, up=format_int(len(up), lang),
                                    down=format_int(len(down), lang), rise=rise, fall=fall)


def _trajectory(rep: CompareReport) -> list[dict]:
    t, lang = rep.t, rep.lang
    tr = rep.comp.trajectories
    wide = cmp.trajectory_table(tr, "final")
    bands = cmp.trajectory_table(tr, "band")
    years = rep.years
    series = {row.Index: [getattr(row, f"_{i + 2}") for i in range(len(years))] for row in wide.itertuples()}
    names = wide["name"].to_dict()
    m = rep.latest.methodology
    svg = trajectory_chart(years, series, names, rep.focus, [b.min for b in m.bands], lang, t["score_axis"])
    focus = t["trajectory_focus"].format(name=rep.focus_name) if rep.focus else ""
    last = wide[years[-1]].astype(float)
    alt = t["trajectory_alt"].format(n=format_int(len(wide), lang), years=rep.span,
                                     top=names[last.idxmax()] if last.notna().any() else "\u2014",
                                     top_score=rep.num(last.max()), year=years[-1],
                                     bottom=names[last.idxmin()] if last.notna().any() else "\u2014",
                                     bottom_score=rep.num(last.min()))
    blocks = [P.figure(rep, svg, t["trajectory"].format(years=rep.span),
                       t["trajectory_caption"].format(focus=focus, year=years[-1]), alt=alt)]
    rows, kinds = [], []
    for key, row in wide.iterrows():
        cells = [row["name"]]
        for y in years:
            b = bands.at[key, y]
            cells.append([rep.num(row[y]) + "\u00a0\u00a0", P.band_run(_run_of(rep, y).methodology.band_labels, b)]
                         if isinstance(b, str) else "\u2014")
        rows.append(cells)
        kinds.append("focus" if key == rep.focus else "")
    blocks.append(B.table([t["body"], *map(str, years)], rows, compact=True, tight=True,
                          caption=P.caption(rep, "table", t["trajectory_table"]), cols=["name", *["num"] * len(years)],
                          kinds=kinds, widths=["46mm", *[None] * len(years)]))
    return blocks


def _run_of(rep: CompareReport, year: int) -> cmp.YearRun:
    return next(r for r in rep.comp.runs if r.year == year)


def focus(rep: CompareReport) -> Section | None:
    """The focus body: lead sentence, waterfall of its change, stage and indicator table, and the
    method/answers split when the method changed. None (nothing displayed) without a focus."""
    if rep.focus is None:
        return None
    t = rep.t
    name = rep.focus_name
    blocks = []
    if len(rep.comp.runs) > 2:
        tr = rep.comp.trajectories
        mine = tr[tr["key"] == rep.focus]
        rows = [[str(r.year), _rank_text(rep, r.rank), rep.num(r.final),
                 P.band_run(_run_of(rep, r.year).methodology.band_labels, r.band)] for r in mine.itertuples()]
        blocks.append(B.table([t["year"], t["rank"], t["score"], t["band"]], rows, compact=True, narrow=True,
                              caption=P.caption(rep, "table", t["focus_trajectory"].format(name=name)),
                              cols=["", "num", "num", "band"]))
    for pair in rep.comp.pairs:
        blocks += _pair_heading(rep, pair)
        blocks += _focus_pair(rep, pair)
    return rep.section("fokus", blocks)


def _focus_pair(rep: CompareReport, pair: cmp.PairComparison) -> list[dict]:
    t, lang = rep.t, rep.lang
    y1, y2 = pair.before.year, pair.after.year
    name = rep.focus_name
    key = cmp.pair_key(pair, rep.comp, rep.focus)
    tr = rep.comp.trajectories
    if key is None:
        in2 = not tr[(tr["key"] == rep.focus) & (tr["year"] == y2)].empty
        why = t["why_absent"].format(y=y1 if in2 else y2)
        return [B.para(t["focus_not_in_pair"].format(name=name, y1=y1, y2=y2, why=why))]
    row = pair.changes.set_index("key").loc[key]
    if not (row["returned_1"] and row["returned_2"]):
        why = t["why_not_returned"].format(y=y1 if not row["returned_1"] else y2)
        return [B.para(t["focus_not_in_pair"].format(name=name, y1=y1, y2=y2, why=why))]
    blocks = [B.para(focus_lead_text(rep, pair), "lead")]
    m2 = pair.after.methodology
    split_used = pair.method_changed and pair.split.comparable
    decomp = pair.split.answers_decomposition if split_used else pair.decomposition
    d = decomp[decomp["key"] == key]
    steps = []
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        steps.append((t["method_bar"], float(s["method_effect"])))
    steps += _waterfall_steps(rep, d, m2)
    svg = waterfall_chart(steps, float(row["exact_1"]), float(row["exact_2"]), t["score_y"].format(y=y1),
                          t["score_y"].format(y=y2), rep.decimals, lang)
    caption = t["waterfall_caption"].format(exact=rep.chg(row["exact_change"], rep.decimals + 2),
                                            published=rep.chg(row["final_change"]),
                                            residual=rep.chg(row["rounding_residual"], rep.decimals + 2))
    if split_used:
        caption += " " + t["waterfall_method_note"].format(y1=y1, y2=y2)
    biggest = max(steps, key=lambda st: abs(st[1])) if steps else (t["waterfall_none"], 0.0)
    alt = t["waterfall_alt"].format(name=name, y1=y1, y2=y2, start=rep.num(row["exact_1"]), end=rep.num(row["exact_2"]),
                                    n=format_int(len(steps), lang), biggest=biggest[0], change=rep.chg(biggest[1]))
    blocks.append(P.figure(rep, svg, t["waterfall"].format(name=name, y1=y1, y2=y2), caption, alt=alt))
    blocks += _focus_table(rep, pair, key, row)
    if split_used:
        s = pair.split.table.set_index("key").loc[key]
        rows = [[rep.num(s["exact_1"]), rep.num(s["exact_1_under_2"]), rep.num(s["exact_2"]),
                 _chg(rep, s["method_effect"]), _chg(rep, s["answers_effect"]), _chg(rep, s["total_change"])]]
        blocks.append(B.table([t["exact_1"].format(y1=y1), t["exact_1_under_2"].format(y1=y1, y2=y2),
                               t["exact_2"].format(y2=y2), t["method_effect"], t["answers_effect"], t["total_change"]],
                              rows, compact=True, caption=P.caption(rep, "table", t["focus_split"].format(name=name)),
                              cols=["num", "num", "num", "num", "num", "num"]))
    return blocks
def _waterfall_steps(rep: CompareReport, d: pd.DataFrame, m) -> list[tuple[str, float]]:
    """(label, change) per indicator that moved, in stage order; beyond WATERFALL_MAX_BARS the
    smallest are merged per stage into 'n others'."""
    eps = 0.5 * 10 ** -(rep.decimals + 2)
    moved = d[d["change"].abs() >= eps]
    keep = set(moved["change"].abs().sort_values(ascending=False).index[:WATERFALL_MAX_BARS])
    steps = []
    for stage, g in moved.groupby("stage", sort=False):
        short = cmp.short_stage_label(_stage_or_none(m, stage), g["stage_label"].iloc[0] or stage)
        rest = g[~g.index.isin(keep)]
        for r in g[g.index.isin(keep)].itertuples():
            label = short if r.indicator == stage else f"{short}: {r.label}"
            steps.append((label, float(r.change)))
        if len(rest):
            steps.append((f"{short}: {rep.t['waterfall_others'].format(n=len(rest))}", float(rest["change"].sum())))
    return steps


def _stage_or_none(m, stage_id):
    try:
        return m.stage(stage_id)
    except KeyError:
        return None


def _focus_table(rep: CompareReport, pair: cmp.PairComparison, key: str, row) -> list[dict]:
    t = rep.t
    y1, y2 = pair.before.year, pair.after.year
    d = pair.decomposition[pair.decomposition["key"] == key]
    r1 = pair.before.result.ranking.set_index("body_id").loc[row["body_id_1"]]
    r2 = pair.after.result.ranking.set_index("body_id").loc[row["body_id_2"]]
    eps = 0.5 * 10 ** -(rep.decimals + 2)
    rows, kinds = [], []
    for stage, g in d.groupby("stage", sort=False):
        c1, c2 = g["contribution_1"].sum(), g["contribution_2"].sum()
        s1 = r1.get(stage, np.nan) if stage in r1.index else np.nan
        s2 = r2.get(stage, np.nan) if stage in r2.index else np.nan
        rows.append([g["stage_label"].iloc[0] or stage, rep.num(s1), rep.num(s2), rep.num(c1), rep.num(c2),
                     _chg(rep, c2 - c1)])
        kinds.append("stage")
        inner = g[g["indicator"] != stage]
        moved = inner[inner["change"].abs() >= eps]
        for r in moved.itertuples():
            rows.append([r.label, rep.num(r.score_1), rep.num(r.score_2), rep.num(r.contribution_1),
                         rep.num(r.contribution_2), _chg(rep, r.change)])
            kinds.append("ind")
        if len(inner) > len(moved):
            stage_obj = _stage_or_none(pair.after.methodology, stage) or _stage_or_none(pair.before.methodology, stage)
            which = "unchanged_items" if stage_obj is not None and stage_obj.source == "checklist" else "unchanged_indicators"
            rows.append([B.tone({"text": t[which].format(n=len(inner) - len(moved)), "i": True}, "muted"),
                         "", "", "", "", ""])
            kinds.append("ind")
    rows.append([t["exact_final"], "", "", rep.num(row["exact_1"], rep.decimals + 2),
                 rep.num(row["exact_2"], rep.decimals + 2), _chg(rep, row["exact_change"], rep.decimals + 2)])
    kinds.append("total")
    rows.append([t["published_final"], "", "", rep.num(row["final_1"]), rep.num(row["final_2"]),
                 _chg(rep, row["final_change"])])
    kinds.append("")
    rows.append([t["residual"], "", "", "", "", rep.chg(row["rounding_residual"], rep.decimals + 2)])
    kinds.append("muted")
    out = [B.table([t["stage_indicator"], t["score_y"].format(y=y1), t["score_y"].format(y=y2),
                    t["contribution_y"].format(y=y1), t["contribution_y"].format(y=y2), t["change"]], rows,
                   compact=True, tight=True, caption=P.caption(rep, "table", t["focus_table"].format(y1=y1, y2=y2)),
                   cols=["", "num", "num", "num", "num", "num"], kinds=kinds,
                   widths=[None, "15mm", "15mm", "20mm", "20mm", "20mm"])]
    if pair.method_changed:
        out.append(B.para(t["focus_table_method"].format(y1=y1, y2=y2), "small"))
    return out


def annex(rep: CompareReport) -> Section:
    """Per body: the change of each stage's contribution, its sum, the published change and the
    rounding residual; then the drivers sentence of every body."""
    t, lang = rep.t, rep.lang
    blocks = [B.para(t["annex_intro"])]
    for pair in rep.comp.pairs:
        y1, y2 = pair.before.year, pair.after.year
        m2 = pair.after.methodology
        blocks += _pair_heading(rep, pair)
        wide = cmp.stage_change_table(pair.decomposition)
        stages = [c for c in wide.columns if c != "total"]
        labels = {s.id: cmp.short_stage_label(s) for s in [*pair.before.methodology.stages, *m2.stages]}
        ch = pair.changes.set_index("key")
        focus_key = cmp.pair_key(pair, rep.comp, rep.focus) if rep.focus else None
        order = [k for k in pair.changes["key"] if k in wide.index]
        rows, kinds = [], []
        for key in order:
            w, c = wide.loc[key], ch.loc[key]
            rows.append([c["name"], *[_chg(rep, w[s]) for s in stages], _chg(rep, w["total"]),
                         _chg(rep, c["final_change"]), rep.chg(c["rounding_residual"], rep.decimals + 2)])
            kinds.append("focus" if key == focus_key else "")
        # fixed columns sized for their headings and numbers; the name takes the rest of the line
        blocks.append(B.table([t["body"], *[labels.get(s, s) for s in stages], t["sum"], t["published"], t["rounding"]],
                              rows, compact=True, tight=True,
                              caption=P.caption(rep, "table", t["annex_table"].format(y1=y1, y2=y2)),
                              cols=["name", *["num"] * (len(stages) + 3)], kinds=kinds,
                              widths=[None, *["17mm"] * len(stages), "16mm", "17mm", "21mm"]))
        decomp = pair.split.answers_decomposition if (pair.method_changed and pair.split.comparable) else pair.decomposition
        items = []
        for key in order:
            c = ch.loc[key]
            sentence = cmp.drivers_sentence(decomp, key, m2, lang, SENTENCE_DECIMALS)
            items.append([B.tone(B.bold(c["name"]), "navy"), f" ({rep.chg(c['final_change'])}): {sentence}"])
        blocks.append(B.para([B.tone(B.bold(rep.next("table") + "."), "navy"), " ",
                              B.bold(t["drivers_title"].format(y1=y1, y2=y2))], "caption"))
        blocks.append(B.item_list(items, "plain"))
    return rep.section("lampiran", blocks, "annex")


SECTION_FUNCTIONS = (cover, contents, summary, methodology, changes, charts_section, focus, annex)


def sections(rep: CompareReport) -> list[Section]:
    """Every section in display order (the focus section only with a focus)."""
    return [s for s in (f(rep) for f in SECTION_FUNCTIONS) if s is not None]


def comparison_content(rep: CompareReport) -> dict:
    """The whole comparison report's content data (``meta`` and ``sections``)."""
    secs = [s.data for s in sections(rep)]
    return {"meta": secs[0]["meta_doc"], "sections": secs}


def full_html(rep: CompareReport) -> str:
    from .html import section_html

    return "".join(section_html(s.data) for s in sections(rep))


def _html_of(function):
    def html(rep: CompareReport) -> str:
        from .html import section_html

        section = function(rep)
        return section_html(section.data) if section is not None else ""
    html.__doc__ = f"The HTML of :func:`{function.__name__}`."
    return html


cover_html, contents_html, summary_html, methodology_html, changes_html, charts_html, focus_html, annex_html = (
    _html_of(f) for f in SECTION_FUNCTIONS)


__all__ = ["CompareReport", "prepare", "cover", "contents", "summary", "methodology", "changes",
           "charts_section", "focus", "annex", "sections", "comparison_content", "full_html", "cover_html", "contents_html",
           "summary_html", "methodology_html", "changes_html", "charts_html", "focus_html", "annex_html",
           "pair_summary_text", "focus_lead_text", "dumbbell_chart", "waterfall_chart", "trajectory_chart",
           "texts"]
