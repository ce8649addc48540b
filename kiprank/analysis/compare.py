"""Year-over-year comparison of a region's rankings: who rose or fell, and why.

Pure functions over scored years (:class:`~kiprank.core.scoring.ScoreResult`) that return DataFrames
with documented columns; the comparison report (:mod:`kiprank.report.comparison`,
``notebooks/year_comparison.ipynb``) only presents them.

Identity across years
    Bodies are matched by ``body_id``. An optional crosswalk, ``<inputs_root>/crosswalk.csv``
    (columns ``old_id,new_id,note``), records renamed ids and merges or splits. A crosswalk row
    applies to two consecutive years when ``old_id`` is a body of the earlier year and ``new_id``
    one of the later year. Bodies (old and new) linked by crosswalk rows or by an unchanged id form
    a group: one old and one new body is a match (``same`` id or ``renamed``); several old bodies
    and one new body a ``merged`` group; one old and several new a ``split``; several of each
    ``restructured``. Merged, split and restructured bodies are listed as such and are not
    compared one to one. Bodies of only one year are listed as ``entered`` or ``left``: nothing
    is silently dropped.

Decomposition
    The change of a body's final score is broken down by stage and indicator (checklist items
    and score stages count as indicators, as in ``ScoreResult.indicators``). Each indicator's
    contribution (points of the unrounded final score) is compared between the years; the changes
    add up exactly (to floating-point precision) to the change of the unrounded final score. The
    published finals are rounded, so the published change differs from the exact change by a
    rounding residual, reported separately (``rounding_residual``).

Methodology changes
    :func:`methodology_differences` lists what differs between two methodologies. When the years
    use methods that score differently, :func:`method_vs_answers` re-scores the earlier year's
    inputs under the later method (:func:`rescore_inputs`) and splits each change into a method
    effect (score(inputs 1, method 2) - score(inputs 1, method 1)) and an answers effect
    (score(inputs 2, method 2) - score(inputs 1, method 2)). Where the earlier inputs cannot be
    scored under the later method (new questions, a stage without data, answers the later method
    does not allow) the years are reported as not strictly comparable, with the reasons.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputProblem, InputValidationError, KiprankError, UsageError
from ..core.formatting import check_lang, format_number
from ..core.answers import answer_fractions
from ..core.inputs import RegionInputs, load_region
from ..core.methodology import Methodology, Stage
from ..core.scoring import ScoreResult, score

CROSSWALK_FILE = "crosswalk.csv"
CROSSWALK_COLUMNS = ["old_id", "new_id", "note"]

# how a body of one year relates to the next (column ``match`` of :func:`match_bodies`)
SAME, RENAMED, MERGED, SPLIT, RESTRUCTURED, ENTERED, LEFT = (
    "same", "renamed", "merged", "split", "restructured", "entered", "left")
ONE_TO_ONE = (SAME, RENAMED)
MATCH_ORDER = [SAME, RENAMED, MERGED, SPLIT, RESTRUCTURED, ENTERED, LEFT]

# smallest change named in a sentence (half a unit of the sentence's last decimal is the default)
EPS = 1e-9


class NotComparableError(KiprankError):
    """The inputs of one year cannot be scored under another year's methodology. ``issues``:
    (code, parameters) pairs (see :func:`rescore_issues`); ``reasons``: the same in English."""

    def __init__(self, issues: list[tuple[str, dict]]):
        self.issues = list(issues)
        self.reasons = [reason_text(i, "en") for i in self.issues]
        super().__init__("not comparable: " + "; ".join(self.reasons))


# -- loading -----------------------------------------------------------------------------------

@dataclass
class YearRun:
    """One scored year of a region."""

    year: int
    inputs: RegionInputs
    result: ScoreResult

    @property
    def methodology(self) -> Methodology:
        return self.result.methodology


def check_years(years) -> list[int]:
    """Distinct years in increasing order; at least two are needed."""
    try:
        out = sorted({int(y) for y in years})
    except (TypeError, ValueError) as exc:
        raise UsageError(f"years must be numbers like 2018 2019 (got {list(years)})") from exc
    if len(out) < 2:
        raise UsageError(f"a comparison needs at least two different years (got {', '.join(map(str, out)) or 'none'})")
    return out


def load_years(region: str, years, inputs_root: Path | str = "inputs") -> list[YearRun]:
    """Validate and score ``<inputs_root>/<year>/<region>`` for each year (oldest first)."""
    runs = []
    for year in check_years(years):
        inputs = load_region(year, region, inputs_root)
        runs.append(YearRun(year, inputs, score(inputs)))
    return runs


def read_crosswalk(path: Path | str) -> pd.DataFrame:
    """Read a crosswalk file: columns ``old_id``, ``new_id``, ``note`` (optional), as strings.

    Raises :class:`~kiprank.core.errors.InputValidationError` (file, row, column) on a missing column,
    an empty id, an id mapped to itself or a repeated (old_id, new_id) pair.
    """
    from ..core.tables import read_csv_table

    path = Path(path)
    label = str(path)
    if not path.read_bytes()[:1 << 16].decode("utf-8", errors="replace").strip(" \t\r\n\ufeff"):
        return empty_crosswalk()
    problems: list[InputProblem] = []
    table = read_csv_table(path, problems)  # UTF-8, header, quotes and the number of fields of each row checked
    if table is None:
        if all("no data rows" in p.message for p in problems):
            return empty_crosswalk()
        raise InputValidationError(problems)
    table = table.apply(lambda s: s.astype(object).astype(str))
    problems = [InputProblem(label, 1, col, f"required column '{col}' is missing")
                for col in ("old_id", "new_id") if col not in table.columns]
    if problems:
        raise InputValidationError(problems)
    if "note" not in table.columns:
        table["note"] = ""
    table = table[CROSSWALK_COLUMNS].apply(lambda s: s.str.strip())
    table = table[(table != "").any(axis=1)]
    seen = set()
    for row, old, new, _ in table.itertuples():
        for col, value in (("old_id", old), ("new_id", new)):
            if not value:
                problems.append(InputProblem(label, int(row), col, f"{col} is empty"))
        if old and old == new:
            problems.append(InputProblem(label, int(row), "new_id", f"'{old}' is mapped to itself"))
        if (old, new) in seen:
            problems.append(InputProblem(label, int(row), None, f"duplicate row: {old} -> {new} appears more than once"))
        seen.add((old, new))
    if problems:
        raise InputValidationError(problems)
    lines = [int(i) for i in table.index]
    table = table.reset_index(drop=True)
    table.attrs["lines"] = lines
    table.attrs["file"] = label
    return table


def crosswalk_warnings(comp: "Comparison") -> list[str]:
    """Crosswalk rows naming an id that is in none of the years compared (a typo, or a row for
    other years): legal, but usually a slip, so say so."""
    cw = comp.crosswalk
    if cw is None or cw.empty:
        return []
    known = set()
    for run in comp.runs:
        known |= set(run.result.ranking["body_id"].astype(str))
    lines = cw.attrs.get("lines") or list(range(2, len(cw) + 2))
    label = cw.attrs.get("file", CROSSWALK_FILE)
    years = ", ".join(str(y) for y in comp.years)
    out = []
    for line, row in zip(lines, cw.itertuples(index=False)):
        for col in ("old_id", "new_id"):
            value = getattr(row, col)
            if value and value not in known:
                out.append(f"{label}, row {line}, column '{col}': '{value}' is in none of the years compared ({years})")
    return out


def empty_crosswalk() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CROSSWALK_COLUMNS})


def load_crosswalk(inputs_root: Path | str = "inputs") -> pd.DataFrame:
    """``<inputs_root>/crosswalk.csv`` if it exists (see :func:`read_crosswalk`), else an empty table."""
    path = Path(inputs_root) / CROSSWALK_FILE
    return read_crosswalk(path) if path.is_file() else empty_crosswalk()


# -- matching bodies ---------------------------------------------------------------------------

def match_bodies(bodies_1: pd.DataFrame, bodies_2: pd.DataFrame, crosswalk: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the bodies of an earlier year relate to those of a later year.

    ``bodies_1``, ``bodies_2``: tables with ``body_id`` and ``name`` (e.g. ``ScoreResult.ranking``
    or ``RegionInputs.bodies``); ``crosswalk``: see :func:`read_crosswalk` (optional).

    Returns one row per matched pair, per crosswalk link of a merge/split, and per body of only one
    year; columns:

    - ``key``: the comparison id: ``body_id_2`` for a one-to-one match or an entered body,
      ``body_id_1`` for a body that left, ``"<old> -> <new>"`` for a link of a merge/split;
    - ``match``: ``same`` (same id), ``renamed`` (crosswalk), ``merged``, ``split``,
      ``restructured``, ``entered`` (only in year 2), ``left`` (only in year 1);
    - ``body_id_1``, ``name_1``, ``body_id_2``, ``name_2`` (None where the body is absent);
    - ``link``: for merged/split/restructured rows, the whole group (``"a + b -> c"``), else "";
    - ``note``: the crosswalk note(s) of the row's link, else "".

    Rows are ordered by ``match`` (``same`` first) and then by name.
    """
    names_1 = _names(bodies_1)
    names_2 = _names(bodies_2)
    cw = empty_crosswalk() if crosswalk is None else crosswalk
    edges: dict[tuple[str, str], str] = {}
    for old, new, note in cw[CROSSWALK_COLUMNS].itertuples(index=False):
        if old in names_1 and new in names_2:
            edges[(old, new)] = "; ".join(x for x in (edges.get((old, new), ""), str(note or "")) if x)
    for body in names_1.keys() & names_2.keys():
        edges.setdefault((body, body), "")

    # connected groups of the bipartite graph old ids <-> new ids (union-find)
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for old, new in edges:
        parent[find((1, old))] = find((2, new))
    groups: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for node in [(1, b) for b in names_1] + [(2, b) for b in names_2]:
        groups.setdefault(find(node), []).append(node)

    rows = []
    for members in groups.values():
        olds = sorted(b for side, b in members if side == 1)
        news = sorted(b for side, b in members if side == 2)
        if not news:
            rows.append((olds[0], LEFT, olds[0], names_1[olds[0]], None, None, "", ""))
        elif not olds:
            rows.append((news[0], ENTERED, None, None, news[0], names_2[news[0]], "", ""))
        elif len(olds) == 1 and len(news) == 1:
            kind = SAME if olds[0] == news[0] else RENAMED
            rows.append((news[0], kind, olds[0], names_1[olds[0]], news[0], names_2[news[0]], "",
                         edges.get((olds[0], news[0]), "")))
        else:
            kind = MERGED if len(news) == 1 else SPLIT if len(olds) == 1 else RESTRUCTURED
            link = f"{' + '.join(olds)} -> {' + '.join(news)}"
            for old, new in sorted(e for e in edges if e[0] in olds and e[1] in news):
                rows.append((f"{old} -> {new}", kind, old, names_1[old], new, names_2[new], link, edges[(old, new)]))
    table = pd.DataFrame(rows, columns=["key", "match", "body_id_1", "name_1", "body_id_2", "name_2", "link", "note"])
    table["_o"] = table["match"].map({k: i for i, k in enumerate(MATCH_ORDER)})
    table["_n"] = table["name_2"].fillna(table["name_1"]).astype(str).str.lower()
    table = table.sort_values(["_o", "_n", "key"], kind="mergesort").drop(columns=["_o", "_n"])
    table = table.reset_index(drop=True).astype(object)
    return table.where(table.notna(), None)


def _names(bodies: pd.DataFrame) -> dict[str, str]:
    return {str(b): str(n) for b, n in zip(bodies["body_id"], bodies["name"])}


def one_to_one(matches: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`match_bodies` that match one body of each year (``same`` or ``renamed``)."""
    return matches[matches["match"].isin(ONE_TO_ONE)].reset_index(drop=True)


def same_id_matches(result: ScoreResult) -> pd.DataFrame:
    """Every body of a result matched to itself (for comparing two scorings of the same inputs)."""
    r = result.ranking
    return match_bodies(r, r)


# -- rank, score and band changes --------------------------------------------------------------

def unrounded_finals(result: ScoreResult) -> pd.Series:
    """The unrounded final score of each body (sum of its indicator contributions), by body_id;
    NaN for a body that did not return the SAQ."""
    sums = result.indicators.groupby(result.indicators["body_id"].astype(str), sort=False)["contribution"].sum()
    returned = result.ranking.set_index(result.ranking["body_id"].astype(str))["returned"]
    return sums.reindex(returned.index).where(returned.astype(bool))


def _band_state(ranking: pd.DataFrame, m: Methodology) -> pd.Series:
    """The band of an assessed body, the not-returned status of the others."""
    return ranking["band"].where(ranking["returned"].astype(bool), m.not_returned.status)


def _band_index(state: pd.Series, m: Methodology) -> pd.Series:
    """0 for the best band, ..., len(bands) for not returned."""
    order = {b: i for i, b in enumerate(m.band_labels)}
    order[m.not_returned.status] = len(m.band_labels)
    return state.map(order).astype(float)


def rank_changes(result_1: ScoreResult, result_2: ScoreResult, matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank, score and band of each one-to-one matched body in both years.

    ``matches``: from :func:`match_bodies` (default: match by body_id). One row per matched body,
    in the later year's report order (group, rank, name); columns:

    - ``key``, ``match``, ``body_id_1``, ``body_id_2``, ``name`` (year-2 name), ``name_1``;
    - ``group_1``, ``group_2`` (group labels), ``same_group`` (ranks are only compared within the
      same group);
    - ``returned_1``, ``returned_2`` (bool: assessed that year);
    - ``rank_1``, ``rank_2`` (Int64), ``rank_change`` = rank_1 - rank_2 (Int64; positive = moved up,
      e.g. 3rd -> 14th is -11; missing unless ranked in the same group in both years);
    - ``movement``: ``up``, ``down``, ``same`` or ``n/a``;
    - ``final_1``, ``final_2``: the published (rounded) finals; ``final_change``: their difference;
    - ``exact_1``, ``exact_2``, ``exact_change``: the unrounded finals and their difference (what
      :func:`decompose` explains); ``rounding_residual`` = final_change - exact_change;
    - ``band_1``, ``band_2``: the band (or the not-returned status); ``band_change``: how many bands
      better (+) or worse (-), when both years use the same band labels, else NaN.
    """
    m1, m2 = result_1.methodology, result_2.methodology
    pairs = one_to_one(matches if matches is not None else match_bodies(result_1.ranking, result_2.ranking))
    r1 = result_1.ranking.assign(body_id=result_1.ranking["body_id"].astype(str)).set_index("body_id")
    r2 = result_2.ranking.assign(body_id=result_2.ranking["body_id"].astype(str)).set_index("body_id")
    u1, u2 = unrounded_finals(result_1), unrounded_finals(result_2)
    a = r1.reindex(pairs["body_id_1"])
    b = r2.reindex(pairs["body_id_2"])
    out = pd.DataFrame({
        "key": pairs["key"].to_numpy(), "match": pairs["match"].to_numpy(),
        "body_id_1": pairs["body_id_1"].to_numpy(), "body_id_2": pairs["body_id_2"].to_numpy(),
        "name": b["name"].to_numpy(), "name_1": a["name"].to_numpy(),
        "group_1": a["group_label"].to_numpy(), "group_2": b["group_label"].to_numpy(),
        "returned_1": a["returned"].to_numpy(dtype=bool), "returned_2": b["returned"].to_numpy(dtype=bool),
        "rank_1": pd.array(a["rank"].to_numpy(), dtype="Int64"),
        "rank_2": pd.array(b["rank"].to_numpy(), dtype="Int64"),
    })
    out["same_group"] = (a["group"].to_numpy() == b["group"].to_numpy())
    change = (out["rank_1"] - out["rank_2"]).where(out["same_group"])
    out["rank_change"] = change.astype("Int64")
    out["movement"] = np.select(
        [change.isna().to_numpy(dtype=bool), (change > 0).fillna(False).to_numpy(dtype=bool),
         (change < 0).fillna(False).to_numpy(dtype=bool)], ["n/a", "up", "down"], "same")
    decimals = max(m1.decimals, m2.decimals)
    out["final_1"] = a["final"].to_numpy(dtype=float)
    out["final_2"] = b["final"].to_numpy(dtype=float)
    both = out["returned_1"] & out["returned_2"]
    out["final_change"] = np.where(both, np.round(out["final_2"] - out["final_1"], decimals), np.nan)
    out["exact_1"] = u1.reindex(pairs["body_id_1"]).to_numpy(dtype=float)
    out["exact_2"] = u2.reindex(pairs["body_id_2"]).to_numpy(dtype=float)
    out["exact_change"] = out["exact_2"] - out["exact_1"]
    out["rounding_residual"] = out["final_change"] - out["exact_change"]
    out["band_1"] = _band_state(a, m1).to_numpy()
    out["band_2"] = _band_state(b, m2).to_numpy()
    if m1.band_labels == m2.band_labels and m1.not_returned.status == m2.not_returned.status:
        out["band_change"] = (_band_index(out["band_1"], m1) - _band_index(out["band_2"], m2)).to_numpy()
    else:
        out["band_change"] = np.nan
    order = {g: i for i, g in enumerate(result_2.ranking["group_label"].drop_duplicates())}
    out["_g"] = out["group_2"].map(order)
    out["_r"] = out["rank_2"].astype("Float64").fillna(np.inf)
    out = out.sort_values(["_g", "_r", "name", "key"], kind="mergesort").drop(columns=["_g", "_r"])
    return out.reset_index(drop=True)


def band_transitions(changes: pd.DataFrame, methodology_1: Methodology, methodology_2: Methodology) -> pd.DataFrame:
    """How many matched bodies moved from each band (rows, year 1) to each band (columns, year 2).

    ``changes``: from :func:`rank_changes`. Rows are year 1's band labels, best first, then its
    not-returned status; columns likewise for year 2. Index name ``band_1``, columns name ``band_2``.
    """
    rows = [*methodology_1.band_labels, methodology_1.not_returned.status]
    cols = [*methodology_2.band_labels, methodology_2.not_returned.status]
    counts = pd.crosstab(pd.Categorical(changes["band_1"], categories=rows),
                         pd.Categorical(changes["band_2"], categories=cols), dropna=False)
    counts = counts.reindex(index=rows, columns=cols, fill_value=0).astype(int)
    counts.index.name, counts.columns.name = "band_1", "band_2"
    return counts


def movement_counts(changes: pd.DataFrame) -> dict[str, int]:
    """Counts of ``up``/``down``/``same``/``n/a`` ranks and of better/worse/same bands."""
    out = {k: int((changes["movement"] == k).sum()) for k in ("up", "down", "same", "n/a")}
    bc = changes["band_change"]
    out.update(band_up=int((bc > 0).sum()), band_down=int((bc < 0).sum()), band_same=int((bc == 0).sum()))
    return out


# -- decomposition -----------------------------------------------------------------------------

DECOMPOSITION_COLUMNS = ["key", "body_id_1", "body_id_2", "stage", "stage_label", "indicator", "label",
                         "weight_1", "weight_2", "score_1", "score_2", "contribution_1", "contribution_2", "change"]


def decompose(result_1: ScoreResult, result_2: ScoreResult, matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """The change of each matched body's unrounded final score, by stage and indicator.

    One row per body x stage x indicator of either year (bodies matched one to one and assessed in
    both years); columns:

    - ``key``, ``body_id_1``, ``body_id_2`` (see :func:`match_bodies`);
    - ``stage``, ``stage_label``, ``indicator``, ``label`` (year-2 labels where the item exists then);
    - ``weight_1``, ``weight_2``: the indicator's weight inside its stage (NaN where absent);
    - ``score_1``, ``score_2``: the indicator score 0-100 (NaN where absent);
    - ``contribution_1``, ``contribution_2``: points of the unrounded final score (0 where absent);
    - ``change`` = contribution_2 - contribution_1.

    For every body, ``change`` sums to the change of the unrounded final score
    (``rank_changes(...)['exact_change']``). Rows follow the year-2 stage and indicator order
    (stages or indicators only in year 1 come after).
    """
    pairs = one_to_one(matches if matches is not None else match_bodies(result_1.ranking, result_2.ranking))
    u1, u2 = unrounded_finals(result_1), unrounded_finals(result_2)
    ok = u1.reindex(pairs["body_id_1"]).notna().to_numpy() & u2.reindex(pairs["body_id_2"]).notna().to_numpy()
    pairs = pairs[ok]
    side = []
    for result, col in ((result_1, "body_id_1"), (result_2, "body_id_2")):
        ind = result.indicators
        ind = ind.assign(body_id=ind["body_id"].astype(str), indicator=ind["indicator"].astype(str),
                         label=ind["label"].astype(str), stage=ind["stage"].astype(str))
        keyed = ind.merge(pairs[["key", "body_id_1", "body_id_2"]], left_on="body_id", right_on=col)
        side.append(keyed[["key", "body_id_1", "body_id_2", "stage", "indicator", "label", "indicator_weight",
                           "score", "contribution"]])
    merged = side[0].merge(side[1], on=["key", "body_id_1", "body_id_2", "stage", "indicator"], how="outer",
                           suffixes=("_1", "_2"))
    m1, m2 = result_1.methodology, result_2.methodology
    stage_labels = {s.id: s.label for s in m1.stages} | {s.id: s.label for s in m2.stages}
    out = pd.DataFrame({
        "key": merged["key"], "body_id_1": merged["body_id_1"], "body_id_2": merged["body_id_2"],
        "stage": merged["stage"], "stage_label": merged["stage"].map(stage_labels),
        "indicator": merged["indicator"], "label": merged["label_2"].fillna(merged["label_1"]),
        "weight_1": merged["indicator_weight_1"].astype(float), "weight_2": merged["indicator_weight_2"].astype(float),
        "score_1": merged["score_1"].astype(float), "score_2": merged["score_2"].astype(float),
        "contribution_1": merged["contribution_1"].astype(float).fillna(0.0),
        "contribution_2": merged["contribution_2"].astype(float).fillna(0.0),
    })
    out["change"] = out["contribution_2"] - out["contribution_1"]
    stage_order = _order([s.id for s in m2.stages], [s.id for s in m1.stages])
    ind_order = _order(_indicator_ids(m2), _indicator_ids(m1))
    key_order = {k: i for i, k in enumerate(pairs["key"])}
    out["_k"] = out["key"].map(key_order)
    out["_s"] = out["stage"].map(stage_order)
    out["_i"] = [ind_order.get((s, i), len(ind_order)) for s, i in zip(out["stage"], out["indicator"])]
    out = out.sort_values(["_k", "_s", "_i", "indicator"], kind="mergesort").drop(columns=["_k", "_s", "_i"])
    return out[DECOMPOSITION_COLUMNS].reset_index(drop=True)


def _order(first: list, then: list) -> dict:
    out = {}
    for x in [*first, *then]:
        out.setdefault(x, len(out))
    return out


def _indicator_ids(m: Methodology) -> list[tuple[str, str]]:
    """(stage id, indicator id) in the methodology's order, as in ``ScoreResult.indicators``."""
    out = []
    for s in m.stages:
        if s.source in ("questionnaire", "verification") and m.questionnaire:
            out += [(s.id, i.id) for i in m.questionnaire.indicators]
        elif s.source == "checklist":
            out += [(s.id, i.id) for i in s.items]
        out.append((s.id, s.id))  # a score stage, or a body gated out of the stage
    return out


def stage_changes(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The decomposition summed per body and stage: columns key, stage, stage_label,
    contribution_1, contribution_2, change (in the decomposition's order)."""
    d = decomposition
    out = d.groupby(["key", "stage"], sort=False, observed=True).agg(
        stage_label=("stage_label", "first"), contribution_1=("contribution_1", "sum"),
        contribution_2=("contribution_2", "sum"), change=("change", "sum"))
    return out.reset_index()


def stage_change_table(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Wide: one row per body (``key``), one column per stage id with its change, and ``total``."""
    sc = stage_changes(decomposition)
    wide = sc.pivot(index="key", columns="stage", values="change")
    wide = wide.reindex(index=list(dict.fromkeys(sc["key"])), columns=list(dict.fromkeys(sc["stage"])))
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    return wide


# -- sentences ---------------------------------------------------------------------------------

WORDS = {
    "id": {"up": "naik", "down": "turun", "points": "poin", "mainly": "terutama", "indicator": "indikator",
           "indicators": "indikator", "item": "butir", "items": "butir", "and": "dan",
           "no_change": "Tidak ada tahap yang berubah lebih dari {eps} poin.",
           "unchanged": "tidak berubah"},
    "en": {"up": "rose", "down": "fell", "points": "points", "mainly": "mainly", "indicator": "indicator",
           "indicators": "indicators", "item": "item", "items": "items", "and": "and",
           "no_change": "No stage changed by more than {eps} points.",
           "unchanged": "did not change"},
}


def short_stage_label(stage: Stage | None, fallback: str = "") -> str:
    """A stage's short name for sentences: the acronym in brackets ('... (SAQ)' -> 'SAQ'), else
    the label up to a bracket or ' dan ' ('Visitasi (verifikasi SAQ)' -> 'Visitasi')."""
    if stage is None:
        return fallback
    label = stage.label.strip()
    if label.endswith(")") and "(" in label:
        inner = label[label.rindex("(") + 1:-1].strip()
        if 0 < len(inner) <= 6:
            return inner
    label = re.split(r"\s+\(|\s+dan\s+|\s+and\s+", label)[0].strip()
    return label or stage.id


def signed(value: float, decimals: int, lang: str) -> str:
    """'+1,23' / '−1,23' (a true minus sign) / '0,00'."""
    text = format_number(abs(value), decimals, lang)
    if text.strip("0,.") == "":
        return text
    return ("+" if value > 0 else "\u2212") + text


def drivers_sentence(decomposition: pd.DataFrame, key: str, methodology: Methodology | None = None,
                     lang: str = "id", decimals: int = 1, max_stages: int = 3, max_items: int = 2) -> str:
    """Name the largest drivers of one body's change, stage by stage, e.g.
    ``'SAQ turun 4,0 poin, terutama indikator Pengumuman informasi publik (−2,0) dan Penyediaan
    informasi publik (−2,0).'`` (points of the final score).

    Stages are named from the largest change down until they explain 80% of the body's total
    absolute stage change (at most ``max_stages``); within a stage, the ``max_items`` largest
    indicators that moved in the stage's direction. Changes below half a unit of the last shown
    decimal are not named. ``methodology`` (year 2's) gives short stage labels and tells checklist
    items from indicators.
    """
    w = WORDS[check_lang(lang)]
    eps = 0.5 * 10 ** -decimals
    d = decomposition[decomposition["key"] == key]
    if d.empty:
        raise KeyError(f"no decomposition for '{key}'")
    stages = stage_changes(d)
    stages = stages.assign(size=stages["change"].abs()).sort_values("size", ascending=False, kind="mergesort")
    stages = stages[stages["size"] >= eps]
    if stages.empty:
        return w["no_change"].format(eps=format_number(eps, decimals + 1, lang))
    total = stages["size"].sum()
    parts, covered = [], 0.0
    for st in stages.itertuples():
        if len(parts) >= max_stages or covered >= 0.8 * total - EPS:
            break
        covered += st.size
        stage = _find_stage(methodology, st.stage)
        name = short_stage_label(stage, st.stage_label or st.stage)
        text = f"{name} {w['up'] if st.change > 0 else w['down']} {format_number(abs(st.change), decimals, lang)} {w['points']}"
        items = d[(d["stage"] == st.stage) & (d["indicator"] != st.stage)]
        items = items[np.sign(items["change"]) == np.sign(st.change)]
        items = items.assign(size=items["change"].abs()).sort_values("size", ascending=False, kind="mergesort")
        items = items[items["size"] >= eps].head(max_items)
        if len(items):
            kind = "item" if stage is not None and stage.source == "checklist" else "indicator"
            noun = w[kind + "s"] if len(items) > 1 else w[kind]
            named = [f"{row.label} ({signed(row.change, decimals, lang)})" for row in items.itertuples()]
            joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" {w['and']} " + named[-1]
            text += f", {w['mainly']} {noun} {joined}"
        parts.append(text)
    return "; ".join(parts) + "."


def _find_stage(m: Methodology | None, stage_id: str) -> Stage | None:
    if m is None:
        return None
    try:
        return m.stage(stage_id)
    except KeyError:
        return None


# -- methodology changes -----------------------------------------------------------------------

DIFFERENCE_COLUMNS = ["part", "id", "attribute", "value_1", "value_2", "affects_scores"]


def _fmt(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if hasattr(value, "model_dump"):
        return _fmt({k: v for k, v in value.model_dump().items() if v is not None})
    return str(value)


def methodology_differences(m1: Methodology, m2: Methodology) -> pd.DataFrame:
    """What differs between two methodologies, one row per difference; columns:

    - ``part``: ``methodology``, ``stage``, ``indicator``, ``question``, ``item`` (checklist),
      ``band``, ``rule``;
    - ``id``: the id of the stage / indicator / question / item, the band label or the rule name;
    - ``attribute``: what differs (``weight``, ``label``, ``source``, ``gate``, ``indicator``,
      ``type``, ``options``, ``max``, ``text``, ``min``, ``order``, ``decimals``, ``ties``, ...) or
      ``presence`` (the thing exists in one year only);
    - ``value_1``, ``value_2``: the values as text (None: absent);
    - ``affects_scores``: False for names and texts, which do not change any score.

    An empty table means the two methods are the same.
    """
    rows: list[tuple] = []

    def add(part, id_, attribute, v1, v2, affects=True):
        a, b = _fmt(v1), _fmt(v2)
        if a != b:
            rows.append((part, id_, attribute, a, b, affects))

    add("methodology", "id", "id", m1.id, m2.id, False)
    add("methodology", "name", "name", m1.name, m2.name, False)
    add("rule", "decimals", "decimals", m1.decimals, m2.decimals)
    _compare_list(add, "stage", m1.stages, m2.stages, lambda s: f"{s.label} ({s.weight:g})",
                  [("label", False), ("weight", True), ("source", True), ("gate", True)])
    q1 = m1.questionnaire
    q2 = m2.questionnaire
    if (q1 is None) != (q2 is None):
        add("questionnaire", "questionnaire", "presence", "yes" if q1 else None, "yes" if q2 else None)
    if q1 and q2:
        _compare_list(add, "indicator", q1.indicators, q2.indicators, lambda i: f"{i.label} ({i.weight:g})",
                      [("label", False), ("weight", True)])
        _compare_list(add, "question", q1.questions, q2.questions, lambda q: f"{q.indicator}, {q.type}",
                      [("indicator", True), ("type", True), ("options", True), ("max", True), ("weight", True),
                       ("text", False)], order=False)
    items1 = {s.id: s for s in m1.stages_of("checklist")}
    items2 = {s.id: s for s in m2.stages_of("checklist")}
    for sid in items1.keys() & items2.keys():
        _compare_list(add, "item", items1[sid].items, items2[sid].items, lambda i: f"{i.label} ({i.weight:g})",
                      [("label", False), ("weight", True), ("category", False)], prefix=f"{sid}.")
    _compare_list(add, "band", m1.bands, m2.bands, lambda b: f"{b.min:g}", [("min", True), ("max", False)],
                  key="label")
    add("rule", "ties", "ties", m1.ranking.ties, m2.ranking.ties)
    for attr in ("status", "band", "ranked", "score"):
        add("rule", "not_returned", attr, getattr(m1.not_returned, attr), getattr(m2.not_returned, attr),
            attr != "status")
    table = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS).astype(object)
    table["affects_scores"] = table["affects_scores"].astype(bool)
    return table.where(table.notna(), None)


def _compare_list(add, part, list1, list2, describe, attrs, key="id", order=True, prefix=""):
    by1 = {getattr(x, key): x for x in list1}
    by2 = {getattr(x, key): x for x in list2}
    for ident in _order(list(by1), list(by2)):
        a, b = by1.get(ident), by2.get(ident)
        name = prefix + str(ident)
        if a is None or b is None:
            add(part, name, "presence", describe(a) if a else None, describe(b) if b else None)
            continue
        for attr, affects in attrs:
            add(part, name, attr, getattr(a, attr), getattr(b, attr), affects)
    if order:
        common1 = [k for k in by1 if k in by2]
        common2 = [k for k in by2 if k in by1]
        if common1 != common2:
            add(part, "*", "order", " > ".join(map(str, common1)), " > ".join(map(str, common2)), part == "band")


def same_scoring(m1: Methodology, m2: Methodology) -> bool:
    """True when the two methods score, band and rank the same inputs the same way."""
    diff = methodology_differences(m1, m2)
    return not diff["affects_scores"].any()


# -- re-scoring under another methodology ------------------------------------------------------

REASONS = {
    "en": {
        "no_saq": "stage '{stage}': there were no SAQ answers in {year}",
        "no_verification": "stage '{stage}': answers were not verified in {year}",
        "no_checklist": "stage '{stage}': there was no website check in {year}",
        "new_items": "stage '{stage}': items not checked in {year}: {items}",
        "no_scores": "stage '{stage}': there were no '{stage}' scores in {year}",
        "new_questions": "questions not asked in {year}: {questions}",
        "bad_answers": "{n} answer(s) of {year} are not allowed under {method}: {examples}",
        "bad_granted": "{n} granted answer(s) of {year} are not allowed under {method}",
        "no_answers_left": "bodies with no answer to any question of {method}: {bodies}",
    },
    "id": {
        "no_saq": "tahap '{stage}': tidak ada jawaban SAQ pada {year}",
        "no_verification": "tahap '{stage}': jawaban tidak diverifikasi pada {year}",
        "no_checklist": "tahap '{stage}': tidak ada pemeriksaan website pada {year}",
        "new_items": "tahap '{stage}': butir yang tidak diperiksa pada {year}: {items}",
        "no_scores": "tahap '{stage}': tidak ada nilai '{stage}' pada {year}",
        "new_questions": "pertanyaan yang tidak ditanyakan pada {year}: {questions}",
        "bad_answers": "{n} jawaban {year} tidak diperbolehkan menurut {method}: {examples}",
        "bad_granted": "{n} jawaban yang diakui verifikator pada {year} tidak diperbolehkan menurut {method}",
        "no_answers_left": "badan publik tanpa jawaban atas pertanyaan {method} mana pun: {bodies}",
    },
}


def reason_text(issue: tuple[str, dict], lang: str = "en") -> str:
    """One issue of :func:`rescore_issues` as a sentence in ``lang``."""
    code, params = issue
    return REASONS[check_lang(lang)][code].format(**params)


def rescore_issues(inputs: RegionInputs, methodology: Methodology) -> list[tuple[str, dict]]:
    """Why ``inputs`` cannot be scored under ``methodology``, as (code, parameters) pairs (see
    ``REASONS``; empty: they can). :func:`rescore_problems` gives them as sentences.

    Needed: every question of the other method was asked (same id) and every answer (and every
    answer granted by the verifier) is allowed under the other method; a verification stage
    needs verification verdicts; every checklist item of the other method was checked; every
    score stage of the other method has its scores. Questions or items the other method drops
    are simply not counted.
    """
    m1, issues = inputs.methodology, []
    year = inputs.year
    for stage in methodology.stages:
        if stage.source in ("questionnaire", "verification") and m1.questionnaire is None:
            issues.append(("no_saq", {"stage": stage.id, "year": year}))
        elif stage.source == "verification" and not m1.stages_of("verification"):
            issues.append(("no_verification", {"stage": stage.id, "year": year}))
        elif stage.source == "checklist":
            before = {i.id for s in m1.stages_of("checklist") for i in s.items}
            if not before:
                issues.append(("no_checklist", {"stage": stage.id, "year": year}))
            else:
                new = [i.id for i in stage.items if i.id not in before]
                if new:
                    issues.append(("new_items", {"stage": stage.id, "year": year, "items": _few(new)}))
        elif stage.source == "score" and stage.id not in inputs.scores:
            issues.append(("no_scores", {"stage": stage.id, "year": year}))
    if methodology.questionnaire is not None and m1.questionnaire is not None:
        qids = methodology.question_ids
        new = [q for q in qids if q not in set(m1.question_ids)]
        if new:
            issues.append(("new_questions", {"year": year, "questions": _few(new)}))
        saq = inputs.saq[inputs.saq["question_id"].isin(qids)]
        if len(saq):
            earned = answer_fractions(saq["question_id"], saq["answer"], methodology)
            bad = saq[np.isnan(earned)]
            if len(bad):
                examples = [f"{q} '{a}'" for q, a in
                            bad[["question_id", "answer"]].drop_duplicates().head(5).itertuples(index=False)]
                issues.append(("bad_answers", {"n": len(bad), "year": year, "method": methodology.id,
                                               "examples": _few(examples)}))
        ver = inputs.verification
        partial = ver[(ver["verdict"] == "partial") & ver["question_id"].isin(qids)]
        if len(partial):
            granted = answer_fractions(partial["question_id"], partial["granted"], methodology)
            if np.isnan(granted).any():
                issues.append(("bad_granted", {"n": int(np.isnan(granted).sum()), "year": year,
                                               "method": methodology.id}))
        returned = set(inputs.saq["body_id"].astype(str))
        kept = set(saq["body_id"].astype(str))
        if returned - kept:
            issues.append(("no_answers_left", {"method": methodology.id, "bodies": _few(sorted(returned - kept))}))
    return issues


def rescore_problems(inputs: RegionInputs, methodology: Methodology, lang: str = "en") -> list[str]:
    """:func:`rescore_issues` as sentences (English by default, ``lang='id'`` for Indonesian)."""
    return [reason_text(issue, lang) for issue in rescore_issues(inputs, methodology)]


def _few(values: list, n: int = 5) -> str:
    values = [str(v) for v in values]
    return ", ".join(values[:n]) + (f" (and {len(values) - n} more)" if len(values) > n else "")


def rescore_inputs(inputs: RegionInputs, methodology: Methodology,
                   methodology_path: Path | None = None) -> RegionInputs:
    """The same answers, verdicts, website checks and scores under another methodology.

    Answers are re-validated and their earned fractions recomputed under ``methodology``; rows of
    questions, items and score stages it does not use are dropped. Raises
    :class:`NotComparableError` with the reasons of :func:`rescore_problems`. Pure: ``inputs`` is
    not changed.
    """
    issues = rescore_issues(inputs, methodology)
    if issues:
        raise NotComparableError(issues)
    qids = methodology.question_ids
    saq = inputs.saq[inputs.saq["question_id"].isin(qids)].copy()
    if len(saq):
        saq["earned"] = answer_fractions(saq["question_id"], saq["answer"], methodology)
    ver = inputs.verification[inputs.verification["question_id"].isin(qids)].copy()
    if len(ver):
        partial = (ver["verdict"] == "partial").to_numpy()
        granted = np.full(len(ver), np.nan)
        if partial.any():
            granted[partial] = answer_fractions(ver["question_id"][partial], ver["granted"][partial], methodology)
        ver["granted_earned"] = granted
    items = {i.id for s in methodology.stages_of("checklist") for i in s.items}
    website = inputs.website[inputs.website["item_id"].isin(items)].copy()
    scores = {s.id: inputs.scores[s.id] for s in methodology.stages_of("score")}
    return dataclasses.replace(inputs, methodology=methodology, saq=saq, verification=ver, website=website,
                               scores=scores, methodology_path=methodology_path or inputs.methodology_path)


@dataclass
class MethodSplit:
    """The method/answers split of the changes between two years (see :func:`method_vs_answers`).

    - ``same_method``: the two methods score alike (nothing to split: the method effect is 0);
    - ``comparable``: the earlier inputs could be re-scored under the later method;
    - ``reasons``: why not, in English (empty when comparable); ``issues``: the same as (code,
      parameters) pairs, for :func:`reason_text` in another language;
    - ``rescored``: year 1's inputs scored under year 2's method (None when not comparable);
    - ``table``: one row per one-to-one matched body assessed in both years: key, body_id_1,
      body_id_2, name, exact_1, exact_1_under_2, exact_2, total_change, method_effect,
      answers_effect (method_effect + answers_effect = total_change; NaN when not comparable);
    - ``method_decomposition``: :func:`decompose` of year 1 under its method -> under year 2's
      (by indicator, the method effect), ``answers_decomposition``: year 1 under year 2's method
      -> year 2 (the answers effect); None when not comparable.
    """

    same_method: bool
    comparable: bool
    reasons: list[str]
    rescored: ScoreResult | None
    table: pd.DataFrame
    method_decomposition: pd.DataFrame | None = None
    answers_decomposition: pd.DataFrame | None = None
    issues: list[tuple[str, dict]] = field(default_factory=list)


SPLIT_COLUMNS = ["key", "body_id_1", "body_id_2", "name", "exact_1", "exact_1_under_2", "exact_2",
                 "total_change", "method_effect", "answers_effect"]


def method_vs_answers(inputs_1: RegionInputs, result_1: ScoreResult, result_2: ScoreResult,
                      matches: pd.DataFrame | None = None) -> MethodSplit:
    """Split each body's change into the part due to the change of method and the part due to its
    own answers: method effect = score(inputs 1, method 2) - score(inputs 1, method 1); answers
    effect = score(inputs 2, method 2) - score(inputs 1, method 2) (unrounded finals)."""
    m1, m2 = result_1.methodology, result_2.methodology
    pairs = one_to_one(matches if matches is not None else match_bodies(result_1.ranking, result_2.ranking))
    same = same_scoring(m1, m2)
    reasons: list[str] = []
    issues: list[tuple[str, dict]] = []
    rescored = None
    if same:
        rescored = result_1
    else:
        try:
            rescored = score(rescore_inputs(inputs_1, m2))
        except NotComparableError as exc:
            reasons, issues = exc.reasons, exc.issues
    u1, u2 = unrounded_finals(result_1), unrounded_finals(result_2)
    table = pd.DataFrame({
        "key": pairs["key"], "body_id_1": pairs["body_id_1"], "body_id_2": pairs["body_id_2"],
        "name": pairs["name_2"],
        "exact_1": u1.reindex(pairs["body_id_1"]).to_numpy(dtype=float),
        "exact_1_under_2": (unrounded_finals(rescored).reindex(pairs["body_id_1"]).to_numpy(dtype=float)
                            if rescored is not None else np.nan),
        "exact_2": u2.reindex(pairs["body_id_2"]).to_numpy(dtype=float),
    })
    table = table[table["exact_1"].notna() & table["exact_2"].notna()].reset_index(drop=True)
    table["total_change"] = table["exact_2"] - table["exact_1"]
    if same:
        table["exact_1_under_2"] = table["exact_1"]
    table["method_effect"] = table["exact_1_under_2"] - table["exact_1"]
    table["answers_effect"] = table["exact_2"] - table["exact_1_under_2"]
    split = MethodSplit(same_method=same, comparable=rescored is not None, reasons=reasons, rescored=rescored,
                        table=table[SPLIT_COLUMNS], issues=issues)
    if rescored is not None and not same:
        ident = same_id_matches(result_1)
        split.method_decomposition = decompose(result_1, rescored, ident)
        split.answers_decomposition = decompose(rescored, result_2, matches)
    return split


# -- several years -----------------------------------------------------------------------------

@dataclass
class PairComparison:
    """Two consecutive years compared (see the functions above for each table's columns)."""

    before: YearRun
    after: YearRun
    matches: pd.DataFrame
    changes: pd.DataFrame
    transitions: pd.DataFrame
    decomposition: pd.DataFrame
    differences: pd.DataFrame
    split: MethodSplit

    @property
    def label(self) -> str:
        return f"{self.before.year}\u2013{self.after.year}"

    @property
    def method_changed(self) -> bool:
        return not self.split.same_method

    @property
    def unmatched(self) -> pd.DataFrame:
        """Bodies not compared one to one: entered, left, merged, split, restructured."""
        return self.matches[~self.matches["match"].isin(ONE_TO_ONE)].reset_index(drop=True)


@dataclass
class Comparison:
    """A region compared over two or more years."""

    region_id: str
    runs: list[YearRun]
    crosswalk: pd.DataFrame
    pairs: list[PairComparison]
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def years(self) -> list[int]:
        return [r.year for r in self.runs]

    @property
    def name(self) -> str:
        """``<region>_<first>-<last>``: the output folder name."""
        return f"{self.region_id}_{self.years[0]}-{self.years[-1]}"


def compare_pair(before: YearRun, after: YearRun, crosswalk: pd.DataFrame | None = None) -> PairComparison:
    """Everything compared between two years."""
    r1, r2 = before.result, after.result
    matches = match_bodies(r1.ranking, r2.ranking, crosswalk)
    changes = rank_changes(r1, r2, matches)
    return PairComparison(
        before=before, after=after, matches=matches, changes=changes,
        transitions=band_transitions(changes, r1.methodology, r2.methodology),
        decomposition=decompose(r1, r2, matches),
        differences=methodology_differences(r1.methodology, r2.methodology),
        split=method_vs_answers(before.inputs, r1, r2, matches),
    )


def compare_runs(runs: list[YearRun], crosswalk: pd.DataFrame | None = None, region_id: str | None = None) -> Comparison:
    """Compare consecutive scored years (oldest first)."""
    if len(runs) < 2:
        raise UsageError("a comparison needs at least two years")
    runs = sorted(runs, key=lambda r: r.year)
    cw = empty_crosswalk() if crosswalk is None else crosswalk
    pairs = [compare_pair(a, b, cw) for a, b in zip(runs, runs[1:])]
    comp = Comparison(region_id=region_id or runs[-1].inputs.region_id, runs=runs, crosswalk=cw, pairs=pairs)
    comp.trajectories = trajectories(comp)
    return comp


def load_comparison(region: str, years, inputs_root: Path | str = "inputs") -> Comparison:
    """Load, score and compare a region over ``years`` with ``<inputs_root>/crosswalk.csv`` if present."""
    runs = load_years(region, years, inputs_root)
    return compare_runs(runs, load_crosswalk(inputs_root), region)


TRAJECTORY_COLUMNS = ["key", "name", "year", "body_id", "returned", "final", "exact", "band", "rank", "group"]


def trajectories(comp: Comparison) -> pd.DataFrame:
    """Each body's score, band and rank per year, followed through one-to-one matches.

    Long table, one row per body and year it was ranked; columns ``key`` (the body's id in the
    latest year it appears, stable along its chain of matches), ``name`` (its latest name),
    ``year``, ``body_id`` (that year's id), ``returned``, ``final`` (published), ``exact``
    (unrounded), ``band`` (or the not-returned status), ``rank``, ``group`` (label). A merge or a
    split ends a chain: the bodies after it start new ones.
    """
    chain: dict[tuple[int, str], int] = {}   # (year index, body_id) -> chain number
    n_chains = 0
    for yi, run in enumerate(comp.runs):
        ids = run.result.ranking["body_id"].astype(str)
        link = {}
        if yi > 0:
            pairs = one_to_one(comp.pairs[yi - 1].matches)
            link = dict(zip(pairs["body_id_2"], pairs["body_id_1"]))
        for b in ids:
            prev = link.get(b)
            if prev is not None and (yi - 1, prev) in chain:
                chain[(yi, b)] = chain[(yi - 1, prev)]
            else:
                chain[(yi, b)] = n_chains
                n_chains += 1
    rows = []
    for yi, run in enumerate(comp.runs):
        r = run.result.ranking
        u = unrounded_finals(run.result)
        state = _band_state(r, run.methodology)
        for row, st in zip(r.itertuples(index=False), state):
            b = str(row.body_id)
            rows.append((chain[(yi, b)], row.name, run.year, b, bool(row.returned), row.final, u.get(b, np.nan),
                         st, row.rank, row.group_label))
    table = pd.DataFrame(rows, columns=["chain", "name", "year", "body_id", "returned", "final", "exact", "band",
                                        "rank", "group"])
    latest = table.sort_values("year").groupby("chain").last()
    keys, used = {}, set()
    for ch, row in latest.iterrows():
        key = row["body_id"] if row["body_id"] not in used else f"{row['body_id']}@{row['year']}"
        used.add(key)
        keys[ch] = key
    table["key"] = table["chain"].map(keys)
    table["name"] = table["chain"].map(latest["name"])
    table["rank"] = table["rank"].astype("Int64")
    return table[TRAJECTORY_COLUMNS].reset_index(drop=True)


def trajectory_table(trajectories_table: pd.DataFrame, value: str = "final") -> pd.DataFrame:
    """Wide: one row per body (``key``, ``name``), one column per year with ``value``
    (``final``, ``band``, ``rank``, ...), ordered by the latest year's final score."""
    t = trajectories_table
    wide = t.pivot(index="key", columns="year", values=value)
    last_year = t["year"].max()
    order = t[t["year"] == last_year].sort_values(["final", "name"], ascending=[False, True])["key"].tolist()
    rest = sorted(set(wide.index) - set(order))
    wide = wide.reindex(order + rest)
    wide.insert(0, "name", t.drop_duplicates("key").set_index("key")["name"].reindex(wide.index))
    wide.columns.name = None
    return wide


# -- focus body --------------------------------------------------------------------------------

def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^0-9a-z]+", str(text).lower()) if t}


def find_body(bodies: pd.DataFrame, query: str) -> str:
    """The ``body_id`` of the one body that ``query`` names, case-insensitively: its body_id or
    name exactly, else the body whose id or name contains every word of the query
    (``'kudus'`` -> ``kab-kudus``, 'Kabupaten Kudus'). Raises UsageError when no body or several
    bodies match (listing them)."""
    q = str(query).strip().lower()
    ids = bodies["body_id"].astype(str).tolist()
    names = bodies["name"].astype(str).tolist()
    for candidates in ([b for b in ids if b.lower() == q], [b for b, n in zip(ids, names) if n.lower() == q]):
        if len(set(candidates)) == 1:
            return candidates[0]
    words = _tokens(q)
    hits = list(dict.fromkeys(b for b, n in zip(ids, names) if words and (words <= _tokens(b) or words <= _tokens(n))))
    if len(hits) == 1:
        return hits[0]
    if not hits:
        import difflib

        close = difflib.get_close_matches(q, [n.lower() for n in names] + [b.lower() for b in ids], n=3, cutoff=0.5)
        hint = f" (did you mean: {', '.join(close)}?)" if close else ""
        raise UsageError(f"--focus '{query}' matches no body id or name{hint}")
    shown = ", ".join(f"{b} ({n})" for b, n in zip(ids, names) if b in hits)
    raise UsageError(f"--focus '{query}' matches several bodies: {shown}; give the body_id")


def focus_key(comp: Comparison, query: str) -> str:
    """The trajectory key of the body ``query`` names, looked up in the latest year first, then
    in earlier years (a body that left can be the focus too)."""
    t = comp.trajectories
    last_error = None
    for run in reversed(comp.runs):
        try:
            body = find_body(run.result.ranking, query)
        except UsageError as exc:
            if "several" in str(exc):
                raise
            last_error = exc
            continue
        hit = t[(t["year"] == run.year) & (t["body_id"] == body)]
        return str(hit["key"].iloc[0])
    raise last_error


def pair_key(pair: PairComparison, comp: Comparison, key: str) -> str | None:
    """The key of a trajectory (``key``) in one pair's tables (its year-2 body_id), or None when
    the body is not matched one to one between those years."""
    t = comp.trajectories
    hit = t[(t["key"] == key) & (t["year"] == pair.after.year)]
    if hit.empty:
        return None
    body = hit["body_id"].iloc[0]
    matched = pair.changes[pair.changes["body_id_2"] == body]
    return None if matched.empty else str(matched["key"].iloc[0])


# -- the published table -----------------------------------------------------------------------

CHANGES_COLUMNS = ["year_1", "year_2", "match", "body_id_1", "body_id_2", "name_1", "name_2", "group",
                   "rank_1", "rank_2", "rank_change", "final_1", "final_2", "final_change", "exact_change",
                   "rounding_residual", "band_1", "band_2", "band_change", "method_effect", "answers_effect",
                   "link", "note"]


def changes_table(comp: Comparison) -> pd.DataFrame:
    """``changes.csv``: for each pair of consecutive years, every body of either year with how it
    matched and, for one-to-one matches, its rank, score and band changes, the rounding residual
    and (when the method changed and the years are comparable) the method and answers effects.
    Columns: see ``CHANGES_COLUMNS``; ``rank_change`` is positive for a body that moved up."""
    frames = []
    for pair in comp.pairs:
        m = pair.matches.copy()
        ch = pair.changes.drop(columns=["match", "body_id_1", "body_id_2", "name", "name_1"])
        out = m.merge(ch, on="key", how="left")
        split = pair.split.table[["key", "method_effect", "answers_effect"]]
        out = out.merge(split, on="key", how="left")
        if pair.split.same_method:
            out[["method_effect", "answers_effect"]] = np.nan
        groups_1 = _group_labels(pair.before.result)
        groups_2 = _group_labels(pair.after.result)
        out["group"] = out["group_2"].fillna(out["group_1"]).fillna(out["body_id_2"].map(groups_2)) \
            .fillna(out["body_id_1"].map(groups_1))
        out.insert(0, "year_2", pair.after.year)
        out.insert(0, "year_1", pair.before.year)
        frames.append(out)
    table = pd.concat(frames, ignore_index=True)
    for col in ("rank_1", "rank_2", "rank_change", "band_change"):
        table[col] = table[col].astype("Float64").astype("Int64")
    return table[CHANGES_COLUMNS]


def _group_labels(result: ScoreResult) -> dict[str, str]:
    r = result.ranking
    return dict(zip(r["body_id"].astype(str), r["group_label"]))


def write_changes_csv(comp: Comparison, path: Path) -> Path:
    """Write :func:`changes_table` (scores at the methodology's precision, residuals unrounded)."""
    table = changes_table(comp)
    decimals = max(r.methodology.decimals for r in comp.runs)
    for col in ("final_1", "final_2", "final_change"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}")
    for col in ("exact_change", "rounding_residual", "method_effect", "answers_effect"):
        table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.6f}")
    from ..core.export import write_table_csv

    write_table_csv(table, path, numbers=("final_1", "final_2", "final_change", "exact_change", "rounding_residual",
                                          "method_effect", "answers_effect"))
    return path


def decomposition_table(comp: Comparison) -> pd.DataFrame:
    """All pairs' decompositions stacked, with ``year_1`` and ``year_2`` columns first."""
    frames = [p.decomposition.assign(year_1=p.before.year, year_2=p.after.year) for p in comp.pairs]
    table = pd.concat(frames, ignore_index=True)
    return table[["year_1", "year_2", *DECOMPOSITION_COLUMNS]]


__all__ = [
    "YearRun", "PairComparison", "Comparison", "MethodSplit", "NotComparableError",
    "check_years", "load_years", "read_crosswalk", "crosswalk_warnings", "load_crosswalk", "empty_crosswalk", "match_bodies",
    "one_to_one", "unrounded_finals", "rank_changes", "band_transitions", "movement_counts", "decompose",
    "stage_changes", "stage_change_table", "drivers_sentence", "short_stage_label", "signed",
    "methodology_differences", "same_scoring", "rescore_issues", "rescore_problems", "reason_text", "rescore_inputs", "method_vs_answers",
    "compare_pair", "compare_runs", "load_comparison", "trajectories", "trajectory_table", "find_body",
    "focus_key", "pair_key", "changes_table", "write_changes_csv", "decomposition_table",
]
