"""Rank, score and band changes of the bodies matched one to one between two years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.methodology import Methodology
from ...core.scoring import ScoreResult
from .matching import match_bodies, one_to_one

def unrounded_finals(result: ScoreResult) -> pd.Series:
    """The unrounded final score of each body (sum of its indicator contributions), by body_id;
    NaN for a body that did not return the SAQ."""
    sums = result.indicators.groupby(result.indicators["body_id"].astype(str), sort=False)["contribution"].sum()
    returned = result.ranking.set_index(result.ranking["body_id"].astype(str))["returned"]
    return sums.reindex(returned.index).where(returned.astype(bool))


def band_state(ranking: pd.DataFrame, m: Methodology) -> pd.Series:
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
    out["band_1"] = band_state(a, m1).to_numpy()
    out["band_2"] = band_state(b, m2).to_numpy()
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
