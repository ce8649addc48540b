"""``collect/collect-status.csv``: what ``kiprank collect`` found, per body and kind of return, and
what became of every file of the sources.

Columns (:func:`status_columns`):

- ``record``: ``body`` (one row per body of ``bodies.csv``) or ``file`` (one row per file of the
  sources);
- body rows: ``body_id``, ``name``, ``group`` (its label), ``status`` (the SAQ: returned (complete),
  returned with N questions unanswered, returned empty, not returned; rejected, with ``reason``, when
  printed for a refused collect), ``unanswered``, ``saq_source``, and per other kind the methodology
  has (``verification``, ``website``, each ``score`` stage id) ``<kind>_status`` (returned, returned
  empty, not returned) and ``<kind>_source``;
- file rows: ``file`` (as given, e.g. ``returns/saq/kec-a.xlsx``), ``kind`` (the kinds of return it
  held, ``; ``-separated), ``used`` (used / not used) and ``reason`` (what it held, or why it was not
  used: an older return that ``--latest`` passed over, no submission, a hidden or lock file, not a
  workbook or CSV export).

A collect of some kinds updates only those kinds' columns: the other columns, and the file rows of
other kinds, are kept from the previous status table (:func:`merge_previous`).
"""

from __future__ import annotations

import io

import pandas as pd

from ..core.wording import words
from .sources import Region, Return, SourceProblem

STATUS_FILE = "collect-status.csv"
FIXED = ["record", "body_id", "name", "group", "status", "unanswered", "saq_source"]
FILE_COLUMNS = ["file", "kind", "used", "reason"]
#: the header of status tables written before files and kinds were recorded (recognised as kiprank's)
OLD_COLUMNS = ["body_id", "name", "group", "status", "unanswered", "saq_source", "verification_source",
               "website_source", "scores_source", "reason"]


def other_kinds(region: Region) -> list[str]:
    m = region.methodology
    kinds = ["verification"] if m.stages_of("verification") else []
    kinds += ["website"] if m.stages_of("checklist") else []
    return kinds + [s.id for s in m.stages_of("score")]


def status_columns(region: Region) -> list[str]:
    return FIXED + [f"{k}_{c}" for k in other_kinds(region) for c in ("status", "source")] + FILE_COLUMNS


def is_status_header(line: str) -> bool:
    """Whether a CSV header line is one kiprank collect writes."""
    return line.startswith(",".join(FIXED[:5]) + ",") or line == ",".join(OLD_COLUMNS)


def _state(w: dict, ret: Return | None, saq: bool) -> tuple[str, str]:
    """(status label, unanswered count) of one kind of return of one body."""
    if ret is None:
        return w["status_not_returned"], ""
    if not ret.rows:
        return w["status_empty"], str(ret.unanswered) if saq else ""
    if saq and ret.unanswered:
        return w["status_partial"].format(n=ret.unanswered), str(ret.unanswered)
    return (w["status_complete"], "0") if saq else (w["status_returned"], "")


def status_table(region: Region, chosen: dict[tuple[str, str], Return], problems: list[SourceProblem],
                 kinds: set[str], files: list[tuple[str, str, list[Return], str | None]],
                 lang: str = "id") -> pd.DataFrame:
    """The status of this collect: body rows (columns of the kinds in ``kinds`` filled, the others
    empty) and file rows. ``files``: (label, skipped reason key or None, the returns read from it,
    problem text or None) per file of the sources."""
    w = words("forms", lang)
    columns = status_columns(region)
    rejected: dict[str, list[str]] = {}
    for p in problems:
        if p.body_id:
            rejected.setdefault(p.body_id, []).append(str(p))
    groups = region.setup.config.groups
    rows = []
    for body in region.setup.bodies.itertuples(index=False):
        bid = str(body.body_id)
        row = dict.fromkeys(columns, "")
        row.update(record="body", body_id=bid, name=str(body.name), group=groups.get(str(body.group), str(body.group)))
        if "saq" in kinds or bid in rejected:
            ret = chosen.get(("saq", bid))
            row["status"], row["unanswered"] = _state(w, ret, True)
            row["saq_source"] = ret.source if ret else ""
        if bid in rejected:
            row["status"], row["reason"] = w["status_rejected"], " | ".join(rejected[bid])
        for kind in other_kinds(region):
            if kind in kinds:
                ret = chosen.get((kind, bid))
                row[f"{kind}_status"] = _state(w, ret, False)[0]
                row[f"{kind}_source"] = ret.source if ret else ""
        rows.append(row)
    picked = {id(p) for r in chosen.values() for p in (r.parts or [r])}  # several verifiers: each form
    newest = {key: r.source for key, r in chosen.items()}
    for label, skipped, returns, problem in files:
        row = dict.fromkeys(columns, "")
        row.update(record="file", file=label, kind="; ".join(dict.fromkeys(r.kind for r in returns)))
        used = [r for r in returns if id(r) in picked]
        if skipped:
            row.update(used=w["file_ignored"], reason=w[skipped])
        elif problem:
            row.update(used=w["file_ignored"], reason=problem)
        elif used:
            bodies = sorted({r.body_id for r in used})
            shown = ", ".join(bodies[:3]) + (f" (+{len(bodies) - 3})" if len(bodies) > 3 else "")
            row.update(used=w["file_used"], reason=w["file_reason_return"].format(
                kind="; ".join(dict.fromkeys(r.kind for r in used)), bodies=shown))
        elif returns:
            row.update(used=w["file_ignored"], reason=w["file_reason_older"].format(
                newer=newest.get((returns[0].kind, returns[0].body_id), "")))
        else:
            row.update(used=w["file_ignored"], reason=w["file_reason_no_rows"])
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def read_previous(data: bytes | None) -> pd.DataFrame | None:
    """A status table kiprank wrote before (None when there is none or it cannot be read)."""
    if not data:
        return None
    try:
        text = data.decode("utf-8")
        if not is_status_header(text.split("\n", 1)[0].rstrip("\r")):
            return None
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError):
        return None


def merge_previous(status: pd.DataFrame, previous: pd.DataFrame | None, kinds: set[str], region: Region) -> pd.DataFrame:
    """``status`` with the columns of the kinds not collected now, and the file rows of those kinds,
    taken from the previous status table (by body id)."""
    if previous is None or "record" not in previous.columns:
        return status
    out = status.copy()
    before = previous[previous["record"] == "body"].drop_duplicates("body_id").set_index("body_id")
    keep = []
    if "saq" not in kinds:
        keep += ["status", "unanswered", "saq_source"]
    keep += [f"{k}_{c}" for k in other_kinds(region) if k not in kinds for c in ("status", "source")]
    bodies = out["record"] == "body"
    for col in keep:
        if col in before.columns:
            out.loc[bodies, col] = out.loc[bodies, "body_id"].map(before[col]).fillna("")
    files = previous[previous["record"] == "file"]
    again = set(out.loc[out["record"] == "file", "file"])
    old = files[[f not in again and bool(k) and not (set(k.split("; ")) & kinds)
                 for f, k in zip(files["file"], files["kind"])]]
    if len(old):
        out = pd.concat([out, old.reindex(columns=out.columns, fill_value="")], ignore_index=True)
    return out
