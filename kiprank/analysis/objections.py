"""The minutes of an objection round (berita acara sanggah) as tables: every objection, its decision,
the verifier, and its effect on the body's final score, band and rank, from the preliminary
results (before) and the final results (after); and the round's totals.

Pure functions over scored tables (:mod:`kiprank.core.objections`, :mod:`kiprank.core.scoring`);
``kiprank/runs/objection_round.py`` writes them as ``sanggah.csv`` and, through the report layer,
``sanggah.pdf``.
"""

from __future__ import annotations

import pandas as pd

from ..core.objections import ObjectionRound, targets
from ..core.scoring import ScoreResult

#: the columns of ``sanggah.csv``, in order
MINUTES_COLUMNS = ["body_id", "name", "group", "stage", "code", "label", "before", "claimed", "reason", "evidence",
                   "received", "late", "considered", "decision", "after", "verifier", "note", "final_before",
                   "final_after", "band_before", "band_after", "rank_before", "rank_after", "source"]
TOTAL_KEYS = ("received", "considered", "late", "late_considered", "accepted", "partial", "rejected", "bodies",
              "bodies_changed", "band_changed")


def objection_minutes(rnd: ObjectionRound, before: ScoreResult, after: ScoreResult) -> pd.DataFrame:
    """One row per objection (columns :data:`MINUTES_COLUMNS`), late ones included (``considered``
    False, no decision), in report order of the preliminary ranking, then in methodology order.
    ``final_before`` .. ``rank_after``: the body's published final score, band and rank in the
    preliminary and the final results: the effect of all the body's decisions together (and of the
    other bodies' decisions on its rank)."""
    objections = rnd.objections
    if objections.empty:
        return pd.DataFrame(columns=MINUTES_COLUMNS)
    b = before.ranking.set_index("body_id")
    a = after.ranking.set_index("body_id")
    order = {body: i for i, body in enumerate(before.ranking["body_id"])}
    position = {k: i for i, k in enumerate(targets(before.methodology))}
    decided = {(d.body_id, d.stage, d.code): d for d in rnd.decisions.itertuples(index=False)}
    rows = []
    for o in objections.itertuples(index=False):
        d = decided.get((o.body_id, o.stage, o.code))
        rows.append({
            "body_id": o.body_id, "name": b.at[o.body_id, "name"], "group": b.at[o.body_id, "group_label"],
            "stage": o.stage, "code": o.code, "label": o.label, "before": o.before, "claimed": o.claimed,
            "reason": o.reason, "evidence": o.evidence, "received": o.received, "late": "ya" if o.late else "tidak",
            "considered": "ya" if o.considered else "tidak", "decision": d.decision if d is not None else "",
            "after": d.after if d is not None else "", "verifier": d.verifier if d is not None else "",
            "note": d.note if d is not None else "", "final_before": b.at[o.body_id, "final"],
            "final_after": a.at[o.body_id, "final"], "band_before": b.at[o.body_id, "band"],
            "band_after": a.at[o.body_id, "band"], "rank_before": b.at[o.body_id, "rank"],
            "rank_after": a.at[o.body_id, "rank"], "source": o.source,
            "_order": (order.get(o.body_id, len(order)), position.get((o.stage, o.code), 0)),
        })
    table = pd.DataFrame(rows).sort_values("_order", kind="mergesort").drop(columns="_order")
    for col in ("rank_before", "rank_after"):
        table[col] = table[col].astype("Int64")
    return table[MINUTES_COLUMNS].reset_index(drop=True)


def objection_totals(minutes: pd.DataFrame) -> dict[str, int]:
    """How many objections were received, considered, late (and of those considered), accepted,
    partly accepted and rejected; how many bodies objected, and how many of them changed score
    (``bodies_changed``) or band (``band_changed``)."""
    m = minutes
    considered = m["considered"] == "ya"
    late = m["late"] == "ya"
    by_body = m.drop_duplicates("body_id")
    moved = by_body["final_before"].astype(float).sub(by_body["final_after"].astype(float)).abs() > 1e-9
    return {
        "received": len(m), "considered": int(considered.sum()), "late": int(late.sum()),
        "late_considered": int((late & considered).sum()),
        "accepted": int((m["decision"] == "diterima").sum()), "partial": int((m["decision"] == "diterima sebagian").sum()),
        "rejected": int((m["decision"] == "ditolak").sum()), "bodies": int(m["body_id"].nunique()),
        "bodies_changed": int(moved.sum()), "band_changed": int((by_body["band_before"] != by_body["band_after"]).sum()),
    }


def body_effects(minutes: pd.DataFrame) -> pd.DataFrame:
    """One row per body that objected: body_id, name, group, objections, accepted (accepted or
    partly accepted), final_before, final_after, change, band_before, band_after, rank_before,
    rank_after, in the minutes' order."""
    if minutes.empty:
        return pd.DataFrame(columns=["body_id", "name", "group", "objections", "accepted", "final_before",
                                     "final_after", "change", "band_before", "band_after", "rank_before",
                                     "rank_after"])
    m = minutes.assign(ok=minutes["decision"].isin(["diterima", "diterima sebagian"]))
    first = m.drop_duplicates("body_id").set_index("body_id")
    counts = m.groupby("body_id", sort=False).agg(objections=("code", "size"), accepted=("ok", "sum"))
    out = first[["name", "group", "final_before", "final_after", "band_before", "band_after", "rank_before",
                 "rank_after"]].join(counts)
    out["change"] = out["final_after"].astype(float) - out["final_before"].astype(float)
    out = out.reset_index()
    return out[["body_id", "name", "group", "objections", "accepted", "final_before", "final_after", "change",
                "band_before", "band_after", "rank_before", "rank_after"]]


__all__ = ["MINUTES_COLUMNS", "TOTAL_KEYS", "objection_minutes", "objection_totals", "body_effects"]
