"""An earlier year's inputs scored under a later year's method, and the split of each change into
a method effect and an answers effect."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.errors import KiprankError
from ...core.formatting import check_lang
from ...core.answers import answer_fractions
from ...core.inputs import RegionInputs
from ...core.methodology import Methodology
from ...core.scoring import ScoreResult, score
from ...core.wording import words
from .changes import unrounded_finals
from .decomposition import decompose
from .matching import match_bodies, one_to_one, same_id_matches
from .methods import same_scoring

class NotComparableError(KiprankError):
    """The inputs of one year cannot be scored under another year's methodology. ``issues``:
    (code, parameters) pairs (see :func:`rescore_issues`); ``reasons``: the same in English."""

    def __init__(self, issues: list[tuple[str, dict]]):
        self.issues = list(issues)
        self.reasons = [reason_text(i, "en") for i in self.issues]
        super().__init__("not comparable: " + "; ".join(self.reasons))


def reason_text(issue: tuple[str, dict], lang: str = "en") -> str:
    """One issue of :func:`rescore_issues` as a sentence in ``lang`` (the sentences are in
    ``kiprank/words/compare.<lang>.yml``, keys ``reason_<code>``); lists of ids are shortened to
    the first five."""
    code, params = issue
    w = words("compare", check_lang(lang))
    shown = {k: _few(v, w) if isinstance(v, list) else v for k, v in params.items()}
    return w[f"reason_{code}"].format(**shown)


def rescore_issues(inputs: RegionInputs, methodology: Methodology) -> list[tuple[str, dict]]:
    """Why ``inputs`` cannot be scored under ``methodology``, as (code, parameters) pairs (see
    :func:`reason_text`; empty: they can). :func:`rescore_problems` gives them as sentences.

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
                    issues.append(("new_items", {"stage": stage.id, "year": year, "items": new}))
        elif stage.source == "score" and stage.id not in inputs.scores:
            issues.append(("no_scores", {"stage": stage.id, "year": year}))
    if methodology.questionnaire is not None and m1.questionnaire is not None:
        qids = methodology.question_ids
        new = [q for q in qids if q not in set(m1.question_ids)]
        if new:
            issues.append(("new_questions", {"year": year, "questions": new}))
        saq = inputs.saq[inputs.saq["question_id"].isin(qids)]
        if len(saq):
            earned = answer_fractions(saq["question_id"], saq["answer"], methodology)
            bad = saq[np.isnan(earned)]
            if len(bad):
                examples = [f"{q} '{a}'" for q, a in
                            bad[["question_id", "answer"]].drop_duplicates().head(5).itertuples(index=False)]
                issues.append(("bad_answers", {"n": len(bad), "year": year, "method": methodology.id,
                                               "examples": examples}))
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
            issues.append(("no_answers_left", {"method": methodology.id, "bodies": sorted(returned - kept)}))
    return issues


def rescore_problems(inputs: RegionInputs, methodology: Methodology, lang: str = "en") -> list[str]:
    """:func:`rescore_issues` as sentences (English by default, ``lang='id'`` for Indonesian)."""
    return [reason_text(issue, lang) for issue in rescore_issues(inputs, methodology)]


def _few(values: list, w: dict, n: int = 5) -> str:
    values = [str(v) for v in values]
    return ", ".join(values[:n]) + (w["reason_more"].format(n=len(values) - n) if len(values) > n else "")


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
