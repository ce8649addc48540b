"""Several verifiers per body: their verdicts combined into one verdict per answer, before scoring.

``verification.csv`` may carry a ``verifier`` column; an answer (a body and a question) then has one
row per verifier who judged it. This step, :func:`combine_verdicts`, turns the validated rows into
the one verdict per answer that the scorer reads (:mod:`kiprank.core.scoring` is unchanged), by the
methodology's ``verification:`` rule (:class:`~kiprank.core.methodology.VerificationRule`), and then
applies the verdicts decided in ``adjudication.csv`` over the combination. A later step (an
objection round) may apply its own decisions to the result. Without a ``verifier`` column the step
is not run at all: one verdict per answer, as before.

Each verdict is worth a share of the question's points (:func:`verdict_value`): the claim when it
is ``sesuai``, the accepted answer (at most the claim) when ``sebagian``, nothing when ``tidak
sesuai``. Verdicts worth the same share agree; a combined share that is neither the claim nor
nothing becomes a ``sebagian`` verdict granting that share. Verdicts whose shares differ by more than
``disagreement`` are a disagreement (with ``consensus``, any difference is), listed in
``disagreements.csv`` (:func:`disagreement_table`) for a lead verifier to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .answers import CANONICAL_VERDICT
from .errors import InputProblem
from .methodology import Methodology, VerificationRule

VERIFIER = "verifier"
MAX_NAME = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
TOLERANCE = 1e-9

#: Columns of :attr:`Panel.items`.
ITEM_COLUMNS = ["body_id", "question_id", "verifiers", "low", "high", "combined", "disagreement",
                "adjudicated", "value"]


def verdict_value(verified: np.ndarray, partial: np.ndarray, granted: np.ndarray, claim: np.ndarray) -> np.ndarray:
    """The share of a question's points a verdict is worth: the claim when verified, the granted
    answer but at most the claim when partly verified, else nothing (``granted`` NaN counts 0)."""
    return np.where(verified, claim, np.where(partial, np.minimum(np.nan_to_num(granted), claim), 0.0))


@dataclass
class Panel:
    """The verdicts of a region verified with a ``verifier`` column, and what became of them.

    ``verdicts``: one row per verifier's verdict (index: its row in the file), columns body_id,
    question_id, verifier, verdict (verified/partial/unverified), granted, granted_earned, value
    (the share of the question's points it is worth, :func:`verdict_value`).
    ``items``: one row per answer judged (columns :data:`ITEM_COLUMNS`): how many verifiers, the
    lowest and highest share, the combined share (NaN for an undecided consensus), whether the
    verdicts disagree, the adjudicated verdict (verified/partial/unverified, or ``""``) and the
    share that counts (NaN: undecided).
    ``adjudication``: the validated rows of ``adjudication.csv`` (body_id, question_id, verdict,
    granted, granted_earned), empty when there is none.
    """

    rule: VerificationRule
    verdicts: pd.DataFrame
    items: pd.DataFrame
    adjudication: pd.DataFrame
    item_of_verdict: np.ndarray | None = None  # per row of ``verdicts``, the position of its answer in ``items``

    @property
    def several(self) -> bool:
        """Whether any answer was judged by more than one verifier (else agreement cannot be measured)."""
        return bool((self.items["verifiers"] > 1).any())

    @property
    def names(self) -> list[str]:
        return sorted(self.verdicts[VERIFIER].astype(str).unique())


def verifier_problems(names: pd.Series, label: str, problems: list[InputProblem]) -> bool:
    """Check the ``verifier`` column: a name in every row, without control or invisible characters,
    at most :data:`MAX_NAME` characters, and no two names that differ only by case or spaces (the
    same person typed twice would count as two verifiers). Each distinct name is checked once (a
    region has a few verifiers and millions of rows); the rows are then named in file order."""
    text = names.astype(str)
    codes, uniques = pd.factorize(text)
    uniques = [str(u) for u in uniques]
    index = text.index.to_numpy()
    ok = True
    why = {}
    for code, name in enumerate(uniques):
        if not name.strip():
            why[code] = "the verifier is empty: name the verifier in every row (or remove the column)"
        elif _CONTROL.search(name):
            why[code] = f"verifier {name!r} holds a control or invisible character"
        elif len(name) > MAX_NAME:
            why[code] = f"verifier name is longer than {MAX_NAME} characters"
    if why:
        ok = False
        for at in np.flatnonzero(np.isin(codes, list(why))):
            problems.append(InputProblem(label, int(index[at]), VERIFIER, why[int(codes[at])]))
            if getattr(problems, "full", False):
                return False
    same: dict[str, list[int]] = {}
    for code, name in enumerate(uniques):
        same.setdefault(" ".join(name.split()).casefold(), []).append(code)
    found = []
    for members in (m for m in same.values() if len(m) > 1):
        rows = np.flatnonzero(np.isin(codes, members))
        seq = codes[rows]
        runs = np.append(0, np.flatnonzero(seq[1:] != seq[:-1]) + 1)  # where each run of one spelling starts
        found += [(rows[start], rows[before], seq[start], seq[before]) for before, start in zip(runs[:-1], runs[1:])]
    for at, was, name, other in sorted(found):  # in file order
        problems.append(InputProblem(label, int(index[at]), VERIFIER,
                                     f"verifier '{uniques[name]}' differs from '{uniques[other]}' (row "
                                     f"{int(index[was])}) only by upper/lower case or spaces: write one person's "
                                     "name the same way everywhere"))
        ok = False
    return ok


def _labels(*columns: pd.Series) -> pd.Index:
    """The distinct values of columns (a categorical's categories, not its million cells), sorted."""
    seen: set = set()
    for col in columns:
        seen |= set(col.cat.categories.astype(object) if isinstance(col.dtype, pd.CategoricalDtype)
                    else pd.unique(col.astype(object)))
    return pd.Index(sorted(str(v) for v in seen), dtype=object)


def _codes(values: pd.Series, labels: pd.Index) -> np.ndarray:
    """Position of each value in ``labels`` (-1 if absent), each category looked up once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        per = np.append(labels.get_indexer(values.cat.categories.astype(object).map(str)), -1)
        return per[values.cat.codes.to_numpy()]
    return labels.get_indexer(values.astype(object).map(str))


def _value(table: pd.DataFrame, claim: np.ndarray) -> np.ndarray:
    return verdict_value((table["verdict"] == "verified").to_numpy(), (table["verdict"] == "partial").to_numpy(),
                         table["granted_earned"].to_numpy(dtype=float), claim)


VERDICT_CODES = ("verified", "partial", "unverified")


def _verdict_codes(column: pd.Series) -> np.ndarray:
    """0 / 1 / 2 for verified / partial / unverified."""
    return np.where(column == "verified", 0, np.where(column == "partial", 1, 2)).astype(np.int8)


def _as_verdict(value: np.ndarray, claim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A share as a verdict (codes of :data:`VERDICT_CODES`): the claim -> verified, nothing ->
    unverified, else partial granting it."""
    verdict = np.where(value >= claim - TOLERANCE, 0, np.where(value <= TOLERANCE, 2, 1)).astype(np.int8)
    granted = np.where(verdict == 1, value, np.nan)
    return verdict, granted


def _combined(combine: str, values: np.ndarray, starts: np.ndarray, count: np.ndarray, low: np.ndarray,
              spread: np.ndarray) -> np.ndarray:
    """Each answer's combined share of its points (answers are the runs of ``values`` that begin at
    ``starts``, ``count`` verdicts each) by the methodology's rule: mean, median, min, or the common
    value of a consensus (NaN where the verifiers disagree: left to adjudication)."""
    if combine == "mean":
        return np.add.reduceat(values, starts) / count if len(values) else np.array([])
    if combine == "median":
        group = np.repeat(np.arange(len(starts)), count)
        sorted_values = values[np.lexsort((values, group))]
        return (sorted_values[starts + (count - 1) // 2] + sorted_values[starts + count // 2]) / 2.0
    if combine == "min":
        return low
    return np.where(spread <= TOLERANCE, low, np.nan)


def _apply_adjudication(out: pd.DataFrame, items: pd.DataFrame, adjudication: pd.DataFrame, bodies, questions,
                        answer_keys: np.ndarray, claims: np.ndarray) -> None:
    """The decided verdicts over the combined ones: in ``out`` (verdict, granted, granted_earned) and
    in the panel's ``items`` (adjudicated, value), for each answer adjudication.csv decides."""
    b, q = _codes(adjudication["body_id"], bodies), _codes(adjudication["question_id"], questions)
    pos = pd.Index(answer_keys).get_indexer(np.where((b >= 0) & (q >= 0), b * len(questions) + q, -1))
    keep = pos >= 0
    pos = pos[keep]
    decided = adjudication[keep]
    items.loc[pos, "adjudicated"] = decided["verdict"].astype(str).to_numpy()
    items.loc[pos, "value"] = _value(decided, claims[pos])
    out["verdict"] = out["verdict"].astype(object)
    for col in ("verdict", "granted", "granted_earned"):
        out.loc[pos, col] = decided[col].to_numpy(dtype=object if col != "granted_earned" else float)


def combine_verdicts(verdicts: pd.DataFrame, saq: pd.DataFrame, rule: VerificationRule,
                     adjudication: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Panel]:
    """One verdict per answer from several verifiers' verdicts (a pure function).

    ``verdicts``: validated rows (body_id, question_id, verifier, verdict, granted, granted_earned);
    ``saq``: the claims (body_id, question_id, earned); ``adjudication``: validated decided verdicts
    (same columns without verifier), each for an answer in disagreement (see :func:`adjudication_problems`).
    Returns the verification table the scorer reads (body_id, question_id, verdict, granted,
    granted_earned; one row per answer, in the order answers first appear; an undecided consensus
    has no row) and the :class:`Panel`. An answer whose verdicts all agree keeps its first verdict
    (by verifier name) as written, so that agreeing verifiers score exactly as one.
    """
    bodies = _labels(verdicts["body_id"], saq["body_id"])
    questions = _labels(verdicts["question_id"], saq["question_id"])
    names = _labels(verdicts[VERIFIER])
    key = _codes(verdicts["body_id"], bodies) * len(questions) + _codes(verdicts["question_id"], questions)
    grid = np.zeros(len(bodies) * len(questions))
    grid[_codes(saq["body_id"], bodies) * len(questions) + _codes(saq["question_id"], questions)] = \
        np.nan_to_num(saq["earned"].to_numpy(dtype=float))
    claim = grid[key]
    order = np.lexsort((_codes(verdicts[VERIFIER], names), key))
    table = verdicts.assign(value=_value(verdicts, claim)).iloc[order]
    key, claim, row = key[order], claim[order], order
    new = np.ones(len(table), dtype=bool)
    new[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    values = table["value"].to_numpy(dtype=float)
    count = np.diff(np.append(starts, len(table)))
    low = np.minimum.reduceat(values, starts) if len(table) else np.array([])
    high = np.maximum.reduceat(values, starts) if len(table) else np.array([])
    spread = high - low
    combined = _combined(rule.combine, values, starts, count, low, spread)
    threshold = 0.0 if rule.combine == "consensus" else rule.disagreement
    disagreement = spread > threshold + TOLERANCE
    first = table.iloc[starts]
    claims = claim[starts]
    verdict, granted_earned = _as_verdict(np.nan_to_num(combined), claims)
    agree = spread <= TOLERANCE
    verdict = pd.Categorical.from_codes(np.where(agree, _verdict_codes(first["verdict"]), verdict), VERDICT_CODES)
    granted_earned = np.where(agree, first["granted_earned"].to_numpy(dtype=float), granted_earned)
    granted = np.where(agree, first["granted"].to_numpy(dtype=object), "")
    items = pd.DataFrame({"body_id": pd.Categorical.from_codes(key[starts] // max(len(questions), 1), bodies),
                          "question_id": pd.Categorical.from_codes(key[starts] % max(len(questions), 1), questions),
                          "verifiers": count, "low": low, "high": high, "combined": combined,
                          "disagreement": disagreement, "adjudicated": "", "value": combined})
    out = pd.DataFrame({"body_id": items["body_id"], "question_id": items["question_id"], "verdict": verdict,
                        "granted": granted, "granted_earned": granted_earned})
    adjudication = adjudication if adjudication is not None else pd.DataFrame(
        columns=["body_id", "question_id", "verdict", "granted", "granted_earned"])
    if len(adjudication):
        _apply_adjudication(out, items, adjudication, bodies, questions, key[starts], claims)
    order = np.argsort(row[starts], kind="stable")  # answers in the order they first appear
    decided = ~np.isnan(items["value"].to_numpy(dtype=float))
    out = out.iloc[order][decided[order]].reset_index(drop=True)
    out["granted_earned"] = out["granted_earned"].astype(float)
    items = items.iloc[order].reset_index(drop=True)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    panel = Panel(rule, table, items, adjudication.reset_index(drop=True),
                  position[np.repeat(np.arange(len(starts)), count)])
    return out, panel


def adjudication_problems(panel: Panel, adjudication: pd.DataFrame, label: str) -> list[InputProblem]:
    """Rows of ``adjudication.csv`` that decide an answer that is not in disagreement (its verdicts
    agree within the methodology's ``disagreement``, or it had one verifier, or none): refused, so
    that a decision is never silently ignored nor overrides agreeing verifiers."""
    items = panel.items.set_index(["body_id", "question_id"])["disagreement"]
    keys = pd.MultiIndex.from_arrays([adjudication["body_id"].astype(str), adjudication["question_id"].astype(str)])
    state = items.reindex(keys).to_numpy(dtype=object)
    out = []
    for row, body, qid, found in zip(adjudication.index, keys.get_level_values(0), keys.get_level_values(1), state):
        if found is True:
            continue
        why = ("has no verdict in verification.csv" if found is None or (isinstance(found, float) and np.isnan(found))
               else "is not a disagreement (its verdicts agree within the methodology's verification.disagreement, "
               "or one verifier judged it)")
        out.append(InputProblem(label, int(row), "question_id", f"the answer of body '{body}' to {qid} {why}: nothing "
                                "to decide; remove the row"))
    return out


def _too_few_verifiers(verification: pd.DataFrame, least: int, label: str, problems: list[InputProblem]) -> None:
    """Each body verified by fewer than ``least`` verifiers, named at its first row (bodies in the
    order they first appear); distinct (body, verifier) pairs are counted, not rows."""
    body_codes, bodies = pd.factorize(verification["body_id"])  # a categorical's codes, not its million cells
    who = verification[VERIFIER] if VERIFIER in verification.columns else pd.Series("", index=verification.index)
    who_codes, names = pd.factorize(who)
    pairs = np.unique(body_codes.astype(np.int64) * len(names) + who_codes)  # sorted by body
    per_body = np.bincount(pairs // len(names), minlength=len(bodies))
    ends = np.cumsum(per_body)
    first = np.empty(len(bodies), dtype=np.int64)
    first[body_codes[::-1]] = np.arange(len(body_codes))[::-1]
    rows = verification.index.to_numpy()
    for b in np.flatnonzero(per_body < least):
        named = sorted({str(names[w]) for w in pairs[ends[b] - per_body[b]:ends[b]] % len(names)} - {""})
        shown = ", ".join(named) if named else "no verifier named: no verifier column"
        problems.append(InputProblem(label, int(rows[first[b]]), VERIFIER,
                                     f"body '{str(bodies[b])}' was verified by {int(per_body[b])} verifier(s) ({shown}); "
                                     f"the methodology asks for at least {least} (verification.min_verifiers)"))


def panel_problems(panel: Panel | None, verification: pd.DataFrame, methodology: Methodology, label: str,
                   problems: list[InputProblem]) -> None:
    """Bodies verified by fewer verifiers than ``min_verifiers``, and answers still undecided under
    ``combine: consensus``, each named (exit 2). ``verification``: the validated rows (without a
    ``verifier`` column every body has one verifier)."""
    rule = methodology.verification
    if rule.min_verifiers > 1 and len(verification):
        _too_few_verifiers(verification, rule.min_verifiers, label, problems)
    if panel is None or rule.combine != "consensus":
        return
    open_items = panel.items[np.isnan(panel.items["value"].to_numpy(dtype=float))]
    if not len(open_items):
        return
    said = verdict_list(panel, open_items)
    for item, text in zip(open_items.itertuples(index=False), said):
        problems.append(InputProblem(label, None, "verdict",
                                     f"body '{item.body_id}', question {item.question_id}: the verifiers disagree "
                                     f"({text}) and the methodology combines by consensus: record the final verdict "
                                     "in adjudication.csv (kiprank forms --kind adjudikasi, then kiprank collect)"))
        if getattr(problems, "full", False):
            break


def verdict_list(panel: Panel, items: pd.DataFrame) -> list[str]:
    """Per item (rows of ``panel.items``, by their index there), its verdicts as ``name: sesuai;
    name: sebagian (granted); ...`` (by verifier name)."""
    if not len(items):
        return []
    wanted = np.zeros(len(panel.items), dtype=bool)
    wanted[items.index.to_numpy()] = True
    at = wanted[panel.item_of_verdict]
    sub = panel.verdicts[at]
    verdict = sub["verdict"].to_numpy(dtype=object)
    word = np.array([CANONICAL_VERDICT.get(str(c), str(c)) for c in verdict], dtype=object)
    granted = sub["granted"].to_numpy(dtype=object).astype(str).astype(object)
    extra = np.where((verdict == "partial") & (granted != ""), " (" + granted + ")", "")
    parts = sub[VERIFIER].to_numpy(dtype=object).astype(str).astype(object) + ": " + word + extra + "; "
    item = panel.item_of_verdict[at]
    new = np.ones(len(item), dtype=bool)
    new[1:] = item[1:] != item[:-1]
    starts = np.flatnonzero(new)
    joined = pd.Series([t[:-2] for t in np.add.reduceat(parts, starts)], index=item[starts])
    return joined.reindex(items.index.to_numpy()).fillna("").tolist()


#: Columns of ``disagreements.csv`` (:func:`disagreement_table`).
DISAGREEMENT_COLUMNS = ["body_id", "question_id", "indicator", "verdicts", "low", "high", "combined", "adjudicated",
                        "final", "status"]


def disagreement_table(panel: Panel, methodology: Methodology) -> pd.DataFrame:
    """The answers in disagreement, in body and question order: body_id, question_id, indicator,
    verdicts (each verifier's, as text), low and high (the shares of the question's points, 0-1),
    combined (the methodology's combination; empty for an undecided consensus), adjudicated
    (``sesuai``/``sebagian``/``tidak sesuai`` or empty), final (the share that counts) and status
    (``decided``: adjudicated; ``combined``: the combination counts; ``open``: undecided)."""
    items = panel.items[panel.items["disagreement"]]
    qorder = {q: i for i, q in enumerate(methodology.question_ids)}
    indicator = {q.id: q.indicator for q in methodology.questionnaire.questions} if methodology.questionnaire else {}
    items = items.assign(_q=items["question_id"].map(qorder)).sort_values(["body_id", "_q"], kind="mergesort")
    adjudicated = items["adjudicated"].astype(str)
    value = items["value"].to_numpy(dtype=float)
    status = np.where(adjudicated != "", "decided", np.where(np.isnan(value), "open", "combined"))
    return pd.DataFrame({
        "body_id": items["body_id"].to_numpy(dtype=object), "question_id": items["question_id"].to_numpy(dtype=object),
        "indicator": items["question_id"].map(indicator).to_numpy(dtype=object),
        "verdicts": verdict_list(panel, items), "low": items["low"].to_numpy(dtype=float),
        "high": items["high"].to_numpy(dtype=float), "combined": items["combined"].to_numpy(dtype=float),
        "adjudicated": adjudicated.map(lambda c: CANONICAL_VERDICT.get(c, "")).to_numpy(dtype=object),
        "final": value, "status": status}, columns=DISAGREEMENT_COLUMNS).reset_index(drop=True)
