"""How sure is a rank? Uncertainty and sensitivity of ranks and bands.

(About 710 lines: the draws are scored by vectorised code that must agree with the scorer step by
step, and keeping the region's matrices, the draws and their summaries in one module keeps that
agreement in one place; the report's section and chart are in kiprank.report.)

A published rank rests on choices: stage and indicator weights that are often not public, the
verifier's call on partly verified ("sebagian") answers. The methodology's ``robustness`` section
(:class:`~kiprank.core.methodology.Robustness`) says what varies and how. Each *draw* is one variant of
the ranking, scored exactly as :mod:`kiprank.core.scoring` scores (questions -> indicators -> stages ->
final, gates, half-up rounding to ``decimals``, bands on the rounded final, ranks within groups with
the methodology's tie rule): with zero spread every draw is the published ranking.

Uncertainty analysis (as in the JRC's COINr): over ``draws`` draws, each body's 5th, 50th and 95th
percentile of rank and of (rounded) score, the share of draws in each band, and the share of draws in
the top 3 of its group. Percentiles are the empirical ``inverted_cdf`` kind: an observed rank or
score (the k-th smallest of n draws, k = ceil(n p / 100)).

Sensitivity analysis: which input drives the spread. First-order (S1) and total (ST) Sobol'
indices of each input (stage weights, indicator weights, checklist item weights, the "sebagian"
calls; each a group of variables) on SALib's Saltelli design of a Sobol' sequence, for two outputs:
``rank``, the bodies' ranks, and ``band``, their bands (as the band's position in the list). Both
are vectors (one value per body); their indices are aggregated over the bodies: S1 of an input is
the share of the summed rank variance of all bodies that the input causes alone, ST the share it
causes alone or with other inputs (ST - S1: through interactions). An input that is not varied
has indices 0.

Vectorised: per-body indicator scores are computed once; a draw is a few matrix products with the
drawn weights. Draws are scored in chunks (bounded memory) and their random numbers come from
fixed blocks of 64 draws per input (``numpy.random.default_rng([seed, input, block])``), so the
results depend on the seed only, not on the chunk size.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import UsageError
from ..core.formulas import safe_text
from ..core.inputs import RegionInputs
from ..core.methodology import Methodology, Robustness, Stage, WeightNoise
from ..core.scoring import ScoreResult, indicator_weights, positions, question_matrix, score
from . import verifier_draws

#: The inputs that can vary, in the order of the sensitivity table.
INPUTS = ("stage_weights", "indicator_weights", "item_weights", "sebagian", "verifier")
# Random streams of their own (fixed numbers, so that adding an input changes no other stream).
_PER_BODY_STREAM, _BOOTSTRAP_STREAM, _VERIFIER_STREAM = 4, 5, 6
OUTPUTS = ("rank", "band")
PERCENTILES = (5, 50, 95)
BLOCK = 64                      # draws per block of random numbers
CHUNK_BYTES = 256 * 2**20       # working memory of one chunk of draws, roughly
MAX_KEPT_CELLS = 150_000_000    # draws x assessed bodies kept (ranks and scores as int32: 1.2 GB)
ROBUSTNESS_FILES = ("robustness.csv", "sensitivity.csv")

TABLE_COLUMNS_DOC = """body_id, group, rank, rank_p05, rank_median, rank_p95, score_p05, score_median,
score_p95, p_<band label> (one per band), p_top3"""


@dataclass
class RobustnessResult:
    """What :func:`analyse_robustness` returns.

    ``table`` (``robustness.csv``): one row per body in report order; columns body_id, group (the
    group id of bodies.csv), rank (published, nullable), rank_p05, rank_median, rank_p95 (nullable
    ints), score_p05, score_median, score_p95 (rounded to the methodology's decimals), one column
    ``p_<band label>`` per band (share of draws in that band; they sum to 1) and p_top3 (share of
    draws in the top 3 of its group). A body that did not return the SAQ has no draws: empty cells.
    ``sensitivity`` (``sensitivity.csv``): one row per output x input; columns output
    (``rank`` / ``band``), input (``stage_weights``, ``indicator_weights``,
    ``item_weights``, ``sebagian``; only those the methodology has), varied (bool), S1, S1_conf,
    ST, ST_conf (95 % bootstrap half-widths). Empty when ``sensitivity=False``.
    ``indistinct``: see :func:`indistinct_ranks`; ``uncertain``: see :func:`uncertain_bands`.
    ``settings``: what varied and how, the draws and the seed (recorded in the manifest).
    ``ranking``: the published ranking analysed (:attr:`kiprank.core.scoring.ScoreResult.ranking`).
    """

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    indistinct: pd.DataFrame
    uncertain: pd.DataFrame
    settings: dict
    methodology: Methodology
    ranking: pd.DataFrame


# -- settings ----------------------------------------------------------------------------------

def robustness_settings(methodology: Methodology, draws: int | None = None, seed: int | None = None,
                        sensitivity_samples: int | None = None) -> Robustness:
    """The methodology's robustness section with the command line's overrides, validated."""
    base = methodology.robustness
    changes = {k: v for k, v in (("draws", draws), ("seed", seed), ("sensitivity_samples", sensitivity_samples))
               if v is not None}
    if not changes:
        return base
    try:
        return Robustness.model_validate({**base.model_dump(), **changes})
    except Exception as exc:  # pydantic's ValidationError, named after the option
        problems = []
        for e in getattr(exc, "errors", lambda: [])():
            where = "--" + str(e["loc"][0]).replace("_", "-")
            problems.append(f"{where}: {e['msg'].removeprefix('Value error, ')} (got {e.get('input')!r})")
        raise UsageError("; ".join(problems) or str(exc)) from exc


def _settings_record(settings: Robustness, region: "_Region") -> dict:
    data = settings.model_dump()
    data["item_weights"] = settings.items.model_dump()
    data["inputs"] = region.input_names
    data["varied"] = [name for name in region.input_names if _varied(region, settings, name)]
    data["method"] = ("draws scored like kiprank.core.scoring; percentiles inverted_cdf; Sobol' S1/ST with SALib "
                      "(Saltelli design on a Sobol' sequence; outputs rank and band, aggregated over bodies)")
    return data


# -- the region as matrices ----------------------------------------------------------------------

@dataclass
class _Stage:
    stage: Stage
    weight_set: str | None          # which drawn weights: indicator_weights / item_weights / None
    base: np.ndarray | None         # assessed bodies x parts, 0-100 (as the published scoring has them)
    up: np.ndarray | None           # verification: what a fully lenient call adds (bodies x indicators)
    down: np.ndarray | None         # ... what a fully strict call removes
    fixed: np.ndarray | None        # score stage: per-body value (NaN: no score)
    verifiers: verifier_draws.Alternatives | None = None  # verification: whose verdict counts, per segment


@dataclass
class _Region:
    m: Methodology
    stages: list[_Stage]
    nominal: dict[str, np.ndarray]  # input name -> nominal weights
    assessed: np.ndarray            # positions (in inputs.bodies) of the bodies with draws, by group
    bounds: list[tuple[int, int]]   # group slices of the assessed bodies
    fixed_scores: np.ndarray        # rounded-score ints of ranked non-returners (nr.ranked), by group
    full_perm: np.ndarray           # assessed + fixed rows -> grouped order for ranking
    full_bounds: list[tuple[int, int]]
    nominal_rank: np.ndarray        # published rank of each assessed body
    nominal_band: np.ndarray        # published band index of each assessed body
    has_partial: bool

    @property
    def n(self) -> int:
        return len(self.assessed)

    @property
    def input_names(self) -> list[str]:
        return list(self.nominal) + (["sebagian"] if any(s.up is not None for s in self.stages) else []) + \
            (["verifier"] if any(verifier_draws.varied(s.verifiers) for s in self.stages) else [])


def _build_region(inputs: RegionInputs, result: ScoreResult, resample_verifier: bool = True) -> _Region:
    m = inputs.methodology
    bodies = inputs.bodies.reset_index(drop=True)
    ids = bodies["body_id"].tolist()
    returned = np.asarray(result.ranking.set_index("body_id").loc[ids, "returned"], dtype=bool)
    group_order = {g: i for i, g in enumerate(inputs.config.groups)}
    gcode = bodies["group"].map(group_order).to_numpy(dtype=np.int64)
    assessed = np.flatnonzero(returned)
    assessed = assessed[np.argsort(gcode[assessed], kind="stable")]
    a_ids = [ids[i] for i in assessed]

    claimed = question_matrix(inputs, a_ids) if m.questionnaire else None
    nominal: dict[str, np.ndarray] = {"stage_weights": np.array([s.weight for s in m.stages], dtype=float)}
    stages = []
    has_partial = False
    for stage in m.stages:
        if stage.source in ("questionnaire", "verification"):
            w, _, weights = indicator_weights(m)
            nominal["indicator_weights"] = weights.astype(float)
            if stage.source == "questionnaire":
                stages.append(_Stage(stage, "indicator_weights", claimed @ w, None, None, None))
            else:
                verified, up, down = _verified_parts(inputs, a_ids, claimed)
                alt = verifier_draws.alternatives(inputs, a_ids, claimed, verified, up, down, w) \
                    if resample_verifier else None
                has_partial = bool(up.any() or down.any() or (alt is not None and (alt.up.any() or alt.down.any())))
                stages.append(_Stage(stage, "indicator_weights", verified @ w, up @ w, down @ w, None, alt))
        elif stage.source == "checklist":
            matrix = result.matrices[stage.id][assessed]  # items present (0/1), as the scorer read them
            nominal["item_weights"] = np.array([i.weight for i in stage.items], dtype=float)
            stages.append(_Stage(stage, "item_weights", matrix * 100.0, None, None, None))
        else:
            table = inputs.scores[stage.id]
            values = pd.Series(table["score"].to_numpy(dtype=float), index=table["body_id"]).reindex(a_ids)
            # as scoring computes it: a (bodies x 1) matrix times the weight 100, over 100
            stages.append(_Stage(stage, None, None, None, None, values.to_numpy() * 100.0 / 100.0))
    order = ["stage_weights", "indicator_weights", "item_weights"]
    nominal = {k: nominal[k] for k in order if k in nominal}

    bounds = _bounds(gcode[assessed])
    ranking = result.ranking.set_index("body_id")
    nr = m.not_returned
    fixed = np.flatnonzero(~returned) if nr.ranked else np.array([], dtype=np.int64)
    fixed = fixed[np.argsort(gcode[fixed], kind="stable")]
    scale = 10.0 ** m.decimals
    fixed_scores = np.rint(ranking.loc[[ids[i] for i in fixed], "final"].to_numpy(dtype=float) * scale).astype(np.int64)
    full_codes = np.concatenate([gcode[assessed], gcode[fixed]])
    full_perm = np.argsort(full_codes, kind="stable")
    band_index = {b: i for i, b in enumerate(m.band_labels)}
    return _Region(
        m=m, stages=stages, nominal=nominal, assessed=assessed, bounds=bounds, fixed_scores=fixed_scores,
        full_perm=full_perm, full_bounds=_bounds(full_codes[full_perm]),
        nominal_rank=ranking.loc[a_ids, "rank"].to_numpy(dtype=np.int64),
        nominal_band=ranking.loc[a_ids, "band"].map(band_index).to_numpy(dtype=np.int64),
        has_partial=has_partial,
    )


def _bounds(codes: np.ndarray) -> list[tuple[int, int]]:
    """Slices of runs of equal (sorted) group codes."""
    if len(codes) == 0:
        return []
    cuts = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts, [len(codes)]])
    return list(zip(starts.tolist(), stops.tolist()))


def _verified_parts(inputs: RegionInputs, ids: list[str], claimed: np.ndarray):
    """The verified matrix as scoring builds it, and per partly verified answer how much a fully
    lenient call would add (up to the claim) and a fully strict one remove (down to nothing)."""
    qids = inputs.methodology.question_ids
    verified = np.zeros_like(claimed)
    up = np.zeros_like(claimed)
    down = np.zeros_like(claimed)
    ver = inputs.verification
    if len(ver):
        rows = positions(ver["body_id"], ids)
        cols = positions(ver["question_id"], qids)
        keep = rows >= 0  # rows of bodies without draws (non-returners)
        rows, cols = rows[keep], cols[keep]
        is_verified = (ver["verdict"] == "verified").to_numpy()[keep]
        partial = (ver["verdict"] == "partial").to_numpy()[keep]
        granted = np.nan_to_num(ver["granted_earned"].to_numpy(dtype=float)[keep])
        claim = claimed[rows, cols]
        nominal = np.minimum(granted, claim)
        verified[rows, cols] = np.where(is_verified, claim, np.where(partial, nominal, 0.0))
        up[rows[partial], cols[partial]] = (claim - nominal)[partial]
        down[rows[partial], cols[partial]] = nominal[partial]
    return verified, up, down


# -- drawing -----------------------------------------------------------------------------------

def _weights(noise: WeightNoise, nominal: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Drawn weights (draws x weights) from uniforms ``u`` in [0, 1), rescaled to the nominal total."""
    total = nominal.sum()
    if len(nominal) < 2 or not noise.varied:
        return np.broadcast_to(nominal, u.shape)
    if noise.distribution == "uniform":
        w = nominal * (1.0 + noise.spread * (2.0 * u - 1.0))
    else:
        from scipy.special import gammaincinv

        shape = noise.concentration * nominal / total
        w = gammaincinv(shape, np.clip(u, 1e-12, 1 - 1e-12))
    sums = w.sum(axis=1, keepdims=True)
    return np.where(sums > 0, w * (total / np.where(sums > 0, sums, 1.0)), nominal)


def _noise_of(settings: Robustness, name: str) -> WeightNoise:
    return {"stage_weights": settings.stage_weights, "indicator_weights": settings.indicator_weights,
            "item_weights": settings.items}[name]


def _block_uniforms(seed: int, block: int, count: int, shapes: dict[str, int], n_bodies: int,
                    per_body: bool) -> dict[str, np.ndarray]:
    """Uniforms of one block of draws: one independent stream per input (``shapes``: the
    inputs and their widths; ``sebagian`` is drawn per body or once per draw, ``verifier`` per body)."""
    out = {}
    for k, name in enumerate(INPUTS):
        if name == "verifier" and name in shapes:
            out[name] = np.random.default_rng([seed, _VERIFIER_STREAM, block]).random((count, n_bodies))
        elif name == "sebagian" and name in shapes:
            rng = np.random.default_rng([seed, k, block])
            out[name] = rng.random((count, n_bodies if per_body else 1))
        elif name in shapes:
            out[name] = np.random.default_rng([seed, k, block]).random((count, shapes[name]))
    return out


def _leniency(settings: Robustness, u: np.ndarray | None) -> np.ndarray | None:
    """Verifier's calls (bodies x draws, or 1 x draws), in [-spread, spread]."""
    if u is None or settings.sebagian.spread == 0:
        return None
    return (settings.sebagian.spread * (2.0 * u - 1.0)).T


def _score_draws(region: _Region, weights: dict[str, np.ndarray], calls: np.ndarray | None,
                 who: np.ndarray | None = None) -> np.ndarray:
    """Rounded final scores (as ints: score x 10^decimals) of the assessed bodies in ``n`` draws
    (bodies x draws), with the drawn weights (draws x weights), verifier's calls and, where several
    verifiers disagree, whose verdict counts (``who``: a uniform per body and draw, bodies x draws).

    The same operations as :func:`kiprank.core.scoring.score`, in the same order, so that nominal
    weights give the published scores bit for bit.
    """
    m = region.m
    n_draws = weights["stage_weights"].shape[0]
    shape = (region.n, n_draws)
    lenient = strict = None
    if calls is not None and region.has_partial:
        lenient, strict = np.maximum(calls, 0.0), np.minimum(calls, 0.0)
    scores: dict[str, np.ndarray] = {}
    for st in region.stages:
        if st.fixed is not None:  # a score stage: NaN (no score) counts 0 for those who take part
            values = st.fixed[:, None]
        else:
            w = weights[st.weight_set].T
            alt = st.verifiers if who is not None and verifier_draws.varied(st.verifiers) else None
            if alt is not None:  # each body scored as the verifier its draw picked
                segment = alt.segment(who)
                values = verifier_draws.pick(alt.base, w, segment)
            else:
                values = st.base @ w
            if st.up is not None and lenient is not None:
                values += lenient * (st.up @ w if alt is None else verifier_draws.pick(alt.up, w, segment))
                values += strict * (st.down @ w if alt is None else verifier_draws.pick(alt.down, w, segment))
            values /= 100.0
        gate = st.stage.gate
        if gate:
            before = np.nan_to_num(scores[gate.stage], nan=-1.0)
            if gate.min_score is not None:
                passed = _round_int(before, m.decimals) >= _lowest_int(gate.min_score - 1e-9, m.decimals)
            else:
                passed = _group_ranks(_round_int(before, m.decimals), region.bounds, "min") <= gate.top_n
            other = scores[gate.stage] if gate.otherwise == "carry" else float(gate.otherwise)
            values = np.where(passed, np.nan_to_num(values), other)
        elif st.fixed is not None:
            values = np.broadcast_to(np.nan_to_num(values), shape)
        scores[st.stage.id] = values
    final = np.zeros(shape)
    part = np.empty(shape)
    for i, st in enumerate(region.stages):
        np.multiply(weights["stage_weights"][:, i], scores[st.stage.id], out=part)
        part /= 100.0
        final += part
    return _round_int(final, m.decimals, out=final)


def _lowest_int(bound: float, decimals: int) -> int:
    """The smallest int k with k / 10^decimals >= bound (the test scoring makes on rounded scores)."""
    scale = 10.0 ** decimals
    k = math.ceil(bound * scale)
    while (k - 1) / scale >= bound:
        k -= 1
    while k / scale < bound:
        k += 1
    return k


def _round_int(values: np.ndarray, decimals: int, out: np.ndarray | None = None) -> np.ndarray:
    """Half-up rounding exactly as :func:`kiprank.core.methodology.round_half_up` (numpy's round to 6
    decimals, then floor(x + 0.5)), as ints (score x 10^decimals). ``out`` may be ``values``."""
    scaled = np.multiply(values, 10.0 ** decimals, out=out)
    scaled *= 1e6  # np.round(x, 6) is rint(x * 1e6) / 1e6
    np.rint(scaled, out=scaled)
    scaled /= 1e6
    scaled += 0.5
    np.floor(scaled, out=scaled)
    return scaled.astype(np.int32)


def _group_ranks(scores: np.ndarray, bounds: list[tuple[int, int]], ties: str) -> np.ndarray:
    """Ranks (1 = best) within each group slice of rows, per column: ``dense`` 1,2,2,3 or ``min``
    1,2,2,4, exactly like pandas' rank on the rounded scores."""
    out = np.empty(scores.shape, dtype=np.int32)
    scores = scores.astype(np.int32, copy=False)  # at most 100 x 10^4: smaller and faster to sort
    for start, stop in bounds:
        size = stop - start
        if size == 1:
            out[start] = 1
            continue
        block = np.ascontiguousarray(scores[start:stop].T)          # draws x bodies
        order = np.argsort(-block, axis=1)  # equal scores get equal ranks whatever their order
        ordered = np.take_along_axis(block, order, axis=1)
        new = np.empty(ordered.shape, dtype=bool)
        new[:, 0] = True
        np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new[:, 1:])
        if ties == "dense":
            ranked = np.cumsum(new, axis=1, dtype=np.int32)
        else:
            ranked = np.maximum.accumulate(np.where(new, np.arange(size, dtype=np.int32), 0), axis=1) + 1
        ranks = np.empty_like(ranked)
        np.put_along_axis(ranks, order, ranked, axis=1)
        out[start:stop] = ranks.T
    return out


def _ranks(region: _Region, ints: np.ndarray) -> np.ndarray:
    """Ranks of the assessed bodies (bodies x draws), ranked-non-returners taking part."""
    if len(region.fixed_scores) == 0:
        return _group_ranks(ints, region.bounds, region.m.ranking.ties)
    n_draws = ints.shape[1]
    full = np.concatenate([ints, np.broadcast_to(region.fixed_scores[:, None], (len(region.fixed_scores), n_draws))])
    ranked = _group_ranks(full[region.full_perm], region.full_bounds, region.m.ranking.ties)
    back = np.empty_like(ranked)
    back[region.full_perm] = ranked
    return back[: region.n]


def _band_index(region: _Region, ints: np.ndarray) -> np.ndarray:
    """Band of each rounded score, as the index in the methodology's band list (highest first)."""
    lowest = np.array([_lowest_int(b.min - 1e-9, region.m.decimals) for b in region.m.bands])[::-1]
    reached = np.searchsorted(lowest, ints, side="right")
    return np.clip(len(lowest) - reached, 0, len(lowest) - 1)


def _chunk_draws(n_bodies: int, draws: int) -> int:
    per_draw = max(n_bodies, 1) * 8 * 24
    blocks = max(1, CHUNK_BYTES // (per_draw * BLOCK))
    return min(blocks * BLOCK, math.ceil(draws / BLOCK) * BLOCK)


# -- the analysis ------------------------------------------------------------------------------

def analyse_robustness(inputs: RegionInputs, result: ScoreResult | None = None, *, draws: int | None = None,
                       seed: int | None = None, sensitivity: bool = True,
                       settings: Robustness | None = None) -> RobustnessResult:
    """Uncertainty (``draws`` draws) and, with ``sensitivity``, Sobol' sensitivity of a region's
    ranks and bands, under the methodology's ``robustness`` settings (``draws``/``seed`` override)."""
    result = result if result is not None else score(inputs)
    m = inputs.methodology
    settings = settings or robustness_settings(m, draws, seed)
    if "top3" in m.band_labels:
        raise UsageError("a band labelled 'top3' would share the column p_top3 of robustness.csv: rename the band")
    not_assessed = result.missing[result.missing["rule"] == "not-assessed"]
    if len(not_assessed):  # the draws below score missing values as 0 (missing: zero), never as left out
        shown = ", ".join(f"{r.body_id} ({r.stage})" for r in not_assessed.head(5).itertuples())
        raise UsageError(f"kiprank robustness cannot yet vary a ranking in which values are not assessed (the "
                         f"methodology's missing: not-assessed): {shown}"
                         + (f" and {len(not_assessed) - 5} more" if len(not_assessed) > 5 else "")
                         + "; give those values, or use missing: zero")
    region = _build_region(inputs, result, settings.verifier.resample)
    if settings.draws * region.n > MAX_KEPT_CELLS:
        raise UsageError(f"--draws {settings.draws} is too many for {region.n} assessed bodies: draws x bodies may be "
                         f"at most {MAX_KEPT_CELLS:,} (here at most {MAX_KEPT_CELLS // max(region.n, 1):,} draws)")
    stats = _uncertainty(region, settings)
    table = _robustness_table(inputs, result, region, stats)
    sens = _sensitivity(region, settings) if sensitivity else pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    return RobustnessResult(table=table, sensitivity=sens, indistinct=indistinct_ranks(table, result.ranking),
                            uncertain=uncertain_bands(table, result.ranking, m), settings=_settings_record(settings, region),
                            methodology=m, ranking=result.ranking)


def _draw_weights(region: _Region, settings: Robustness, u: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: _weights(_noise_of(settings, name), nominal, u[name]) for name, nominal in region.nominal.items()}


def _uncertainty(region: _Region, settings: Robustness) -> dict:
    """Percentiles of rank and score, band and top-3 counts of the assessed bodies."""
    n, draws = region.n, settings.draws
    n_bands = len(region.m.bands)
    ranks = np.empty((n, draws), dtype=np.int32)
    ints = np.empty((n, draws), dtype=np.int32)
    band_counts = np.zeros((n, n_bands), dtype=np.int64)
    top3 = np.zeros(n, dtype=np.int64)
    if n == 0:
        return {"ranks": ranks, "ints": ints, "bands": band_counts, "top3": top3, "draws": draws}
    shapes = {k: len(v) for k, v in region.nominal.items()}
    if settings.sebagian.spread > 0 and region.has_partial:
        shapes["sebagian"] = 1
    if "verifier" in region.input_names:
        shapes["verifier"] = 1
    per_body = settings.sebagian.per == "body"
    chunk = _chunk_draws(n, draws)
    for start in range(0, draws, chunk):
        stop = min(start + chunk, draws)
        parts = []
        for block in range(start // BLOCK, math.ceil(stop / BLOCK)):
            lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
            u = _block_uniforms(settings.seed, block, BLOCK, shapes, n, per_body)
            parts.append({k: v[lo - block * BLOCK: hi - block * BLOCK] for k, v in u.items()})
        u = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        weights = _draw_weights(region, settings, u)
        scored = _score_draws(region, weights, _leniency(settings, u.get("sebagian")), _who(u))
        chunk_ranks = _ranks(region, scored)
        ranks[:, start:stop] = chunk_ranks
        ints[:, start:stop] = scored
        bands = _band_index(region, scored)
        band_counts += np.stack([(bands == b).sum(axis=1) for b in range(n_bands)], axis=1)
        top3 += (chunk_ranks <= 3).sum(axis=1)
    return {"ranks": ranks, "ints": ints, "bands": band_counts, "top3": top3, "draws": draws}


def _percentiles(values: np.ndarray) -> np.ndarray:
    """5th, 50th and 95th ``inverted_cdf`` percentiles along the draws (bodies x 3)."""
    n = values.shape[1]
    kth = [max(0, -(-n * p // 100) - 1) for p in PERCENTILES]
    return np.sort(values, axis=1)[:, kth]  # faster than np.partition for int32 rows


def _robustness_table(inputs: RegionInputs, result: ScoreResult, region: _Region, stats: dict) -> pd.DataFrame:
    m = region.m
    ranking = result.ranking
    ids = inputs.bodies["body_id"].tolist()
    a_ids = [ids[i] for i in region.assessed]
    table = pd.DataFrame({"body_id": ranking["body_id"].astype(object), "group": ranking["group"].astype(object),
                          "rank": ranking["rank"].astype("Int64")})
    cols = {}
    if region.n:
        rank_q = _percentiles(stats["ranks"])
        score_q = _percentiles(stats["ints"]) / 10.0 ** m.decimals
        draws = stats["draws"]
        for j, name in enumerate(("p05", "median", "p95")):
            cols[f"rank_{name}"] = pd.Series(rank_q[:, j], index=a_ids, dtype="Int64")
        for j, name in enumerate(("p05", "median", "p95")):
            cols[f"score_{name}"] = pd.Series(score_q[:, j], index=a_ids, dtype=float)
        for b, band in enumerate(m.band_labels):
            cols[f"p_{band}"] = pd.Series(stats["bands"][:, b] / draws, index=a_ids, dtype=float)
        cols["p_top3"] = pd.Series(stats["top3"] / draws, index=a_ids, dtype=float)
    names = ([f"rank_{x}" for x in ("p05", "median", "p95")] + [f"score_{x}" for x in ("p05", "median", "p95")]
             + [f"p_{b}" for b in m.band_labels] + ["p_top3"])
    for name in names:
        dtype = "Int64" if name.startswith("rank_") else float
        if name in cols:
            table[name] = cols[name].reindex(table["body_id"]).to_numpy()
            table[name] = table[name].astype(dtype)
        else:
            table[name] = pd.Series([pd.NA if dtype == "Int64" else np.nan] * len(table), dtype=dtype)
    return table


# -- sensitivity -------------------------------------------------------------------------------

SENSITIVITY_COLUMNS = ["output", "input", "varied", "S1", "S1_conf", "ST", "ST_conf"]


def _who(u: dict[str, np.ndarray]) -> np.ndarray | None:
    """Whose verdict counts: the ``verifier`` uniforms as bodies x draws (None when not varied)."""
    return u["verifier"].T if "verifier" in u else None


def _varied(region: _Region, settings: Robustness, name: str) -> bool:
    if name == "sebagian":
        return settings.sebagian.spread > 0 and region.has_partial
    if name == "verifier":
        return "verifier" in region.input_names
    return _noise_of(settings, name).varied and len(region.nominal[name]) > 1


def _sensitivity(region: _Region, settings: Robustness) -> pd.DataFrame:
    """First-order and total Sobol' indices of each input for the bodies' ranks and bands.

    The design is SALib's Saltelli design on a Sobol' sequence (``sensitivity_samples`` base rows
    N, one group of columns per input). The output is a vector, one rank (or band) per body; its
    indices are aggregated over the bodies (Gamboa et al. 2014): S1 = sum over bodies of the
    variance due to the input alone / sum over bodies of the rank variance, ST likewise with the
    interactions. Estimators as SALib's (Saltelli 2010 first order, Jansen total), on ranks minus
    published ranks; 95 % half-widths from 100 bootstrap resamples of the base rows.
    """
    names = region.input_names
    if region.n == 0 or not names:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    n_base = settings.sensitivity_samples
    k = len(names)
    stride = k + 2  # rows per base row: A, AB_1 .. AB_k, B
    columns = _saltelli_design(region, names, n_base, settings.seed)
    design_rows = n_base * stride
    sums = {out: {"n1": np.zeros((n_base, k)), "n2": np.zeros((n_base, k)), "sq": np.zeros(n_base),
                  "s": np.zeros((n_base, region.n), dtype=np.float32)} for out in OUTPUTS}
    per_chunk = max(1, _chunk_draws(region.n, design_rows) // stride)
    for base0 in range(0, n_base, per_chunk):
        base1 = min(base0 + per_chunk, n_base)
        rows = slice(base0 * stride, base1 * stride)
        u = {name: v[rows] for name, v in columns.items()}
        if "sebagian" in u and settings.sebagian.per == "body":
            u["sebagian"] = _per_body_uniforms(settings.seed, u["sebagian"][:, 0], region.n)
        if "verifier" in u:
            u["verifier"] = _per_body_uniforms(settings.seed, u["verifier"][:, 0], region.n, _VERIFIER_STREAM)
        weights = _draw_weights(region, settings, u)
        scored = _score_draws(region, weights, _leniency(settings, u.get("sebagian")), _who(u))
        values = {"rank": _ranks(region, scored) - region.nominal_rank[:, None],
                  "band": _band_index(region, scored) - region.nominal_band[:, None]}
        for out, y in values.items():
            y = y.T.reshape(base1 - base0, stride, region.n).astype(float)  # base rows x design rows x bodies
            a, b, ab = y[:, 0], y[:, -1], y[:, 1:-1]
            acc = sums[out]
            acc["n1"][base0:base1] = np.einsum("jb,jib->ji", b, ab - a[:, None, :])
            acc["n2"][base0:base1] = 0.5 * ((a[:, None, :] - ab) ** 2).sum(axis=2)
            acc["sq"][base0:base1] = (a ** 2).sum(axis=1) + (b ** 2).sum(axis=1)
            acc["s"][base0:base1] = a + b
    return _indices(region, settings, names, sums, n_base)


def _saltelli_design(region: _Region, names: list[str], n_base: int, seed: int) -> dict[str, np.ndarray]:
    """SALib's Saltelli design (Sobol' sequence, ``n_base`` base rows of A, AB_1 .. AB_k, B), split
    into each input's uniforms (design rows x the input's width; ``sebagian`` and ``verifier`` one
    column each)."""
    from SALib.sample import sobol as sobol_sample

    widths = {k: len(v) for k, v in region.nominal.items()}
    for name in ("sebagian", "verifier"):
        if name in names:
            widths[name] = 1
    groups = [name for name in names for _ in range(widths[name])]
    problem = {"num_vars": len(groups), "names": [f"{g}_{i}" for i, g in enumerate(groups)],
               "bounds": [[0.0, 1.0]] * len(groups), "groups": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's advice on N (a power of two is checked) and skip_values
        design = sobol_sample.sample(problem, n_base, calc_second_order=False, scramble=True, seed=seed)
    if len(design) != n_base * (len(names) + 2):
        # SALib treats a single group as no groups (one AB row per column): the group's AB row is B
        assert len(names) == 1
        design = design.reshape(n_base, -1, design.shape[1])[:, [0, -1, -1]].reshape(-1, design.shape[1])
    columns, at = {}, 0
    for name in names:
        columns[name] = design[:, at: at + widths[name]]
        at += widths[name]
    return columns


def _indices(region: _Region, settings: Robustness, names: list[str], sums: dict, n_base: int) -> pd.DataFrame:
    """The table of :func:`_sensitivity` from the sums over the base rows: S1 and ST per output and
    input, with 95 % half-widths from 100 bootstrap resamples of the base rows."""
    k = len(names)
    rng = np.random.default_rng([settings.seed, _BOOTSTRAP_STREAM])
    resamples = np.stack([np.bincount(rng.integers(0, n_base, n_base), minlength=n_base) for _ in range(100)])
    z = 1.959963984540054  # two-sided 95 %
    rows = []
    for out in OUTPUTS:
        acc = sums[out]
        gram = acc["s"].astype(float) @ acc["s"].astype(float).T

        def indices(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            total = (c @ acc["sq"]) / (2 * n_base) - (c @ gram @ c) / (2 * n_base) ** 2
            if total <= 1e-12:
                return np.zeros(k), np.zeros(k)
            return (c @ acc["n1"]) / n_base / total, (c @ acc["n2"]) / n_base / total

        s1, st = indices(np.ones(n_base))
        boot = [indices(c.astype(float)) for c in resamples]
        s1_conf = z * np.std([x[0] for x in boot], axis=0, ddof=1)
        st_conf = z * np.std([x[1] for x in boot], axis=0, ddof=1)
        for i, name in enumerate(names):
            rows.append((out, name, _varied(region, settings, name), float(s1[i]), float(s1_conf[i]),
                         float(st[i]), float(st_conf[i])))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def _per_body_uniforms(seed: int, keys: np.ndarray, n_bodies: int, stream: int = _PER_BODY_STREAM) -> np.ndarray:
    """One uniform per body for each design row: the row's Sobol' value seeds the stream, so rows
    A and B of the design draw independent calls and AB rows take B's calls (a grouped input)."""
    out = np.empty((len(keys), n_bodies))
    for i, key in enumerate(keys):
        out[i] = np.random.default_rng([seed, stream, int(key * 2**53)]).random(n_bodies)
    return out


# -- summaries for the report ------------------------------------------------------------------

def indistinct_ranks(table: pd.DataFrame, ranking: pd.DataFrame) -> pd.DataFrame:
    """Per group, the sets of published ranks that cannot be told apart: the largest sets of bodies
    whose 5-95 % rank intervals all share at least one rank (a vertical line on the rank-interval
    chart crossing all their intervals). Every two bodies of a set could swap places; bodies of
    different sets need not. Only sets with at least two different published ranks are listed.

    Columns: group (id), ranks (tuple of the published ranks, ascending), body_ids, names (tuples,
    in published order).
    """
    cols = ["group", "ranks", "body_ids", "names"]
    names = ranking.set_index("body_id")["name"]
    rows = []
    data = table[table["rank_p05"].notna()]
    for group, part in data.groupby("group", sort=False):
        lo = part["rank_p05"].to_numpy(dtype=int)
        hi = part["rank_p95"].to_numpy(dtype=int)
        nominal = part["rank"].to_numpy(dtype=int)
        ids = part["body_id"].to_numpy(dtype=object)
        labels = names.reindex(ids).to_numpy(dtype=object)
        # the sets change only where an interval starts or just after one ends: runs of ranks with
        # the same set; a run's set is largest iff one of its intervals starts at the run's first
        # rank and one ends at its last (else it lies inside the set before or after it)
        # (no interval starts inside a run, so an interval ending at its last rank is in its set)
        edges = np.unique(np.concatenate([lo, hi + 1]))
        first, last = edges[:-1], edges[1:] - 1
        largest = np.isin(first, lo) & np.isin(last, hi)
        for start in first[largest]:
            members = np.flatnonzero((lo <= start) & (start <= hi))
            members = members[np.lexsort((members, nominal[members]))]
            ranks = tuple(np.unique(nominal[members]).tolist())
            if len(ranks) >= 2:
                rows.append((group, ranks, tuple(ids[members].tolist()), tuple(labels[members].tolist())))
    return pd.DataFrame(rows, columns=cols)


def uncertain_bands(table: pd.DataFrame, ranking: pd.DataFrame, methodology: Methodology) -> pd.DataFrame:
    """Bodies whose published band is not certain (it holds in fewer than all draws), in report
    order. Columns: body_id, name, group, rank, band (published), p_band (its share of draws),
    then the ``p_<band>`` columns of :attr:`RobustnessResult.table`."""
    p_cols = [f"p_{b}" for b in methodology.band_labels]
    merged = table.merge(ranking[["body_id", "name", "band"]], on="body_id", how="left")
    merged = merged[merged["p_top3"].notna()].copy()
    lookup = {b: i for i, b in enumerate(methodology.band_labels)}
    values = merged[p_cols].to_numpy(dtype=float)
    merged["p_band"] = values[np.arange(len(merged)), merged["band"].map(lookup).to_numpy(dtype=int)] if len(merged) else []
    out = merged[merged["p_band"] < 1.0]
    return out[["body_id", "name", "group", "rank", "band", "p_band", *p_cols]].reset_index(drop=True)


# -- writing -----------------------------------------------------------------------------------

def _text_table(table: pd.DataFrame, decimals: int, text: tuple[str, ...], fixed: dict[str, int]) -> pd.DataFrame:
    """Cells as text: user text neutralised (never a formula; column names too: ``p_<band label>``
    holds a methodology's text), fixed-decimal numbers where asked, other floats in their shortest
    exact form, empty for missing."""
    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        series = table[col]
        if col in text:
            out[col] = series.map(lambda v: "" if v is None or v is pd.NA else safe_text(str(v)))
        elif col in fixed:
            out[col] = series.map(lambda v: "" if pd.isna(v) else f"{float(v):.{fixed[col]}f}")
        elif pd.api.types.is_bool_dtype(series):
            out[col] = series.map(lambda v: "true" if v else "false")
        elif pd.api.types.is_integer_dtype(series):
            out[col] = series.map(lambda v: "" if pd.isna(v) else str(int(v)))
        else:
            out[col] = series.map(lambda v: "" if pd.isna(v) else repr(float(v)))
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def write_robustness(res: RobustnessResult, folder: Path) -> list[str]:
    """Write ``robustness.csv`` and ``sensitivity.csv`` into ``folder``; returns their names."""
    folder = Path(folder)
    d = res.methodology.decimals
    table = _text_table(res.table, d, ("body_id", "group"),
                        {f"score_{x}": d for x in ("p05", "median", "p95")})
    table.to_csv(folder / "robustness.csv", index=False, lineterminator="\n", encoding="utf-8")
    sens = _text_table(res.sensitivity, 4, ("output", "input"), {c: 4 for c in ("S1", "S1_conf", "ST", "ST_conf")})
    sens.to_csv(folder / "sensitivity.csv", index=False, lineterminator="\n", encoding="utf-8")
    return list(ROBUSTNESS_FILES)
