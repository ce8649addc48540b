"""What differs between two years' methodologies, and whether they score alike."""

from __future__ import annotations

import pandas as pd

from ...core.methodology import Methodology

DIFFERENCE_COLUMNS = ["part", "id", "attribute", "value_1", "value_2", "affects_scores"]


def _fmt(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if hasattr(value, "model_dump"):
        return _fmt({k: v for k, v in value.model_dump().items() if v is not None})
    return str(value)


def methodology_differences(m1: Methodology, m2: Methodology) -> pd.DataFrame:
    """What differs between two methodologies, one row per difference; columns:

    - ``part``: ``methodology``, ``stage``, ``indicator``, ``question``, ``item`` (checklist),
      ``band``, ``rule``;
    - ``id``: the id of the stage / indicator / question / item, the band label or the rule name;
    - ``attribute``: what differs (``weight``, ``label``, ``source``, ``gate``, ``indicator``,
      ``type``, ``options``, ``max``, ``text``, ``min``, ``order``, ``decimals``, ``ties``, ...) or
      ``presence`` (the thing exists in one year only);
    - ``value_1``, ``value_2``: the values as text (None: absent);
    - ``affects_scores``: False for names and texts, which do not change any score.

    An empty table means the two methods are the same.
    """
    rows: list[tuple] = []

    def add(part, id_, attribute, v1, v2, affects=True):
        a, b = _fmt(v1), _fmt(v2)
        if a != b:
            rows.append((part, id_, attribute, a, b, affects))

    add("methodology", "id", "id", m1.id, m2.id, False)
    add("methodology", "name", "name", m1.name, m2.name, False)
    add("rule", "decimals", "decimals", m1.decimals, m2.decimals)
    _compare_list(add, "stage", m1.stages, m2.stages, lambda s: f"{s.label} ({s.weight:g})",
                  [("label", False), ("weight", True), ("source", True), ("gate", True)])
    q1 = m1.questionnaire
    q2 = m2.questionnaire
    if (q1 is None) != (q2 is None):
        add("questionnaire", "questionnaire", "presence", "yes" if q1 else None, "yes" if q2 else None)
    if q1 and q2:
        _compare_list(add, "indicator", q1.indicators, q2.indicators, lambda i: f"{i.label} ({i.weight:g})",
                      [("label", False), ("weight", True)])
        _compare_list(add, "question", q1.questions, q2.questions, lambda q: f"{q.indicator}, {q.type}",
                      [("indicator", True), ("type", True), ("options", True), ("max", True), ("weight", True),
                       ("text", False)], order=False)
    items1 = {s.id: s for s in m1.stages_of("checklist")}
    items2 = {s.id: s for s in m2.stages_of("checklist")}
    for sid in items1.keys() & items2.keys():
        _compare_list(add, "item", items1[sid].items, items2[sid].items, lambda i: f"{i.label} ({i.weight:g})",
                      [("label", False), ("weight", True), ("category", False)], prefix=f"{sid}.")
    _compare_list(add, "band", m1.bands, m2.bands, lambda b: f"{b.min:g}", [("min", True), ("max", False)],
                  key="label")
    add("rule", "ties", "ties", m1.ranking.ties, m2.ranking.ties)
    for attr in ("status", "band", "ranked", "score"):
        add("rule", "not_returned", attr, getattr(m1.not_returned, attr), getattr(m2.not_returned, attr),
            attr != "status")
    table = pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS).astype(object)
    table["affects_scores"] = table["affects_scores"].astype(bool)
    return table.where(table.notna(), None)


def _compare_list(add, part, list1, list2, describe, attrs, key="id", order=True, prefix=""):
    by1 = {getattr(x, key): x for x in list1}
    by2 = {getattr(x, key): x for x in list2}
    for ident in dict.fromkeys([*by1, *by2]):
        a, b = by1.get(ident), by2.get(ident)
        name = prefix + str(ident)
        if a is None or b is None:
            add(part, name, "presence", describe(a) if a else None, describe(b) if b else None)
            continue
        for attr, affects in attrs:
            add(part, name, attr, getattr(a, attr), getattr(b, attr), affects)
    if order:
        common1 = [k for k in by1 if k in by2]
        common2 = [k for k in by2 if k in by1]
        if common1 != common2:
            add(part, "*", "order", " > ".join(map(str, common1)), " > ".join(map(str, common2)), part == "band")


def same_scoring(m1: Methodology, m2: Methodology) -> bool:
    """True when the two methods score, band and rank the same inputs the same way."""
    diff = methodology_differences(m1, m2)
    return not diff["affects_scores"].any()
