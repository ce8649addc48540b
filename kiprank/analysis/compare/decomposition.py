"""The change of each body's unrounded final score, broken down by stage and indicator."""

from __future__ import annotations

import pandas as pd

from ...core.methodology import Methodology
from ...core.scoring import ScoreResult
from .changes import unrounded_finals
from .matching import match_bodies, one_to_one

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
