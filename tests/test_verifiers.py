"""Several verifiers per body: combining their verdicts, measuring their agreement (issue 24).

Every expected number here is computed by hand (or, for alpha, by the textbook formula written out
in this file), never read back from kiprank.
"""

from __future__ import annotations

import csv
import itertools
import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import NATIONAL_BANDS, csv_text, make_region
from kiprank.cli import main
from kiprank.core.errors import InputValidationError

QUESTIONS = [{"id": "Q1", "indicator": "a", "type": "yesno"}, {"id": "Q2", "indicator": "a", "type": "yesno"},
             {"id": "Q3", "indicator": "a", "type": "graded", "options": {"lengkap": 2, "sebagian": 1, "tidak ada": 0}},
             {"id": "Q4", "indicator": "a", "type": "numeric", "max": 10}]
METHOD = {"id": "t", "name": "T", "decimals": 2,
          "stages": [{"id": "verifikasi", "label": "Verifikasi", "weight": 100, "source": "verification"}],
          "questionnaire": {"indicators": [{"id": "a", "label": "A", "weight": 100}], "questions": QUESTIONS},
          "bands": NATIONAL_BANDS}
CLAIMS = {"b1": {"Q1": "ya", "Q2": "ya", "Q3": "lengkap", "Q4": "8"}}
HEADER = ["body_id", "question_id", "verifier", "verdict", "granted"]
# Shares of the question's points each verifier grants (claims: 1, 1, 1, 0.8):
#   Q1 Ani 1, Budi 1, Citra 0; Q2 1, 0, 1; Q3 0.5, 1, 1; Q4 0.8, 0.6, 0.8
THREE = [["b1", "Q1", "Ani", "sesuai", ""], ["b1", "Q2", "Ani", "sesuai", ""], ["b1", "Q3", "Ani", "sebagian", "sebagian"],
         ["b1", "Q4", "Ani", "sesuai", ""],
         ["b1", "Q1", "Budi", "sesuai", ""], ["b1", "Q2", "Budi", "tidak sesuai", ""], ["b1", "Q3", "Budi", "sesuai", ""],
         ["b1", "Q4", "Budi", "sebagian", "6"],
         ["b1", "Q1", "Citra", "tidak sesuai", ""], ["b1", "Q2", "Citra", "sesuai", ""], ["b1", "Q3", "Citra", "sesuai", ""],
         ["b1", "Q4", "Citra", "sesuai", ""]]


def region(tmp_path, rows, rule=None, adjudication=None, bodies=(("b1", "B1", "g"),), claims=CLAIMS, header=HEADER):
    method = dict(METHOD, verification=rule) if rule else METHOD
    files = {"verification.csv": csv_text(header, rows)}
    if adjudication is not None:
        files["adjudication.csv"] = csv_text(["body_id", "question_id", "verdict", "granted"], adjudication)
    return make_region(tmp_path, method, bodies=list(bodies), saq=claims, files=files)


def invoke(reg, command="score"):
    return CliRunner().invoke(main, [command, "--year", str(reg.year), "--region", reg.region, "--inputs-root",
                                     str(reg.inputs_root), "--outputs-root", str(reg.outputs_root)])


@pytest.mark.parametrize("rule, expected", [
    ("mean", 72.50),     # (2/3 + 2/3 + 5/6 + 2.2/3) / 4 = 0.725
    ("median", 95.00),   # (1 + 1 + 1 + 0.8) / 4
    ("min", 27.50),      # (0 + 0 + 0.5 + 0.6) / 4
])
def test_each_combine_rule_gives_the_hand_computed_score(tmp_path, rule, expected):
    reg = region(tmp_path, THREE, {"combine": rule})
    ranking = reg.score().ranking
    assert ranking.loc[0, "final"] == expected


def test_consensus_with_adjudication_gives_the_hand_computed_score(tmp_path):
    # every answer differs, so all four are decided: 1 + 0 + 0.5 + 0.8 = 2.3 / 4
    decided = [["b1", "Q1", "sesuai", ""], ["b1", "Q2", "tidak sesuai", ""], ["b1", "Q3", "sebagian", "sebagian"],
               ["b1", "Q4", "sesuai", ""]]
    reg = region(tmp_path, THREE, {"combine": "consensus"}, adjudication=decided)
    assert reg.score().ranking.loc[0, "final"] == 57.50
    assert invoke(reg).exit_code == 0


def test_adjudication_overrides_the_combination(tmp_path):
    # mean, threshold 0.5: Q1 and Q2 disagree (0 vs 1); deciding Q1 'tidak sesuai' gives
    # (0 + 2/3 + 5/6 + 2.2/3) / 4 = 0.55833 -> 55.83
    reg = region(tmp_path, THREE, {"combine": "mean"}, adjudication=[["b1", "Q1", "tidak sesuai", ""]])
    assert reg.score().ranking.loc[0, "final"] == 55.83
    invoke(reg)
    table = pd.read_csv(reg.output_folder / "disagreements.csv", keep_default_na=False)
    assert table[["question_id", "status", "adjudicated"]].values.tolist() == [
        ["Q1", "decided", "tidak sesuai"], ["Q2", "combined", ""]]


def test_consensus_without_adjudication_is_refused_naming_the_body(tmp_path):
    reg = region(tmp_path, THREE, {"combine": "consensus"})
    with pytest.raises(InputValidationError) as err:
        reg.load()
    assert "body 'b1', question Q1" in str(err.value) and "consensus" in str(err.value)
    result = invoke(reg)
    assert result.exit_code == 2
    assert "body 'b1', question Q2" in result.output and "adjudication.csv" in result.output
    assert not reg.output_folder.exists()


def test_min_verifiers_is_refused_naming_the_body(tmp_path):
    rows = THREE + [["b2", q, "Ani", "sesuai", ""] for q in ("Q1", "Q2", "Q3", "Q4")]
    reg = region(tmp_path, rows, {"min_verifiers": 2}, bodies=(("b1", "B1", "g"), ("b2", "B2", "g")),
                 claims={**CLAIMS, "b2": CLAIMS["b1"]})
    result = invoke(reg, "validate")
    assert result.exit_code == 2
    assert "body 'b2' was verified by 1 verifier(s) (Ani)" in result.output
    assert "body 'b1'" not in result.output
    # without a verifier column, every body has one verifier
    plain = region(tmp_path / "plain", [r[:2] + r[3:] for r in THREE[:4]], {"min_verifiers": 2},
                   header=["body_id", "question_id", "verdict", "granted"])
    result = invoke(plain, "validate")
    assert result.exit_code == 2 and "body 'b1' was verified by 1 verifier(s)" in result.output


def test_full_agreement_scores_as_one_verifier_and_alpha_is_one(tmp_path):
    bodies = [(f"b{i}", f"B{i}", "g") for i in range(1, 5)]
    answers = {"Q1": "ya", "Q2": "tidak", "Q3": "sebagian", "Q4": "7"}
    claims = {b: answers for b, _, _ in bodies}
    verdicts = [("sesuai", ""), ("sesuai", ""), ("sebagian", "tidak ada"), ("sebagian", "3")]
    one = [[b, q, v, g] for b, _, _ in bodies for q, (v, g) in zip(answers, verdicts)]
    # the second verifier agrees everywhere; bodies differ so that the verdicts vary (alpha is defined)
    one[0] = ["b1", "Q1", "tidak sesuai", ""]
    single = region(tmp_path / "one", one, header=["body_id", "question_id", "verdict", "granted"], bodies=bodies,
                    claims=claims)
    two = [[b, q, name, v, g] for name in ("Ani", "Budi") for b, q, v, g in one]
    double = region(tmp_path / "two", two, bodies=bodies, claims=claims)
    pd.testing.assert_frame_equal(single.score().ranking, double.score().ranking)
    pd.testing.assert_frame_equal(single.score().indicators, double.score().indicators)
    assert invoke(double).exit_code == 0
    table = pd.read_csv(double.output_folder / "agreement.csv", keep_default_na=False)
    overall = table[table["scope"] == "overall"].iloc[0]
    assert float(overall["alpha"]) == 1.0 and float(overall["exact"]) == 1.0
    assert int(overall["answers"]) == 16
    pair = table[table["scope"] == "pair"].iloc[0]
    assert (pair["verifier_a"], pair["verifier_b"], float(pair["alpha"])) == ("Ani", "Budi", 1.0)
    assert not (single.output_folder / "agreement.csv").exists()


def textbook_alpha(units: list[list[float]]) -> float:
    """Krippendorff's alpha, interval metric, from the pairable values of each unit (Krippendorff
    2011, "Computing Krippendorff's alpha-reliability"): D_o over pairs within units weighted by
    1 / (m_u - 1), D_e over all pairs of pairable values."""
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    observed = sum(sum((a - b) ** 2 for a, b in itertools.permutations(u, 2)) / (len(u) - 1) for u in units) / n
    expected = sum((a - b) ** 2 for a, b in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - observed / expected


def test_alpha_matches_the_textbook_formula(tmp_path):
    # three bodies, four questions each; some answers judged by three verifiers, some by two, some by one
    bodies = [("b1", "B1", "g"), ("b2", "B2", "g"), ("b3", "B3", "g")]
    claims = {"b1": {"Q1": "ya", "Q2": "ya", "Q3": "lengkap", "Q4": "8"},
              "b2": {"Q1": "ya", "Q2": "tidak", "Q3": "sebagian", "Q4": "5"},
              "b3": {"Q1": "ya", "Q2": "ya", "Q3": "lengkap", "Q4": "8"}}
    rows = THREE + [
        ["b2", "Q1", "Ani", "sesuai", ""], ["b2", "Q1", "Budi", "tidak sesuai", ""],
        ["b2", "Q2", "Ani", "sesuai", ""], ["b2", "Q2", "Budi", "sesuai", ""],
        ["b2", "Q3", "Ani", "sebagian", "tidak ada"], ["b2", "Q3", "Citra", "sesuai", ""],
        ["b2", "Q4", "Budi", "sebagian", "2"], ["b2", "Q4", "Citra", "sebagian", "4"], ["b2", "Q4", "Ani", "sesuai", ""],
        ["b3", "Q1", "Citra", "sesuai", ""], ["b3", "Q2", "Citra", "tidak sesuai", ""],
        ["b3", "Q3", "Budi", "sebagian", "sebagian"], ["b3", "Q3", "Citra", "sebagian", "sebagian"],
        ["b3", "Q4", "Budi", "sesuai", ""],
    ]
    reg = region(tmp_path, rows, bodies=bodies, claims=claims)
    # the shares each verdict grants, by hand (claims b1: 1, 1, 1, .8; b2: 1, 0, .5, .5; b3: 1, 1, 1, .8)
    units = [[1, 1, 0], [1, 0, 1], [0.5, 1, 1], [0.8, 0.6, 0.8],
             [1, 0], [0, 0], [0, 0.5], [0.2, 0.4, 0.5], [0.5, 0.5]]
    assert invoke(reg).exit_code == 0
    table = pd.read_csv(reg.output_folder / "agreement.csv", keep_default_na=False)
    overall = table[table["scope"] == "overall"].iloc[0]
    assert overall["metric"] == "interval" and int(overall["answers"]) == len(units)
    assert int(overall["verdicts"]) == sum(map(len, units))
    assert float(overall["alpha"]) == pytest.approx(textbook_alpha(units), abs=5e-5)
    assert float(overall["exact"]) == pytest.approx(2 / 9, abs=5e-5)  # [0, 0] and [0.5, 0.5]
    assert float(overall["alpha_low"]) <= float(overall["alpha"]) <= float(overall["alpha_high"])
    # a pair: Ani and Budi shared b1's four answers and b2's Q1, Q2, Q4
    pair = table[(table["verifier_a"] == "Ani") & (table["verifier_b"] == "Budi")].iloc[0]
    pairs = [[1, 1], [1, 0], [0.5, 1], [0.8, 0.6], [1, 0], [0, 0], [0.5, 0.2]]
    assert int(pair["answers"]) == len(pairs)
    assert float(pair["alpha"]) == pytest.approx(textbook_alpha(pairs), abs=5e-5)
    # Ani's mean difference from the others, in points of the question, by hand
    diffs = [1 - 0.5, 1 - 0.5, 0.5 - 1, 0.8 - 0.7, 1 - 0, 0 - 0, 0 - 0.5, 0.5 - 0.3]
    ani = table[(table["scope"] == "verifier") & (table["verifier_a"] == "Ani")].iloc[0]
    assert float(ani["mean_difference"]) == pytest.approx(100 * sum(diffs) / len(diffs), abs=5e-5)


def test_the_package_and_the_pattern_formula_agree(monkeypatch):
    """The point estimate is krippendorff.alpha; beyond PACKAGE_CELLS (and in the bootstrap) the
    weighted patterns give it: both must be the same number, for both metrics."""
    import krippendorff

    from kiprank.analysis import agreement as A

    rng = np.random.default_rng(7)
    for metric in ("interval", "ordinal"):
        domain = np.array([0.0, 0.25, 0.5, 1.0])
        n_units = 300
        raters = rng.integers(2, 4, n_units)
        unit = np.repeat(np.arange(n_units), raters)
        truth = rng.integers(0, 4, n_units)
        value = np.clip(truth[unit] + rng.integers(-1, 2, len(unit)) * (rng.random(len(unit)) < 0.3), 0, 3)
        pats = A._patterns(unit, value, len(domain))
        weights = np.bincount(pats.of_unit)
        reliability = np.full((3, n_units), np.nan)
        for u in range(n_units):
            reliability[: raters[u], u] = domain[value[unit == u]]
        expected = krippendorff.alpha(reliability_data=reliability, value_domain=domain, level_of_measurement=metric)
        contrib = pats.coincidences()
        assert A._alpha(pats, weights, contrib, domain, metric) == pytest.approx(expected, abs=1e-12)
        monkeypatch.setattr(A, "PACKAGE_CELLS", 0)
        assert A._alpha(pats, weights, contrib, domain, metric) == pytest.approx(expected, abs=1e-12)
        monkeypatch.setattr(A, "PACKAGE_CELLS", 25_000_000)


def test_graded_questions_use_the_ordinal_metric(tmp_path):
    rows = [[b, "Q3", name, v, g] for b, name, v, g in [
        ("b1", "Ani", "sesuai", ""), ("b1", "Budi", "sebagian", "sebagian"),
        ("b2", "Ani", "sebagian", "tidak ada"), ("b2", "Budi", "sebagian", "tidak ada"),
        ("b3", "Ani", "sesuai", ""), ("b3", "Budi", "sesuai", "")]]
    bodies = [("b1", "B1", "g"), ("b2", "B2", "g"), ("b3", "B3", "g")]
    claims = {b: {"Q3": "lengkap"} for b, _, _ in bodies}
    method = dict(METHOD, questionnaire={"indicators": [{"id": "a", "label": "A", "weight": 100}],
                                         "questions": [QUESTIONS[2]], "missing": "zero"})
    reg = make_region(tmp_path, method, bodies=bodies, saq=claims, files={"verification.csv": csv_text(HEADER, rows)})
    from kiprank.analysis.agreement import analyse_agreement

    import krippendorff

    table = analyse_agreement(reg.load()).table
    overall = table[table["scope"] == "overall"].iloc[0]
    assert overall["metric"] == "ordinal"
    data = np.array([[1, 0, 1], [0.5, 0, 1]])
    assert overall["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                                                value_domain=[0, 0.5, 1]))


# -- hostile inputs -------------------------------------------------------------------------------

def test_a_duplicated_verifier_row_is_refused_with_its_row(tmp_path):
    reg = region(tmp_path, THREE + [THREE[5]])
    result = invoke(reg, "validate")
    assert result.exit_code == 2
    assert "row 14" in result.output and "duplicate row: (body_id, question_id, verifier)" in result.output


@pytest.mark.parametrize("name, message", [
    ("", "the verifier is empty"),
    ("Bu\u200bdi", "control or invisible character"),
    ("x" * 101, "longer than 100 characters"),
    ("budi", "only by upper/lower case or spaces"),
    ("BUDI", "only by upper/lower case or spaces"),
])
def test_odd_verifier_names_are_refused(tmp_path, name, message):
    rows = [list(r) for r in THREE]
    rows[4][2] = name  # one of Budi's rows
    reg = region(tmp_path, rows)
    result = invoke(reg, "validate")
    assert result.exit_code == 2, result.output
    assert "column 'verifier'" in result.output and message in result.output
    assert ("row 6," if "only by" not in message else "row 7,") in result.output


def test_a_formula_like_verifier_name_is_data(tmp_path):
    rows = [[*r[:2], "=HYPERLINK(\"x\")" if r[2] == "Budi" else r[2], *r[3:]] for r in THREE]
    reg = region(tmp_path, rows)
    assert invoke(reg).exit_code == 0
    text = (reg.output_folder / "agreement.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    rows_read = list(csv.reader(io.StringIO(text)))
    assert not any(cell.startswith("=") for row in rows_read for cell in row)


def test_an_adjudication_of_an_answer_not_in_disagreement_is_refused(tmp_path):
    # Q4's verdicts differ by 0.2, within the default threshold 0.5
    reg = region(tmp_path, THREE, adjudication=[["b1", "Q4", "sesuai", ""]])
    result = invoke(reg, "validate")
    assert result.exit_code == 2
    assert "adjudication.csv, row 2, column 'question_id'" in result.output
    assert "to Q4 is not a disagreement" in result.output


def test_an_adjudication_without_a_verifier_column_is_refused(tmp_path):
    reg = region(tmp_path, [r[:2] + r[3:] for r in THREE[:4]], header=["body_id", "question_id", "verdict", "granted"],
                 adjudication=[["b1", "Q1", "sesuai", ""]])
    result = invoke(reg, "validate")
    assert result.exit_code == 2 and "no verifier column" in result.output


def test_an_adjudicated_unknown_verdict_is_refused(tmp_path):
    reg = region(tmp_path, THREE, adjudication=[["b1", "Q1", "mungkin", ""]])
    result = invoke(reg, "validate")
    assert result.exit_code == 2
    assert "adjudication.csv, row 2, column 'verdict'" in result.output


# -- robustness: whose verdict counts --------------------------------------------------------------

def test_robustness_draws_resample_whose_verdict_counts(tmp_path):
    """b1 was judged by two verifiers who disagree on Q1 and Q2: scored as Ani it is 100
    (Informatif), as Budi 50 (Kurang Informatif), as their mean 75 (published, Cukup Informatif).
    With nothing else varied, each draw scores it as one of them: the published band never occurs."""
    from kiprank.analysis.robustness import analyse_robustness

    quiet = {"stage_weights": {"spread": 0}, "indicator_weights": {"spread": 0}, "sebagian": {"spread": 0},
             "draws": 400, "sensitivity_samples": 64}
    method = dict(METHOD, robustness=quiet)
    claims = {"b1": CLAIMS["b1"] | {"Q4": "10"}, "b2": CLAIMS["b1"] | {"Q4": "10"}}
    rows = [["b1", q, "Ani", "sesuai", ""] for q in ("Q1", "Q2", "Q3", "Q4")] + \
        [["b1", q, "Budi", v, ""] for q, v in (("Q1", "tidak sesuai"), ("Q2", "tidak sesuai"), ("Q3", "sesuai"),
                                               ("Q4", "sesuai"))] + \
        [["b2", q, "Ani", "sesuai", ""] for q in ("Q1", "Q2", "Q3", "Q4")]
    reg = make_region(tmp_path, method, bodies=[("b1", "B1", "g"), ("b2", "B2", "g")], saq=claims,
                      files={"verification.csv": csv_text(HEADER, rows)})
    inputs = reg.load()
    res = analyse_robustness(inputs)
    assert res.ranking.set_index("body_id").loc["b1", "final"] == 75.0
    b1 = res.table.set_index("body_id").loc["b1"]
    assert b1["p_Cukup Informatif"] == 0.0
    assert 0.4 < b1["p_Informatif"] < 0.6 and b1["p_Informatif"] + b1["p_Kurang Informatif"] == 1.0
    assert {b1["score_p05"], b1["score_p95"]} == {50.0, 100.0}
    b2 = res.table.set_index("body_id").loc["b2"]
    assert b2["p_Informatif"] == 1.0  # one verifier: nothing to resample
    assert "verifier" in res.settings["varied"]
    sens = res.sensitivity.set_index(["output", "input"])
    assert bool(sens.loc[("band", "verifier"), "varied"]) and sens.loc[("band", "verifier"), "ST"] > 0.9
    # switched off in the methodology: the draws are the published ranking
    off = dict(method, robustness={**quiet, "verifier": {"resample": False}})
    reg2 = make_region(tmp_path / "off", off, bodies=[("b1", "B1", "g"), ("b2", "B2", "g")], saq=claims,
                       files={"verification.csv": csv_text(HEADER, rows)})
    res2 = analyse_robustness(reg2.load())
    assert res2.table.set_index("body_id").loc["b1", "p_Cukup Informatif"] == 1.0
    assert "verifier" not in res2.settings["inputs"]


def test_report_section_shows_odd_verifier_names_as_written(tmp_path):
    """The section "Konsistensi Verifikasi" with a verifier named like markup: literal in the
    section's data (typeset from JSON), escaped in its HTML; and the section of a region with one
    verifier per answer says why agreement cannot be measured."""
    from kiprank.report import agreement, prepare
    from kiprank.report.html import section_html

    odd = '<b>x</b> #strong[y] $z$ \\ @ref'
    rows = [[r[0], r[1], odd if r[2] == "Budi" else r[2], r[3], r[4]] for r in THREE]
    reg = region(tmp_path / "odd", rows)
    rep = prepare(reg.year, reg.region, reg.inputs_root, report_date="2024-12-01")
    data = agreement(rep).data
    assert data["heading"] == "6. Konsistensi Verifikasi"
    text = repr(data)
    assert odd.replace("\\", "\\\\") in text and "Krippendorff" in text
    html = section_html(data)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert any(b.get("t") == "figure" for b in data["blocks"])
    single = region(tmp_path / "one", [r[:2] + r[3:] for r in THREE[:4]], header=["body_id", "question_id", "verdict",
                                                                                 "granted"])
    one = agreement(prepare(single.year, single.region, single.inputs_root, report_date="2024-12-01", lang="en")).data
    said = repr(one)
    assert "cannot be measured" in said and "decides 100% of the final score" in said


def test_site_region_page_has_the_agreement_line(tmp_path):
    rows = THREE + [["b2", q, n, "sesuai", ""] for q in ("Q1", "Q2", "Q3", "Q4") for n in ("Ani", "Budi")]
    reg = region(tmp_path, rows, bodies=(("b1", "B1", "g"), ("b2", "B2", "g")),
                 claims={"b1": CLAIMS["b1"], "b2": CLAIMS["b1"]})
    assert invoke(reg).exit_code == 0
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["site", "--outputs-root", str(reg.outputs_root), "--out", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / str(reg.year) / reg.region / "index.html").read_text(encoding="utf-8")
    table = pd.read_csv(reg.output_folder / "agreement.csv")
    alpha = f"{table.loc[table['scope'] == 'overall', 'alpha'].iloc[0]:.3f}".replace(".", ",").replace("-", "\u2212")
    assert f"Konsistensi verifikasi: alpha Krippendorff {alpha}" in page
    assert "atas 8 jawaban yang dinilai dua verifikator atau lebih; 2 ketidaksepakatan, 0 diputuskan" in page
    assert "agreement.csv" in page and "disagreements.csv" in page
