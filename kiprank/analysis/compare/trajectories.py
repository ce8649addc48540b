"""Each body followed over the years compared, and the body a user names (``--focus``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...core.errors import UsageError
from .changes import band_state, unrounded_finals
from .matching import one_to_one
from .model import Comparison, PairComparison

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
        state = band_state(r, run.methodology)
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
