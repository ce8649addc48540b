"""Year-over-year comparison: matching, rank/band changes, the exact decomposition of score changes,
methodology changes (method vs answers), the crosswalk, several years, and the published report.

Hand-computed cases use the two-stage test methodology (tests/fixtures/two-stage.yml):
SAQ 80 (indicator A 40: A1..A3 equal; indicator B 60: B1 weight 1, B2 weight 3) + presentasi 20.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from conftest import FIXTURES, make_region
from kiprank.analysis import compare as cmp
from kiprank.report import comparison as comparereport
from kiprank.runs.comparison import COMPARISON_FILES
from kiprank.runs.comparison import output_folder as comparison_output_folder
from kiprank.cli import main
from kiprank.core.errors import InputValidationError, UsageError
from kiprank.core.methodology import round_half_up

REPO = Path(__file__).resolve().parent.parent
DEMO_INPUTS = REPO / "inputs"
TWO_STAGE = FIXTURES / "two-stage.yml"
ALL_YES = {"A1": "ya", "A2": "ya", "A3": "ya", "B1": "ya", "B2": "ya"}
A1_NO = {**ALL_YES, "A1": "tidak"}
HAS_DEMO = (DEMO_INPUTS / "2018" / "jateng").is_dir() and (DEMO_INPUTS / "2019" / "jateng").is_dir()
demo = pytest.mark.skipif(not HAS_DEMO, reason="demo data inputs/2018|2019/jateng not present")
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")


def two_stage(**changes) -> dict:
    m = yaml.safe_load(TWO_STAGE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        m[key] = value
    return m


def write_methodology(tmp_path: Path, name: str, data: dict) -> Path:
    folder = tmp_path / "methodology-files"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def years_of(tmp_path, methodologies: dict[int, Path | str], bodies: dict[int, list], saq: dict[int, dict],
             scores: dict[int, dict]):
    """make_region for each year in one inputs root; returns the inputs root."""
    reg = None
    for year, method in methodologies.items():
        reg = make_region(tmp_path, method, bodies=bodies[year], saq=saq[year],
                          scores={"presentasi": scores[year]}, year=year, groups={"dinas": "Dinas"})
    return reg.inputs_root


def exact_sums_match(pair: cmp.PairComparison) -> float:
    """Largest |sum of a body's decomposition - its exact change|."""
    sums = pair.decomposition.groupby("key")["change"].sum()
    exact = pair.changes.set_index("key")["exact_change"].dropna()
    assert set(sums.index) == set(exact.index)
    return float((sums - exact.reindex(sums.index)).abs().max())


# -- the decomposition adds up ------------------------------------------------------------------

def test_decomposition_synthetic_by_hand(tmp_path):
    """Body a: 2018 all yes, presentasi 80 -> SAQ 100, final 0.8*100 + 0.2*80 = 96.
    2019: A1 no -> A = 66.667, SAQ = 0.4*66.667 + 0.6*100 = 86.667; presentasi 90 ->
    final 0.8*86.667 + 18 = 87.3333 -> published 87.33.
    Contributions: SAQ/A 32 -> 21.333 (-10.667); SAQ/B 48 -> 48 (0); presentasi 16 -> 18 (+2);
    sum -8.6667 = exact change. Published change 87.33 - 96.00 = -8.67, residual -0.00333.
    Body b: B2 no in 2018 (B = 25: SAQ = 40 + 15 = 55; final 44 + 0.2*50 = 54), all yes in 2019
    (final 80 + 10 = 90): +36, all from SAQ/B (+36)."""
    root = years_of(
        tmp_path, {2018: TWO_STAGE, 2019: TWO_STAGE},
        bodies={y: [("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas")] for y in (2018, 2019)},
        saq={2018: {"a": ALL_YES, "b": {**ALL_YES, "B2": "tidak"}}, 2019: {"a": A1_NO, "b": ALL_YES}},
        scores={2018: {"a": 80, "b": 50}, 2019: {"a": 90, "b": 50}})
    comp = cmp.load_comparison("testland", [2018, 2019], root)
    pair = comp.pairs[0]
    d = pair.decomposition.set_index(["key", "stage", "indicator"])["change"]
    assert d[("a", "saq", "A")] == pytest.approx(-32 / 3)
    assert d[("a", "saq", "B")] == pytest.approx(0)
    assert d[("a", "presentasi", "presentasi")] == pytest.approx(2)
    assert d[("b", "saq", "B")] == pytest.approx(36)
    assert exact_sums_match(pair) < 1e-9
    ch = pair.changes.set_index("key")
    assert ch.at["a", "exact_change"] == pytest.approx(-26 / 3)
    assert ch.at["a", "final_change"] == pytest.approx(-8.67)
    assert ch.at["a", "rounding_residual"] == pytest.approx(-8.67 + 26 / 3)
    assert ch.at["b", "exact_change"] == pytest.approx(36)
    assert ch.at["b", "rank_1"] == 2 and ch.at["b", "rank_2"] == 1 and ch.at["b", "rank_change"] == 1
    assert ch.at["a", "movement"] == "down" and ch.at["b", "movement"] == "up"
    # 54 Kurang Informatif -> 90 Informatif: three bands better; 96 Informatif -> 87.33 Menuju: one worse
    assert ch.at["b", "band_change"] == 3 and ch.at["a", "band_change"] == -1
    assert pair.transitions.at["Informatif", "Menuju Informatif"] == 1
    assert pair.transitions.at["Kurang Informatif", "Informatif"] == 1
    assert pair.transitions.to_numpy().sum() == 2
    wide = cmp.stage_change_table(pair.decomposition)
    assert wide.at["a", "saq"] == pytest.approx(-32 / 3) and wide.at["a", "total"] == pytest.approx(-26 / 3)
    assert cmp.drivers_sentence(pair.decomposition, "a", pair.after.methodology, "en") == \
        "SAQ fell 10.7 points, mainly indicator Indicator A (\u221210.7)."


@demo
def test_decomposition_adds_up_on_demo_data():
    comp = cmp.load_comparison("jateng", [2018, 2019], DEMO_INPUTS)
    pair = comp.pairs[0]
    assert exact_sums_match(pair) < 1e-9
    # the 'exact' finals are the unrounded finals: rounding them gives the published scores
    for run in comp.runs:
        u = cmp.unrounded_finals(run.result)
        r = run.result.ranking.set_index("body_id")
        assessed = r["returned"].astype(bool)
        published = round_half_up(u[assessed].to_numpy(), run.methodology.decimals)
        assert np.array_equal(published, r.loc[assessed, "final"].to_numpy(dtype=float))
    # the rounding residual is what separates the published change from the exact change
    ch = pair.changes.dropna(subset=["exact_change"])
    assert np.allclose(ch["final_change"], ch["exact_change"] + ch["rounding_residual"], atol=1e-12)
    assert (ch["rounding_residual"].abs() <= 10 ** -2 + 1e-9).all()


# -- Kudus on the demo data ---------------------------------------------------------------------

@demo
def test_kudus_declines_in_rank_and_saq_and_its_drivers_are_named():
    comp = cmp.load_comparison("jateng", [2018, 2019], DEMO_INPUTS)
    key = cmp.focus_key(comp, "kudus")
    assert key == "kab-kudus"
    assert cmp.focus_key(comp, "Kabupaten Kudus") == key == cmp.focus_key(comp, "KAB-KUDUS")
    pair = comp.pairs[0]
    row = pair.changes.set_index("key").loc[key]
    assert row["rank_2"] > row["rank_1"] and row["rank_change"] < 0 and row["movement"] == "down"
    saq = [r.result.ranking.set_index("body_id").at[key, "saq"] for r in comp.runs]
    assert saq[1] < saq[0]
    stages = cmp.stage_change_table(pair.decomposition).loc[key]
    assert stages["saq"] < 0
    sentence = cmp.drivers_sentence(pair.decomposition, key, pair.after.methodology, "id")
    assert "SAQ turun" in sentence
    assert "Pengumuman informasi publik" in sentence and "Penyediaan informasi publik" in sentence


def test_find_body_rules():
    bodies = pd.DataFrame({"body_id": ["kab-kudus", "kab-pekalongan", "kota-pekalongan"],
                           "name": ["Kabupaten Kudus", "Kabupaten Pekalongan", "Kota Pekalongan"]})
    assert cmp.find_body(bodies, "kudus") == "kab-kudus"
    assert cmp.find_body(bodies, "KABUPATEN KUDUS") == "kab-kudus"
    assert cmp.find_body(bodies, "kota pekalongan") == "kota-pekalongan"
    with pytest.raises(UsageError, match="several bodies.*kab-pekalongan.*kota-pekalongan"):
        cmp.find_body(bodies, "pekalongan")
    with pytest.raises(UsageError, match="matches no body"):
        cmp.find_body(bodies, "semarang")


# -- the published comparison report ------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    if not HAS_DEMO:
        pytest.skip("demo data not present")
    out = tmp_path_factory.mktemp("compare-out")
    result = CliRunner().invoke(main, ["compare", "--region", "jateng", "--years", "2018", "2019", "--focus", "kudus",
                                       "--inputs-root", str(DEMO_INPUTS), "--outputs-root", str(out),
                                       "--date", "2025-01-15"])
    assert result.exit_code == 0, result.output
    return out / "compare" / "jateng_2018-2019"


def test_cli_publishes_every_file_and_nothing_else(demo_build):
    names = sorted(p.name for p in demo_build.iterdir())
    assert names == sorted([*COMPARISON_FILES, "manifest.json"])  # the folder contract: a manifest
    assert not [p for p in demo_build.parent.iterdir() if p.name.startswith(".")]  # no staging folder left
    changes = pd.read_csv(demo_build / "changes.csv", dtype={"body_id_1": str})
    assert list(changes.columns) == cmp.CHANGES_COLUMNS
    kudus = changes[changes["body_id_2"] == "kab-kudus"].iloc[0]
    assert (kudus["rank_1"], kudus["rank_2"], kudus["rank_change"]) == (3, 14, -11)
    assert len(changes) == 35  # every body of either year is listed
    decomposition = pd.read_csv(demo_build / "decomposition.csv")
    sums = decomposition.groupby("body_id_2")["change"].sum()
    assert sums["kab-kudus"] == pytest.approx(kudus["exact_change"], abs=1e-5)


def test_pdf_names_kudus_decline_and_drivers(demo_build):
    import pymupdf

    with pymupdf.open(demo_build / "comparison.pdf") as doc:
        text = "\n".join(page.get_text() for page in doc)
    flat = " ".join(text.split())
    assert "Kabupaten Kudus" in flat
    assert "turun 11 peringkat" in flat  # rank 3 -> 14
    assert "SAQ turun 4,0 poin" in flat
    for driver in ("Pengumuman informasi publik", "Penyediaan informasi publik"):
        assert driver in flat
    assert "88,63" in flat and "77,92" in flat  # Indonesian number format
    assert "Metodologi tidak berubah".upper() in flat.upper()
    html = (demo_build / "comparison.html").read_text(encoding="utf-8")
    assert "terutama indikator" in html and "<svg" not in html.split("<body>")[0]
    assert html.count("data:image/svg+xml;base64,") >= 2  # dumbbell and waterfall charts


# -- the methodology changes between the years ---------------------------------------------------

def method_change_root(tmp_path, m2: dict, saq_2019=None):
    """2018 under the two-stage method (SAQ 80 / presentasi 20), 2019 under ``m2``.
    Body a: 2018 all yes, presentasi 80; 2019 A1 no, presentasi 90. Body b: all yes both years,
    presentasi 50 then 70."""
    m1_path = write_methodology(tmp_path, "method-2018", two_stage(id="method-2018"))
    m2_path = write_methodology(tmp_path, "method-2019", m2)
    bodies = [("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas")]
    return years_of(
        tmp_path, {2018: m1_path, 2019: m2_path}, bodies={2018: bodies, 2019: bodies},
        saq={2018: {"a": ALL_YES, "b": ALL_YES}, 2019: saq_2019 or {"a": A1_NO, "b": ALL_YES}},
        scores={2018: {"a": 80, "b": 50}, 2019: {"a": 90, "b": 70}})


def test_weights_change_is_flagged_and_split_into_method_and_answers(tmp_path):
    """2019 weights SAQ 60 / presentasi 40.
    a: 2018 final 0.8*100 + 0.2*80 = 96; under 2019 weights 60 + 32 = 92 -> method effect -4;
       2019 SAQ 86.667 -> 0.6*86.667 + 0.4*90 = 52 + 36 = 88 -> answers effect 88 - 92 = -4; total -8.
    b: 2018 80 + 10 = 90; under 2019 weights 60 + 20 = 80 (method -10); 2019 60 + 28 = 88 (answers +8)."""
    m2 = two_stage(id="method-2019")
    m2["stages"][0]["weight"], m2["stages"][1]["weight"] = 60, 40
    root = method_change_root(tmp_path, m2)
    comp = cmp.load_comparison("testland", [2018, 2019], root)
    pair = comp.pairs[0]
    assert pair.method_changed and pair.split.comparable and not pair.split.reasons
    diff = pair.differences
    weights = diff[(diff["part"] == "stage") & (diff["attribute"] == "weight")].set_index("id")
    assert weights.loc["saq", ["value_1", "value_2"]].tolist() == ["80", "60"]
    assert weights.loc["presentasi", ["value_1", "value_2"]].tolist() == ["20", "40"]
    s = pair.split.table.set_index("key")
    assert s.at["a", "method_effect"] == pytest.approx(-4) and s.at["a", "answers_effect"] == pytest.approx(-4)
    assert s.at["b", "method_effect"] == pytest.approx(-10) and s.at["b", "answers_effect"] == pytest.approx(8)
    assert np.allclose(s["method_effect"] + s["answers_effect"], s["total_change"], atol=1e-12, rtol=0)
    assert np.allclose(s["total_change"], pair.changes.set_index("key").loc[s.index, "exact_change"])
    # the indicator-level split adds up too: method part + answers part = total, per body
    method_part = pair.split.method_decomposition.groupby("key")["change"].sum()
    answers_part = pair.split.answers_decomposition.groupby("key")["change"].sum()
    assert np.allclose((method_part + answers_part).loc[s.index], s["total_change"], atol=1e-9, rtol=0)
    assert exact_sums_match(pair) < 1e-9

    rep = comparereport.prepare("testland", [2018, 2019], "a", root, lang="id", report_date="2025-01-15")
    html = comparereport.full_html(rep)
    top = html[: html.index('class="toc"')]
    assert "Perhatian: metodologi berubah" in top  # on the cover, before anything else
    assert "bobot" in top and "efek metode" in top
    assert "Efek metode" in html and "Efek jawaban" in html
    assert "Dari perubahan \u22128,00 poin, \u22124,00 poin berasal dari perubahan metode" in html
    en = comparereport.full_html(comparereport.prepare("testland", [2018, 2019], "a", root, lang="en",
                                                       report_date="2025-01-15"))
    assert "Note: the methodology changed" in en and "Method effect" in en


def test_new_question_makes_years_not_comparable(tmp_path):
    m2 = two_stage(id="method-2019")
    m2["questionnaire"]["questions"].append({"id": "A4", "indicator": "A", "type": "yesno"})
    root = method_change_root(tmp_path, m2, saq_2019={"a": {**A1_NO, "A4": "ya"}, "b": {**ALL_YES, "A4": "ya"}})
    comp = cmp.load_comparison("testland", [2018, 2019], root)
    pair = comp.pairs[0]
    assert pair.method_changed and not pair.split.comparable
    assert any("A4" in r and "not asked in 2018" in r for r in pair.split.reasons)
    assert pair.split.table["method_effect"].isna().all()
    assert exact_sums_match(pair) < 1e-9  # the total change is still broken down exactly
    rep = comparereport.prepare("testland", [2018, 2019], None, root, report_date="2025-01-15")
    html = comparereport.full_html(rep)
    assert "tidak sepenuhnya dapat dibandingkan" in html
    assert "pertanyaan yang tidak ditanyakan pada 2018: A4" in html  # the reasons, in the report's language
    assert not re.search(r">\s*(nan|None|<NA>)\s*<", html)  # absent values are shown as such, not as nan
    assert "Fokus" not in html  # no focus body, no focus section


def test_answers_invalid_under_the_other_method_are_not_comparable(tmp_path):
    """A1 becomes a numeric question (0-10) in 2019: the 2018 answer 'ya' is not allowed under it."""
    m2 = two_stage(id="method-2019")
    m2["questionnaire"]["questions"][0] = {"id": "A1", "indicator": "A", "type": "numeric", "max": 10}
    root = method_change_root(tmp_path, m2, saq_2019={"a": {**ALL_YES, "A1": "5"}, "b": {**ALL_YES, "A1": "10"}})
    runs = cmp.load_years("testland", [2018, 2019], root)
    problems = cmp.rescore_problems(runs[0].inputs, runs[1].methodology)
    assert problems and "not allowed under method-2019" in problems[0] and "A1 'ya'" in problems[0]
    with pytest.raises(cmp.NotComparableError):
        cmp.rescore_inputs(runs[0].inputs, runs[1].methodology)


def test_rescore_inputs_is_pure_and_rescores(tmp_path):
    m2 = two_stage(id="method-2019")
    m2["questionnaire"]["questions"][4] = {"id": "B2", "indicator": "B", "type": "yesno", "weight": 1}
    root = method_change_root(tmp_path, m2)
    runs = cmp.load_years("testland", [2018, 2019], root)
    before = runs[0].inputs.saq.copy()
    rescored = cmp.rescore_inputs(runs[0].inputs, runs[1].methodology)
    assert rescored.methodology is runs[1].methodology and runs[0].inputs.methodology.id == "method-2018"
    pd.testing.assert_frame_equal(runs[0].inputs.saq, before)
    diff = cmp.methodology_differences(runs[0].methodology, runs[1].methodology)
    assert ((diff["part"] == "question") & (diff["id"] == "B2") & (diff["attribute"] == "weight")).any()
    assert not cmp.same_scoring(runs[0].methodology, runs[1].methodology)
    # labels alone do not make a different method
    relabelled = runs[0].methodology.model_copy(update={"name": "Another name", "id": "other"})
    assert cmp.same_scoring(runs[0].methodology, relabelled)


# -- stable identity: the crosswalk --------------------------------------------------------------

def crosswalk_root(tmp_path, crosswalk: str):
    bodies = {
        2018: [("a", "Dinas A", "dinas"), ("b-old", "Dinas B Lama", "dinas"), ("c", "Dinas C", "dinas"),
               ("m1", "Dinas M1", "dinas"), ("m2", "Dinas M2", "dinas"), ("s", "Dinas S", "dinas")],
        2019: [("a", "Dinas A", "dinas"), ("b-new", "Dinas B Baru", "dinas"), ("m", "Dinas M", "dinas"),
               ("s1", "Dinas S1", "dinas"), ("s2", "Dinas S2", "dinas"), ("d", "Dinas D", "dinas")],
    }
    saq = {y: {b[0]: ALL_YES for b in bodies[y]} for y in bodies}
    scores = {y: {b[0]: 60 + i * 5 for i, b in enumerate(bodies[y])} for y in bodies}
    root = years_of(tmp_path, {2018: TWO_STAGE, 2019: TWO_STAGE}, bodies, saq, scores)
    (root / "crosswalk.csv").write_text(crosswalk, encoding="utf-8")
    return root


CROSSWALK = ("old_id,new_id,note\nb-old,b-new,renamed in 2019\nm1,m,merged\nm2,m,merged\n"
             "s,s1,split\ns,s2,split\nzz,yy,not in these years\n")


def test_crosswalk_matches_renamed_and_lists_the_rest(tmp_path):
    root = crosswalk_root(tmp_path, CROSSWALK)
    comp = cmp.load_comparison("testland", [2018, 2019], root)
    pair = comp.pairs[0]
    m = pair.matches
    kind = {(r.body_id_1, r.body_id_2): r.match for r in m.itertuples()}
    assert kind[("a", "a")] == "same"
    assert kind[("b-old", "b-new")] == "renamed"
    assert kind[("m1", "m")] == kind[("m2", "m")] == "merged"
    assert kind[("s", "s1")] == kind[("s", "s2")] == "split"
    assert kind[("c", None)] == "left"
    assert kind[(None, "d")] == "entered"
    # every body of either year appears
    assert set(m["body_id_1"].dropna()) == {"a", "b-old", "c", "m1", "m2", "s"}
    assert set(m["body_id_2"].dropna()) == {"a", "b-new", "m", "s1", "s2", "d"}
    renamed = m[m["match"] == "renamed"].iloc[0]
    assert renamed["note"] == "renamed in 2019"
    assert set(m[m["match"] == "merged"]["link"]) == {"m1 + m2 -> m"}
    # only one-to-one matches are compared and decomposed
    assert set(pair.changes["key"]) == {"a", "b-new"}
    assert set(pair.decomposition["key"]) == {"a", "b-new"}
    assert set(pair.unmatched["match"]) == {"merged", "split", "entered", "left"}
    table = cmp.changes_table(comp)
    assert len(table) == len(m) and set(table["match"]) == {"same", "renamed", "merged", "split", "entered", "left"}
    html = comparereport.changes_html(comparereport.prepare("testland", [2018, 2019], None, root,
                                                            report_date="2025-01-15"))
    for text in ("berganti kode", "digabung", "dipecah", "baru pada 2019", "tidak ada pada 2019", "Dinas C",
                 "m1 + m2 -&gt; m"):
        assert text in html


def test_match_bodies_without_crosswalk_lists_unmatched():
    one = pd.DataFrame({"body_id": ["a", "b"], "name": ["A", "B"]})
    two = pd.DataFrame({"body_id": ["a", "c"], "name": ["A", "C"]})
    m = cmp.match_bodies(one, two)
    assert m[["match", "body_id_1", "body_id_2"]].values.tolist() == [
        ["same", "a", "a"], ["entered", None, "c"], ["left", "b", None]]


@pytest.mark.parametrize("text, message", [
    ("old,new_id\na,b\n", "required column 'old_id' is missing"),
    ("old_id,new_id,note\na,,x\n", "row 2, column 'new_id': new_id is empty"),
    ("old_id,new_id\na,a\n", "mapped to itself"),
    ("old_id,new_id\na,b\na,b\n", "row 3: duplicate row"),
])
def test_bad_crosswalk_is_refused_with_row_and_column(tmp_path, text, message):
    path = tmp_path / "crosswalk.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputValidationError, match=message):
        cmp.read_crosswalk(path)


# -- more than two years ---------------------------------------------------------------------------

def test_three_years_give_trajectories_and_consecutive_decompositions(tmp_path):
    b18 = [("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas")]
    b20 = [("a", "Dinas A", "dinas"), ("b2", "Dinas B Baru", "dinas")]
    root = years_of(
        tmp_path, {2018: TWO_STAGE, 2019: TWO_STAGE, 2020: TWO_STAGE},
        bodies={2018: b18, 2019: b18, 2020: b20},
        saq={2018: {"a": ALL_YES, "b": A1_NO}, 2019: {"a": A1_NO, "b": ALL_YES}, 2020: {"a": ALL_YES, "b2": ALL_YES}},
        scores={2018: {"a": 80, "b": 60}, 2019: {"a": 70, "b": 90}, 2020: {"a": 100, "b2": 100}})
    (root / "crosswalk.csv").write_text("old_id,new_id,note\nb,b2,renamed\n", encoding="utf-8")
    comp = cmp.load_comparison("testland", [2020, 2018, 2019], root)
    assert comp.years == [2018, 2019, 2020] and comp.name == "testland_2018-2020"
    assert [p.label for p in comp.pairs] == ["2018\u20132019", "2019\u20132020"]
    for pair in comp.pairs:
        assert exact_sums_match(pair) < 1e-9
    t = comp.trajectories
    b = t[t["key"] == "b2"].sort_values("year")
    assert b["body_id"].tolist() == ["b", "b", "b2"] and b["name"].unique().tolist() == ["Dinas B Baru"]
    wide = cmp.trajectory_table(t, "final")
    assert list(wide.columns) == ["name", 2018, 2019, 2020] and set(wide.index) == {"a", "b2"}
    assert comparison_output_folder("outputs", "testland", [2018, 2019, 2020]) == \
        Path("outputs/compare/testland_2018-2020")
    rep = comparereport.prepare("testland", [2018, 2019, 2020], "Dinas B Baru", root, report_date="2025-01-15")
    html = comparereport.full_html(rep)
    assert "Lintasan nilai akhir 2018\u20132020" in html and "2018 \u2192 2019" in html and "2019 \u2192 2020" in html


# -- command line --------------------------------------------------------------------------------

def test_cli_refuses_one_year_and_unknown_focus_writing_nothing(tmp_path):
    root = crosswalk_root(tmp_path, "old_id,new_id\n")
    out = tmp_path / "out"
    runner = CliRunner()
    base = ["compare", "--region", "testland", "--inputs-root", str(root), "--outputs-root", str(out)]
    result = runner.invoke(main, [*base, "--years", "2018"])
    assert result.exit_code == 2 and "at least two different years" in result.output
    result = runner.invoke(main, [*base, "--years", "2018", "2019", "--focus", "nowhere"])
    assert result.exit_code == 2 and "matches no body" in result.output
    result = runner.invoke(main, [*base, "--years", "2018", "2019", "--focus", "dinas"])
    assert result.exit_code == 2 and "several bodies" in result.output
    result = runner.invoke(main, [*base, "--years", "2018,2017"])
    assert result.exit_code == 2 and "no input folder" in result.output
    assert not out.exists()  # nothing written, not even the outputs folder


def test_notebook_has_parameters_and_no_outputs():
    import nbformat

    nb = nbformat.read(REPO / "kiprank" / "notebooks" / "year_comparison.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    values = {}
    exec(params[0].source, {}, values)
    assert values == {"region": "jateng", "years": [2018, 2019], "focus": "kudus", "inputs_root": "inputs",
                      "lang": "id", "report_date": None}
    # the notebook presents; it does not score
    body = "\n".join(c.source for c in code)
    assert "score(" not in body and "scoring" not in body
