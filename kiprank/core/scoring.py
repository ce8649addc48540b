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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputProblem, InputValidationError, ProblemList
from .inputs import RegionInputs
from .limits import limit
from .methodology import Methodology, Stage, round_half_up
from .verifiers import verdict_value
from .wording import words

MISSING_COLUMNS = ["body_id", "stage", "items", "rule"]


@dataclass(frozen=True)
class Note:
    """One calculation note of a body: a key of ``kiprank/words/scoring.<lang>.yml`` and its values
    (already text), so that each document states it in its own language (:func:`note_text`)."""

    key: str
    values: tuple[tuple[str, "str | Note"], ...] = ()

    def text(self, lang: str = "id") -> str:
        return words("scoring", lang)[self.key].format(
            **{k: v.text(lang) if isinstance(v, Note) else v for k, v in self.values})


def _note(key: str, **values) -> Note:
    return Note(key, tuple((k, v if isinstance(v, Note) else str(v)) for k, v in values.items()))


@dataclass
class ScoreResult:
    """What scoring produces.

    ``ranking``: one row per body, in report order (group, rank, name), columns
        body_id, name, group, group_label, status, returned (bool), <one column per stage id>,
        final, band, rank (nullable int), notes (the calculation notes in Indonesian, the language
        of the published tables; :func:`body_notes` gives them in another language).
        ``self_assessed`` is added when the SAQ is only weighted as verified (no questionnaire stage).
    ``indicators``: one row per body x stage x indicator (checklist items count as indicators,
        a score stage is its own indicator), columns body_id, stage, indicator, label,
        indicator_weight, score (0-100; empty where not assessed), contribution (points of the final
        score; they add up to the unrounded final score of the body).
    ``matrices``: the earned fractions per stage (bodies x questions or items; NaN where not
        assessed), used to list what a body lacks; rows follow ``body_order`` (``inputs.bodies``).
    ``missing``: the values that were missing for a body taking part and what the methodology made
        of them (columns :data:`MISSING_COLUMNS`: body_id, stage, items (ids, ``; ``-separated, or
        the stage id), rule (``zero`` / ``not-assessed``)).
    ``notes``: per body id, its :class:`Note` objects.
    """

    ranking: pd.DataFrame
    indicators: pd.DataFrame
    methodology: Methodology
    matrices: dict[str, np.ndarray]
    body_order: list[str]
    missing: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MISSING_COLUMNS))
    notes: dict[str, list[Note]] = field(default_factory=dict)


def body_notes(result: ScoreResult, body_id: str, lang: str = "id") -> str:
    """The calculation notes of a body in ``lang`` (``""`` when there are none)."""
    return "; ".join(n.text(lang) for n in result.notes.get(body_id, []))


def score(inputs: RegionInputs) -> ScoreResult:
    """Score and rank every body of a region.

    A value missing for a body that takes part in a stage (an unanswered question, an answered
    question without a verdict, a checklist item without a row, no score) is what the methodology's
    ``missing:`` says (zero, or not assessed: left out with the other weights rescaled); where it
    says nothing (``error``), :class:`~kiprank.core.errors.InputValidationError` names the file,
    the body and the stage (exit 2).
    """
    m = inputs.methodology
    bodies = inputs.bodies.reset_index(drop=True)
    ids = bodies["body_id"].tolist()
    if m.questionnaire is not None:
        returned = bodies["body_id"].isin(inputs.saq["body_id"].unique()).to_numpy()
    else:  # no SAQ in this methodology: every body is assessed
        returned = np.ones(len(bodies), dtype=bool)
    group_codes = bodies["group"].to_numpy()

    gaps = _Gaps(inputs, ids)
    stage_scores: dict[str, np.ndarray] = {}
    matrices: dict[str, np.ndarray] = {}
    stage_parts = []
    notes = [[] for _ in ids]
    claimed = question_matrix(inputs, ids, fill=np.nan) if m.questionnaire else None

    for stage in m.stages:
        passed = returned.copy()
        if stage.gate:
            passed = _gate_passed(stage, stage_scores, returned, group_codes, m)
        matrix, missing = _stage_matrix(stage, inputs, ids, claimed)
        matrix = gaps.apply(stage, matrix, missing, passed, notes)
        parts, labels, weights = _stage_parts(stage, m, matrix)
        values = _weighted(parts, weights) / 100.0
        if stage.gate:
            values = _apply_gate(stage, values, passed, stage_scores, returned, notes)
        parts = np.where(passed[:, None], parts, np.nan)
        values = np.where(returned, values, np.nan)
        stage_scores[stage.id] = values
        if stage.source != "score":
            matrices[stage.id] = matrix
        stage_parts.append((stage, parts, values, labels, weights))
    gaps.raise_errors()

    final, scale = _final(m, stage_scores, returned, notes)
    ind_frames = [_indicator_frame(stage, ids, parts, values, labels, weights, returned, scale)
                  for stage, parts, values, labels, weights in stage_parts]
    claimed_zero = None if claimed is None else gaps.claimed_for_self_score(claimed)
    note_map = {i: n for i, n in zip(ids, notes) if n}
    ranking = _ranking_table(inputs, bodies, returned, stage_scores, final, claimed_zero, notes)
    indicators = pd.concat([f.astype({"body_id": object, "indicator": object, "label": object})
                            for f in ind_frames], ignore_index=True)
    return ScoreResult(ranking=ranking, indicators=indicators, methodology=m, matrices=matrices, body_order=ids,
                       missing=gaps.table(), notes=note_map)


# -- missing values --------------------------------------------------------------------------

class _Gaps:
    """What is missing for bodies taking part in a stage, made what the methodology's ``missing:``
    says; with ``error`` (the default), the problems to raise."""

    SHOWN = 5  # ids named in a note or a problem

    def __init__(self, inputs: RegionInputs, ids: list[str]):
        self.inputs, self.ids = inputs, ids
        self.problems = ProblemList(int(limit("max_problems")))
        self.rows: list[tuple[str, str, str, str]] = []
        self.unanswered_rule = inputs.methodology.questionnaire.missing if inputs.methodology.questionnaire else None

    def label(self, table: str) -> str:
        return self.inputs.labels.get(table) or str(self.inputs.folder / f"{table}.csv")

    def _ids(self, columns: list[str]) -> str:
        shown = ", ".join(columns[: self.SHOWN])
        return shown + (f" … (+{len(columns) - self.SHOWN})" if len(columns) > self.SHOWN else "")

    def apply(self, stage: Stage, matrix: np.ndarray, missing: list, passed: np.ndarray, notes) -> np.ndarray:
        """``missing``: (mask of cells, rule, kind) pairs; returns the matrix with the rule applied to
        the rows of the bodies taking part (``zero``: 0; ``not-assessed``: NaN stays)."""
        matrix = matrix.copy()
        columns = self._columns(stage)
        for mask, rule, kind in missing:
            taking = mask & passed[:, None]
            for i in np.flatnonzero(taking.any(axis=1)):
                body = self.ids[i]
                cols = [columns[j] for j in np.flatnonzero(taking[i])]
                if rule == "error":
                    self._problem(stage, kind, body, cols)
                    continue
                whole = stage.source == "score"
                self.rows.append((body, stage.id, stage.id if whole else "; ".join(cols), rule))
                if kind == "unanswered" and stage.source == "verification" and \
                        self.inputs.methodology.stages_of("questionnaire"):
                    continue  # said once, in the questionnaire stage's note
                if rule == "zero":
                    notes[i].append(_note("missing_zero_stage", stage=stage.id) if whole else
                                    _note("missing_zero_count", stage=stage.id, n=len(cols), items=self._ids(cols)))
                elif not whole:
                    notes[i].append(_note("missing_not_assessed_count", stage=stage.id, n=len(cols),
                                          items=self._ids(cols)))
            if rule == "zero":
                matrix[taking] = 0.0
        return matrix

    def _columns(self, stage: Stage) -> list[str]:
        if stage.source in ("questionnaire", "verification"):
            return self.inputs.methodology.question_ids
        if stage.source == "checklist":
            return [i.id for i in stage.items]
        return [stage.id]

    def _problem(self, stage: Stage, kind: str, body: str, cols: list[str]) -> None:
        how = f"stages[{stage.id}].missing"
        if kind == "unanswered":
            self.problems.append(InputProblem(
                self.label("saq"), None, "answer",
                f"body '{body}' returned the SAQ but did not answer {len(cols)} question(s) ({self._ids(cols)}): "
                "add the answers, or say in the methodology what an unanswered question means "
                "(questionnaire: missing: zero or not-assessed)"))
        elif kind == "verdict":
            self.problems.append(InputProblem(
                self.label("verification"), None, "verdict",
                f"body '{body}' has no verdict for {len(cols)} answered question(s) ({self._ids(cols)}) in stage "
                f"{stage.id}: add them, or say in the methodology what a missing verdict means ({how}: zero or "
                "not-assessed)"))
        elif kind == "item":
            self.problems.append(InputProblem(
                self.label("website"), None, "item_id",
                f"body '{body}' takes part in stage {stage.id} but has no row for {len(cols)} item(s) "
                f"({self._ids(cols)}): add them, or say in the methodology what a missing item means ({how}: zero "
                "or not-assessed)"))
        else:
            row = self.inputs.scores[stage.id].index[self.inputs.scores[stage.id]["body_id"] == body]
            gate = ""
            if stage.gate:
                g = stage.gate
                gate = (f" (it passed the gate {g.stage} >= {g.min_score:g})" if g.min_score is not None
                        else f" (it is in the top {g.top_n} of its group on {g.stage})")
            self.problems.append(InputProblem(
                self.label(stage.id), int(row[0]) if len(row) else None, "score",
                f"body '{body}' takes part in stage {stage.id}{gate} but has no score: add it, or say in the "
                f"methodology what a missing score means ({how}: zero or not-assessed)"))

    def claimed_for_self_score(self, claimed: np.ndarray) -> np.ndarray:
        return np.nan_to_num(claimed) if self.unanswered_rule == "zero" else claimed

    def raise_errors(self) -> None:
        if self.problems:
            raise InputValidationError(self.problems)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=MISSING_COLUMNS)


def _stage_matrix(stage: Stage, inputs: RegionInputs, ids: list[str], claimed):
    """The stage's raw matrix (bodies x questions / items / 1; NaN where a value is missing) and
    the missing cells as (mask, rule, kind) pairs."""
    m = inputs.methodology
    if stage.source in ("questionnaire", "verification"):
        unanswered = np.isnan(claimed)
        missing = [(unanswered, m.questionnaire.missing, "unanswered")]
        if stage.source == "questionnaire":
            return claimed, missing
        matrix, checked = _verified_matrix(inputs, ids, np.nan_to_num(claimed))
        no_verdict = ~checked & ~unanswered
        matrix[unanswered | no_verdict] = np.nan
        return matrix, missing + [(no_verdict, stage.missing_rule, "verdict")]
    if stage.source == "checklist":
        items = [i.id for i in stage.items]
        matrix = np.full((len(ids), len(items)), np.nan)
        web = inputs.website
        if len(web):
            rows = positions(web["body_id"], ids)
            cols = positions(web["item_id"], items)
            matrix[rows, cols] = web["present"].to_numpy(dtype=float)
        return matrix, [(np.isnan(matrix), stage.missing_rule, "item")]
    table = inputs.scores[stage.id]
    values = pd.Series(table["score"].to_numpy(dtype=float), index=table["body_id"]).reindex(ids).to_numpy()[:, None]
    return values, [(np.isnan(values), stage.missing_rule, "score")]


def _weighted(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``parts @ weights``; for a row with parts not assessed (NaN), the weighted sum of the
    assessed parts with their weights rescaled to the full total (NaN when none is assessed)."""
    values = parts @ weights
    holes = np.isnan(parts).any(axis=1)
    if holes.any():
        sub = parts[holes]
        seen = ~np.isnan(sub)
        total = seen @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            values[holes] = np.where(total > 0, (np.nan_to_num(sub) @ weights) * (weights.sum() / np.where(
                total > 0, total, 1.0)), np.nan)
    return values


def _final(m: Methodology, stage_scores: dict, returned: np.ndarray, notes) -> tuple[np.ndarray, np.ndarray]:
    """The unrounded final score, and per body the factor its stage weights were scaled by (1, or
    more when a stage was not assessed and the other stages' weights were rescaled to 100)."""
    final = np.zeros(len(returned))
    for stage in m.stages:
        final += stage.weight * np.nan_to_num(stage_scores[stage.id]) / 100.0
    weights = np.array([s.weight for s in m.stages])
    assessed = np.column_stack([~np.isnan(stage_scores[s.id]) for s in m.stages]) if m.stages else None
    scale = np.ones(len(returned))
    holes = returned & ~assessed.all(axis=1)
    for i in np.flatnonzero(holes):
        total = weights[assessed[i]].sum()
        if total <= 0:
            continue  # nothing assessed: the final stays NaN below
        scale[i] = weights.sum() / total
        final[i] *= scale[i]
        for stage, seen in zip(m.stages, assessed[i]):
            if not seen:
                notes[i].append(_note("missing_not_assessed_stage", stage=stage.id))
    nothing = holes & ~assessed.any(axis=1)
    final = np.where(returned & ~nothing, final, np.nan)
    return final, scale


# -- stages ----------------------------------------------------------------------------------

def positions(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Position of each value in ``labels`` (-1 if absent). For a categorical column (as read
    from the inputs) each distinct value is looked up once, not each of its million cells."""
    index = pd.Index(labels, dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        per_category = np.append(index.get_indexer(values.cat.categories.astype(object)), -1)
        return per_category[values.cat.codes.to_numpy()]
    return index.get_indexer(values.astype(object))


def question_matrix(inputs: RegionInputs, ids: list[str], column: str = "earned", fill: float = 0.0) -> np.ndarray:
    """Bodies x questions matrix of the fraction earned as claimed (``fill`` where unanswered)."""
    qids = inputs.methodology.question_ids
    mat = np.full((len(ids), len(qids)), fill)
    saq = inputs.saq
    if len(saq):
        rows = positions(saq["body_id"], ids)
        cols = positions(saq["question_id"], qids)
        mat[rows, cols] = saq[column].to_numpy(dtype=float)
    return mat


def _verified_matrix(inputs: RegionInputs, ids: list[str], claimed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the verifier grants: the claim if verified, the granted answer if partly, else 0; and
    which (body, question) has a verdict."""
    qids = inputs.methodology.question_ids
    mat = np.zeros_like(claimed)
    checked = np.zeros(claimed.shape, dtype=bool)
    ver = inputs.verification
    if len(ver):
        rows = positions(ver["body_id"], ids)
        cols = positions(ver["question_id"], qids)
        verified = (ver["verdict"] == "verified").to_numpy()
        partial = (ver["verdict"] == "partial").to_numpy()
        values = verdict_value(verified, partial, ver["granted_earned"].to_numpy(dtype=float), claimed[rows, cols])
        mat[rows, cols] = values
        checked[rows, cols] = True
    return mat, checked


def indicator_weights(m: Methodology) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray]:
    """Questions x indicators matrix turning earned fractions into 0-100 indicator scores."""
    w = _question_weights(m)
    w = w / w.sum(axis=0, keepdims=True) * 100.0
    labels = [(i.id, i.label) for i in m.questionnaire.indicators]
    return w, labels, np.array([i.weight for i in m.questionnaire.indicators])


def _question_weights(m: Methodology) -> np.ndarray:
    """Questions x indicators: each question's weight in the column of its indicator."""
    q = m.questionnaire
    ind_ids = [i.id for i in q.indicators]
    w = np.zeros((len(q.questions), len(ind_ids)))
    for qi, question in enumerate(q.questions):
        w[qi, ind_ids.index(question.indicator)] = question.weight
    return w


def indicator_scores(m: Methodology, matrix: np.ndarray) -> np.ndarray:
    """Bodies x indicators scores (0-100) of an earned-fraction matrix; a body's questions that are
    not assessed (NaN) are left out of their indicator (NaN when none of it is assessed)."""
    w, _, _ = indicator_weights(m)
    scores = np.nan_to_num(matrix) @ w
    holes = np.isnan(matrix).any(axis=1)
    if holes.any():
        raw = _question_weights(m)
        sub = matrix[holes]
        seen = (~np.isnan(sub)).astype(float) @ raw
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[holes] = np.where(seen > 0, 100.0 * (np.nan_to_num(sub) @ raw) / np.where(seen > 0, seen, 1.0),
                                     np.nan)
    return scores


def _stage_parts(stage: Stage, m: Methodology, matrix: np.ndarray):
    """Per-body scores (0-100) of the stage's parts (NaN where not assessed), their labels and weights."""
    if stage.source in ("questionnaire", "verification"):
        _, labels, weights = indicator_weights(m)
        return indicator_scores(m, matrix), labels, weights
    if stage.source == "checklist":
        labels = [(i.id, i.label) for i in stage.items]
        return matrix * 100.0, labels, np.array([i.weight for i in stage.items])
    return matrix, [(stage.id, stage.label)], np.array([100.0])


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
    rule = (_note("gate_rule_min", gate=gate.stage, min=f"{gate.min_score:g}") if gate.min_score is not None
            else _note("gate_rule_top", n=gate.top_n, gate=gate.stage))
    given = (_note("gate_given_carry", gate=gate.stage) if gate.otherwise == "carry"
             else _note("gate_given_value", value=f"{float(gate.otherwise):g}"))
    for i in np.flatnonzero(returned & ~passed):
        notes[i].append(_note("not_passed", stage=stage.id, rule=rule, given=given))
    return np.where(passed, values, other)


def _indicator_frame(stage: Stage, ids, parts, values, labels, weights, returned, scale) -> pd.DataFrame:
    n, k = parts.shape
    parts = np.where(returned[:, None], parts, np.nan)
    gated = np.isnan(parts).all(axis=1) & ~np.isnan(values)
    # A body gated out gets one 'indicator' row for the whole stage, so contributions still add up.
    contrib = parts * weights[None, :] / 100.0 * stage.weight / 100.0
    holes = np.isnan(parts).any(axis=1) & ~gated & returned
    if holes.any() or (scale != 1).any():  # parts or stages not assessed: the weights as rescaled
        seen = ~np.isnan(parts)
        total = seen @ weights
        share = np.where(total[:, None] > 0, weights[None, :] * (weights.sum() / np.where(total > 0, total, 1.0))[:, None],
                         0.0)
        redo = (holes | (scale != 1)) & ~gated & returned
        adjusted = np.where(seen, np.nan_to_num(parts) * share / 100.0 * stage.weight / 100.0 * scale[:, None], 0.0)
        contrib = np.where(redo[:, None], adjusted, contrib)
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
            "contribution": values[gated] * stage.weight / 100.0 * scale[gated],
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
    table["status"] = np.where(returned, words("scoring", "id")["assessed"], nr.status)
    table["returned"] = returned
    if claimed is not None and not m.stages_of("questionnaire"):
        _, _, weights = indicator_weights(m)
        self_score = _weighted(indicator_scores(m, claimed), weights) / 100.0
        table["self_assessed"] = np.where(returned, round_half_up(self_score, m.decimals), np.nan)
    for stage in m.stages:
        table[stage.id] = round_half_up(stage_scores[stage.id], m.decimals)
    rounded = round_half_up(final, m.decimals)
    if nr.ranked:
        # published at the methodology's precision like every score (12.5 with 0 decimals is 13)
        rounded = np.where(returned, rounded, round_half_up(nr.score if nr.score is not None else 0.0, m.decimals))
    table["final"] = rounded
    table["band"] = np.where(returned, m.bands_for(rounded), nr.band)
    if nr.ranked and nr.score is not None:
        table.loc[~returned, "band"] = nr.band
    rankable = table["final"].where(returned | nr.ranked)
    table["rank"] = rank_within_groups(rankable, table["group"], m.ranking.ties)
    table["notes"] = ["; ".join(n.text("id") for n in body) for body in notes]

    order = {g: i for i, g in enumerate(inputs.config.groups)}
    table["_g"] = table["group"].map(order)
    table["_r"] = table["rank"].astype("Float64").fillna(np.inf)
    table = table.sort_values(["_g", "_r", "name", "body_id"], kind="mergesort").drop(columns=["_g", "_r"])
    return table.reset_index(drop=True)


def shortfalls(result: ScoreResult, body_id: str, inputs: RegionInputs) -> pd.DataFrame:
    """What a body did not earn in full, per stage: columns stage, item, label, earned (0-1).

    For questionnaire/verification stages the items are questions; for a checklist, its items.
    """
    return pd.DataFrame(shortfall_rows(result, result.body_order.index(body_id)),
                        columns=["stage", "item", "label", "earned"])


def shortfall_rows(result: ScoreResult, position: int) -> list[tuple[str, str, str, float]]:
    """The rows of :func:`shortfalls` (stage, item, label, earned) of the body at ``position`` in
    ``result.body_order``, as plain tuples: the annex of a 5,000-body report asks for them 5,000
    times, where a DataFrame each would cost more than the sheet."""
    m = result.methodology
    rows = []
    for stage_id, matrix in result.matrices.items():
        checklist = m.stage(stage_id).source == "checklist"
        items = m.stage(stage_id).items if checklist else m.questionnaire.questions
        values = matrix[position]
        for j in np.flatnonzero(values < 1 - 1e-9):
            item = items[j]
            rows.append((stage_id, item.id, item.label if checklist else item.text, float(values[j])))
    return rows