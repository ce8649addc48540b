"""Scoring, bands, ranks, gates and non-returners, on small regions worked out by hand.

Every expected number is computed on paper in the test's docstring. ``pytest.approx`` is only
used for unrounded values; published (rounded) values are compared exactly.
"""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import FIXTURES, NATIONAL_BANDS, make_region, row_of

TWO_STAGE = FIXTURES / "two-stage.yml"
VERIFIED = FIXTURES / "verified.yml"
WEBSITE = FIXTURES / "website.yml"


def score_only(ties="dense", decimals=2, not_returned=None):
    """A one-stage methodology whose final score is the given score (weight 100)."""
    m = {
        "id": "score-only", "name": "Score only", "decimals": decimals,
        "stages": [{"id": "nilai", "label": "Nilai", "weight": 100, "source": "score"}],
        "bands": NATIONAL_BANDS, "ranking": {"ties": ties},
    }
    if not_returned:
        m["not_returned"] = not_returned
    return m


def one_indicator(n_questions, stages, **extra):
    """A methodology with one indicator of ``n_questions`` yes/no questions Q1..Qn."""
    return {
        "id": "one-indicator", "name": "One indicator",
        "stages": stages,
        "questionnaire": {
            "indicators": [{"id": "X", "label": "X", "weight": 100}],
            "questions": [{"id": f"Q{i}", "indicator": "X", "type": "yesno"} for i in range(1, n_questions + 1)],
        },
        "bands": NATIONAL_BANDS, **extra,
    }


def yes(n_yes, n):
    return {f"Q{i}": ("ya" if i <= n_yes else "tidak") for i in range(1, n + 1)}


def contributions_by_body(result):
    return result.indicators.groupby("body_id")["contribution"].sum()


# -- 1. two stages ----------------------------------------------------------------------------

def test_two_stage_weighted(tmp_path):
    """Questionnaire 80 + score 20; indicator A (40) has 3 equal questions, B (60) has B1 (weight 1)
    and B2 (weight 3).

    x: A = 2 of 3 yes = 66.667; B = B2 only = 3/4 = 75;
       saq = 0.4*66.667 + 0.6*75 = 26.667 + 45 = 71.667; final = 0.8*71.667 + 0.2*70 = 57.333 + 14
       = 71.333 -> 71.33 Cukup Informatif.
    y: everything yes: saq = 100; final = 0.8*100 + 0.2*85.5 = 80 + 17.1 = 97.1 -> Informatif.
    z: A = 1 of 3 = 33.333; B = B1 only = 1/4 = 25; saq = 0.4*33.333 + 0.6*25 = 13.333 + 15 = 28.333;
       no presentasi row -> 0 (noted); final = 0.8*28.333 = 22.667 -> 22.67 Tidak Informatif.
    Ranks (dense, one group): y 1, x 2, z 3.
    """
    reg = make_region(
        tmp_path, TWO_STAGE,
        bodies=[("x", "Dinas X", "dinas"), ("y", "Dinas Y", "dinas"), ("z", "Dinas Z", "dinas")],
        saq={
            "x": {"A1": "ya", "A2": "ya", "A3": "tidak", "B1": "tidak", "B2": "ya"},
            "y": {"A1": "ya", "A2": "Ya", "A3": "YES", "B1": "1", "B2": "ya"},
            "z": {"A1": "ya", "A2": "tidak", "A3": "tidak", "B1": "ya", "B2": "tidak"},
        },
        scores={"presentasi": {"x": 70, "y": 85.5}},
    )
    result = reg.score()
    x, y, z = (row_of(result, b) for b in "xyz")
    assert (x["saq"], x["presentasi"], x["final"], x["band"], x["rank"]) == (71.67, 70.0, 71.33, "Cukup Informatif", 2)
    assert (y["saq"], y["presentasi"], y["final"], y["band"], y["rank"]) == (100.0, 85.5, 97.1, "Informatif", 1)
    assert (z["saq"], z["presentasi"], z["final"], z["band"], z["rank"]) == (28.33, 0.0, 22.67, "Tidak Informatif", 3)
    assert "presentasi" in z["notes"]
    assert list(result.ranking["body_id"]) == ["y", "x", "z"]

    ind = result.indicators.set_index(["body_id", "stage", "indicator"])
    assert ind.loc[("x", "saq", "A"), "score"] == pytest.approx(200 / 3)
    assert ind.loc[("x", "saq", "B"), "score"] == pytest.approx(75)
    # contribution of A for x: 66.667 * 40% * 80% = 21.333
    assert ind.loc[("x", "saq", "A"), "contribution"] == pytest.approx(200 / 3 * 0.4 * 0.8)
    sums = contributions_by_body(result)
    assert sums["x"] == pytest.approx(0.8 * (0.4 * 200 / 3 + 0.6 * 75) + 0.2 * 70)
    assert sums["y"] == pytest.approx(97.1)
    assert sums["z"] == pytest.approx(0.8 * (0.4 * 100 / 3 + 0.6 * 25))


# -- 2. six indicators (ki-pusat-2025) ---------------------------------------------------------

KI_PUSAT_ANSWERS = {
    # jenis (40): J01-J05 ya = 5; J06 sebagian = 1/2; J07 tidak = 0; J08 7 of 10 = 0.7 -> 6.2/8
    "J01": "ya", "J02": "ya", "J03": "ya", "J04": "ya", "J05": "ya", "J06": "sebagian", "J07": "tidak", "J08": "7",
    # digitalisasi (20): ya, tidak, kurang aktif (1/2), ya -> 2.5/4
    "D01": "ya", "D02": "tidak", "D03": "kurang aktif", "D04": "ya",
    # kualitas (10): 3/3
    "K01": "ya", "K02": "ya", "K03": "ya",
    # pelayanan (10): ya, tidak, 11-17 hari (1/2) -> 1.5/3
    "P01": "ya", "P02": "tidak", "P03": "11-17 hari",
    # komitmen (10): 2/3
    "C01": "ya", "C02": "ya", "C03": "tidak",
    # sarpras (10): 1/3
    "S01": "ya", "S02": "tidak", "S03": "tidak",
}


def test_six_indicators_ki_pusat_2025(tmp_path):
    """ki-pusat-2025: SAQ (verified) 80 + presentasi 20; indicators 40/20/10/10/10/10.

    jenis = 6.2/8 = 77.5; digitalisasi = 2.5/4 = 62.5; kualitas = 100; pelayanan = 1.5/3 = 50;
    komitmen = 66.667; sarpras = 33.333.
    saq = 0.4*77.5 + 0.2*62.5 + 0.1*100 + 0.1*50 + 0.1*66.667 + 0.1*33.333
        = 31 + 12.5 + 10 + 5 + 6.667 + 3.333 = 68.5   (every answer verified: claimed = verified)
    gate saq >= 60 passed; final = 0.8*68.5 + 0.2*80 = 54.8 + 16 = 70.8 -> Cukup Informatif.
    """
    reg = make_region(
        tmp_path, "ki-pusat-2025",
        bodies=[("kemen", "Kementerian A", "kementerian")],
        saq={"kemen": KI_PUSAT_ANSWERS},
        verification={"kemen": {q: "sesuai" for q in KI_PUSAT_ANSWERS}},
        scores={"presentasi": {"kemen": 80}},
    )
    result = reg.score()
    row = row_of(result, "kemen")
    assert row["self_assessed"] == 68.5
    assert row["saq"] == 68.5
    assert row["presentasi"] == 80.0
    assert row["final"] == 70.8
    assert row["band"] == "Cukup Informatif"
    assert row["rank"] == 1

    ind = result.indicators[result.indicators["stage"] == "saq"].set_index("indicator")
    expected = {"jenis": 77.5, "digitalisasi": 62.5, "kualitas": 100, "pelayanan": 50,
                "komitmen": 200 / 3, "sarpras": 100 / 3}
    for indicator, value in expected.items():
        assert ind.loc[indicator, "score"] == pytest.approx(value), indicator
    assert list(ind["indicator_weight"]) == [40, 20, 10, 10, 10, 10]
    assert contributions_by_body(result)["kemen"] == pytest.approx(70.8)


# -- 3. verification ---------------------------------------------------------------------------

def test_verification_lowers_inflated_saq(tmp_path):
    """Claimed 40 + verified 60; one indicator of five questions.

    inflated claims everything: Q1 ya, Q2 ya, Q3 lengkap, Q4 10 (of 10), Q5 ya -> claimed 5/5 = 100.
      Q1 sesuai (verified)                   -> 1
      Q2 tidak sesuai (unverified)           -> 0
      Q3 sebagian, granted 'sebagian'        -> 1/2
      Q4 sebagian, granted '4'               -> 4/10 = 0.4
      Q5 no verification row                 -> 0
      verified = (1 + 0 + 0.5 + 0.4 + 0)/5 = 1.9/5 = 38
      final = 0.4*100 + 0.6*38 = 40 + 22.8 = 62.8 -> Cukup Informatif (claims alone: 100, Informatif).
    modest claims Q1 tidak, Q2 ya, Q3 sebagian, Q4 5, Q5 ya -> claimed (0+1+0.5+0.5+1)/5 = 60;
      Q1 sesuai -> 0 (verifying a 'tidak' earns nothing), Q2 sesuai -> 1,
      Q3 sebagian granted 'lengkap' -> min(1, 0.5) = 0.5 (the verifier never raises a claim),
      Q4 sesuai -> 0.5, Q5 sesuai -> 1; verified = 3/5 = 60; final = 0.4*60 + 0.6*60 = 60.
    """
    reg = make_region(
        tmp_path, VERIFIED,
        bodies=[("inflated", "Badan Inflated", "badan"), ("modest", "Badan Modest", "badan")],
        saq={
            "inflated": {"Q1": "ya", "Q2": "ya", "Q3": "lengkap", "Q4": "10", "Q5": "ya"},
            "modest": {"Q1": "tidak", "Q2": "ya", "Q3": "sebagian", "Q4": "5", "Q5": "ya"},
        },
        verification={
            "inflated": {"Q1": "sesuai", "Q2": "tidak sesuai", "Q3": ("sebagian", "sebagian"), "Q4": ("sebagian", "4")},
            "modest": {"Q1": "sesuai", "Q2": "sesuai", "Q3": ("sebagian", "lengkap"), "Q4": "sesuai", "Q5": "sesuai"},
        },
    )
    result = reg.score()
    inflated, modest = row_of(result, "inflated"), row_of(result, "modest")
    assert (inflated["saq"], inflated["verifikasi"], inflated["final"]) == (100.0, 38.0, 62.8)
    assert inflated["band"] == "Cukup Informatif"
    assert (modest["saq"], modest["verifikasi"], modest["final"]) == (60.0, 60.0, 60.0)
    assert modest["band"] == "Cukup Informatif"
    # per-question verified fractions, in question order Q1..Q5
    i = result.body_order.index("inflated")
    assert list(result.matrices["verifikasi"][i]) == pytest.approx([1, 0, 0.5, 0.4, 0])
    sums = contributions_by_body(result)
    assert sums["inflated"] == pytest.approx(62.8)
    assert sums["modest"] == pytest.approx(60)


def test_ki_pusat_verification_only_counts_verified(tmp_path):
    """ki-pusat-2025 weighs only the verified SAQ; the claim is shown as self_assessed.

    All 24 answers claimed in full -> self_assessed 100. Verified: only the 8 jenis questions
    (J01-J08, sesuai) -> jenis 100, everything else 0 -> saq = 0.4*100 = 40 < 60: the gate keeps
    the body out of presentasi (its 95 is replaced by 0) -> final = 0.8*40 = 32 -> Tidak Informatif.
    """
    full = {q: "ya" for q in KI_PUSAT_ANSWERS}
    full.update({"J06": "lengkap", "J08": "10", "D03": "aktif", "P03": "<=10 hari"})
    reg = make_region(
        tmp_path, "ki-pusat-2025",
        bodies=[("k", "Kementerian K", "kementerian")],
        saq={"k": full},
        verification={"k": {f"J0{i}": "sesuai" for i in range(1, 9)}},
        scores={"presentasi": {"k": 95}},
    )
    row = row_of(reg.score(), "k")
    assert (row["self_assessed"], row["saq"], row["presentasi"], row["final"]) == (100.0, 40.0, 0.0, 32.0)
    assert row["band"] == "Tidak Informatif"
    assert "Tidak lolos" in row["notes"]


# -- 4. checklist ------------------------------------------------------------------------------

def test_checklist_stage_with_item_weights(tmp_path):
    """Website checklist 40 (dip 50, sop 30, medsos 20) + uji akses 60; no questionnaire, so every
    body is assessed (there is no SAQ to return).

    p: dip ya, sop tidak, medsos 1 -> website = 50 + 20 = 70; final = 0.4*70 + 0.6*90 = 28 + 54 = 82
       -> Menuju Informatif.
    q: dip 0, sop ada, medsos missing -> website = 30; final = 0.4*30 + 0.6*50 = 12 + 30 = 42
       -> Kurang Informatif.
    """
    reg = make_region(
        tmp_path, WEBSITE,
        bodies=[("p", "Kecamatan P", "kecamatan"), ("q", "Kecamatan Q", "kecamatan")],
        website={"p": {"dip": "ya", "sop": "tidak", "medsos": "1"}, "q": {"dip": "0", "sop": "ada"}},
        scores={"uji": {"p": 90, "q": 50}},
    )
    result = reg.score()
    p, q = row_of(result, "p"), row_of(result, "q")
    assert (p["status"], p["website"], p["uji"], p["final"], p["band"], p["rank"]) == (
        "Dinilai", 70.0, 90.0, 82.0, "Menuju Informatif", 1)
    assert (q["status"], q["website"], q["uji"], q["final"], q["band"], q["rank"]) == (
        "Dinilai", 30.0, 50.0, 42.0, "Kurang Informatif", 2)
    ind = result.indicators.set_index(["body_id", "indicator"])
    assert ind.loc[("p", "dip"), "contribution"] == pytest.approx(100 * 0.5 * 0.4)  # 20 points
    assert ind.loc[("q", "medsos"), "score"] == 0
    sums = contributions_by_body(result)
    assert sums["p"] == pytest.approx(82)
    assert sums["q"] == pytest.approx(42)


def test_checklist_klaten_preset_three_stages(tmp_path):
    """klaten-2022 (1 decimal): SAQ 30 + verifikasi 50 + website 20.

    Everything claimed in full and verified -> saq = verifikasi = 100. Website: only profil (8),
    anggaran (10) and dip (10) present -> 28. final = 0.3*100 + 0.5*100 + 0.2*28 = 30 + 50 + 5.6
    = 85.6 -> Menuju Informatif.
    """
    from kiprank.core.methodology import load_methodology

    m = load_methodology("klaten-2022")
    full = {}
    for question in m.questionnaire.questions:
        full[question.id] = {"yesno": "ya", "numeric": "10"}.get(question.type) or max(
            question.options, key=question.options.get)
    reg = make_region(
        tmp_path, "klaten-2022",
        bodies=[("ngawen", "Kecamatan Ngawen", "kecamatan")],
        groups={"kecamatan": "Kecamatan", "badan": "Badan/Dinas"},
        saq={"ngawen": full},
        verification={"ngawen": {q: "sesuai" for q in full}},
        website={"ngawen": {"profil": "ya", "anggaran": "ya", "dip": "ya", "sop": "tidak"}},
    )
    row = row_of(reg.score(), "ngawen")
    assert (row["saq"], row["verifikasi"], row["website"], row["final"]) == (100.0, 100.0, 28.0, 85.6)
    assert row["band"] == "Menuju Informatif"


# -- 5. band boundaries after rounding ------------------------------------------------------------

def test_band_boundaries_after_half_up_rounding(tmp_path):
    """Score-only methodology (final = score), national bands, 2 decimals, half-up:
    89.994 -> 89.99 Menuju Informatif; 89.995 -> 90.00 Informatif; 90 -> 90.00 Informatif;
    79.995 -> 80.00 Menuju Informatif; 39.994 -> 39.99 Tidak Informatif; 40 -> Kurang Informatif.
    """
    scores = {"a": 89.994, "b": 89.995, "c": 90, "d": 79.995, "e": 39.994, "f": 40}
    reg = make_region(tmp_path, score_only(), bodies=[(b, f"Badan {b}", "g") for b in scores],
                      scores={"nilai": scores})
    result = reg.score()
    got = {b: (row_of(result, b)["final"], row_of(result, b)["band"]) for b in scores}
    assert got == {
        "a": (89.99, "Menuju Informatif"),
        "b": (90.0, "Informatif"),
        "c": (90.0, "Informatif"),
        "d": (80.0, "Menuju Informatif"),
        "e": (39.99, "Tidak Informatif"),
        "f": (40.0, "Kurang Informatif"),
    }
    # b and c are published with the same score, so they share rank 1; a is 2nd
    assert (row_of(result, "b")["rank"], row_of(result, "c")["rank"], row_of(result, "a")["rank"]) == (1, 1, 2)

    reg.run()
    with open(reg.output_folder / "ranking.csv", encoding="utf-8", newline="") as fh:
        published = {r["body_id"]: (r["final"], r["band"]) for r in csv.DictReader(fh)}
    assert published["a"] == ("89.99", "Menuju Informatif")
    assert published["b"] == ("90.00", "Informatif")
    assert published["c"] == ("90.00", "Informatif")


def test_half_up_survives_float_noise(tmp_path):
    """Three yes/no questions all 'ya' sum to 100/3 * 3, which floats give as 99.99999999999999.
    saq 80 + presentasi 20 with presentasi 49.975: final = 0.8*100 + 0.2*49.975 = 80 + 9.995
    = 89.995 exactly on paper -> 90.00 Informatif (not 89.99 Menuju Informatif).
    Same for 100 and 40.825: 80 + 8.165 = 88.165 -> 88.17.
    """
    m = one_indicator(3, [
        {"id": "saq", "label": "SAQ", "weight": 80, "source": "questionnaire"},
        {"id": "presentasi", "label": "Presentasi", "weight": 20, "source": "score"},
    ])
    reg = make_region(tmp_path, m, bodies=[("a", "A", "g"), ("b", "B", "g")],
                      saq={"a": yes(3, 3), "b": yes(3, 3)},
                      scores={"presentasi": {"a": 49.975, "b": 40.825}})
    result = reg.score()
    a, b = row_of(result, "a"), row_of(result, "b")
    assert (a["saq"], a["final"], a["band"]) == (100.0, 90.0, "Informatif")
    assert b["final"] == 88.17


# -- 6. ties -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ties, expected", [
    ("dense", {"k1": 1, "k2": 2, "k3": 2, "k4": 3, "d1": 1, "d2": 2}),
    ("min", {"k1": 1, "k2": 2, "k3": 2, "k4": 4, "d1": 1, "d2": 2}),
])
def test_tie_rules_within_groups(tmp_path, ties, expected):
    """Group kecamatan: 95, 90.004 (-> 90.00), 89.996 (-> 90.00), 85: k2 and k3 are published
    with the same 90.00 and share 2nd place; dense gives 1,2,2,3 and min gives 1,2,2,4.
    Group dinas is ranked on its own: 88 -> 1, 70 -> 2 (even though 88 < 90).
    Report order: groups as declared in region.yml (dinas first here), then rank, then name.
    """
    reg = make_region(
        tmp_path, score_only(ties=ties),
        bodies=[("k1", "Kec 1", "kecamatan"), ("k3", "Kec 3", "kecamatan"), ("k2", "Kec 2", "kecamatan"),
                ("k4", "Kec 4", "kecamatan"), ("d2", "Dinas 2", "dinas"), ("d1", "Dinas 1", "dinas")],
        groups={"dinas": "Badan/Dinas", "kecamatan": "Kecamatan"},
        scores={"nilai": {"k1": 95, "k2": 90.004, "k3": 89.996, "k4": 85, "d1": 88, "d2": 70}},
    )
    result = reg.score()
    ranks = {r.body_id: r.rank for r in result.ranking.itertuples()}
    assert ranks == expected
    assert list(result.ranking["body_id"]) == ["d1", "d2", "k1", "k2", "k3", "k4"]
    assert list(result.ranking["group_label"][:2]) == ["Badan/Dinas"] * 2


def test_rank_within_groups_function():
    from kiprank.core.scoring import rank_within_groups

    scores = pd.Series([80.0, 90.0, 90.0, 70.0, float("nan"), 50.0])
    groups = pd.Series(["a", "a", "a", "a", "a", "b"])
    assert rank_within_groups(scores, groups, "dense").tolist() == [2, 1, 1, 3, pd.NA, 1]
    assert rank_within_groups(scores, groups, "min").tolist() == [3, 1, 1, 4, pd.NA, 1]


# -- 7. gates ------------------------------------------------------------------------------------

def gate_methodology(gate):
    return one_indicator(5, [
        {"id": "saq", "label": "SAQ", "weight": 70, "source": "questionnaire"},
        {"id": "presentasi", "label": "Presentasi", "weight": 30, "source": "score", "gate": gate},
    ])


GATE_BODIES = [("g1", "Badan 1", "badan"), ("g2", "Badan 2", "badan"), ("g3", "Badan 3", "badan")]
GATE_SAQ = {"g1": yes(4, 5), "g2": yes(2, 5), "g3": yes(3, 5)}
GATE_SCORES = {"presentasi": {"g1": 70, "g2": 90, "g3": 50}}


@pytest.mark.parametrize("otherwise, g2_presentasi, g2_final, g2_band", [
    (0, 0.0, 28.0, "Tidak Informatif"),
    (25, 25.0, 35.5, "Tidak Informatif"),
    ("carry", 40.0, 40.0, "Kurang Informatif"),
])
def test_gate_min_score(tmp_path, otherwise, g2_presentasi, g2_final, g2_band):
    """SAQ 70 (5 yes/no questions) + presentasi 30, gate: saq >= 60.

    g1: 4/5 = 80 passes; final = 0.7*80 + 0.3*70 = 56 + 21 = 77.
    g3: 3/5 = 60 = the threshold, passes; final = 0.7*60 + 0.3*50 = 42 + 15 = 57.
    g2: 2/5 = 40 fails; its presentasi score of 90 is not used:
        otherwise 0      -> final = 0.7*40 + 0.3*0  = 28    Tidak Informatif
        otherwise 25     -> final = 28 + 0.3*25     = 35.5  Tidak Informatif
        otherwise carry  -> presentasi = saq = 40; final = 28 + 0.3*40 = 40  Kurang Informatif
    """
    reg = make_region(tmp_path, gate_methodology({"stage": "saq", "min_score": 60, "otherwise": otherwise}),
                      bodies=GATE_BODIES, saq=GATE_SAQ, scores=GATE_SCORES)
    result = reg.score()
    g1, g2, g3 = (row_of(result, b) for b in ("g1", "g2", "g3"))
    assert (g1["presentasi"], g1["final"], g1["notes"]) == (70.0, 77.0, "")
    assert (g3["presentasi"], g3["final"], g3["notes"]) == (50.0, 57.0, "")
    assert (g2["saq"], g2["presentasi"], g2["final"], g2["band"]) == (40.0, g2_presentasi, g2_final, g2_band)
    assert "Tidak lolos" in g2["notes"] and "presentasi" in g2["notes"]
    sums = contributions_by_body(result)
    assert sums["g2"] == pytest.approx(g2_final)
    assert sums["g1"] == pytest.approx(77)


def test_gate_top_n_per_group(tmp_path):
    """Two score stages (tahap1 50, tahap2 50); tahap2 only for the top 3 of each group on tahap1.

    Group a, tahap1: a1 90, a2 85, a3 85, a4 80. Competition ranks 1, 2, 2, 4: the tie at the cut
    lets a2 and a3 both through, a4 is the fourth best and stays out (tahap2 = 0 instead of 100).
      a1 = 0.5*90 + 0.5*60 = 75; a2 = 0.5*85 + 0.5*70 = 77.5; a3 = 42.5 + 0.5*50 = 67.5;
      a4 = 0.5*80 + 0 = 40.
    Group b: b1 tahap1 30 is the best of its group -> passes: 0.5*30 + 0.5*40 = 35.
    """
    m = {
        "id": "topn", "name": "top n",
        "stages": [
            {"id": "tahap1", "label": "Tahap 1", "weight": 50, "source": "score"},
            {"id": "tahap2", "label": "Tahap 2", "weight": 50, "source": "score",
             "gate": {"stage": "tahap1", "top_n": 3}},
        ],
        "bands": NATIONAL_BANDS,
    }
    reg = make_region(
        tmp_path, m,
        bodies=[("a1", "A1", "a"), ("a2", "A2", "a"), ("a3", "A3", "a"), ("a4", "A4", "a"), ("b1", "B1", "b")],
        scores={"tahap1": {"a1": 90, "a2": 85, "a3": 85, "a4": 80, "b1": 30},
                "tahap2": {"a1": 60, "a2": 70, "a3": 50, "a4": 100, "b1": 40}},
    )
    result = reg.score()
    finals = {r.body_id: r.final for r in result.ranking.itertuples()}
    assert finals == {"a1": 75.0, "a2": 77.5, "a3": 67.5, "a4": 40.0, "b1": 35.0}
    assert row_of(result, "a4")["tahap2"] == 0.0
    assert "3 teratas" in row_of(result, "a4")["notes"]  # the published table speaks Indonesian
    from kiprank.core.scoring import body_notes

    assert body_notes(result, "a4", "en") == "Did not pass to stage tahap2 (top 3 per group on tahap1): score 0"
    assert row_of(result, "b1")["notes"] == ""
    sums = contributions_by_body(result)
    for body, final in finals.items():
        assert sums[body] == pytest.approx(final)


# -- 8. non-returners ----------------------------------------------------------------------------

def test_non_returners_default_unranked(tmp_path):
    """two-stage fixture; n1 and n2 sent no SAQ (n1 still has a presentasi score, which is ignored).
    They get the status and band of ``not_returned`` (defaults: 'Tidak mengembalikan SAQ',
    'Tidak Informatif'), no score and no rank, and are listed after the ranked bodies.
    r: everything yes -> saq 100; final = 0.8*100 + 0.2*60 = 92 -> rank 1.
    """
    reg = make_region(
        tmp_path, TWO_STAGE,
        bodies=[("n1", "Badan N1", "badan"), ("r", "Badan R", "badan"), ("n2", "Badan N2", "badan")],
        saq={"r": {"A1": "ya", "A2": "ya", "A3": "ya", "B1": "ya", "B2": "ya"}},
        scores={"presentasi": {"r": 60, "n1": 99}},
    )
    result = reg.score()
    r = row_of(result, "r")
    assert (r["status"], r["final"], r["rank"], r["returned"]) == ("Dinilai", 92.0, 1, True)
    for body in ("n1", "n2"):
        n = row_of(result, body)
        assert n["status"] == "Tidak mengembalikan SAQ"
        assert n["band"] == "Tidak Informatif"
        assert not n["returned"]
        assert pd.isna(n["rank"])
        assert math.isnan(n["final"]) and math.isnan(n["saq"]) and math.isnan(n["presentasi"])
    assert list(result.ranking["body_id"]) == ["r", "n1", "n2"]
    assert set(result.indicators["body_id"]) == {"r"}


def test_non_returners_custom_status(tmp_path):
    """KID DIY style: not returned = 'tidak dinilai', with its own band label, unranked."""
    m = score_only()
    m["stages"] = [{"id": "saq", "label": "SAQ", "weight": 100, "source": "questionnaire"}]
    m["questionnaire"] = {"indicators": [{"id": "X", "label": "X", "weight": 100}],
                          "questions": [{"id": "Q1", "indicator": "X", "type": "yesno"}]}
    m["not_returned"] = {"status": "Tidak dinilai", "band": "Tidak dinilai", "ranked": False}
    reg = make_region(tmp_path, m, bodies=[("a", "A", "g"), ("n", "N", "g")], saq={"a": {"Q1": "ya"}})
    n = row_of(reg.score(), "n")
    assert (n["status"], n["band"]) == ("Tidak dinilai", "Tidak dinilai")
    assert pd.isna(n["rank"])


@pytest.mark.parametrize("ties, expected_rank", [("dense", 3), ("min", 4)])
def test_non_returners_ranked_variant(tmp_path, ties, expected_rank):
    """KI Pusat counts non-returners as Tidak Informatif: with ``ranked: true, score: 0`` they get
    final 0, the not_returned status and band, and share the last rank.
    b, c: 2 of 2 yes = 100 (Informatif); a: 1 of 2 = 50 (Kurang Informatif); n1, n2: no SAQ -> 0.
    dense: b 1, c 1, a 2, n1 3, n2 3;   min: b 1, c 1, a 3, n1 4, n2 4.
    """
    m = {
        "id": "nr", "name": "nr", "ranking": {"ties": ties},
        "stages": [{"id": "saq", "label": "SAQ", "weight": 100, "source": "questionnaire"}],
        "questionnaire": {"indicators": [{"id": "X", "label": "X", "weight": 100}],
                          "questions": [{"id": "Q1", "indicator": "X", "type": "yesno"},
                                        {"id": "Q2", "indicator": "X", "type": "yesno"}]},
        "bands": NATIONAL_BANDS,
        "not_returned": {"status": "Tidak kooperatif", "band": "Tidak Informatif", "ranked": True, "score": 0},
    }
    reg = make_region(
        tmp_path, m,
        bodies=[("a", "A", "g"), ("b", "B", "g"), ("c", "C", "g"), ("n1", "N1", "g"), ("n2", "N2", "g")],
        saq={"a": {"Q1": "ya", "Q2": "tidak"}, "b": {"Q1": "ya", "Q2": "ya"}, "c": {"Q1": "ya", "Q2": "ya"}},
    )
    result = reg.score()
    a = row_of(result, "a")
    assert (a["final"], a["band"], a["rank"]) == (50.0, "Kurang Informatif", 2 if ties == "dense" else 3)
    for body in ("n1", "n2"):
        n = row_of(result, body)
        assert (n["status"], n["final"], n["band"], n["rank"]) == (
            "Tidak kooperatif", 0.0, "Tidak Informatif", expected_rank)
    assert list(result.ranking["body_id"][-2:]) == ["n1", "n2"]


def test_non_returners_with_ki_pusat_preset(tmp_path):
    """ki-pusat-2025 says: 'Tidak mengembalikan SAQ (tidak kooperatif)', Tidak Informatif, unranked."""
    reg = make_region(
        tmp_path, "ki-pusat-2025",
        bodies=[("k", "Kementerian K", "kementerian"), ("n", "Kementerian N", "kementerian")],
        saq={"k": KI_PUSAT_ANSWERS},
        verification={"k": {q: "sesuai" for q in KI_PUSAT_ANSWERS}},
        scores={"presentasi": {"k": 80}},
    )
    n = row_of(reg.score(), "n")
    assert n["status"] == "Tidak mengembalikan SAQ (tidak kooperatif)"
    assert n["band"] == "Tidak Informatif"
    assert pd.isna(n["rank"])


# -- contributions, determinism, export safety -------------------------------------------------

@pytest.mark.parametrize("rule", ["zero", "not-assessed"])
def test_contributions_add_up_to_unrounded_final(tmp_path, rule):
    """For every assessed body, the contributions of its indicator rows add up to the final score
    before rounding: recomputed here from the unrounded stage scores and stage weights (of the
    stages assessed, rescaled to 100, when b3's missing presentation score is not assessed)."""
    import yaml

    from kiprank.core.methodology import PRESET_DIR

    method = yaml.safe_load((PRESET_DIR / "perki-5-2016.yml").read_text(encoding="utf-8"))
    next(s for s in method["stages"] if s["id"] == "presentasi")["missing"] = rule
    reg = make_region(
        tmp_path, method,
        bodies=[("b1", "B1", "kab"), ("b2", "B2", "kab"), ("b3", "B3", "kota")],
        groups={"kab": "Kabupaten", "kota": "Kota"},
        saq={
            "b1": {"W01": "ya", "W03": "mingguan", "A04": "3", "L04": "11-17 hari", "V04": "7,5", "V01": "ya"},
            "b2": {"W01": "ya", "W02": "ya", "W03": "harian", "A01": "ya", "L01": "ya", "V02": "ya"},
            "b3": {"W05": "tidak"},
        },
        verification={"b1": {"W01": "sesuai", "W03": ("sebagian", "bulanan"), "V04": ("sebagian", "2.5")},
                      "b2": {"W01": "sesuai", "W02": "tidak sesuai", "L01": "sesuai"}},
        website={"b1": {"profil": "ya", "dip": "ya", "medsos": "ya"}, "b3": {"keuangan": "ya"}},
        scores={"presentasi": {"b1": 77.7, "b2": 66.6}},
    )
    inputs = reg.load()
    from kiprank.core.scoring import score

    result = score(inputs)
    sums = contributions_by_body(result)
    m = inputs.methodology
    for body in ("b1", "b2", "b3"):
        row = row_of(result, body)
        recomputed = weights = 0.0
        for stage in m.stages:
            ind = result.indicators[(result.indicators.body_id == body) & (result.indicators.stage == stage.id)]
            if body == "b3" and stage.id == "presentasi" and rule == "not-assessed":
                assert math.isnan(row[stage.id]) and ind["contribution"].sum() == 0
                continue
            stage_score = (ind["score"] * ind["indicator_weight"]).sum() / 100
            assert m.round(stage_score) == row[stage.id], (body, stage.id)
            recomputed += stage.weight * stage_score / 100
            weights += stage.weight
        assert sums[body] == pytest.approx(recomputed * 100 / weights, abs=1e-9)
        assert m.round(sums[body]) == row["final"]


def _sample_region(tmp_path, names=None):
    names = names or ["Dinas A", "Dinas B", "Kecamatan C"]
    return make_region(
        tmp_path, TWO_STAGE,
        bodies=[("a", names[0], "dinas"), ("b", names[1], "dinas"), ("c", names[2], "kecamatan")] + [
            (f"x{i}", name, "kecamatan") for i, name in enumerate(names[3:])],
        saq={"a": {"A1": "ya", "B2": "ya"}, "b": {"A1": "ya", "A2": "ya", "B1": "ya"}, "c": {"A3": "ya"},
             **{f"x{i}": {"A1": "ya"} for i in range(len(names) - 3)}},
        scores={"presentasi": {"a": 81.25, "b": 66.666, "c": 12}},
    )


def test_outputs_are_byte_identical_across_runs(tmp_path):
    reg1 = _sample_region(tmp_path / "one")
    reg2 = _sample_region(tmp_path / "two")
    reg1.run()
    first = {name: (reg1.output_folder / name).read_bytes() for name in ("ranking.csv", "ranking.xlsx", "indicators.csv")}
    reg2.run()
    reg1.run()  # again, over its own previous outputs
    for name, data in first.items():
        assert (reg2.output_folder / name).read_bytes() == data, name
        assert (reg1.output_folder / name).read_bytes() == data, name
    assert len(first["ranking.xlsx"]) > 0


def test_formula_like_names_are_not_formulas(tmp_path):
    """Names starting with = + - @ are published as text: prefixed with ' in ranking.csv, and
    stored as plain strings (data_type 's') in ranking.xlsx."""
    names = ["=cmd|' /C calc'!A0", "+1", "-2", "@x", "Dinas Normal"]
    reg = _sample_region(tmp_path, names=names)
    folder, _ = reg.run()
    with open(folder / "ranking.csv", encoding="utf-8", newline="") as fh:
        published = {r["body_id"]: r["name"] for r in csv.DictReader(fh)}
    assert published["a"] == "'=cmd|' /C calc'!A0"
    assert published["b"] == "'+1"
    assert published["c"] == "'-2"
    assert published["x0"] == "'@x"
    assert published["x1"] == "Dinas Normal"

    ws = load_workbook(folder / "ranking.xlsx")["ranking"]
    header = [c.value for c in ws[1]]
    name_col = header.index("name") + 1
    cells = {ws.cell(row=r, column=name_col).value: ws.cell(row=r, column=name_col)
             for r in range(2, ws.max_row + 1)}
    for name in names:
        assert name in cells, name
        assert cells[name].data_type == "s", (name, cells[name].data_type)
