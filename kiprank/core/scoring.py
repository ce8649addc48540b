"""Weighted scores, bands and ranks: question -> indicator -> stage -> final.

All arithmetic is vectorised: answers become a bodies x questions matrix of the fraction
earned (0-1), indicator scores are a matrix product with the declared weights, and stage
scores are weighted sums of indicator scores. Nothing here reads files or knows a commission:
weights, bands, gates and tie rules come from the :class:`~kiprank.core.methodology.Methodology`.

Rounding: stage scores are kept unrounded for the final score; the final score is rounded
half-up to ``decimals``; bands and ranks use the rounded final score (the number that is
published), so two bodies published with the same score share a rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import RegionInputs
from .methodology import Methodology, Stage, round_half_up

ASSESSED = "Dinilai"


@dataclass
class ScoreResult:
    """What scoring produces.

    ``ranking``: one row per body, in report order (group, rank, name), columns
        body_id, name, group, group_label, status, returned (bool), <one column per stage id>,
        final, band, rank (nullable int), notes.
        ``self_assessed`` is added when the SAQ is only weighted as verified (no questionnaire stage).
    ``indicators``: one row per body x stage x indicator (checklist items count as indicators,
        a score stage is its own indicator), columns body_id, stage, indicator, label,
        indicator_weight, score (0-100), contribution (points of the final score; they add up to
        the unrounded final score of the body).
    ``matrices``: the earned fractions per stage (bodies x questions or items), used to list what a
        body lacks; rows follow ``ranking`` sorted by body_id order of ``inputs.bodies``.
    """

    ranking: pd.DataFrame
    indicators: pd.DataFrame
    methodology: Methodology
    matrices: dict[str, np.ndarray]
    body_order: list[str]


def score(inputs: RegionInputs) -> ScoreResult:
    """Score and rank every body of a region."""
    m = inputs.methodology
    bodies = inputs.bodies.reset_index(drop=True)
    ids = bodies["body_id"].tolist()
    if m.questionnaire is not None:
        returned = bodies["body_id"].isin(inputs.saq["body_id"].unique()).to_numpy()
    else:  # no SAQ in this methodology: every body is assessed
        returned = np.ones(len(bodies), dtype=bool)
    group_codes = bodies["group"].to_numpy()

    stage_scores: dict[str, np.ndarray] = {}
    matrices: dict[str, np.ndarray] = {}
    ind_frames = []
    notes = [[] for _ in ids]
    claimed = _question_matrix(inputs, ids) if m.questionnaire else None

    for stage in m.stages:
        parts, labels, weights, matrix = _stage_parts(stage, inputs, ids, claimed)
        values = parts @ weights / 100.0
        passed = returned.copy()
        if stage.gate:
            passed = _gate_passed(stage, stage_scores, returned, group_codes, m)
            values = _apply_gate(stage, values, passed, stage_scores, returned, notes)
        for i in np.flatnonzero(passed & np.isnan(values)):
            notes[i].append(f"Tidak ada nilai {stage.id}: dihitung 0")
        values = np.where(passed, np.nan_to_num(values), values)
        parts = np.where(passed[:, None], np.nan_to_num(parts), np.nan)
        values = np.where(returned, values, np.nan)
        stage_scores[stage.id] = values
        if matrix is not None:
            matrices[stage.id] = matrix
        ind_frames.append(_indicator_frame(stage, ids, parts, values, labels, weights, returned))

    final = np.zeros(len(ids))
    for stage in m.stages:
        final += stage.weight * np.nan_to_num(stage_scores[stage.id]) / 100.0
    final = np.where(returned, final, np.nan)

    ranking = _ranking_table(inputs, bodies, returned, stage_scores, final, claimed, notes)
    indicators = pd.concat([f.astype({"body_id": object, "indicator": object, "label": object})
                            for f in ind_frames], ignore_index=True)
    return ScoreResult(ranking=ranking, indicators=indicators, methodology=m,
                       matrices=matrices, body_order=ids)


# -- stages ----------------------------------------------------------------------------------

def positions(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Position of each value in ``labels`` (-1 if absent). For a categorical column (as read
    from the inputs) each distinct value is looked up once, not each of its million cells."""
    index = pd.Index(labels, dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = np.append(index.get_indexer(values.cat.categories.astype(object)), -1)
        return per_category[values.cat.codes.to_numpy()]
    return index.get_indexer(values.astype(object))


def _question_matrix(inputs: RegionInputs, ids: list[str], column: str = "earned") -> np.ndarray:
    """Bodies x questions matrix of the fraction earned as claimed (0 where unanswered)."""
    qids = inputs.methodology.question_ids
    mat = np.zeros((len(ids), len(qids)))
    saq = inputs.saq
    if len(saq):
        rows = positions(saq["body_id"], ids)
        cols = positions(saq["question_id"], qids)
        mat[rows, cols] = saq[column].to_numpy(dtype=float)
    return mat


def _verified_matrix(inputs: RegionInputs, ids: list[str], claimed: np.ndarray) -> np.ndarray:
    """What the verifier grants: the claim if verified, the granted answer if partly, else 0.

    A question with no verification row earns nothing (an unchecked claim is not evidence).
    """
    qids = inputs.methodology.question_ids
    mat = np.zeros_like(claimed)
    ver = inputs.verification
    if len(ver):
        rows = positions(ver["body_id"], ids)
        cols = positions(ver["question_id"], qids)
        verified = (ver["verdict"] == "verified").to_numpy()
        partial = (ver["verdict"] == "partial").to_numpy()
        granted = np.nan_to_num(ver["granted_earned"].to_numpy(dtype=float))
        claim = claimed[rows, cols]
        values = np.where(verified, claim, np.where(partial, np.minimum(granted, claim), 0.0))
        mat[rows, cols] = values
    return mat


def _indicator_weights(m: Methodology) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray]:
    """Questions x indicators matrix turning earned fractions into 0-100 indicator scores."""
    q = m.questionnaire
    ind_ids = [i.id for i in q.indicators]
    w = np.zeros((len(q.questions), len(ind_ids)))
    for qi, question in enumerate(q.questions):
        w[qi, ind_ids.index(question.indicator)] = question.weight
    w = w / w.sum(axis=0, keepdims=True) * 100.0
    labels = [(i.id, i.label) for i in q.indicators]
    return w, labels, np.array([i.weight for i in q.indicators])


def _stage_parts(stage: Stage, inputs: RegionInputs, ids: list[str], claimed):
    """Per-body scores (0-100) of the stage's parts, their labels and weights, and the raw matrix."""
    m = inputs.methodology
    if stage.source in ("questionnaire", "verification"):
        matrix = claimed if stage.source == "questionnaire" else _verified_matrix(inputs, ids, claimed)
        w, labels, weights = _indicator_weights(m)
        return matrix @ w, labels, weights, matrix
    if stage.source == "checklist":
        items = [i.id for i in stage.items]
        matrix = np.zeros((len(ids), len(items)))
        web = inputs.website
        if len(web):
            rows = positions(web["body_id"], ids)
            cols = positions(web["item_id"], items)
            matrix[rows, cols] = web["present"].to_numpy(dtype=float)
        labels = [(i.id, i.label) for i in stage.items]
        return matrix * 100.0, labels, np.array([i.weight for i in stage.items]), matrix
    table = inputs.scores[stage.id]
    values = pd.Series(table["score"].to_numpy(dtype=float), index=table["body_id"]).reindex(ids)
    return values.to_numpy()[:, None], [(stage.id, stage.label)], np.array([100.0]), None


def _gate_passed(stage: Stage, scores: dict, returned, groups, m: Methodology) -> np.ndarray:
    gate = stage.gate
    before = round_half_up(np.nan_to_num(scores[gate.stage], nan=-1.0), m.decimals)
    if gate.min_score is not None:
        return returned & (before >= gate.min_score - 1e-9)
    # competition ranks (1, 2, 2, 4): a tie at the cut lets all tied bodies through, but 'top 3'
    # never admits the fourth best (dense ranks would: 90, 85, 85, 80 -> 1, 2, 2, 3)
    ranks = pd.Series(np.where(returned, before, np.nan)).groupby(groups).rank(method="min", ascending=False)
    return returned & (ranks.to_numpy() <= gate.top_n)


def _apply_gate(stage: Stage, values, passed, scores, returned, notes) -> np.ndarray:
    """Bodies that do not pass the gate get ``otherwise`` (a number, or the gating stage's score)."""
    gate = stage.gate
    other = scores[gate.stage] if gate.otherwise == "carry" else np.full(len(values), float(gate.otherwise))
    rule = f"{gate.stage} >= {gate.min_score:g}" if gate.min_score is not None else f"top {gate.top_n} per group on {gate.stage}"
    given = f"nilai {gate.stage} dibawa" if gate.otherwise == "carry" else f"nilai {float(gate.otherwise):g}"
    for i in np.flatnonzero(returned & ~passed):
        notes[i].append(f"Tidak lolos ke tahap {stage.id} ({rule}): {given}")
    return np.where(passed, values, other)


def _indicator_frame(stage: Stage, ids, parts, values, labels, weights, returned) -> pd.DataFrame:
    n, k = parts.shape
    parts = np.where(returned[:, None], parts, np.nan)
    gated = np.isnan(parts).all(axis=1) & ~np.isnan(values)
    # A body gated out gets one 'indicator' row for the whole stage, so contributions still add up.
    contrib = parts * weights[None, :] / 100.0 * stage.weight / 100.0
    frame = pd.DataFrame({
        "body_id": pd.Categorical.from_codes(np.repeat(np.arange(n), k), categories=pd.Index(ids, dtype=object)),
        "stage": stage.id,
        "indicator": pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=[lab[0] for lab in labels]),
        "label": np.tile(np.array([lab[1] for lab in labels], dtype=object), n),
        "indicator_weight": np.tile(weights, n),
        "score": parts.ravel(),
        "contribution": contrib.ravel(),
    })
    if gated.any():
        extra = pd.DataFrame({
            "body_id": np.asarray(ids)[gated], "stage": stage.id, "indicator": stage.id,
            "label": stage.label, "indicator_weight": 100.0, "score": values[gated],
            "contribution": values[gated] * stage.weight / 100.0,
        })
        frame = frame[~np.repeat(gated, k)].astype({"body_id": object, "indicator": object, "label": object})
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame[frame["body_id"].isin(np.asarray(ids)[returned])]


# -- ranking ---------------------------------------------------------------------------------

def rank_within_groups(scores: pd.Series, groups: pd.Series, ties: str) -> pd.Series:
    """Rank (1 = best) within each group; ``dense`` gives 1,2,2,3 and ``min`` gives 1,2,2,4.
    Bodies without a score (NaN) get no rank."""
    ranks = scores.groupby(groups).rank(method=ties, ascending=False)
    return ranks.astype("Int64")


def _ranking_table(inputs: RegionInputs, bodies, returned, stage_scores, final, claimed, notes) -> pd.DataFrame:
    m = inputs.methodology
    nr = m.not_returned
    # plain values, not categoricals: sorting a categorical follows its categories' order
    # (first appearance), not the region.yml group order or the alphabet
    table = bodies[["body_id", "name", "group"]].astype(object)
    table.insert(3, "group_label", table["group"].map(inputs.config.groups))
    table["status"] = np.where(returned, ASSESSED, nr.status)
    table["returned"] = returned
    if claimed is not None and not m.stages_of("questionnaire"):
        w, _, weights = _indicator_weights(m)
        self_score = (claimed @ w) @ weights / 100.0
        table["self_assessed"] = np.where(returned, round_half_up(self_score, m.decimals), np.nan)
    for stage in m.stages:
        table[stage.id] = round_half_up(stage_scores[stage.id], m.decimals)
    rounded = round_half_up(final, m.decimals)
    if nr.ranked:
        rounded = np.where(returned, rounded, nr.score if nr.score is not None else 0.0)
    table["final"] = rounded
    table["band"] = np.where(returned, m.bands_for(rounded), nr.band)
    if nr.ranked and nr.score is not None:
        table.loc[~returned, "band"] = nr.band
    rankable = table["final"].where(returned | nr.ranked)
    table["rank"] = rank_within_groups(rankable, table["group"], m.ranking.ties)
    table["notes"] = ["; ".join(n) for n in notes]

    order = {g: i for i, g in enumerate(inputs.config.groups)}
    table["_g"] = table["group"].map(order)
    table["_r"] = table["rank"].astype("Float64").fillna(np.inf)
    table = table.sort_values(["_g", "_r", "name", "body_id"], kind="mergesort").drop(columns=["_g", "_r"])
    return table.reset_index(drop=True)


def shortfalls(result: ScoreResult, body_id: str, inputs: RegionInputs) -> pd.DataFrame:
    """What a body did not earn in full, per stage: columns stage, item, label, earned (0-1).

    For questionnaire/verification stages the items are questions; for a checklist, its items.
    """
    m = result.methodology
    i = result.body_order.index(body_id)
    rows = []
    for stage_id, matrix in result.matrices.items():
        stage = m.stage(stage_id)
        if stage.source == "checklist":
            items = [(it.id, it.label) for it in stage.items]
        else:
            items = [(q.id, q.text) for q in m.questionnaire.questions]
        for j, (item_id, label) in enumerate(items):
            if matrix[i, j] < 1 - 1e-9:
                rows.append((stage_id, item_id, label, float(matrix[i, j])))
    return pd.DataFrame(rows, columns=["stage", "item", "label", "earned"])


# Public names of the scorer's matrices for the robustness analysis (kiprank.analysis.robustness),
# which scores the same inputs again under drawn weights.
question_matrix = _question_matrix
indicator_weights = _indicator_weights
