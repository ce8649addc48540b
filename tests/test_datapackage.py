"""datapackage.json: every published run describes its tables as a Frictionless Data Package that
``frictionless validate`` accepts (types, constraints, keys, sizes and hashes checked against the
files), kept in step when robustness adds tables or a new run drops them, listed in the manifest,
linked from the site. The comparison and corrections packages of the demo are validated by
tests/test_wheel.py, which builds them from the installed wheel.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import validate

from kiprank.cli import main
from kiprank.runs.datapackage import FILE, datapackage, field_table
from kiprank.runs.pipeline import run_robustness, run_score
from kiprank.runs.site import build_site

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['Kecamatan "Koma, Kutip"', "=HYPERLINK(\"http://x\")", "Baris\nbaru", "+62 Dinas; @home", "Dinas  ñ é 中文"]


def _errors(path: Path) -> list[str]:
    report = validate(str(path))
    return [] if report.valid else [f"{t}: {n}" for t, n in report.flatten(["type", "note"])]


@pytest.fixture()
def region(tmp_path):
    """The Klaten demo inputs with hostile body names (commas, quotes, a line break, formulas)."""
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "inputs" / "2022" / "klaten", inputs / "2022" / "klaten",
                    ignore=shutil.ignore_patterns("collect"))
    path = inputs / "2022" / "klaten" / "bodies.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row, name in zip(rows[1:], HOSTILE):
        row[1] = name
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return inputs, tmp_path / "outputs"


def test_run_package_validates_and_follows_the_robustness_tables(region):
    inputs, outputs = region
    folder, _ = run_score(2022, "klaten", inputs, outputs)
    pkg = json.loads((folder / FILE).read_text(encoding="utf-8"))
    assert [r["path"] for r in pkg["resources"]] == ["ranking.csv", "indicators.csv"]
    assert _errors(folder / FILE) == []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert FILE in manifest["outputs"]

    run_robustness(2022, "klaten", inputs, outputs, draws=50, seed=3)
    pkg = json.loads((folder / FILE).read_text(encoding="utf-8"))
    assert [r["path"] for r in pkg["resources"]] == ["ranking.csv", "indicators.csv", "robustness.csv", "sensitivity.csv"]
    assert _errors(folder / FILE) == []
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 0, result.output  # the rewritten package is listed with its new hash

    ranking = pkg["resources"][0]["schema"]
    assert ranking["primaryKey"] == ["body_id"]
    fields = {f["name"]: f for f in ranking["fields"]}
    assert set(fields) >= {"saq", "verifikasi", "website", "final", "band", "rank"}
    assert fields["saq"]["type"] == "number" and fields["saq"]["unit"] == "points (0-100)"
    assert fields["saq"]["description"].startswith("Nilai tahap") and fields["saq"]["description_en"].startswith("Score of")
    assert fields["band"]["constraints"]["enum"][0] == "Informatif"
    robustness = pkg["resources"][2]["schema"]
    assert robustness["foreignKeys"] == [{"fields": ["body_id"], "reference": {"resource": "ranking", "fields": ["body_id"]}}]
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0" and pkg["methodology"]["id"] == "klaten-2022"
    assert [s["weight"] for s in pkg["methodology"]["stages"]] == [30, 50, 20]

    # the same inputs give the same bytes; changed inputs drop the robustness tables and their description
    before = (folder / FILE).read_bytes()
    run_score(2022, "klaten", inputs, outputs)
    assert (folder / FILE).read_bytes() == before
    saq = inputs / "2022" / "klaten" / "saq.csv"
    saq.write_text(saq.read_text(encoding="utf-8").replace(",ya\n", ",tidak\n", 1), encoding="utf-8")
    run_score(2022, "klaten", inputs, outputs)
    pkg = json.loads((folder / FILE).read_text(encoding="utf-8"))
    assert [r["path"] for r in pkg["resources"]] == ["ranking.csv", "indicators.csv"]
    assert _errors(folder / FILE) == []


def test_validation_catches_what_the_package_promises(region, tmp_path):
    """The package is not decoration: a changed table, a value outside its constraint and a row whose
    body is not in the ranking are each reported by frictionless."""
    inputs, outputs = region
    folder, _ = run_robustness(2022, "klaten", inputs, outputs, draws=20)[:2]
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    text = (copy / "ranking.csv").read_text(encoding="utf-8")
    (copy / "ranking.csv").write_text(text.replace(",Informatif,", ",Sangat Informatif,", 1), encoding="utf-8")
    errors = _errors(copy / FILE)
    assert any(e.startswith("constraint-error") for e in errors) and any(e.startswith("hash-count") for e in errors), errors

    # a package written for tables whose indicators name a body the ranking does not have
    shutil.copytree(folder, copy, dirs_exist_ok=True)
    with open(copy / "indicators.csv", "a", encoding="utf-8") as f:
        f.write("ghost,saq,pengumuman,Pengumuman,25.000000,50.000000,1.000000\n")
    (copy / FILE).write_text(json.dumps(datapackage(copy, "run", **_about(folder))), encoding="utf-8")
    errors = _errors(copy / FILE)
    assert any(e.startswith("foreign-key") for e in errors), errors


def _about(folder: Path) -> dict:
    pkg = json.loads((folder / FILE).read_text(encoding="utf-8"))
    return {"region": "Kabupaten Klaten", "year": 2022, "methodologies": [pkg["methodology"]]}


def test_a_column_the_field_table_does_not_describe_is_an_error(tmp_path):
    (tmp_path / "sensitivity.csv").write_text("output,input,varied,S1,S1_conf,ST,ST_conf,surprise\n", encoding="utf-8")
    with pytest.raises(ValueError, match="surprise"):
        datapackage(tmp_path, "run")


def test_field_table_has_both_languages_everywhere():
    spec = field_table()
    for name, table in spec["tables"].items():
        for key in ("title", "description"):
            assert table[key]["id"] and table[key]["en"], (name, key)
        for field in table["fields"]:
            for key in ("title", "description"):
                assert field[key]["id"] and field[key]["en"], (name, field["name"], key)
            assert field.get("unit") is None or field["unit"] in spec["units"], (name, field["name"])


def test_site_links_the_data_package_and_offers_every_table_it_lists(region):
    inputs, outputs = region
    run_robustness(2022, "klaten", inputs, outputs, draws=20)
    site = build_site(outputs).folder
    page = (site / "2022" / "klaten" / "index.html").read_text(encoding="utf-8")
    assert f'href="{FILE}"' in page and "Paket data terbuka" in page
    pkg = json.loads((site / "2022" / "klaten" / FILE).read_text(encoding="utf-8"))
    for resource in pkg["resources"]:
        assert (site / "2022" / "klaten" / resource["path"]).is_file(), resource["path"]
    assert _errors(site / "2022" / "klaten" / FILE) == []  # a portal can harvest it from the site as published
