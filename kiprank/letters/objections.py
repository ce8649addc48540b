"""What a letter says about the objection round (masa sanggah): in the preliminary letters, that the
results are preliminary and how and until when the body may object; in the final letters, what
became of each of the body's objections and what they changed. Words in
``kiprank/words/objections.<lang>.yml``; the round itself is :mod:`kiprank.report.objections_content`."""

from __future__ import annotations

import pandas as pd

from ..core.formatting import format_int, format_number
from ..report.objections_content import RoundView, shown, texts


def letter_stamp(view: RoundView | None, lang: str) -> str:
    """"HASIL SEMENTARA" for every page of a preliminary letter, else ""."""
    return texts(lang)["stamp"] if view is not None and view.preliminary else ""


def letter_subject(view: RoundView | None, lang: str, year: int) -> str | None:
    """The subject of a preliminary letter (None: the usual subject)."""
    if view is None or not view.preliminary:
        return None
    return texts(lang)["letter_subject_preliminary"].format(year=year)


def letter_round(view: RoundView | None, body_id: str, name: str, issuer: str, decimals: int,
                 lang: str) -> dict | None:
    """The letter's part on the round: ``heading``, ``paras`` and, in a final letter of a body that
    objected, ``list`` (a list as the shortfalls are: one group whose items have ``code``, ``label``,
    ``earned``: the decision and the values, ``advice``: the verifier's note) and ``after`` (what
    the decisions changed); None without a round."""
    if view is None:
        return None
    w = texts(lang)
    day = view.deadline(lang)
    if view.preliminary:
        return {"heading": w["letter_preliminary_heading"],
                "paras": [w["letter_preliminary"].format(name=name, date=day, issuer=issuer)]}
    mine = view.minutes[view.minutes["body_id"] == body_id] if view.minutes is not None else view.minutes
    if mine is None or mine.empty:
        return {"heading": w["letter_final_heading"], "paras": [w["letter_final_none"].format(name=name)]}
    num = lambda v: format_number(v, decimals, lang)  # noqa: E731
    rank = lambda v: w["no_rank"] if pd.isna(v) else format_int(v, lang)  # noqa: E731
    first = mine.iloc[0]
    items = []
    for o in mine.itertuples(index=False):
        if o.considered != "ya":
            decision = w["decision"]["late"]
            values = w["letter_item"].format(decision=decision, before=shown(o.before, lang), after=shown(o.before, lang))
        else:
            from ..core.objections import canonical_decision

            meaning, _ = canonical_decision(o.decision)
            values = w["letter_item"].format(decision=w["decision"].get(meaning, o.decision),
                                             before=shown(o.before, lang), after=shown(o.after, lang))
        items.append({"code": o.code, "label": o.label, "earned": values,
                      "advice": w["letter_item_note"].format(note=o.note) if o.note else ""})
    band = w["letter_band_same" if first.band_before == first.band_after else "letter_band_changed"].format(
        before=first.band_before, after=first.band_after)
    ranks = rank(first.rank_before), rank(first.rank_after)
    ranked = w["letter_rank_same" if ranks[0] == ranks[1] else "letter_rank_changed"].format(before=ranks[0],
                                                                                             after=ranks[1])
    moved = abs(float(first.final_after) - float(first.final_before)) > 1e-9
    effect = w["letter_final_effect" if moved else "letter_final_same"].format(
        before=num(first.final_before), after=num(first.final_after), band=band, rank=ranked)
    return {"heading": w["letter_final_heading"], "paras": [w["letter_final_intro"].format(name=name, n=format_int(
        len(mine), lang))], "list": {"heading": "", "intro": "", "none": "", "groups": [{"title": "", "items": items}]},
        "after": effect}


__all__ = ["letter_stamp", "letter_subject", "letter_round"]
