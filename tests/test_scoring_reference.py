"""kiprank's scorer against an independent reference scorer (tests/reference_scorer.py: a plain loop
in exact fractions, written from the domain description and the methodology format).

Hypothesis draws random methodologies (one to five stages of every source, random weights that sum
to 100, indicators and question types, checklists, gates by score or by top n per group with every
kind of ``otherwise``, bands, 0-3 decimals, dense or min ties, non-returners ranked or not, every
``missing:`` rule on the questionnaire and on each stage) and random region folders for them
(answers, partly verified answers, missing answers, verdicts, items and scores, ties that only
rounding makes), writes them as files and scores them with ``kiprank.core.scoring``; every body's
stage scores, published score, band, rank and status must be the reference's, and where the
reference refuses the inputs (a value missing where the methodology says nothing), kiprank must
refuse them with an input error naming each of those bodies. The demo
regions are checked the same way, so the calibrated demo numbers do not rest on kiprank's own
scorer. ``max_examples`` is at least 500 (CI runs all of them; they take about a minute).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from kiprank.core.errors import InputValidationError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import REPO_INPUTS, make_region
from reference_scorer import Refused, exact, fraction_of, round_half_up, score_folder, score_region

EXAMPLES = 500
ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "kiprank" / "methodologies"


# -- random methodologies -----------------------------------------------------------------------

# what a missing value means (README "Missing values"); None: not said, which is ``error``
MISSING_RULES = [None, "error", "zero", "zero", "not-assessed", "not-assessed"]


@st.composite
def weights(draw, n: int) -> list:
    """``n`` positive weights summing to 100 (integers, or halves)."""
    halves = draw(st.booleans())
    unit = 200 if halves else 100
    cuts = sorted(draw(st.lists(st.integers(1, unit - 1), min_size=n - 1, max_size=n - 1, unique=True)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, unit])]
    return [p / 2 if halves else p for p in parts]


@st.composite
def questions(draw, indicator: str, start: int) -> list[dict]:
    out = []
    for k in range(draw(st.integers(1, 3))):
        q = {"id": f"Q{start + k}", "indicator": indicator, "type": draw(st.sampled_from(["yesno", "graded", "numeric"]))}
        if q["type"] == "graded":
            points = draw(st.lists(st.integers(0, 5), min_size=2, max_size=4).filter(lambda p: max(p) > 0))
            q["options"] = {f"opsi {chr(97 + i)}": p for i, p in enumerate(points)}
        elif q["type"] == "numeric":
            q["max"] = draw(st.sampled_from([1, 3, 4, 10, 2.5]))
        if draw(st.booleans()):
            q["weight"] = draw(st.sampled_from([1, 2, 3, 0.5]))
        out.append(q)
    return out


@st.composite
def methodologies(draw) -> dict:
    sources = draw(st.lists(st.sampled_from(["questionnaire", "verification", "checklist"]), unique=True, max_size=3))
    sources += ["score"] * draw(st.integers(0 if sources else 1, 2))
    sources = draw(st.permutations(sources))
    stage_weights = draw(weights(len(sources)))
    stages = []
    for i, (source, weight) in enumerate(zip(sources, stage_weights)):
        stage = {"id": f"s{i}", "label": f"Tahap {i}", "weight": weight, "source": source}
        if source == "checklist":
            n = draw(st.integers(1, 4))
            stage["items"] = [{"id": f"i{k}", "label": f"Butir {k}", "weight": w} for k, w in enumerate(draw(weights(n)))]
        if i and draw(st.integers(0, 2)) == 0:
            gate = {"stage": f"s{draw(st.integers(0, i - 1))}"}
            if draw(st.booleans()):
                gate["min_score"] = draw(st.sampled_from([0, 25, 50, 60, 62.5, 75, 100]))
            else:
                gate["top_n"] = draw(st.integers(1, 3))
            gate["otherwise"] = draw(st.sampled_from([0, 0, 10, 33.3, "carry"]))
            stage["gate"] = gate
        rule = draw(st.sampled_from(MISSING_RULES)) if source != "questionnaire" else None
        if rule is not None:
            stage["missing"] = rule
        stages.append(stage)
    decimals = draw(st.integers(0, 3))
    mins = sorted(draw(st.lists(st.integers(1, 99), max_size=4, unique=True)), reverse=True)
    m = {"id": "acak", "name": "Metode acak", "decimals": decimals, "stages": stages,
         "bands": [{"label": f"Pita {k}", "min": v} for k, v in enumerate([*mins, 0])],
         "ranking": {"ties": draw(st.sampled_from(["dense", "min"]))}}
    if {"questionnaire", "verification"} & set(sources):
        n = draw(st.integers(1, 3))
        indicators = [{"id": f"ind{k}", "label": f"Indikator {k}", "weight": w} for k, w in enumerate(draw(weights(n)))]
        qs = []
        for ind in indicators:
            qs += draw(questions(ind["id"], len(qs) + 1))
        m["questionnaire"] = {"indicators": indicators, "questions": qs}
        rule = draw(st.sampled_from(MISSING_RULES))
        if rule is not None:
            m["questionnaire"]["missing"] = rule
    choice = draw(st.sampled_from(["default", "unranked", "ranked"]))
    if choice == "unranked":
        m["not_returned"] = {"status": "Tidak dinilai", "band": "Tidak dinilai", "ranked": False}
    elif choice == "ranked":
        m["not_returned"] = {"status": "Tidak kooperatif", "band": m["bands"][-1]["label"], "ranked": True,
                             "score": draw(st.sampled_from([0, 12.5, 50]))}
    return m


# -- random region folders ------------------------------------------------------------------------

def answers_of(q: dict) -> list[str]:
    if q["type"] == "yesno":
        return ["ya", "tidak"]
    if q["type"] == "graded":
        return list(q["options"])
    top = exact(q["max"])
    return sorted({format(float(top * Fraction(k, 4)), "g") for k in range(5)})


@st.composite
def regions(draw, m: dict) -> dict:
    n = draw(st.integers(1, 7))
    groups = draw(st.sampled_from([["g"], ["g", "h"]]))
    bodies = [(f"b{k}", draw(st.sampled_from(groups))) for k in range(n)]
    qs = m.get("questionnaire", {}).get("questions", [])
    stages = {s["source"]: s for s in m["stages"]}

    def gaps(rule) -> bool:
        """Whether values may be missing: always when the methodology says what a gap means; where
        it does not (an error), in one case of three, so that most such cases are still scored."""
        return rule in ("zero", "not-assessed") or draw(st.integers(0, 2)) == 0

    unanswered = gaps(m.get("questionnaire", {}).get("missing"))
    gappy = {s["id"]: gaps(s.get("missing")) for s in m["stages"]}
    saq, verification, website, scores = {}, {}, {}, {}
    for k, (body, _) in enumerate(bodies):
        if qs and (k == 0 or draw(st.integers(0, 2)) > 0):  # returned (at least one answer; b0 always)
            answered = {q["id"]: draw(st.sampled_from(answers_of(q))) for q in qs
                        if not unanswered or draw(st.integers(0, 5)) > 0}
            if not answered:
                answered = {qs[0]["id"]: answers_of(qs[0])[0]}
            saq[body] = answered
            if "verification" in stages:
                rows = {}
                for q in qs:
                    if q["id"] not in answered or gappy[stages["verification"]["id"]] and draw(st.integers(0, 6)) == 0:
                        continue  # not checked
                    verdict = draw(st.sampled_from(["sesuai", "sebagian", "tidak sesuai"]))
                    granted = ""
                    if verdict == "sebagian":
                        claimed = fraction_of(q, answered[q["id"]])
                        lower = [a for a in answers_of(q) if fraction_of(q, a) <= claimed]
                        granted = draw(st.sampled_from(lower))
                    rows[q["id"]] = (verdict, granted)
                verification[body] = rows
        if "checklist" in stages:
            website[body] = {i["id"]: draw(st.sampled_from(["ya", "tidak"])) for i in stages["checklist"]["items"]
                             if not gappy[stages["checklist"]["id"]] or draw(st.integers(0, 6)) > 0}
        for stage in m["stages"]:
            if stage["source"] == "score" and (not gappy[stage["id"]] or draw(st.integers(0, 6)) > 0):
                value = draw(st.sampled_from(["0", "100", "49.975", "60", "89.995", "90", "75.5", "33.333", "12.125"]
                                             + [""] * gappy[stage["id"]]))  # an empty cell is a missing score
                scores.setdefault(stage["id"], {})[body] = value
    # every table holds at least one row (an empty one is refused as an input)
    if "verification" in stages and not any(verification.values()):
        verification.setdefault(bodies[0][0], {})[next(iter(saq[bodies[0][0]]))] = ("sesuai", "")
    if "checklist" in stages and not any(website.values()):
        website.setdefault(bodies[0][0], {})[stages["checklist"]["items"][0]["id"]] = draw(st.sampled_from(["ya", "tidak"]))
    for stage in m["stages"]:
        if stage["source"] == "score" and not scores.get(stage["id"]):
            scores[stage["id"]] = {bodies[0][0]: draw(st.sampled_from(["0", "70.5", "100"]))}
    return {"bodies": bodies, "saq": saq, "verification": verification, "website": website, "scores": scores}


@st.composite
def cases(draw):
    m = draw(methodologies())
    return m, draw(regions(m))


# -- the comparison -------------------------------------------------------------------------------

def compare(result, expected: dict, m: dict) -> None:
    """Every body of kiprank's ranking against the reference's."""
    rows = {r["body_id"]: r for r in result.ranking.to_dict("records")}
    assert set(rows) == set(expected)
    for body, e in expected.items():
        row = rows[body]
        where = f"body {body}"
        assert bool(row["returned"]) == e.returned, where
        assert row["band"] == e.band, (where, row["final"], e.published)
        if e.published is None:
            assert math.isnan(row["final"]), where
        else:
            assert row["final"] == pytest.approx(float(e.published), abs=1e-9), (where, float(e.final))
        assert (None if row["rank"] is None or row["rank"] != row["rank"] else int(row["rank"])) == e.rank, where
        for stage in m["stages"]:
            got = row[stage["id"]]
            if e.returned and e.stages[stage["id"]] is None:  # not assessed
                assert math.isnan(got), (where, stage["id"], got)
            elif e.returned:  # published at the methodology's precision, half-up
                shown = round_half_up(e.stages[stage["id"]], m["decimals"])
                assert got == pytest.approx(float(shown), abs=1e-9), (where, stage["id"], float(e.stages[stage["id"]]))
            else:
                assert math.isnan(got), (where, stage["id"])
        if not e.returned:
            assert row["status"] == e.status, where
    ind = result.indicators
    scores = {(str(b), str(s), str(i)): v for b, s, i, v in zip(ind["body_id"], ind["stage"], ind["indicator"], ind["score"])}
    for body, e in expected.items():
        for (stage, indicator), value in e.indicators.items():
            gated = any(s["id"] == stage and s.get("gate") for s in m["stages"]) and (body, stage, stage) in scores
            if not gated and value is None:  # not assessed
                assert math.isnan(scores[(body, stage, indicator)]), (body, stage, indicator)
            elif not gated:  # a body gated out of a stage has one row for the whole stage instead
                assert scores[(body, stage, indicator)] == pytest.approx(float(value), abs=1e-9), (body, stage, indicator)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_scorer_agrees_with_the_reference_on_random_methodologies(tmp_path_factory, case):
    m, data = case
    reg = make_region(tmp_path_factory.mktemp("case"), m, bodies=[(b, b.upper(), g) for b, g in data["bodies"]],
                      saq=data["saq"] if "questionnaire" in m else None,
                      verification=({b: {q: v for q, v in rows.items()} for b, rows in data["verification"].items()}
                                    if any(s["source"] == "verification" for s in m["stages"]) else None),
                      website=data["website"] if any(s["source"] == "checklist" for s in m["stages"]) else None,
                      scores={s["id"]: data["scores"].get(s["id"], {}) for s in m["stages"] if s["source"] == "score"},
                      groups={"g": "Grup G", "h": "Grup H"} if any(g == "h" for _, g in data["bodies"]) else {"g": "Grup G"})
    try:
        expected = score_region(m, data["bodies"], data["saq"], data["verification"], data["website"], data["scores"])
    except Refused as refused:  # a value missing where the methodology says nothing: an input error
        event("refused: a value missing without a rule")
        with pytest.raises(InputValidationError) as exc:
            reg.score()
        for body in {b for b, _, _ in refused.where}:
            assert f"body '{body}'" in str(exc.value), (body, refused.where, str(exc.value))
        return
    for name in what_it_covers(m, expected):
        event(name)
    compare(reg.score(), expected, m)


def what_it_covers(m: dict, expected: dict) -> list[str]:
    """Labels of what a case exercises (``--hypothesis-show-statistics`` counts them)."""
    out = [f"{len(m['stages'])} stage(s)", f"ties {m['ranking']['ties']}", f"{m['decimals']} decimals"]
    out += [f"gate {'min_score' if 'min_score' in s['gate'] else 'top_n'}, otherwise {s['gate']['otherwise']}"
            for s in m["stages"] if s.get("gate")]
    published = [e.published for e in expected.values() if e.published is not None]
    if len(published) != len(set(published)):
        out.append("a tie in the published scores")
    if any(e.final is not None and e.final != e.published and (e.final * 10 ** m["decimals"] * 2).denominator == 1
           for e in expected.values()):
        out.append("a final exactly half-way (rounded up)")
    rules = {(m.get("questionnaire") or {}).get("missing")} | {s.get("missing") for s in m["stages"]}
    out += [f"missing: {rule}" for rule in sorted(rules - {None})]
    if any(e.returned and any(v is None for v in e.stages.values()) for e in expected.values()):
        out.append("a stage not assessed (stage weights rescaled)")
    if any(e.returned and e.final is None for e in expected.values()):
        out.append("a body with nothing assessed")
    if any(not e.returned for e in expected.values()):
        out.append("non-returners " + ("ranked" if (m.get("not_returned") or {}).get("ranked") else "unranked"))
    return out


# -- the demo regions, and hand-worked cases of the reference itself --------------------------------

@pytest.mark.parametrize("year,region", [(2022, "klaten"), (2018, "jateng"), (2019, "jateng")])
def test_demo_regions_score_as_the_reference_scores_them(year, region):
    from kiprank.core.inputs import load_region
    from kiprank.core.scoring import score

    m, _, expected = score_folder(REPO_INPUTS / str(year) / region, PRESETS)
    compare(score(load_region(year, region, REPO_INPUTS)), expected, m)


def test_the_reference_on_a_case_worked_by_hand():
    """Questionnaire 80 (indicator A 40: Q1 yes/no, Q2 graded 2/1/0; indicator B 60: Q3 numeric of
    10, weight 3, Q4 yes/no) + score 20 gated on the questionnaire >= 60, otherwise carry; 1 decimal.
      x: Q1 ya, Q2 sebagian (1/2), Q3 7.5, Q4 ya -> A = 100*(1 + 1/2)/2 = 75, B = 100*(3*0.75 + 1)/4
         = 81.25; saq = 0.4*75 + 0.6*81.25 = 78.75 >= 60; final = 0.8*78.75 + 0.2*49.975 = 72.995
         -> 73.0 (half-up), band Cukup (60).
      y: Q1 tidak, Q2 tidak ada, Q3 2.5, (Q4 unanswered: 0, questionnaire missing: zero) -> A = 0, B = 100*(3*0.25)/4 = 18.75;
         saq = 11.25 < 60: the score stage carries 11.25; final = 11.25 -> 11.3, band Tidak (0).
      z: no SAQ: not returned, unranked.  Ranks (dense): x 1, y 2."""
    m = {"decimals": 1, "stages": [
        {"id": "saq", "weight": 80, "source": "questionnaire"},
        {"id": "p", "weight": 20, "source": "score", "gate": {"stage": "saq", "min_score": 60, "otherwise": "carry"}}],
        "questionnaire": {"indicators": [{"id": "A", "weight": 40}, {"id": "B", "weight": 60}], "questions": [
            {"id": "Q1", "indicator": "A", "type": "yesno"},
            {"id": "Q2", "indicator": "A", "type": "graded", "options": {"lengkap": 2, "sebagian": 1, "tidak ada": 0}},
            {"id": "Q3", "indicator": "B", "type": "numeric", "max": 10, "weight": 3},
            {"id": "Q4", "indicator": "B", "type": "yesno"}], "missing": "zero"},
        "bands": [{"label": "Cukup", "min": 60}, {"label": "Tidak", "min": 0}]}
    out = score_region(m, [("x", "g"), ("y", "g"), ("z", "g")],
                       {"x": {"Q1": "ya", "Q2": "sebagian", "Q3": "7.5", "Q4": "ya"}, "y": {"Q1": "tidak", "Q2": "tidak ada", "Q3": "2.5"}},
                       {}, {}, {"p": {"x": "49.975", "y": "99", "z": "80"}})
    x, y, z = out["x"], out["y"], out["z"]
    assert (x.stages["saq"], x.final, x.published, x.band, x.rank) == (Fraction("78.75"), Fraction("72.995"),
                                                                       Fraction("73"), "Cukup", 1)
    assert (y.stages, y.published, y.band, y.rank) == ({"saq": Fraction("11.25"), "p": Fraction("11.25")},
                                                       Fraction("11.3"), "Tidak", 2)
    assert (z.returned, z.final, z.rank, z.band) == (False, None, None, "Tidak Informatif")


def test_the_reference_on_missing_values_worked_by_hand():
    """Questionnaire 60 (indicator A 50: Q1, Q2; B 50: Q3; all yes/no) + website 40 (items i1, i2 of
    50 each); unanswered questions and missing items not assessed:
      x: Q1 ya, Q2 and Q3 unanswered -> A = 100 (Q1 alone), B not assessed -> saq = 100 (A counts in
         full); website i1 ya, i2 no row -> 100; final 100.
      y: Q1 tidak, Q2 ya, Q3 ya -> A = 50, B = 100 -> saq = 75; no website row: the stage is not
         assessed -> final = 75 (the SAQ counts in full).
    With ``missing: zero`` instead: x: A = 50, B = 0 -> saq 25, website 50, final 0.6*25 + 0.4*50 = 35;
    y: website 0 -> final 45. With nothing said (error) the inputs are refused, naming x and y."""
    m = {"decimals": 1, "stages": [
        {"id": "saq", "weight": 60, "source": "questionnaire"},
        {"id": "web", "weight": 40, "source": "checklist", "missing": "not-assessed",
         "items": [{"id": "i1", "weight": 50}, {"id": "i2", "weight": 50}]}],
        "questionnaire": {"indicators": [{"id": "A", "weight": 50}, {"id": "B", "weight": 50}], "questions": [
            {"id": "Q1", "indicator": "A", "type": "yesno"}, {"id": "Q2", "indicator": "A", "type": "yesno"},
            {"id": "Q3", "indicator": "B", "type": "yesno"}], "missing": "not-assessed"},
        "bands": [{"label": "Baik", "min": 50}, {"label": "Kurang", "min": 0}]}
    bodies = [("x", "g"), ("y", "g")]
    saq = {"x": {"Q1": "ya"}, "y": {"Q1": "tidak", "Q2": "ya", "Q3": "ya"}}
    website = {"x": {"i1": "ya"}}
    out = score_region(m, bodies, saq, {}, website, {})
    x, y = out["x"], out["y"]
    assert x.stages == {"saq": 100, "web": 100} and x.indicators[("saq", "B")] is None and x.final == 100
    assert y.stages == {"saq": 75, "web": None} and y.final == 75 and (x.rank, y.rank) == (1, 2)
    m["questionnaire"]["missing"] = m["stages"][1]["missing"] = "zero"
    out = score_region(m, bodies, saq, {}, website, {})
    assert (out["x"].stages, out["x"].final) == ({"saq": 25, "web": 50}, 35)
    assert (out["y"].stages, out["y"].final) == ({"saq": 75, "web": 0}, 45)
    del m["questionnaire"]["missing"], m["stages"][1]["missing"]
    with pytest.raises(Refused) as refused:
        score_region(m, bodies, saq, {}, website, {})
    assert {b for b, _, _ in refused.value.where} == {"x", "y"}
