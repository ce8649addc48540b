"""The demo inputs (inputs/<year>/<region>/) reproduce the published facts they are calibrated to,
and inputs/generate.py regenerates them exactly.

The facts are checked on the scores of the independent reference scorer (tests/reference_scorer.py),
not on kiprank's: the demo was calibrated with kiprank's scorer, so checking the calibration with it
would only compare kiprank with itself. That kiprank scores the demo exactly as the reference does is
tests/test_scoring_reference.py."""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from kiprank.core.inputs import load_region
from kiprank.core.scoring import score
from reference_scorer import fraction_of, read_rows, round_half_up, score_folder

INPUTS = Path(__file__).resolve().parent.parent / "inputs"
PRESETS = Path(__file__).resolve().parent.parent / "kiprank" / "methodologies"

MENUJU_2018 = {"kab-kudus", "kota-magelang", "kab-karanganyar", "kab-wonosobo", "kab-temanggung",
               "kab-wonogiri", "kab-brebes", "kab-pemalang", "kab-purbalingga", "kab-banyumas"}


def reference_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference scorer's ranking (body_id, name, group, returned, status, one column per stage,
    final, band, rank: published numbers) and indicator scores (body_id, stage, indicator, score)."""
    m, rows, expected = score_folder(folder, PRESETS)
    table = []
    for r in rows:
        e = expected[r["body_id"]]
        stages = {s["id"]: float(round_half_up(e.stages[s["id"]], m["decimals"])) if e.returned else math.nan
                  for s in m["stages"]}
        table.append({"body_id": r["body_id"], "name": r["name"], "group": r["group"], "returned": e.returned,
                      "status": e.status, **stages, "final": float(e.published) if e.published is not None else math.nan,
                      "band": e.band, "rank": e.rank})
    ranking = pd.DataFrame(table)
    ranking["rank"] = ranking["rank"].astype("Int64")
    indicators = pd.DataFrame([(b, s, i, float(v)) for b, e in expected.items() for (s, i), v in e.indicators.items()],
                              columns=["body_id", "stage", "indicator", "score"])
    return ranking, indicators


@pytest.fixture(scope="module")
def scored():
    """The reference scorer's tables of every demo region, read from the committed files (once)."""
    return {f"{year}/{region}": reference_tables(INPUTS / str(year) / region)
            for year, region in ((2022, "klaten"), (2018, "jateng"), (2019, "jateng"))}


def ranking(scored, key: str) -> pd.DataFrame:
    return scored[key][0]


def top3(table: pd.DataFrame, group: str) -> list[tuple[str, str, float, int]]:
    g = table[(table["group"] == group) & table["rank"].notna()].sort_values(["rank", "body_id"])
    return [(r.body_id, r.name, r.final, int(r.rank)) for r in g.head(3).itertuples()]


# -- Klaten 2022 -------------------------------------------------------------------------------

def test_klaten_top3_per_group_with_published_scores(scored):
    k = ranking(scored, "2022/klaten")
    assert top3(k, "kecamatan") == [
        ("kec-ngawen", "Kecamatan Ngawen", 93.3, 1),
        ("kec-karangdowo", "Kecamatan Karangdowo", 84.3, 2),
        ("kec-klaten-utara", "Kecamatan Klaten Utara", 83.0, 3),
    ]
    assert top3(k, "badan_dinas") == [
        ("bpkpad", "Badan Pengelolaan Keuangan, Pendapatan dan Aset Daerah (BPKPAD)", 90.3, 1),
        ("dinkes", "Dinas Kesehatan", 90.2, 2),
        ("dishub", "Dinas Perhubungan", 89.3, 3),
    ]
    for group, third in (("kecamatan", 83.0), ("badan_dinas", 89.3)):
        rest = k[(k["group"] == group) & k["returned"] & (k["rank"] > 3)]
        assert len(rest) and (rest["final"] < third).all(), group


def test_klaten_bodies_and_non_returners(scored):
    k = ranking(scored, "2022/klaten")
    assert k.groupby("group").size().to_dict() == {"kecamatan": 26, "badan_dinas": 24}
    missing = k[~k["returned"]]
    assert missing.groupby("group").size().to_dict() == {"kecamatan": 6, "badan_dinas": 1}
    assert missing["rank"].isna().all() and missing["final"].isna().all()
    assert set(missing["status"]) == {"Tidak mengembalikan SAQ"}
    for name in ("Kecamatan Ngawen", "Kecamatan Klaten Selatan", "Kecamatan Wonosari",
                 "Dinas Komunikasi dan Informatika (Diskominfo)", "Badan Perencanaan Pembangunan Daerah (Bappeda)"):
        assert name in set(k["name"])


def test_klaten_three_kecamatan_websites_fall_short(scored):
    k = ranking(scored, "2022/klaten")
    kec = k[(k["group"] == "kecamatan") & k["returned"]]
    low = kec[kec["website"] < 50]
    assert sorted(low["body_id"]) == ["kec-jogonalan", "kec-juwiring", "kec-wonosari"]
    assert (low["website"] <= 40).all()
    assert (kec.loc[kec["website"] >= 50, "website"] >= 56).all()
    dinas = k[(k["group"] == "badan_dinas") & k["returned"]]
    assert (dinas["website"] >= 60).all()  # all badan/dinas websites run


def test_klaten_looks_like_real_answers(scored):
    k = ranking(scored, "2022/klaten")
    k = k[k["returned"]]
    means = k.groupby("group")["final"].mean()
    assert means["kecamatan"] < means["badan_dinas"]
    folder = INPUTS / "2022" / "klaten"
    verification = read_rows(folder / "verification.csv")
    verdicts = pd.Series([r["verdict"] for r in verification]).value_counts()
    assert verdicts["tidak sesuai"] >= 20 and verdicts["sebagian"] >= 10
    import yaml

    questions = {q["id"]: q for q in yaml.safe_load((PRESETS / "klaten-2022.yml").read_text())["questionnaire"]["questions"]}
    claimed = {(r["body_id"], r["question_id"]): r["answer"] for r in read_rows(folder / "saq.csv")}
    partial = [r for r in verification if r["verdict"] == "sebagian"]
    assert all(fraction_of(questions[r["question_id"]], r["granted"])
               < fraction_of(questions[r["question_id"]], claimed[(r["body_id"], r["question_id"])])
               for r in partial)  # 'sebagian' always grants less than was claimed
    gap = k["saq"] - k["verifikasi"]
    assert sorted(k.loc[gap >= 30, "body_id"]) == ["disdag", "kec-cawas", "kec-trucuk"]  # heavy over-claimers
    assert (k.loc[gap >= 30, "saq"] >= 85).all()
    assert (gap > 0).mean() > 0.8  # verification lowers most bodies' claims


def test_klaten_xlsx_scores_like_csv():
    inputs_x = load_region(2022, "klaten-xlsx", INPUTS)
    result_x, result_c = score(inputs_x), score(load_region(2022, "klaten", INPUTS))
    assert {p.name for p in inputs_x.files.values()} == {"inputs.xlsx"}
    assert not any(inputs_x.folder.glob("*.csv"))
    pd.testing.assert_frame_equal(result_x.ranking, result_c.ranking)
    pd.testing.assert_frame_equal(result_x.indicators, result_c.indicators)


# -- KI Jawa Tengah 2018 / 2019 ----------------------------------------------------------------

def test_jateng_same_35_bodies_both_years():
    b18 = pd.read_csv(INPUTS / "2018/jateng/bodies.csv", dtype=str)
    b19 = pd.read_csv(INPUTS / "2019/jateng/bodies.csv", dtype=str)
    pd.testing.assert_frame_equal(b18, b19)
    assert len(b18) == 35 and b18["body_id"].is_unique
    assert b18["body_id"].str.startswith("kab-").sum() == 29 and b18["body_id"].str.startswith("kota-").sum() == 6
    assert {"kab-kudus", "kota-pekalongan", "kab-batang", "kab-karanganyar"} <= set(b18["body_id"])


def test_jateng_2018_published_facts(scored):
    j = ranking(scored, "2018/jateng").set_index("body_id")
    assert j.index[j["rank"] == 1].tolist() == ["kota-pekalongan"]
    assert j.loc["kab-batang", "band"] == "Informatif" and j.loc["kab-batang", "final"] >= 90
    menuju = set(j.index[j["returned"] & (j["band"] == "Menuju Informatif")])
    assert menuju == MENUJU_2018
    assert j.loc[sorted(MENUJU_2018), "final"].between(80, 89.99).all()


def test_jateng_2019_published_facts(scored):
    j = ranking(scored, "2019/jateng").set_index("body_id")
    assert [j.index[j["rank"] == n].tolist() for n in (1, 2, 3)] == [["kab-batang"], ["kota-pekalongan"], ["kab-karanganyar"]]
    assert j.loc["kab-karanganyar", "final"] == 90.82
    bands = j[j["returned"]]["band"].value_counts()
    assert bands["Informatif"] == 3 and bands["Menuju Informatif"] == 10 and bands["Kurang Informatif"] == 12
    rest = bands.get("Cukup Informatif", 0) + bands.get("Tidak Informatif", 0) + int((~j["returned"]).sum())
    assert rest == 10 and len(j) == 35


def test_kudus_falls_in_rank_and_saq_from_identifiable_indicators(scored):
    rows, ind = {}, {}
    for year in (2018, 2019):
        table, i = scored[f"{year}/jateng"]
        rows[year] = table.set_index("body_id").loc["kab-kudus"]
        ind[year] = i[i["body_id"] == "kab-kudus"].set_index(["stage", "indicator"])["score"]
    assert rows[2018]["band"] == "Menuju Informatif"
    assert rows[2019]["rank"] > rows[2018]["rank"]
    assert rows[2019]["saq"] < rows[2018]["saq"]
    drop = ind[2018] - ind[2019]
    for stage in ("saq", "verifikasi"):
        for indicator in ("pengumuman", "penyediaan"):
            assert drop[(stage, indicator)] >= 20, (stage, indicator)
        for indicator in ("website", "pelayanan"):
            assert abs(drop[(stage, indicator)]) <= 5, (stage, indicator)


# -- the generator -----------------------------------------------------------------------------

def _generator():
    name = "kiprank_demo_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, INPUTS / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_generator_reproduces_the_committed_files(capsys):
    gen = _generator()
    assert gen.main(["--check"]) == 0, capsys.readouterr().err


def test_generator_check_reports_a_difference(tmp_path):
    gen = _generator()
    for rel in gen.REGION_DIRS:
        shutil.copytree(INPUTS / rel, tmp_path / rel)
    assert gen.compare(INPUTS, tmp_path) == []
    saq = tmp_path / "2022/klaten/saq.csv"
    saq.write_text(saq.read_text().replace(",ya\n", ",tidak\n", 1))
    (tmp_path / "2019/jateng/stray.csv").write_text("x\n")
    assert gen.compare(INPUTS, tmp_path) == ["2022/klaten/saq.csv: differs",
                                             "2019/jateng/stray.csv: not written by the generator"]
