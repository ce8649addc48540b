"""Corrections: what changed between two published runs of the same ranking.

When a calculation error is found after publication (KI Pusat 2024 had to issue a second decree
for Pemprov Kaltim), the commission needs the list of every body whose score, band or rank
changed, with old and new values. :func:`diff_rankings` builds it from two outputs folders;
:func:`kiprank.report.corrections.write_diff` publishes it as CSV, HTML and PDF.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import UsageError

DIFF_COLUMNS = ["group", "body_id", "name", "final_old", "final_new", "final_change",
                "band_old", "band_new", "rank_old", "rank_new", "what_changed"]


def read_ranking(folder: Path) -> pd.DataFrame:
    path = Path(folder) / "ranking.csv"
    if not path.is_file():
        raise UsageError(f"{path} is missing: give an outputs folder of a kiprank run")
    table = pd.read_csv(path, dtype={"body_id": str, "name": str, "band": str, "group": str},
                        keep_default_na=False, na_values={"final": [""], "rank": [""]})
    table["rank"] = pd.to_numeric(table["rank"], errors="coerce").astype("Int64")
    table["final"] = pd.to_numeric(table["final"], errors="coerce")
    return table


def diff_rankings(old_folder: Path, new_folder: Path) -> pd.DataFrame:
    """Every body whose final score, band or rank differs between two runs (columns
    ``DIFF_COLUMNS``; ``what_changed`` lists score/band/rank, or added/removed)."""
    old, new = read_ranking(old_folder), read_ranking(new_folder)
    keep = ["body_id", "group", "name", "final", "band", "rank"]
    both = old[keep].merge(new[keep], on="body_id", how="outer", suffixes=("_old", "_new"), indicator="presence")
    rows = []
    for row in both.itertuples(index=False):
        what = []
        if row.presence == "left_only":
            what = ["removed"]
        elif row.presence == "right_only":
            what = ["added"]
        else:
            if not _same(row.final_old, row.final_new):
                what.append("score")
            if row.band_old != row.band_new:
                what.append("band")
            if not _same(row.rank_old, row.rank_new):
                what.append("rank")
        if what:
            rows.append({
                "group": row.group_new if isinstance(row.group_new, str) else row.group_old,
                "body_id": row.body_id,
                "name": row.name_new if isinstance(row.name_new, str) else row.name_old,
                "final_old": row.final_old, "final_new": row.final_new,
                "final_change": row.final_new - row.final_old,
                "band_old": row.band_old, "band_new": row.band_new,
                "rank_old": row.rank_old, "rank_new": row.rank_new,
                "what_changed": ", ".join(what),
            })
    table = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    return table.sort_values(["group", "rank_new", "body_id"], na_position="last", kind="mergesort").reset_index(drop=True)


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) < 1e-9
