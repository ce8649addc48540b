"""How much do the verifiers agree? Krippendorff's alpha and exact agreement of their verdicts.

Where several verifiers judged the same answer (``verification.csv`` with a ``verifier`` column,
:class:`kiprank.core.verifiers.Panel`), each verdict is the share of the question's points it grants
(0-1, :func:`kiprank.core.verifiers.verdict_value`); an answer judged by at least two verifiers is a
*unit* of the reliability data. :func:`analyse_agreement` measures, overall, per indicator and per
pair of verifiers:

- Krippendorff's alpha, with the metric the question type fits: ``ordinal`` when every question of
  the scope is graded (ordered options whose points are a convention), else ``interval`` (yes/no
  and numeric answers, and mixed scopes: shares of the question's points, where differences on the
  score's own scale are what matter; for yes/no, interval and nominal alpha are the same). Alpha is
  1 for perfect agreement, 0 for agreement no better than chance; it cannot be computed when every
  verdict grants the same share (no variation);
- a 95 % interval of alpha: the 2.5th and 97.5th percentiles over :data:`BOOTSTRAP` resamples of
  the units (drawn with replacement);
- exact agreement: the share of units whose verdicts all grant the same share;

and per verifier the mean difference from the others (points of the question, 0-100: what the
verifier granted minus the mean of the others' verdicts on the same answers, over the answers they
shared), so a lenient (positive) or strict (negative) verifier shows.

Alpha comes from the ``krippendorff`` package (:func:`krippendorff.alpha` on the units' value
counts). Units with the same value counts contribute the same to alpha's coincidence matrix, so the
bootstrap (and a region beyond :data:`PACKAGE_CELLS`, where the package's units x values x values
arrays would not fit the memory) computes alpha from the coincidence matrices of the distinct value
patterns weighted by how often each occurs: the same formula, exact, at any size (tests check the
two against each other and against the textbook formula).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.export import write_table_csv
from ..core.inputs import RegionInputs
from ..core.verifiers import VERIFIER, disagreement_table

BOOTSTRAP = 1000            # resamples of the units for the interval of alpha
SEED = 1                    # of the bootstrap: the same tables give the same bytes
PACKAGE_CELLS = 25_000_000  # units x values^2 up to which alpha is the package's own computation
AGREEMENT_FILES = ("agreement.csv", "disagreements.csv")
#: Columns of ``agreement.csv``.
COLUMNS = ["scope", "indicator", "verifier_a", "verifier_b", "metric", "answers", "verdicts", "exact", "alpha",
           "alpha_low", "alpha_high", "mean_difference"]


@dataclass
class AgreementResult:
    """What :func:`analyse_agreement` returns.

    ``table`` (``agreement.csv``): one row per scope: ``overall``, then one per ``indicator`` (in
    the methodology's order), one per ``pair`` of verifiers who shared answers (verifier_a <
    verifier_b by name), one per ``verifier``; columns :data:`COLUMNS`: metric (interval / ordinal),
    answers (units: answers judged by at least two of the scope's verifiers; for a verifier, the
    answers the verifier shared with others), verdicts (their verdicts), exact (share of units whose
    verdicts agree exactly), alpha, alpha_low, alpha_high (empty when alpha cannot be computed),
    mean_difference (verifier rows: points 0-100, positive = more lenient than the others).
    ``disagreements`` (``disagreements.csv``): :func:`kiprank.core.verifiers.disagreement_table`.
    ``several``: whether any answer had two verifiers (else nothing can be measured).
    ``settings``: the bootstrap's resamples, seed and interval (the report's note states them).
    """

    table: pd.DataFrame
    disagreements: pd.DataFrame
    several: bool
    verifiers: list[str]
    settings: dict = field(default_factory=lambda: {"bootstrap": BOOTSTRAP, "seed": SEED, "interval": 0.95})


# -- alpha ------------------------------------------------------------------------------------

@dataclass
class _Patterns:
    """The distinct value patterns of a set of units: ``counts`` (patterns x values, how many
    verifiers gave each value) and, per unit, its pattern."""

    counts: np.ndarray
    of_unit: np.ndarray

    def coincidences(self) -> np.ndarray:
        """Per pattern, its contribution to the coincidence matrix (patterns x values x values):
        (n n^T - diag n) / (m - 1), m the pattern's number of verdicts."""
        n = self.counts.astype(float)
        m = n.sum(axis=1)
        outer = n[:, :, None] * n[:, None, :]
        idx = np.arange(n.shape[1])
        outer[:, idx, idx] -= n
        return outer / np.maximum(m - 1, 1)[:, None, None]


def _patterns(unit: np.ndarray, value: np.ndarray, n_values: int) -> _Patterns:
    """``unit``: a unit number (0..U-1) per verdict, a unit's verdicts next to each other (as
    :attr:`kiprank.core.verifiers.Panel.verdicts` holds them); ``value``: its value index. Each unit's
    value counts become one integer (digits in base: most verdicts of a unit + 1), so that finding
    the distinct patterns is a sort of integers."""
    n_units = int(unit.max()) + 1 if len(unit) else 0
    new = np.ones(len(unit), dtype=bool)
    new[1:] = unit[1:] != unit[:-1]
    starts = np.flatnonzero(new)
    base = int(np.diff(np.append(starts, len(unit))).max()) + 1 if len(unit) else 2
    if n_values * np.log2(base) < 62:
        digits = base ** np.arange(n_values, dtype=np.int64)
        keys = np.zeros(n_units, dtype=np.int64)
        keys[unit[starts]] = np.add.reduceat(digits[value], starts) if len(unit) else []
        inverse, uniques = pd.factorize(keys)  # hashing, not sorting: patterns in order of first appearance
        counts = (uniques[:, None] // digits[None, :]) % base
        return _Patterns(counts.astype(np.int32), inverse)
    counts = np.zeros((n_units, n_values), dtype=np.int32)  # very many verifiers or values: rows as bytes
    np.add.at(counts, (unit, value), 1)
    rows = np.ascontiguousarray(counts).view(np.dtype((np.void, counts.dtype.itemsize * n_values))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return _Patterns(counts[first], inverse.ravel())


def _distances(domain: np.ndarray, metric: str, n_v: np.ndarray) -> np.ndarray:
    """Squared distances between values (rows: resamples when ``n_v`` is 2-D): interval
    (difference squared) or ordinal (Krippendorff: the values' frequencies between them)."""
    if metric == "interval":
        d = (domain[:, None] - domain[None, :]) ** 2
        return np.broadcast_to(d, (*n_v.shape[:-1], len(domain), len(domain)))
    cum = np.cumsum(n_v, axis=-1)
    i = np.arange(len(domain))
    lo, hi = np.minimum(i[:, None], i[None, :]), np.maximum(i[:, None], i[None, :])
    below = np.where(lo > 0, np.take(cum, np.maximum(lo - 1, 0), axis=-1), 0.0)
    between = np.take(cum, hi, axis=-1) - below
    return (between - (n_v[..., :, None] + n_v[..., None, :]) / 2.0) ** 2


def alpha_from_coincidences(o: np.ndarray, domain: np.ndarray, metric: str) -> np.ndarray:
    """Krippendorff's alpha of coincidence matrices (``... x V x V``): 1 - D_o / D_e, with
    D_o = sum o_ck d_ck / n and D_e = sum n_c n_k d_ck / (n (n - 1)). NaN without variation."""
    n_v = o.sum(axis=-1)
    n = n_v.sum(axis=-1)
    d = _distances(domain, metric, n_v)
    observed = (o * d).sum(axis=(-2, -1))
    expected = (n_v[..., :, None] * n_v[..., None, :] * d).sum(axis=(-2, -1)) / np.maximum(n - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1.0 - observed / np.where(expected > 0, expected, 1.0), np.nan)


def _alpha(patterns: _Patterns, weights: np.ndarray, contrib: np.ndarray, domain: np.ndarray, metric: str) -> float:
    """Point estimate: the package's alpha on the units' value counts when they fit, else the same
    formula on the weighted patterns."""
    import krippendorff

    used = weights > 0
    if not used.any():
        return float("nan")
    present = patterns.counts[used].sum(axis=0) > 0
    if present.sum() < 2:
        return float("nan")  # one value only: no variation, alpha is undefined
    if int(weights.sum()) * int(present.sum()) ** 2 <= PACKAGE_CELLS:
        counts = np.repeat(patterns.counts[used][:, present], weights[used], axis=0)
        return float(krippendorff.alpha(value_counts=counts, value_domain=domain[present],
                                        level_of_measurement=metric))
    o = np.tensordot(weights.astype(float), contrib, axes=1)
    return float(alpha_from_coincidences(o, domain, metric))


def _interval(patterns: _Patterns, weights: np.ndarray, contrib: np.ndarray, domain: np.ndarray, metric: str,
              rng: np.random.Generator) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of alpha over resamples of the units (with replacement)."""
    total = int(weights.sum())
    if total < 2:
        return float("nan"), float("nan")
    draws = rng.multinomial(total, weights / total, size=BOOTSTRAP).astype(float)
    o = np.tensordot(draws, contrib, axes=1)
    alphas = alpha_from_coincidences(o, domain, metric)
    alphas = alphas[~np.isnan(alphas)]
    if len(alphas) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(alphas, [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


# -- the analysis -----------------------------------------------------------------------------

def analyse_agreement(inputs: RegionInputs) -> AgreementResult | None:
    """The agreement tables of a region verified with a ``verifier`` column (None without one)."""
    panel = inputs.panel
    if panel is None:
        return None
    m = inputs.methodology
    v = panel.verdicts
    codes, uniques = pd.factorize(np.round(v["value"].to_numpy(dtype=float), 9))
    rank = np.argsort(np.argsort(uniques))
    domain, value_idx = np.sort(uniques), rank[codes]
    values = domain[value_idx]
    item = panel.item_of_verdict  # a unit's verdicts are next to each other
    per_item = panel.items["verifiers"].to_numpy()
    multi = per_item[item] >= 2
    unit_of_item = np.cumsum(per_item >= 2) - 1
    who_code, who_names = pd.factorize(v[VERIFIER])
    q_code, q_names = pd.factorize(panel.items["question_id"])
    types = {q.id: q.type for q in m.questionnaire.questions}
    indicator_of = {q.id: q.indicator for q in m.questionnaire.questions}
    q_type = np.array([types[str(q)] for q in q_names], dtype=object)
    q_ind = np.array([indicator_of[str(q)] for q in q_names], dtype=object)
    rng = np.random.default_rng(SEED)
    rows = []
    several = bool(multi.any())

    unit = unit_of_item[item[multi]]
    pats = _patterns(unit, value_idx[multi], len(domain))
    contrib = pats.coincidences() if several else np.zeros((0, len(domain), len(domain)))
    unit_qcode = q_code[per_item >= 2]
    exact_pattern = (pats.counts > 0).sum(axis=1) == 1
    unit_verdicts = pats.counts.sum(axis=1)[pats.of_unit]

    def row(scope, indicator, mask_units):
        weights = np.bincount(pats.of_unit[mask_units], minlength=len(pats.counts))
        n = int(mask_units.sum())
        metric = _metric(q_type[np.bincount(unit_qcode[mask_units], minlength=len(q_type)) > 0]) if n else "interval"
        alpha = _alpha(pats, weights, contrib, domain, metric) if n else float("nan")
        low, high = _interval(pats, weights, contrib, domain, metric, rng) if n and not np.isnan(alpha) \
            else (float("nan"), float("nan"))
        exact = float(weights[exact_pattern].sum() / n) if n else float("nan")
        rows.append((scope, indicator, "", "", metric, n, int(unit_verdicts[mask_units].sum()), exact, alpha, low, high,
                     float("nan")))

    row("overall", "", np.ones(len(pats.of_unit), dtype=bool))
    unit_ind = q_ind[unit_qcode]
    for ind in m.questionnaire.indicators:
        row("indicator", ind.id, unit_ind == ind.id)
    names = sorted(str(n) for n in who_names)
    code_of = {str(n): i for i, n in enumerate(who_names)}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rows += _pair_row(a, b, who_code == code_of[a], who_code == code_of[b], item, len(per_item), value_idx,
                              domain, q_code, q_type, rng)
    agree = (panel.items["high"].to_numpy(dtype=float) - panel.items["low"].to_numpy(dtype=float)) <= 1e-9
    rows += _verifier_rows(values, who_code, code_of, item, multi, names, agree)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["answers"] = table["answers"].astype("Int64")
    table["verdicts"] = table["verdicts"].astype("Int64")
    return AgreementResult(table=table, disagreements=disagreement_table(panel, m), several=several, verifiers=names)


def _metric(kinds) -> str:
    return "ordinal" if set(kinds) == {"graded"} else "interval"


def _pair_row(a, b, in_a, in_b, item, n_items, value_idx, domain, question, q_type, rng) -> list[tuple]:
    """Agreement of two verifiers on the answers both judged (no row when they shared none)."""
    of_a = np.full(n_items, -1)
    of_a[item[in_a]] = value_idx[in_a]
    of_b = np.full(n_items, -1)
    of_b[item[in_b]] = value_idx[in_b]
    shared = np.flatnonzero((of_a >= 0) & (of_b >= 0))
    n = len(shared)
    if not n:
        return []
    unit = np.repeat(np.arange(n), 2)
    both = np.empty(2 * n, dtype=np.int64)
    both[0::2], both[1::2] = of_a[shared], of_b[shared]
    pats = _patterns(unit, both, len(domain))
    contrib = pats.coincidences()
    weights = np.bincount(pats.of_unit, minlength=len(pats.counts))
    metric = _metric(q_type[np.bincount(question[shared], minlength=len(q_type)) > 0])
    alpha = _alpha(pats, weights, contrib, domain, metric)
    low, high = _interval(pats, weights, contrib, domain, metric, rng) if not np.isnan(alpha) else (np.nan, np.nan)
    exact = float((of_a[shared] == of_b[shared]).mean())
    return [("pair", "", a, b, metric, n, 2 * n, exact, alpha, float(low), float(high), float("nan"))]


def _verifier_rows(values, who_code, code_of, item, multi, names, agree) -> list[tuple]:
    """Per verifier: the answers shared with others, exact agreement with all of them (``agree``:
    per answer), and the mean difference from the others' mean verdict (points of the question)."""
    total = np.bincount(item, weights=values, minlength=len(agree))
    count = np.bincount(item, minlength=len(agree))
    rows = []
    for name in names:
        mine = (who_code == code_of[name]) & multi
        n = int(mine.sum())
        if not n:
            rows.append(("verifier", "", name, "", "interval", 0, 0, np.nan, np.nan, np.nan, np.nan, np.nan))
            continue
        u = item[mine]
        others = (total[u] - values[mine]) / (count[u] - 1)
        diff = 100.0 * float(np.mean(values[mine] - others))
        rows.append(("verifier", "", name, "", "interval", n, n, float(agree[u].mean()), np.nan, np.nan, np.nan, diff))
    return rows


def write_agreement(res: AgreementResult, folder: Path) -> list[str]:
    """Write ``agreement.csv`` and ``disagreements.csv`` into ``folder``; returns their names."""
    folder = Path(folder)
    write_table_csv(res.table, folder / "agreement.csv", float_format="%.4f")
    write_table_csv(res.disagreements, folder / "disagreements.csv", float_format="%.4f")
    return list(AGREEMENT_FILES)
