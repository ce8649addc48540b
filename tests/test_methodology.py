"""Methodology files: presets load, rules are enforced with clear messages, rounding and bands."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import FIXTURES, NATIONAL_BANDS, make_region
from kiprank.core.errors import MethodologyError
from kiprank.core.methodology import (Methodology, list_presets, load_methodology, methodology_sha256, round_half_up)

BASE = {
    "id": "base",
    "name": "Base",
    "decimals": 2,
    "stages": [
        {"id": "saq", "label": "SAQ", "weight": 70, "source": "questionnaire"},
        {"id": "presentasi", "label": "Presentasi", "weight": 30, "source": "score"},
    ],
    "questionnaire": {
        "indicators": [{"id": "A", "label": "A", "weight": 60}, {"id": "B", "label": "B", "weight": 40}],
        "questions": [{"id": "Q1", "indicator": "A", "type": "yesno"},
                      {"id": "Q2", "indicator": "B", "type": "yesno"}],
    },
    "bands": NATIONAL_BANDS,
}


def load_dict(tmp_path, data, name="m.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_methodology(path)


def broken(tmp_path, change):
    """Apply ``change`` to a copy of BASE and return the MethodologyError it raises."""
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(MethodologyError) as info:
        load_dict(tmp_path, data)
    message = str(info.value)
    assert str(tmp_path / "m.yml") in message  # names the file
    return message


def test_base_is_valid(tmp_path):
    m = load_dict(tmp_path, BASE)
    assert isinstance(m, Methodology)
    assert [s.id for s in m.stages] == ["saq", "presentasi"]


# -- presets -----------------------------------------------------------------------------------

def test_three_presets_load():
    presets = {m.id: m for m in list_presets()}
    assert set(presets) == {"ki-pusat-2025", "klaten-2022", "perki-5-2016"}
    for m in presets.values():
        assert sum(s.weight for s in m.stages) == 100
        assert m.bands[-1].min == 0
        assert m.sources and m.assumptions  # every preset says where it comes from and what it assumes


def test_ki_pusat_2025_preset_weights():
    m = load_methodology("ki-pusat-2025")
    assert [(s.id, s.weight, s.source) for s in m.stages] == [("saq", 80, "verification"), ("presentasi", 20, "score")]
    assert [(i.id, i.weight) for i in m.questionnaire.indicators] == [
        ("jenis", 40), ("digitalisasi", 20), ("kualitas", 10), ("pelayanan", 10), ("komitmen", 10), ("sarpras", 10)]
    assert [b.min for b in m.bands] == [90, 80, 60, 40, 0]
    assert m.stage("presentasi").gate.min_score == 60


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(MethodologyError, match="ki-pusat-2025, klaten-2022, perki-5-2016"):
        load_methodology("ki-pusat-1999")


def test_fixture_methodologies_load():
    for path in (FIXTURES / "two-stage.yml", FIXTURES / "verified.yml", FIXTURES / "website.yml"):
        assert load_methodology(path).id.startswith("test-")


def test_relative_methodology_path_from_region(tmp_path):
    """region.yml refers to its methodology by a path relative to the region folder."""
    reg = make_region(tmp_path, BASE, bodies=[("a", "A", "g")], saq={"a": {"Q1": "ya"}}, scores={"presentasi": {"a": 50}})
    text = (reg.folder / "region.yml").read_text()
    assert "methodology: ../../methodologies/custom.yml" in text
    inputs = reg.load()
    assert inputs.methodology.id == "base"
    assert inputs.methodology_path.resolve() == (reg.inputs_root / "methodologies" / "custom.yml").resolve()
    assert len(methodology_sha256("../../methodologies/custom.yml", reg.folder)) == 64


# -- rules, each with a clear message ---------------------------------------------------------

def test_stage_weights_must_sum_to_100(tmp_path):
    msg = broken(tmp_path, lambda d: d["stages"][1].update(weight=40))
    assert "stage weights must sum to 100, they sum to 110 (70 + 40)" in msg


def test_indicator_weights_must_sum_to_100(tmp_path):
    msg = broken(tmp_path, lambda d: d["questionnaire"]["indicators"][1].update(weight=30))
    assert "indicator weights must sum to 100, they sum to 90 (60 + 30)" in msg


def test_checklist_item_weights_must_sum_to_100(tmp_path):
    def change(d):
        d["stages"][1] = {"id": "web", "label": "Web", "weight": 30, "source": "checklist",
                          "items": [{"id": "dip", "label": "DIP", "weight": 50},
                                    {"id": "sop", "label": "SOP", "weight": 40}]}
    assert "stage web item weights must sum to 100, they sum to 90" in broken(tmp_path, change)


@pytest.mark.parametrize("off,accepted", [(4e-7, True), (-4e-7, True), (4e-6, False), (-4e-6, False)])
def test_weights_within_tolerance_are_accepted(tmp_path, off, accepted):
    """Stage weights summing to 100 +- 4e-7 (a weight copied with a rounding slip) are accepted, as
    WEIGHT_TOLERANCE (1e-6) says; 100 +- 4e-6 is refused. (Weights that sum to exactly 100 in
    floating point would pass with no tolerance at all, so the sums here are really off.)"""
    from kiprank.core.methodology import WEIGHT_TOLERANCE

    assert abs(off) < WEIGHT_TOLERANCE if accepted else abs(off) > WEIGHT_TOLERANCE
    data = copy.deepcopy(BASE)
    data["stages"][0]["weight"] = 70 + off
    data["stages"][1]["weight"] = 30
    assert sum(s["weight"] for s in data["stages"]) != 100
    if accepted:
        load_dict(tmp_path, data)
    else:
        with pytest.raises(MethodologyError, match="stage weights must sum to 100"):
            load_dict(tmp_path, data)


def test_band_gap_with_max(tmp_path):
    """'80 - 89.9' as the sources write it leaves 89.91..89.99 without a band at 2 decimals."""
    def change(d):
        d["bands"][1]["max"] = 89.9
    msg = broken(tmp_path, change)
    assert "gap between bands" in msg
    assert "'Menuju Informatif' ends at 89.9" in msg and "'Informatif' starts at 90" in msg
    assert "89.91" in msg


def test_band_max_fitting_the_decimals_is_not_a_gap(tmp_path):
    data = copy.deepcopy(BASE)
    data["bands"] = copy.deepcopy(NATIONAL_BANDS)
    data["bands"][1]["max"] = 89.99
    data["bands"][0]["max"] = 100
    assert load_dict(tmp_path, data).band_for(89.99) == "Menuju Informatif"
    data["decimals"] = 1
    data["bands"][1]["max"] = 89.9
    assert load_dict(tmp_path, data).band_for(89.9) == "Menuju Informatif"


def test_band_overlap(tmp_path):
    def change(d):
        d["bands"][1]["max"] = 90.5
    msg = broken(tmp_path, change)
    assert "bands overlap" in msg and "'Menuju Informatif' goes up to 90.5" in msg


def test_lowest_band_must_start_at_0(tmp_path):
    def change(d):
        d["bands"][-1]["min"] = 10
    msg = broken(tmp_path, change)
    assert "lowest band must start at 0" in msg and "10" in msg


def test_bands_must_be_ordered(tmp_path):
    def change(d):
        d["bands"][0], d["bands"][1] = d["bands"][1], d["bands"][0]
    assert "highest lower bound down" in broken(tmp_path, change)


def test_top_band_must_reach_100(tmp_path):
    def change(d):
        d["bands"][0]["max"] = 99
    assert "must reach 100" in broken(tmp_path, change)


def test_unknown_indicator(tmp_path):
    msg = broken(tmp_path, lambda d: d["questionnaire"]["questions"][1].update(indicator="C"))
    assert "question Q2: unknown indicator 'C'" in msg


def test_indicator_without_questions(tmp_path):
    msg = broken(tmp_path, lambda d: d["questionnaire"]["questions"].pop())
    assert "indicators without questions: ['B']" in msg


def test_gate_referring_to_a_later_stage(tmp_path):
    def change(d):
        d["stages"][0]["gate"] = {"stage": "presentasi", "min_score": 60}
    msg = broken(tmp_path, change)
    assert "stage saq: gate refers to 'presentasi', which is not an earlier stage" in msg


@pytest.mark.parametrize("target", ["presentasi", "nowhere"])
def test_gate_referring_to_itself_or_unknown(tmp_path, target):
    def change(d):
        d["stages"][1]["gate"] = {"stage": target, "min_score": 60}
    assert f"gate refers to '{target}'" in broken(tmp_path, change)


def test_gate_needs_exactly_one_rule(tmp_path):
    def change(d):
        d["stages"][1]["gate"] = {"stage": "saq", "min_score": 60, "top_n": 3}
    assert "exactly one of 'min_score' or 'top_n'" in broken(tmp_path, change)


def test_gate_otherwise_out_of_range(tmp_path):
    def change(d):
        d["stages"][1]["gate"] = {"stage": "saq", "min_score": 60, "otherwise": 150}
    assert "otherwise" in broken(tmp_path, change)


def test_duplicate_ids(tmp_path):
    def change(d):
        d["questionnaire"]["questions"][1]["id"] = "Q1"
    assert "duplicate question id: ['Q1']" in broken(tmp_path, change)


def test_graded_question_needs_options(tmp_path):
    def change(d):
        d["questionnaire"]["questions"][0].update(type="graded", options={"lengkap": 2})
    assert "question Q1: a graded question needs at least two options" in broken(tmp_path, change)


def test_numeric_question_needs_max(tmp_path):
    msg = broken(tmp_path, lambda d: d["questionnaire"]["questions"][0].update(type="numeric"))
    assert "question Q1: a numeric question needs 'max'" in msg


def test_verification_stage_needs_questionnaire(tmp_path):
    def change(d):
        del d["questionnaire"]
    assert "needs a 'questionnaire' section" in broken(tmp_path, change)


def test_unknown_key_is_refused(tmp_path):
    """A misspelt key (``weigth``) must not be silently ignored."""
    def change(d):
        d["stages"][1]["weigth"] = d["stages"][1].pop("weight")
    msg = broken(tmp_path, change)
    assert "stages.1.weigth" in msg


def test_unknown_tie_rule(tmp_path):
    def change(d):
        d["ranking"] = {"ties": "average"}
    assert "ranking.ties" in broken(tmp_path, change)


def test_not_yaml_mapping(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match="mapping"):
        load_methodology(path)


def test_broken_methodology_stops_load_region(tmp_path):
    data = copy.deepcopy(BASE)
    data["stages"][1]["weight"] = 40
    reg = make_region(tmp_path, data, bodies=[("a", "A", "g")], saq={"a": {"Q1": "ya"}})
    with pytest.raises(MethodologyError, match="stage weights must sum to 100"):
        reg.load()


# -- rounding and bands ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, decimals, expected", [
    (89.994, 2, 89.99),
    (89.995, 2, 90.0),
    (90.0, 2, 90.0),
    (2.675, 2, 2.68),      # banker's rounding / binary float would give 2.67
    (0.125, 2, 0.13),
    (84.25, 1, 84.3),
    (84.35, 1, 84.4),
    (99.99999999999999, 2, 100.0),
    (89.99499999999999, 2, 90.0),   # float noise of 0.8 * 99.99999999999999 + 0.2 * 49.975
    (70.5, 0, 71.0),
])
def test_round_half_up(value, decimals, expected):
    assert round_half_up(value, decimals) == expected


def test_round_half_up_keeps_nan():
    assert round_half_up(float("nan"), 2) != round_half_up(float("nan"), 2)


def test_band_for_rounded_scores():
    m = load_methodology("ki-pusat-2025")
    cases = {100: "Informatif", 90: "Informatif", 89.99: "Menuju Informatif", 80: "Menuju Informatif",
             79.99: "Cukup Informatif", 60: "Cukup Informatif", 59.99: "Kurang Informatif",
             40: "Kurang Informatif", 39.99: "Tidak Informatif", 0: "Tidak Informatif"}
    for score, band in cases.items():
        assert m.band_for(score) == band, score
    assert m.band_for(m.round(89.995)) == "Informatif"
    assert m.band_for(m.round(89.994)) == "Menuju Informatif"


def test_custom_bands_are_data(tmp_path):
    """KI Jateng 2020 election bodies: Informatif from 97."""
    data = copy.deepcopy(BASE)
    data["bands"] = [{"label": "Informatif", "min": 97}, {"label": "Menuju Informatif", "min": 80},
                     {"label": "Cukup Informatif", "min": 60}, {"label": "Kurang Informatif", "min": 40},
                     {"label": "Tidak Informatif", "min": 0}]
    m = load_dict(tmp_path, data)
    assert m.band_for(96.99) == "Menuju Informatif"
    assert m.band_for(97) == "Informatif"


@pytest.mark.parametrize("label,short", [
    ("Self Assessment Questionnaire (SAQ)", "SAQ"),
    ("Visitasi (verifikasi SAQ)", "Visitasi"),            # a bracket of words is not an acronym
    ("Verifikasi data dukung dan visitasi", "Verifikasi"),  # three words before 'dan': the first
    ("Pemeriksaan website dan media sosial", "Pemeriksaan website"),
    ("Pemeriksaan website", "Pemeriksaan website"),
    ("Presentasi / uji publik / visitasi", "Presentasi"),
    ("SAQ terverifikasi", "SAQ terverifikasi"),
    ("Website and social media", "Website"),
    ("Penilaian Keterbukaan", "Penilaian Keterbukaan"),
    ("Penilaian Keterbukaan Informasi", "Penilaian"),
])
def test_one_short_stage_label_rule(label, short):
    """The report's columns, the letters and the comparison name a stage by this one rule."""
    from kiprank.core.methodology import Stage, short_stage_label

    stage = Stage(id="x", label=label, weight=100, source="score")
    assert short_stage_label(stage) == short
    assert short_stage_label(None, "fallback") == "fallback"
