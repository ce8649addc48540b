"""Corrections: what changed between two published runs of the same ranking.

When a calculation error is found after publication (KI Pusat 2024 had to issue a second decree
for Pemprov Kaltim), the commission needs the list of every body whose score, band or rank
changed, with old and new values. :func:`diff_rankings` builds it from two outputs folders;
:func:`kiprank.runs.corrections.write_diff` publishes it as CSV, HTML and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..core.errors import UsageError
from ..core.files import MANIFEST, NotUtf8Error, read_json_object, utf8_text
from ..core.formulas import unguard

RANKING_COLUMNS = ("body_id", "name", "group", "final", "band", "rank")

DIFF_COLUMNS = ["group", "body_id", "name", "final_old", "final_new", "final_change",
                "band_old", "band_new", "rank_old", "rank_new", "what_changed"]


def read_ranking(folder: Path) -> pd.DataFrame:
    """``ranking.csv`` of a kiprank run folder; :class:`UsageError` (exit 2) naming the file, row
    and column when it is missing, not UTF-8, not a CSV table or not a kiprank ranking."""
    import csv
    import io

    path = Path(folder) / "ranking.csv"
    if not path.is_file():
        raise UsageError(f"{path} is missing: give an outputs folder of a kiprank run")
    raw = path.read_bytes()
    try:
        text = utf8_text(raw)
    except NotUtf8Error as exc:
        raise UsageError(f"{path}, row {exc.line}: {exc}: not a ranking.csv written by kiprank") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise UsageError(f"{path}: not a well-formed CSV table ({exc})") from None
    if not rows:
        raise UsageError(f"{path} is empty: not a ranking.csv written by kiprank")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in RANKING_COLUMNS if c not in header]
    if missing:
        raise UsageError(f"{path}, row 1: column(s) {', '.join(repr(c) for c in missing)} missing: "
                         "not a ranking.csv written by kiprank")
    for line, row in enumerate(rows[1:], start=2):
        if row and len(row) != len(header):
            raise UsageError(f"{path}, row {line}: {len(row)} fields, the header has {len(header)}")
    table = pd.DataFrame([r for r in rows[1:] if r], columns=header, dtype=object)
    table = table.loc[:, ~pd.Index(header).duplicated()]
    for col in ("body_id", "name", "band", "group"):
        table[col] = table[col].map(unguard)
    raw_final = [str(v).replace(",", ".") for v in table["final"]]
    for col in ("final", "rank"):
        number = pd.to_numeric(table[col].str.replace(",", ".", regex=False).replace("", None), errors="coerce")
        bad = number.isna() & (table[col].str.strip() != "")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 2
            raise UsageError(f"{path}, row {row}, column '{col}': '{table[col].iloc[row - 2]}' is not a number")
        table[col] = number
    table["rank"] = table["rank"].round().astype("Int64")
    table.attrs["decimals"] = _decimals(raw_final)
    return table


def _decimals(texts) -> int:
    """The precision a ranking was published at: the decimals of its scores as written."""
    found = [len(t.strip().split(".", 1)[1]) if "." in t else 0 for t in texts if t and t.strip()]
    return max(found) if found else 2


@dataclass
class Published:
    """What a corrections list says about each of the two rankings it compares (never a path on
    this machine): ``date`` is the publication's report date (the decree's date) when recorded,
    ``fingerprint`` its manifest fingerprint, ``decimals`` the precision its scores were published at."""

    year: int | None = None
    region_id: str = ""
    region: str = ""
    issuer: str = ""
    date: date | None = None
    fingerprint: str = ""
    decimals: int = 2


def published_facts(folder: Path, decimals: int | None = None) -> Published:
    """The year, region, issuer, date and fingerprint of a published ranking folder, from its
    ``manifest.json``, its ``report-content.json`` and the ``region.yml`` of the inputs it records
    (each when it is there); what none of them records stays empty."""
    folder = Path(folder)
    manifest = read_json_object(folder / MANIFEST) or {}
    content = read_json_object(folder / "report-content.json") or {}
    return manifest_facts(manifest, content.get("meta") if isinstance(content.get("meta"), dict) else {}, decimals)


def manifest_facts(manifest: dict, meta: dict | None = None, decimals: int | None = None) -> Published:
    """:func:`published_facts` from a publication's manifest (and its report's ``meta``), for a
    publication being made (its manifest not yet written)."""
    meta = meta or {}
    params = manifest.get("parameters") if isinstance(manifest.get("parameters"), dict) else {}
    facts = Published(region_id=str(manifest.get("region") or ""), fingerprint=str(manifest.get("fingerprint") or ""))
    try:
        facts.year = int(manifest.get("year"))
    except (TypeError, ValueError):
        facts.year = None
    config = _region_config(manifest, (manifest.get("inputs") or {}).get("region.yml"))
    facts.region = str(config.get("region") or "") or facts.region_id
    facts.issuer = str(config.get("issuer") or meta.get("author") or "")
    day = params.get("report_date") or config.get("report_date")
    try:
        facts.date = day if isinstance(day, date) else date.fromisoformat(str(day)) if day else None
    except ValueError:
        facts.date = None
    if decimals is not None:
        facts.decimals = decimals
    return facts


def _region_config(manifest: dict, sha256) -> dict:
    """``region.yml`` of the inputs folder a manifest records, while it is the file the run used
    (the hash the manifest recorded): a region.yml edited since (a new decree's date) says
    nothing about the earlier publication."""
    from ..core.files import sha256_file
    from ..core.yamlfile import load_yaml

    from ..core.files import inputs_place

    if not isinstance(sha256, str):
        return {}
    try:
        _, folder = inputs_place(manifest)
    except ValueError:
        return {}
    path = folder / "region.yml"
    try:
        if sha256_file(path) != sha256:
            return {}
        data = load_yaml(path)
    except Exception:  # moved, removed or damaged inputs: the facts come from the outputs alone
        return {}
    return data if isinstance(data, dict) else {}


def diff_rankings(old_folder: Path, new_folder: Path) -> pd.DataFrame:
    """Every body whose final score, band or rank differs between two runs (columns
    ``DIFF_COLUMNS``; ``what_changed`` lists score/band/rank, or added/removed). Scores and their
    change are rounded to the precision the rankings were published at (``attrs["decimals"]``)."""
    old, new = read_ranking(old_folder), read_ranking(new_folder)
    decimals = max(old.attrs["decimals"], new.attrs["decimals"])
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
                "final_change": round(row.final_new - row.final_old, decimals),
                "band_old": row.band_old, "band_new": row.band_new,
                "rank_old": row.rank_old, "rank_new": row.rank_new,
                "what_changed": ", ".join(what),
            })
    table = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    for col in ("final_old", "final_new", "final_change"):
        table[col] = pd.to_numeric(table[col]).round(decimals)
    table = table.sort_values(["group", "rank_new", "body_id"], na_position="last", kind="mergesort").reset_index(drop=True)
    table.attrs["decimals"] = decimals
    return table


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) < 1e-9
