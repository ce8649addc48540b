"""An independent reference scorer: a plain loop over a methodology, in exact fractions.

Written from the domain description (/work/shared/domain/monev-kip.md: stages and their weights,
gates, bands on the published score, ranks within groups, ties, non-returners) and from the
methodology file format (README "Methodology files"), not from kiprank's scorer: it reads the same
methodology dict and the same input rows a region folder holds, and shares no code with kiprank.
Every number is a :class:`fractions.Fraction` made from the text of the file, so the result is exact
and rounding half-up is rounding half-up.

The rules, as a person scoring by hand would apply them:

- A body that sent no SAQ row did not return the SAQ (only when the method has a questionnaire):
  it gets ``not_returned`` (status, band; no score and no rank unless ``ranked: true``, then its
  ``score``, ranked with the others).
- A question earns a fraction: yes/no 1 or 0; graded: its points / the best option's points;
  numeric: the answer / ``max``. Questions of an indicator are averaged with their ``weight``
  (default 1); an indicator's score is 100 x that average.
- A stage's score (0-100): questionnaire: the indicators' scores weighted by indicator weight / 100;
  verification: the same with what the verifier accepted (``sesuai``: the claim, ``sebagian``: the
  granted answer, ``tidak sesuai``: 0); checklist: the weights (/100) of the items present
  (``ya``); score: the number in ``<stage>.csv``.
- A missing value of a body taking part in a stage (README "Missing values": an unanswered
  question, an answered question without a verdict, a checklist item without a row, no score) is
  what the methodology's ``missing:`` says: an unanswered question follows
  ``questionnaire.missing`` (in the questionnaire and the verification stages), the others the
  stage's ``missing``. ``error`` (also when nothing is said): the inputs are refused, naming the
  body (:class:`Refused`); ``zero``: it earns 0; ``not-assessed``: it is left out and the weights
  of what was assessed count in full (questions within their indicator, indicators or items within
  their stage, stages within the final score); a part of which nothing was assessed is itself not
  assessed (``None``). A body taking part in no stage that was assessed has no final score, no rank
  and the lowest band (what kiprank does; the README does not say).
- A gate on an earlier stage: a body takes part when its published score there (rounded half-up to
  ``decimals``, the number the body is told) is at least ``min_score``, or is among the ``top_n``
  of its group (competition ranking, so a tie at the cut lets all tied bodies through; a body not
  assessed there counts below every score); otherwise its score on the gated stage is
  ``otherwise`` (a number, or ``carry``: the gating stage's score, not assessed if that was not).
- Final = the stage scores weighted by stage weight / 100; published = final rounded half-up to
  ``decimals``; band = the first band (listed from the highest ``min`` down) whose ``min`` the
  published score reaches; rank within the group on the published score, ``dense`` (1, 2, 2, 3) or
  ``min`` (1, 2, 2, 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

YES = ("ya",)
NO = ("tidak",)
NOT_RETURNED = {"status": "Tidak mengembalikan SAQ", "band": "Tidak Informatif", "ranked": False, "score": None}


def exact(value) -> Fraction:
    """A number as written in a file (``"89.995"``, ``40``), exactly."""
    return Fraction(str(value))


class Refused(Exception):
    """The inputs are refused: a value is missing where the methodology says nothing (``error``).
    ``where`` lists (body, stage, what) for each."""

    def __init__(self, where: list[tuple[str, str, str]]):
        super().__init__(f"missing values: {where}")
        self.where = where


@dataclass
class Expected:
    """What the reference scorer finds for one body."""

    returned: bool
    stages: dict[str, Fraction | None] = field(default_factory=dict)  # None: not assessed
    indicators: dict[tuple[str, str], Fraction | None] = field(default_factory=dict)  # (stage, indicator) -> 0-100
    final: Fraction | None = None       # unrounded
    published: Fraction | None = None   # rounded half-up
    band: str = ""
    rank: int | None = None
    status: str = ""


def fraction_of(question: dict, answer: str) -> Fraction:
    """What one answer earns of its question."""
    text = str(answer).strip().lower()
    if question["type"] == "yesno":
        if text in YES:
            return Fraction(1)
        if text in NO:
            return Fraction(0)
        raise ValueError(f"not a yes/no answer: {answer!r}")
    if question["type"] == "graded":
        best = max(exact(p) for p in question["options"].values())
        for label, points in question["options"].items():
            if str(label).strip().lower() == text:
                return exact(points) / best
        raise ValueError(f"not an option: {answer!r}")
    return exact(text) / exact(question["max"])


def round_half_up(value: Fraction, decimals: int) -> Fraction:
    scale = 10 ** decimals
    scaled = value * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole, scale)


def weighted_in_full(parts: list[tuple[Fraction, Fraction | None]]) -> Fraction | None:
    """The weighted sum (weight, value) of the parts assessed, their weights counting in full (the
    sum of all the weights); None when no part was assessed."""
    seen = [(w, v) for w, v in parts if v is not None]
    if not seen:
        return None
    return sum((w * v for w, v in seen), Fraction(0)) * sum(w for w, _ in parts) / sum(w for w, _ in seen)


def questionnaire_score(methodology: dict, earned: dict[str, Fraction | None], indicators: dict | None = None) -> Fraction | None:
    """The score of a questionnaire-like stage from the fraction each question earned (None: not
    assessed); each indicator's score, 0-100 or None, is put in ``indicators`` when given."""
    parts = []
    for indicator in methodology["questionnaire"]["indicators"]:
        mine = [(exact(q.get("weight", 1)), earned[q["id"]]) for q in methodology["questionnaire"]["questions"]
                if q["indicator"] == indicator["id"]]
        seen = [(w, e) for w, e in mine if e is not None]
        score = 100 * sum(w * e for w, e in seen) / sum(w for w, _ in seen) if seen else None
        if indicators is not None:
            indicators[indicator["id"]] = score
        parts.append((exact(indicator["weight"]) / 100, score))
    return weighted_in_full(parts)


def competition_ranks(scores: dict[str, Fraction | None]) -> dict[str, int]:
    """1 + the number of bodies with a strictly higher score (None: below every score)."""
    def higher(a, b):
        return a is not None and (b is None or a > b)
    return {b: 1 + sum(1 for other in scores.values() if higher(other, s)) for b, s in scores.items()}


def dense_ranks(scores: dict[str, Fraction]) -> dict[str, int]:
    """1 + the number of distinct higher scores."""
    return {b: 1 + len({other for other in scores.values() if other > s}) for b, s in scores.items()}


def score_region(methodology: dict, bodies: list[tuple[str, str]], saq: dict, verification: dict,
                 website: dict, scores: dict) -> dict[str, Expected]:
    """``bodies``: (body_id, group) in file order; ``saq``: body -> {question: answer};
    ``verification``: body -> {question: (verdict, granted)}; ``website``: body -> {item: ya/tidak};
    ``scores``: stage -> {body: number as text}. Raises :class:`Refused` when a value is missing
    where the methodology says nothing about it."""
    stages = methodology["stages"]
    has_questionnaire = any(s["source"] in ("questionnaire", "verification") for s in stages)
    questions = {q["id"]: q for q in methodology["questionnaire"]["questions"]} if has_questionnaire else {}
    unanswered_rule = (methodology.get("questionnaire") or {}).get("missing") or "error"
    not_returned = {**NOT_RETURNED, **(methodology.get("not_returned") or {})}
    decimals = methodology.get("decimals", 2)
    group_of = dict(bodies)
    out: dict[str, Expected] = {}
    for body, _ in bodies:
        out[body] = Expected(returned=not has_questionnaire or bool(saq.get(body)))
    assessed = [b for b, _ in bodies if out[b].returned]
    refused: list[tuple[str, str, str]] = []

    def missing(rule: str, body: str, stage: str, what: str) -> Fraction | None:
        if rule == "zero":
            return Fraction(0)
        if rule == "not-assessed":
            return None
        refused.append((body, stage, what))
        return Fraction(0)  # the inputs are refused at the end; the number does not matter

    for stage in stages:
        rule = stage.get("missing") or "error"
        gate = stage.get("gate")
        takes_part = {b: True for b in assessed}
        if gate:
            before = {b: None if out[b].stages[gate["stage"]] is None
                      else round_half_up(out[b].stages[gate["stage"]], decimals) for b in assessed}
            for body in assessed:
                if gate.get("min_score") is not None:
                    takes_part[body] = before[body] is not None and before[body] >= exact(gate["min_score"])
                else:
                    group = {b: s for b, s in before.items() if group_of[b] == group_of[body]}
                    takes_part[body] = competition_ranks(group)[body] <= gate["top_n"]
        for body in assessed:
            if not takes_part[body]:
                otherwise = gate.get("otherwise", 0)
                out[body].stages[stage["id"]] = (out[body].stages[gate["stage"]] if otherwise == "carry"
                                                 else exact(otherwise))
                continue
            source = stage["source"]
            parts: dict[str, Fraction | None] = {}
            if source in ("questionnaire", "verification"):
                earned = {}
                for q in questions:
                    answer = saq[body].get(q)
                    if answer is None:
                        earned[q] = missing(unanswered_rule, body, stage["id"], f"unanswered {q}")
                        continue
                    if source == "questionnaire":
                        earned[q] = fraction_of(questions[q], answer)
                        continue
                    verdict, granted = verification.get(body, {}).get(q, (None, None))
                    if verdict == "sesuai":
                        earned[q] = fraction_of(questions[q], answer)
                    elif verdict == "sebagian":
                        earned[q] = fraction_of(questions[q], granted)
                    elif verdict is None:
                        earned[q] = missing(rule, body, stage["id"], f"no verdict {q}")
                    else:
                        earned[q] = Fraction(0)
                value = questionnaire_score(methodology, earned, parts)
            elif source == "checklist":
                checks = website.get(body, {})
                value = weighted_in_full([
                    (exact(item["weight"]) / 100, Fraction(100 if str(checks[item["id"]]).strip().lower() in YES else 0)
                     if item["id"] in checks else missing(rule, body, stage["id"], f"no row {item['id']}"))
                    for item in stage["items"]])
            else:
                given = scores.get(stage["id"], {}).get(body)
                value = exact(given) if given not in (None, "") else missing(rule, body, stage["id"], "no score")
            out[body].stages[stage["id"]] = value
            out[body].indicators.update({(stage["id"], k): v for k, v in parts.items()})
    if refused:
        raise Refused(refused)

    bands = methodology["bands"]
    for body in assessed:
        e = out[body]
        e.final = weighted_in_full([(exact(s["weight"]) / 100, e.stages[s["id"]]) for s in stages])
        e.published = None if e.final is None else round_half_up(e.final, decimals)
        e.band = bands[-1]["label"] if e.published is None else \
            next(b["label"] for b in bands if e.published >= exact(b["min"]))
    for body, _ in bodies:
        e = out[body]
        if not e.returned:
            e.status, e.band = not_returned["status"], not_returned["band"]
            if not_returned["ranked"]:
                e.final = exact(not_returned["score"])
                e.published = round_half_up(e.final, decimals)

    ranked = [b for b, _ in bodies if (out[b].returned or not_returned["ranked"]) and out[b].published is not None]
    ties = (methodology.get("ranking") or {}).get("ties", "dense")
    for group in dict.fromkeys(g for _, g in bodies):
        mine = {b: out[b].published for b in ranked if group_of[b] == group}
        ranks = dense_ranks(mine) if ties == "dense" else competition_ranks(mine)
        for body, rank in ranks.items():
            out[body].rank = rank
    return out


# -- reading a region folder of CSV files (the demo regions) -------------------------------------

def read_rows(path):
    import csv
    from pathlib import Path

    if not Path(path).is_file():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def score_folder(folder, presets) -> tuple[dict, list[dict], dict[str, Expected]]:
    """The methodology, the rows of bodies.csv and the reference's result for a region folder of CSV
    files whose region.yml names a preset (a file in ``presets``) or a methodology file."""
    from pathlib import Path

    import yaml

    folder = Path(folder)
    region = yaml.safe_load((folder / "region.yml").read_text(encoding="utf-8"))
    ref = str(region["methodology"])
    path = folder / ref if ref.endswith((".yml", ".yaml")) else Path(presets) / f"{ref}.yml"
    m = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = read_rows(folder / "bodies.csv")
    saq, verification, website, scores = {}, {}, {}, {}
    for r in read_rows(folder / "saq.csv"):
        saq.setdefault(r["body_id"], {})[r["question_id"]] = r["answer"]
    for r in read_rows(folder / "verification.csv"):
        verification.setdefault(r["body_id"], {})[r["question_id"]] = (r["verdict"], r.get("granted") or "")
    for r in read_rows(folder / "website.csv"):
        website.setdefault(r["body_id"], {})[r["item_id"]] = r["present"]
    for stage in m["stages"]:
        if stage["source"] == "score":
            scores[stage["id"]] = {r["body_id"]: r["score"] for r in read_rows(folder / f"{stage['id']}.csv")}
    bodies = [(r["body_id"], r["group"]) for r in rows]
    return m, rows, score_region(m, bodies, saq, verification, website, scores)
