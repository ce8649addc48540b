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
  numeric: the answer / ``max``. An unanswered question earns 0. Questions of an indicator are
  averaged with their ``weight`` (default 1); an indicator's score is 100 x that average.
- A stage's score (0-100): questionnaire: the indicators' scores weighted by indicator weight / 100;
  verification: the same with what the verifier accepted (``sesuai``: the claim, ``sebagian``: the
  granted answer, ``tidak sesuai`` or no verdict: 0); several verifiers of one answer (a list of
  verdicts): the mean, median or lowest of their fractions (the methodology's
  ``verification.combine``), unless the lead verifier decided it (``adjudication``); checklist: the weights (/100) of the items
  present (``ya``), a missing item 0; score: the number in ``<stage>.csv``, a missing one 0.
- A gate on an earlier stage: a body takes part when its published score there (rounded half-up to
  ``decimals``, the number the body is told) is at least ``min_score``, or is among the ``top_n``
  of its group (competition ranking, so a tie at the cut lets all tied bodies through); otherwise
  its score on the gated stage is ``otherwise`` (a number, or ``carry``: the gating stage's score).
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


@dataclass
class Expected:
    """What the reference scorer finds for one body."""

    returned: bool
    stages: dict[str, Fraction] = field(default_factory=dict)
    indicators: dict[tuple[str, str], Fraction] = field(default_factory=dict)  # (stage, indicator) -> 0-100
    final: Fraction | None = None       # unrounded
    published: Fraction | None = None   # rounded half-up
    band: str = ""
    rank: int | None = None
    status: str = ""


def fraction_of(question: dict, answer: str | None) -> Fraction:
    """What one answer earns of its question (0 for no answer)."""
    if answer is None:
        return Fraction(0)
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


def questionnaire_score(methodology: dict, earned: dict[str, Fraction], indicators: dict | None = None) -> Fraction:
    """The score of a questionnaire-like stage from the fraction each question earned (each
    indicator's score, 0-100, is put in ``indicators`` when given)."""
    total = Fraction(0)
    questions = methodology["questionnaire"]["questions"]
    for indicator in methodology["questionnaire"]["indicators"]:
        mine = [q for q in questions if q["indicator"] == indicator["id"]]
        weight_sum = sum(exact(q.get("weight", 1)) for q in mine)
        average = sum(exact(q.get("weight", 1)) * earned.get(q["id"], Fraction(0)) for q in mine) / weight_sum
        if indicators is not None:
            indicators[indicator["id"]] = 100 * average
        total += exact(indicator["weight"]) / 100 * 100 * average
    return total


def competition_ranks(scores: dict[str, Fraction]) -> dict[str, int]:
    """1 + the number of bodies with a strictly higher score."""
    return {b: 1 + sum(1 for other in scores.values() if other > s) for b, s in scores.items()}


def dense_ranks(scores: dict[str, Fraction]) -> dict[str, int]:
    """1 + the number of distinct higher scores."""
    return {b: 1 + len({other for other in scores.values() if other > s}) for b, s in scores.items()}


def verified_share(question: dict, answer: str, verdict, granted) -> Fraction:
    """What one verdict accepts of an answer: the claim, the granted answer (at most the claim), or 0."""
    if verdict == "sesuai":
        return fraction_of(question, answer)
    if verdict == "sebagian":
        return min(fraction_of(question, granted), fraction_of(question, answer))
    return Fraction(0)


def combined_share(shares: list[Fraction], rule: str) -> Fraction:
    """Several verifiers' shares as one: mean, median (of the sorted middle one or two) or min."""
    ordered = sorted(shares)
    if rule == "min":
        return ordered[0]
    if rule == "median":
        n = len(ordered)
        return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    return sum(ordered, Fraction(0)) / len(ordered)


def score_region(methodology: dict, bodies: list[tuple[str, str]], saq: dict, verification: dict,
                 website: dict, scores: dict, adjudication: dict | None = None) -> dict[str, Expected]:
    """``bodies``: (body_id, group) in file order; ``saq``: body -> {question: answer};
    ``verification``: body -> {question: (verdict, granted), or a list of them, one per verifier};
    ``adjudication``: (body, question) -> (verdict, granted) decided by the lead verifier;
    ``website``: body -> {item: ya/tidak}; ``scores``: stage -> {body: number as text}."""
    stages = methodology["stages"]
    has_questionnaire = any(s["source"] in ("questionnaire", "verification") for s in stages)
    questions = {q["id"]: q for q in methodology["questionnaire"]["questions"]} if has_questionnaire else {}
    not_returned = {**NOT_RETURNED, **(methodology.get("not_returned") or {})}
    decimals = methodology.get("decimals", 2)
    group_of = dict(bodies)
    out: dict[str, Expected] = {}
    for body, _ in bodies:
        out[body] = Expected(returned=not has_questionnaire or bool(saq.get(body)))
    assessed = [b for b, _ in bodies if out[b].returned]

    for stage in stages:
        for body in assessed:
            source = stage["source"]
            parts: dict[str, Fraction] = {}
            if source == "questionnaire":
                earned = {q: fraction_of(questions[q], a) for q, a in saq[body].items()}
                value = questionnaire_score(methodology, earned, parts)
            elif source == "verification":
                earned = {}
                for q, answer in saq[body].items():
                    given = (adjudication or {}).get((body, q)) or verification.get(body, {}).get(q, (None, None))
                    shares = [verified_share(questions[q], answer, v, g)
                              for v, g in (given if isinstance(given, list) else [given])]
                    earned[q] = combined_share(shares, (methodology.get("verification") or {}).get("combine", "mean"))
                value = questionnaire_score(methodology, earned, parts)
            elif source == "checklist":
                checks = website.get(body, {})
                value = sum((exact(item["weight"]) for item in stage["items"]
                             if str(checks.get(item["id"], "")).strip().lower() in YES), Fraction(0))
            else:
                given = scores.get(stage["id"], {}).get(body)
                value = exact(given) if given not in (None, "") else Fraction(0)
            out[body].stages[stage["id"]] = value
            out[body].indicators.update({(stage["id"], k): v for k, v in parts.items()})
        gate = stage.get("gate")
        if gate:
            before = {b: round_half_up(out[b].stages[gate["stage"]], decimals) for b in assessed}
            for body in assessed:
                if gate.get("min_score") is not None:
                    passes = before[body] >= exact(gate["min_score"])
                else:
                    group = {b: s for b, s in before.items() if group_of[b] == group_of[body]}
                    passes = competition_ranks(group)[body] <= gate["top_n"]
                if not passes:
                    otherwise = gate.get("otherwise", 0)
                    carried = out[body].stages[gate["stage"]]
                    out[body].stages[stage["id"]] = carried if otherwise == "carry" else exact(otherwise)

    bands = methodology["bands"]
    for body in assessed:
        e = out[body]
        e.final = sum(exact(s["weight"]) / 100 * e.stages[s["id"]] for s in stages)
        e.published = round_half_up(e.final, decimals)
        e.band = next(b["label"] for b in bands if e.published >= exact(b["min"]))
    for body, _ in bodies:
        e = out[body]
        if not e.returned:
            e.status, e.band = not_returned["status"], not_returned["band"]
            if not_returned["ranked"]:
                e.final = exact(not_returned["score"])
                e.published = round_half_up(e.final, decimals)

    ranked = [b for b, _ in bodies if out[b].returned or not_returned["ranked"]]
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
        verdict = (r["verdict"], r.get("granted") or "")
        if "verifier" in r:  # several verifiers: every verdict of the answer
            verification.setdefault(r["body_id"], {}).setdefault(r["question_id"], []).append(verdict)
        else:
            verification.setdefault(r["body_id"], {})[r["question_id"]] = verdict
    adjudication = {(r["body_id"], r["question_id"]): (r["verdict"], r.get("granted") or "")
                    for r in read_rows(folder / "adjudication.csv")} if (folder / "adjudication.csv").is_file() else {}
    for r in read_rows(folder / "website.csv"):
        website.setdefault(r["body_id"], {})[r["item_id"]] = r["present"]
    for stage in m["stages"]:
        if stage["source"] == "score":
            scores[stage["id"]] = {r["body_id"]: r["score"] for r in read_rows(folder / f"{stage['id']}.csv")}
    bodies = [(r["body_id"], r["group"]) for r in rows]
    return m, rows, score_region(m, bodies, saq, verification, website, scores, adjudication)
