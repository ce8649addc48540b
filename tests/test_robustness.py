"""Uncertainty and sensitivity of ranks and bands (kiprank.analysis.robustness, `kiprank robustness`).

The hand-checkable region: two score stages ``a`` and ``b`` weighing 50 each, perturbed by a
uniform relative spread of 0.5 and rescaled to 100, so the share of ``a`` in the final score runs
from 0.25 (25 : 75) to 0.75 (75 : 25):

- ``x``: a = b = 70, final 70 under every weighting: far from the others (74.5+ and 32.5-37.5) and
  from the band edges 60 and 80, so its rank (4) and band (Cukup Informatif) are certain;
- ``p`` (a 76, b 74: nominal 75.00) and ``q`` (a 74, b 76.10: nominal 75.05) are 0.05 apart and swap
  when the share of ``a`` passes 2.1 / 4.1 = 0.512: both ranks 2 and 3 happen;
- ``y`` (a 91.98, b 88.00: nominal 89.99, Menuju Informatif) reaches 90 when the share of ``a``
  passes 0.5025: its band is uncertain;
- ``z`` (a 30, b 40): last.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from conftest import NATIONAL_BANDS, make_region

from kiprank.analysis import analyse_robustness, indistinct_ranks, uncertain_bands, write_robustness
from kiprank.analysis import robustness as rb
from kiprank.cli import main
from kiprank.core.errors import MethodologyError, UsageError
from kiprank.core.inputs import load_region
from kiprank.core.methodology import Methodology, Robustness, load_methodology
from kiprank.core.scoring import score

QUIET = {"stage_weights": {"spread": 0}, "indicator_weights": {"spread": 0}, "sebagian": {"spread": 0}}


def two_scores(robustness=None, decimals=2, **extra):
    m = {
        "id": "two-scores", "name": "Two scores", "decimals": decimals,
        "stages": [{"id": "a", "label": "A", "weight": 50, "source": "score"},
                   {"id": "b", "label": "B", "weight": 50, "source": "score"}],
        "bands": NATIONAL_BANDS, **extra,
    }
    if robustness is not None:
        m["robustness"] = robustness
    return m


HAND = {"x": (70, 70), "p": (76, 74), "q": (74, 76.1), "y": (91.98, 88.0), "z": (30, 40)}


def hand_region(tmp_path, robustness=None, bodies=HAND, groups=None, **extra):
    rob = {"draws": 2000, "seed": 7, "stage_weights": {"spread": 0.5}, **(robustness or {})}
    body_rows = [(b, f"Badan {b}", (groups or {}).get(b, "g")) for b in bodies]
    return make_region(tmp_path, two_scores(rob, **extra), bodies=body_rows,
                       scores={"a": {b: v[0] for b, v in bodies.items()}, "b": {b: v[1] for b, v in bodies.items()}})


def row(table, body_id):
    return table.set_index("body_id").loc[body_id]


# -- the hand-checkable cases of the issue ----------------------------------------------------------

def test_hand_checkable_cases(tmp_path):
    # ties 'min': when p and q tie exactly, x is still 4th (dense ranks would make it 3rd)
    inputs = hand_region(tmp_path, ranking={"ties": "min"}).load()
    res = analyse_robustness(inputs)
    t = res.table
    assert list(t.columns) == ["body_id", "group", "rank", "rank_p05", "rank_median", "rank_p95", "score_p05",
                               "score_median", "score_p95", *[f"p_{b['label']}" for b in NATIONAL_BANDS], "p_top3"]
    # far from others and from band edges: zero-width interval, band probability 1
    x = row(t, "x")
    assert (x["rank"], x["rank_p05"], x["rank_median"], x["rank_p95"]) == (4, 4, 4, 4)
    assert (x["score_p05"], x["score_median"], x["score_p95"]) == (70.0, 70.0, 70.0)
    assert x["p_Cukup Informatif"] == 1.0 and x["p_top3"] == 0.0
    # 0.05 apart: overlapping intervals (both 2-3)
    p, q = row(t, "p"), row(t, "q")
    assert (q["rank"], p["rank"]) == (2, 3)
    assert (p["rank_p05"], p["rank_p95"]) == (2, 3) and (q["rank_p05"], q["rank_p95"]) == (2, 3)
    # nominal 89.99 with weight noise: band probability strictly between 0 and 1
    y = row(t, "y")
    assert y["rank"] == 1 and 0 < y["p_Informatif"] < 1 and 0 < y["p_Menuju Informatif"] < 1
    assert y["p_Informatif"] + y["p_Menuju Informatif"] == pytest.approx(1.0)
    assert y["score_p05"] < 90 <= y["score_p95"]
    # band shares sum to 1 for everybody
    bands = [f"p_{b['label']}" for b in NATIONAL_BANDS]
    assert np.allclose(t[bands].sum(axis=1), 1.0)
    # ranks 2 and 3 cannot be told apart; y's band is uncertain, nobody else's
    assert [r for r in res.indistinct["ranks"]] == [(2, 3)]
    assert res.indistinct.iloc[0]["body_ids"] == ("q", "p")
    assert res.uncertain["body_id"].tolist() == ["y"]
    assert res.uncertain.iloc[0]["p_band"] == y["p_Menuju Informatif"]


def test_share_of_a_decides_the_swap(tmp_path):
    """p = (76, 74) and q = (74, 76.1) on stages a and b: with a's share s of the weight, p = 74 + 2 s
    and q = 76.1 - 2.1 s, so q is ahead of p exactly when s < 2.1 / 4.1. The weights are drawn as
    50 x U(0.5, 1.5) each (spread 0.5) and rescaled, so s = u1 / (u1 + u2) and, worked out by hand,
    P(s < 2.1 / 4.1) = P(u1 < 1.05 u2) = int_0.5^1.5 min(1.05 u2 - 0.5, 1) du2 = 0.54732.
    y and w are always 1st and 2nd, x last: third place, the top 3, goes to q in that share of the
    draws and to p in the rest."""
    bodies = {"y": (95, 95), "w": (92, 92), "p": (76, 74), "q": (74, 76.1), "x": (70, 70)}
    res = analyse_robustness(hand_region(tmp_path, {"draws": 5000}, bodies=bodies).load(), sensitivity=False)
    expected = 0.525 * ((1.5 / 1.05) ** 2 - 0.25) - 0.5 * (1.5 / 1.05 - 0.5) + (1.5 - 1.5 / 1.05)
    assert expected == pytest.approx(0.54732, abs=1e-5)
    q, p = row(res.table, "q")["p_top3"], row(res.table, "p")["p_top3"]
    assert q == pytest.approx(expected, abs=0.03)  # 5000 draws: standard error 0.007
    assert p == pytest.approx(1 - expected, abs=0.03)
    assert 1 <= q + p < 1.01  # both third only in a tie at the published 2 decimals (|q - p| < 0.005)
    assert (row(res.table, "y")["p_top3"], row(res.table, "w")["p_top3"], row(res.table, "x")["p_top3"]) == (1, 1, 0)


# -- zero spread is the published ranking, exactly --------------------------------------------------

@pytest.mark.parametrize("year,region", [(2022, "klaten"), (2022, "klaten-xlsx"), (2018, "jateng"), (2019, "jateng")])
def test_zero_spread_reproduces_the_demo_ranking_exactly(year, region):
    inputs = load_region(year, region, "inputs")
    result = score(inputs)
    settings = Robustness.model_validate({**QUIET, "draws": 64, "item_weights": {"spread": 0}})
    res = analyse_robustness(inputs, result, settings=settings, sensitivity=False)
    _assert_nominal(res, result)


def _assert_nominal(res, result):
    m = result.methodology
    merged = result.ranking.merge(res.table, on="body_id", suffixes=("", "_r"))
    ranked = merged[merged["returned"]]
    assert len(ranked) > 0
    for col in ("rank_p05", "rank_median", "rank_p95"):
        assert (ranked[col] == ranked["rank"]).all(), col
    for col in ("score_p05", "score_median", "score_p95"):
        assert (ranked[col].to_numpy() == ranked["final"].to_numpy()).all(), col
    for b in m.band_labels:
        assert (ranked[f"p_{b}"] == (ranked["band"] == b).astype(float)).all(), b
    assert (ranked["p_top3"] == (ranked["rank"] <= 3).astype(float)).all()
    assert res.uncertain.empty and res.indistinct.empty
    gone = merged[~merged["returned"]]  # listed without draws
    assert gone[["rank_p05", "rank_median", "rank_p95", "score_median", "p_top3"]].isna().all().all()


def test_zero_spread_is_exact_in_every_draw_with_gates_and_ranked_non_returners(tmp_path):
    """Every draw, not only the percentiles: a top-n gate carrying the earlier score, a min-score gate,
    min ties, non-returners ranked with a score, a body tied with another."""
    methodology = {
        "id": "gated", "name": "Gated", "decimals": 1,
        "stages": [
            {"id": "saq", "label": "SAQ", "weight": 40, "source": "questionnaire"},
            {"id": "ver", "label": "Verifikasi", "weight": 30, "source": "verification"},
            {"id": "pres", "label": "Presentasi", "weight": 20, "source": "score",
             "gate": {"stage": "saq", "top_n": 2, "otherwise": "carry"}},
            {"id": "visit", "label": "Visitasi", "weight": 10, "source": "score",
             "gate": {"stage": "ver", "min_score": 50, "otherwise": 10}},
        ],
        "questionnaire": {
            "indicators": [{"id": "A", "label": "A", "weight": 30}, {"id": "B", "label": "B", "weight": 70}],
            "questions": [{"id": "A1", "indicator": "A", "type": "yesno"},
                          {"id": "A2", "indicator": "A", "type": "numeric", "max": 7},
                          {"id": "B1", "indicator": "B", "type": "graded",
                           "options": {"lengkap": 3, "sebagian": 1, "tidak": 0}},
                          {"id": "B2", "indicator": "B", "type": "yesno"}]},
        "bands": NATIONAL_BANDS, "ranking": {"ties": "min"},
        "not_returned": {"status": "Tidak kembali", "band": "Tidak Informatif", "ranked": True, "score": 5},
        "robustness": {**QUIET, "draws": 130},
    }
    rng = np.random.default_rng(3)
    ids = [f"b{i:02d}" for i in range(24)]
    saq, ver = {}, {}
    for i, b in enumerate(ids[:-3]):
        saq[b] = {"A1": rng.choice(["ya", "tidak"]), "A2": str(rng.integers(0, 8)),
                  "B1": rng.choice(["lengkap", "sebagian", "tidak"]), "B2": rng.choice(["ya", "tidak"])}
        ver[b] = {q: (("sebagian", "sebagian") if q == "B1" and saq[b]["B1"] == "lengkap" else
                      rng.choice(["sesuai", "tidak sesuai"])) for q in saq[b]}
    saq["b20"] = dict(saq["b19"])  # a tie
    ver["b20"] = dict(ver["b19"])
    bodies = [(b, f"Badan {b}", "g1" if i % 2 else "g2") for i, b in enumerate(ids)]
    reg = make_region(tmp_path, methodology, bodies=bodies, saq=saq, verification=ver,
                      scores={"pres": {b: float(rng.integers(0, 101)) for b in ids},
                              "visit": {b: float(rng.integers(0, 101)) for b in ids[::2]}})
    inputs = reg.load()
    result = score(inputs)
    assert (result.ranking["notes"] != "").any()  # gates did bite
    res = analyse_robustness(inputs, result, sensitivity=False)
    _assert_nominal(res, result)
    # every single draw, straight from the vectorised scorer
    region = rb._build_region(inputs, result)
    settings = inputs.methodology.robustness
    u = rb._block_uniforms(settings.seed, 0, 50, {k: len(v) for k, v in region.nominal.items()} | {"sebagian": 1},
                           region.n, True)
    ints = rb._score_draws(region, rb._draw_weights(region, settings, u), rb._leniency(settings, u["sebagian"]))
    ranks = rb._ranks(region, ints)
    nominal = result.ranking.set_index("body_id").loc[inputs.bodies["body_id"].to_numpy()[region.assessed]]
    assert (ints / 10.0 == nominal["final"].to_numpy()[:, None]).all()
    assert (ranks == nominal["rank"].to_numpy(dtype=int)[:, None]).all()
    # non-returners ranked with a score are listed without draws
    gone = res.table[res.table["body_id"].isin(ids[-3:])]
    assert gone["rank"].notna().all() and gone["rank_p05"].isna().all() and gone["p_top3"].isna().all()


def test_results_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    inputs = hand_region(tmp_path, {"draws": 300, "sebagian": {"spread": 0.5}}).load()
    whole = analyse_robustness(inputs)
    monkeypatch.setattr(rb, "CHUNK_BYTES", 1)  # one block of 64 draws per chunk
    chunked = analyse_robustness(inputs)
    pd.testing.assert_frame_equal(whole.table, chunked.table)
    pd.testing.assert_frame_equal(whole.sensitivity, chunked.sensitivity)


# -- sensitivity -----------------------------------------------------------------------------------

def test_sobol_indices_of_inputs_not_varied_are_zero():
    inputs = load_region(2022, "klaten", "inputs")
    settings = Robustness.model_validate({"draws": 64, "stage_weights": {"spread": 0.3},
                                          "indicator_weights": {"spread": 0}, "item_weights": {"spread": 0.3},
                                          "sebagian": {"spread": 0}, "sensitivity_samples": 64})
    sens = analyse_robustness(inputs, settings=settings).sensitivity
    assert list(sens.columns) == ["output", "input", "varied", "S1", "S1_conf", "ST", "ST_conf"]
    assert sens["input"].tolist() == ["stage_weights", "indicator_weights", "item_weights", "sebagian"] * 2
    quiet = sens[sens["input"].isin(["indicator_weights", "sebagian"])]
    assert not quiet["varied"].any()
    assert (quiet[["S1", "S1_conf", "ST", "ST_conf"]] == 0).all().all()
    moved = sens[sens["input"] == "stage_weights"]
    assert moved["varied"].all() and (moved["ST"] > 0.1).all()


def test_one_varied_input_explains_all_the_spread(tmp_path):
    """Only the stage weights vary: S1 and ST of the stage weights are about 1 (Monte Carlo error)."""
    inputs = hand_region(tmp_path, {"sensitivity_samples": 512}).load()
    sens = analyse_robustness(inputs).sensitivity.set_index(["output", "input"])
    assert sens.loc[("rank", "stage_weights"), "S1"] == pytest.approx(1.0, abs=0.15)
    assert sens.loc[("rank", "stage_weights"), "ST"] == pytest.approx(1.0, abs=0.15)


def test_nothing_varied_gives_zero_indices(tmp_path):
    inputs = hand_region(tmp_path, {"stage_weights": {"spread": 0}}).load()
    sens = analyse_robustness(inputs).sensitivity
    assert (sens[["S1", "ST"]] == 0).all().all() and not sens["varied"].any()


# -- files, determinism, settings ------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    inputs = load_region(2022, "klaten", "inputs")
    result = score(inputs)
    outs = []
    for n, seed in enumerate((5, 5, 6)):
        folder = tmp_path / str(n)
        folder.mkdir()
        res = analyse_robustness(inputs, result, draws=200, seed=seed)
        assert write_robustness(res, folder) == ["robustness.csv", "sensitivity.csv"]
        outs.append(((folder / "robustness.csv").read_bytes(), (folder / "sensitivity.csv").read_bytes()))
    assert outs[0] == outs[1]
    lines = outs[0][0].decode().splitlines()
    assert "kec-tulung,kecamatan,,,,,,,,,,,,," in lines  # did not return the SAQ: no draws
    assert outs[0][0] != outs[2][0]


def test_csv_cells_never_formulas_and_non_returners_empty(tmp_path):
    bodies = {"$x": (90, 80), "=SUM(A1)": (70, 70), "+1": (50, 50), "@me": (40, 45), "-1": (10, 10)}
    inputs = hand_region(tmp_path, bodies=bodies, groups={"-1": "=cmd|' /C calc'!A0"}).load()
    res = analyse_robustness(inputs, draws=100)
    write_robustness(res, tmp_path)
    with open(tmp_path / "robustness.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["body_id"] for r in rows] == ["$x", "'=SUM(A1)", "'+1", "'@me", "'-1"]
    assert rows[-1]["group"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["score_median"] == "70.00" and rows[1]["rank_p05"] == "2"
    sens = (tmp_path / "sensitivity.csv").read_text()
    assert "'-" not in sens  # negative indices stay numbers


def test_one_body_groups_and_all_tied(tmp_path):
    tied = {f"t{i}": (60, 70) for i in range(5)}
    solo = {"solo": (55, 99)}
    inputs = hand_region(tmp_path, bodies={**tied, **solo}, groups={"solo": "s"}).load()
    res = analyse_robustness(inputs, draws=100)
    t = res.table.set_index("body_id")
    assert (t.loc[list(tied), ["rank", "rank_p05", "rank_p95"]] == 1).all().all()
    assert (t.loc[list(tied), "p_top3"] == 1).all()
    assert (t.loc["solo", ["rank", "rank_p05", "rank_median", "rank_p95"]] == 1).all()
    assert res.indistinct.empty


def test_indistinct_sets_share_a_rank():
    """Intervals 1-1, 2-3, 2-4, 4-5, 6-6: the sets of bodies sharing a rank are {b, c} (ranks 2 and 3)
    and {c, d} (3 and 4); a and e stand alone."""
    table = pd.DataFrame({"body_id": list("abcde"), "group": "g", "rank": [1, 2, 3, 4, 5],
                          "rank_p05": [1, 2, 2, 4, 6], "rank_p95": [1, 3, 4, 5, 6]})
    ranking = pd.DataFrame({"body_id": list("abcde"), "name": list("ABCDE")})
    sets = indistinct_ranks(table, ranking)
    assert sets["ranks"].tolist() == [(2, 3), (3, 4)]
    assert sets["names"].tolist() == [("B", "C"), ("C", "D")]


def test_dirichlet_weights_stay_positive_and_tight_concentration_is_nominal(tmp_path):
    noise = Robustness.model_validate({"stage_weights": {"distribution": "dirichlet", "concentration": 20}}).stage_weights
    u = np.random.default_rng(0).random((1000, 3))
    w = rb._weights(noise, np.array([30.0, 50.0, 20.0]), u)
    assert (w > 0).all() and np.allclose(w.sum(axis=1), 100) and np.allclose(w.mean(axis=0), [30, 50, 20], atol=1.5)
    inputs = hand_region(tmp_path, {"stage_weights": {"distribution": "dirichlet", "concentration": 1e9}}).load()
    t = analyse_robustness(inputs, draws=100, sensitivity=False).table
    assert (t["rank_p05"] == t["rank"]).all() and (t["rank_p95"] == t["rank"]).all()


def test_robustness_section_is_validated(tmp_path):
    base = two_scores()
    for bad, words in [({"draw": 10}, "robustness.draw"), ({"stage_weights": {"spread": 1.5}}, "spread must be between 0 and 1"),
                       ({"sensitivity_samples": 100}, "power of two"), ({"draws": 0}, "robustness.draws"),
                       ({"draws": "many"}, "robustness.draws"), ({"seed": -1}, "robustness.seed"),
                       ({"sebagian": {"spread": -0.1}}, "spread"), ({"stage_weights": {"distribution": "normal"}}, "distribution")]:
        path = tmp_path / "m.yml"
        path.write_text(yaml.safe_dump({**base, "robustness": bad}))
        with pytest.raises(MethodologyError) as exc:
            load_methodology(path)
        assert words in str(exc.value), (bad, str(exc.value))


def test_every_preset_states_its_robustness_assumptions():
    from kiprank.core.methodology import PRESET_DIR, list_presets
    from kiprank.core.yamlfile import load_yaml

    for m in list_presets():
        raw = load_yaml(PRESET_DIR / f"{m.id}.yml")
        assert {"draws", "seed", "stage_weights", "indicator_weights", "sebagian", "report"} <= set(raw["robustness"]), m.id
        # both languages state it, each in its own words
        for lang, opening in (("id", "Ketahanan peringkat:"), ("en", "Robustness:")):
            said, in_lang = m.written_in("assumptions", lang)
            assert in_lang and any(a.startswith(opening) for a in said), (m.id, lang)
    # published weights are not varied
    assert not load_methodology("ki-pusat-2025").robustness.stage_weights.varied


def test_overrides_are_checked():
    m = load_methodology("klaten-2022")
    for kwargs, words in [({"draws": 0}, "--draws"), ({"draws": -5}, "--draws"), ({"draws": 10**9}, "--draws"),
                          ({"seed": -1}, "--seed"), ({"seed": 2**40}, "--seed")]:
        with pytest.raises(UsageError, match=words):
            rb.robustness_settings(m, **kwargs)
    assert rb.robustness_settings(m, draws=5, seed=9).draws == 5


def test_too_many_draws_for_the_bodies_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(rb, "MAX_KEPT_CELLS", 100)
    inputs = hand_region(tmp_path).load()
    with pytest.raises(UsageError, match="too many"):
        analyse_robustness(inputs, draws=50)


def test_uncertain_bands_columns(tmp_path):
    inputs = hand_region(tmp_path).load()
    result = score(inputs)
    res = analyse_robustness(inputs, result, sensitivity=False)
    out = uncertain_bands(res.table, result.ranking, result.methodology)
    assert list(out.columns[:6]) == ["body_id", "name", "group", "rank", "band", "p_band"]
    assert out["name"].tolist() == ["Badan y"]


# -- the command -----------------------------------------------------------------------------------

def test_cli_scores_first_writes_and_records_settings(tmp_path):
    reg = hand_region(tmp_path)
    args = ["robustness", "--year", "2024", "--region", "testland", "--inputs-root", str(reg.inputs_root),
            "--outputs-root", str(reg.outputs_root), "--draws", "300", "--seed", "11"]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "scored first" in first.output
    folder = reg.output_folder
    manifest = json.loads((folder / "manifest.json").read_text())
    section = manifest["sections"]["robustness"]
    assert section["files"] == ["robustness.csv", "sensitivity.csv"]
    assert section["settings"]["draws"] == 300 and section["settings"]["seed"] == 11
    assert section["settings"]["stage_weights"]["spread"] == 0.5
    assert {"robustness.csv", "sensitivity.csv", "ranking.csv"} <= set(manifest["outputs"])
    before = (folder / "robustness.csv").read_bytes()
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "scored first" not in again.output
    assert (folder / "robustness.csv").read_bytes() == before

    # published from other inputs: refused, nothing written
    reg.write("a.csv", "body_id,score\nx,71\np,76\nq,74\ny,91.98\nz,30\n")
    changed = runner.invoke(main, args)
    assert changed.exit_code == 2 and "kiprank score" in changed.output
    assert (folder / "robustness.csv").read_bytes() == before


@pytest.mark.parametrize("extra,words", [(["--draws", "0"], "--draws"), (["--draws", "-3"], "--draws"),
                                         (["--draws", "99999999999"], "--draws"), (["--seed", "-1"], "--seed"),
                                         (["--seed", "4294967296"], "--seed"), (["--draws", "x"], "draws")])
def test_cli_bad_arguments(tmp_path, extra, words):
    reg = hand_region(tmp_path)
    res = CliRunner().invoke(main, ["robustness", "--year", "2024", "--region", "testland", "--inputs-root",
                                    str(reg.inputs_root), "--outputs-root", str(reg.outputs_root), *extra])
    assert res.exit_code == 2, res.output
    assert words in res.output and "Traceback" not in res.output
    assert not reg.output_folder.exists()


def test_bands_and_gates_in_the_int_domain_match_scoring():
    """Every rounded score at 0-4 decimals gets the band kiprank.core.scoring gives it."""
    for decimals in range(5):
        m = Methodology.model_validate({**two_scores(decimals=decimals), "bands": [
            {"label": "A", "min": 89.995 if decimals >= 3 else 90}, {"label": "B", "min": 80},
            {"label": "C", "min": 59.9}, {"label": "D", "min": 0}]})
        ints = np.arange(0, 100 * 10**decimals + 1)
        region = rb._Region(m=m, stages=[], nominal={}, assessed=np.array([]), bounds=[], fixed_scores=np.array([]),
                            full_perm=np.array([]), full_bounds=[], nominal_rank=np.array([]), nominal_band=np.array([]),
                            has_partial=False)
        got = np.array(m.band_labels)[rb._band_index(region, ints)]
        assert (got == m.bands_for(ints / 10.0**decimals)).all(), decimals
        rounded = rb._round_int(np.array([89.994999, 89.995, 2.675, 84.25, 0.05]), 2)
        from kiprank.core.methodology import round_half_up

        assert (rounded / 100.0 == round_half_up(np.array([89.994999, 89.995, 2.675, 84.25, 0.05]), 2)).all()


def test_scoring_again_keeps_or_drops_the_robustness_files(tmp_path):
    """Scored again from the same inputs: the robustness files stay listed; from changed inputs:
    they described another ranking and are removed."""
    reg = hand_region(tmp_path)
    args = ["--year", "2024", "--region", "testland", "--inputs-root", str(reg.inputs_root),
            "--outputs-root", str(reg.outputs_root)]
    runner = CliRunner()
    assert runner.invoke(main, ["robustness", *args, "--draws", "100"]).exit_code == 0
    folder = reg.output_folder
    assert runner.invoke(main, ["score", *args]).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sections"]["robustness"]["files"] == ["robustness.csv", "sensitivity.csv"]
    assert {"robustness.csv", "sensitivity.csv"} <= set(manifest["outputs"])
    assert runner.invoke(main, ["verify", str(folder)]).exit_code == 0
    reg.write("a.csv", "body_id,score\nx,71\np,76\nq,74\ny,91.98\nz,30\n")
    assert runner.invoke(main, ["score", *args]).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "sections" not in manifest and "robustness.csv" not in manifest["outputs"]
    assert not (folder / "robustness.csv").exists() and not (folder / "sensitivity.csv").exists()
