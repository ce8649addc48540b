"""Sentences about a body's change (the words are in ``kiprank/words/compare.<lang>.yml``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.formatting import check_lang, format_number
from ...core.methodology import Methodology, Stage, short_stage_label
from ...core.wording import words
from .decomposition import stage_changes

# smallest change named in a sentence (half a unit of the sentence's last decimal is the default)
EPS = 1e-9


def signed(value: float, decimals: int, lang: str) -> str:
    """'+1,23' / '−1,23' (a true minus sign) / '0,00'."""
    text = format_number(abs(value), decimals, lang)
    if text.strip("0,.") == "":
        return text
    return ("+" if value > 0 else "\u2212") + text


def drivers_sentence(decomposition: pd.DataFrame, key: str, methodology: Methodology | None = None,
                     lang: str = "id", decimals: int = 1, max_stages: int = 3, max_items: int = 2) -> str:
    """Name the largest drivers of one body's change, stage by stage, e.g.
    ``'SAQ turun 4,0 poin, terutama indikator Pengumuman informasi publik (−2,0) dan Penyediaan
    informasi publik (−2,0).'`` (points of the final score).

    Stages are named from the largest change down until they explain 80% of the body's total
    absolute stage change (at most ``max_stages``); within a stage, the ``max_items`` largest
    indicators that moved in the stage's direction. Changes below half a unit of the last shown
    decimal are not named. ``methodology`` (year 2's) gives short stage labels and tells checklist
    items from indicators.
    """
    w = words("compare", check_lang(lang))
    eps = 0.5 * 10 ** -decimals
    d = decomposition[decomposition["key"] == key]
    if d.empty:
        raise KeyError(f"no decomposition for '{key}'")
    stages = stage_changes(d)
    stages = stages.assign(size=stages["change"].abs()).sort_values("size", ascending=False, kind="mergesort")
    stages = stages[stages["size"] >= eps]
    if stages.empty:
        return w["drivers_no_change"].format(eps=format_number(eps, decimals + 1, lang))
    total = stages["size"].sum()
    parts, covered = [], 0.0
    for st in stages.itertuples():
        if len(parts) >= max_stages or covered >= 0.8 * total - EPS:
            break
        covered += st.size
        stage = _find_stage(methodology, st.stage)
        name = short_stage_label(stage, st.stage_label or st.stage)
        text = w["drivers_stage"].format(stage=name, change=format_number(abs(st.change), decimals, lang),
                                         direction=w["drivers_up"] if st.change > 0 else w["drivers_down"])
        items = d[(d["stage"] == st.stage) & (d["indicator"] != st.stage)]
        items = items[np.sign(items["change"]) == np.sign(st.change)]
        items = items.assign(size=items["change"].abs()).sort_values("size", ascending=False, kind="mergesort")
        items = items[items["size"] >= eps].head(max_items)
        if len(items):
            kind = "item" if stage is not None and stage.source == "checklist" else "indicator"
            noun = w[f"drivers_{kind}s"] if len(items) > 1 else w[f"drivers_{kind}"]
            named = [w["drivers_part"].format(label=row.label, change=signed(row.change, decimals, lang))
                     for row in items.itertuples()]
            joined = named[0] if len(named) == 1 else w["drivers_and"].format(first=", ".join(named[:-1]), last=named[-1])
            text += w["drivers_mainly"].format(noun=noun, parts=joined)
        parts.append(text)
    return w["drivers_sentence"].format(stages=w["drivers_stage_separator"].join(parts))


def _find_stage(m: Methodology | None, stage_id: str) -> Stage | None:
    if m is None:
        return None
    try:
        return m.stage(stage_id)
    except KeyError:
        return None
