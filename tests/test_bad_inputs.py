"""Bad input, tried on purpose: each malformed input gives a clear message (file, row, column,
what was expected), exit code 2 and nothing written; the Excel-in-Indonesian-locale cases are
read as meant.

Every case starts from the same small, valid region (preset klaten-2022) and breaks one thing,
then runs the real command line (`kiprank score`) in a subprocess-free CliRunner.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from kiprank.cli import main

from conftest import make_region

QUESTIONS = ["A01", "A05", "B04", "C03"]
GOOD_SAQ = {"A01": "ya", "A05": "7", "B04": "sebagian", "C03": "<=10 hari"}


def base(tmp_path):
    return make_region(
        tmp_path, "klaten-2022", year=2022, region="contoh",
        bodies=[("kec-a", "Kecamatan A", "kecamatan"), ("din-b", "Dinas B", "dinas"),
                ("din-c", "Dinas C", "dinas")],
        groups={"kecamatan": "Kecamatan", "dinas": "Badan/Dinas"},
        saq={"kec-a": GOOD_SAQ, "din-b": GOOD_SAQ},
        verification={"kec-a": {q: "sesuai" for q in QUESTIONS},
                      "din-b": {"A01": "sesuai", "A05": ("sebagian", "5"), "B04": "tidak sesuai", "C03": "sesuai"}},
        website={"kec-a": {"profil": "ya", "dip": "tidak"}, "din-b": {"profil": "ya", "dip": "ya"}},
    )


def run(reg, *extra, year=None, region=None):
    args = ["score", "--year", str(year or reg.year), "--region", region or reg.region,
            "--inputs-root", str(reg.inputs_root), "--outputs-root", str(reg.outputs_root), *extra]
    return CliRunner().invoke(main, args)


def edit(reg, name, old, new):
    path = reg.folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_methodology(reg, change):
    """Copy the preset next to the region, change it, and point region.yml at the copy."""
    from kiprank.methodology import PRESET_DIR

    data = yaml.safe_load((PRESET_DIR / "klaten-2022.yml").read_text(encoding="utf-8"))
    change(data)
    (reg.folder / "method.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    edit(reg, "region.yml", "methodology: klaten-2022", "methodology: method.yml")


def set_band(data, index, **values):
    data["bands"][index].update(values)


def write_xlsx_without(reg, missing: str):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ("bodies", "saq", "verification", "website"):
        path = reg.folder / f"{name}.csv"
        if name != missing:
            ws = wb.create_sheet(name)
            for line in path.read_text(encoding="utf-8").splitlines():
                ws.append(line.split(","))
        path.unlink()
    wb.save(reg.folder / "inputs.xlsx")


# (id, how to break the region, words the message must contain, expected row, expected column)
CASES = [
    ("latin1-file", lambda r: (r.folder / "bodies.csv").write_bytes(
        "body_id,name,group\nkec-a,Kecamatan Bénda,kecamatan\ndin-b,Dinas B,dinas\ndin-c,Dinas C,dinas\n"
        .encode("latin-1")),
     ["bodies.csv", "not UTF-8", "0xe9"], 2, None),
    ("empty-file", lambda r: (r.folder / "saq.csv").write_text(""), ["saq.csv", "empty"], None, None),
    ("header-only", lambda r: (r.folder / "website.csv").write_text("body_id,item_id,present\n"),
     ["website.csv", "no data rows"], None, None),
    ("missing-file", lambda r: (r.folder / "verification.csv").unlink(), ["verification.csv", "missing"], None, None),
    ("missing-sheet", lambda r: write_xlsx_without(r, "verification"),
     ["inputs.xlsx", "sheet 'verification' is missing"], None, None),
    ("missing-column", lambda r: (r.folder / "saq.csv").write_text("body_id,question_id\nkec-a,A01\n"),
     ["saq.csv", "required column 'answer'"], 1, "answer"),
    ("duplicate-body-id", lambda r: edit(r, "bodies.csv", "din-c,Dinas C", "din-b,Dinas C"),
     ["bodies.csv", "duplicate", "'din-b'"], 4, "body_id"),
    ("duplicate-answer-row", lambda r: edit(r, "saq.csv", "kec-a,A05,7", "kec-a,A01,tidak"),
     ["saq.csv", "duplicate row"], 2, "body_id"),
    ("answer-not-allowed", lambda r: edit(r, "saq.csv", "kec-a,A01,ya", "kec-a,A01,mungkin"),
     ["saq.csv", "'mungkin'", "ya or tidak"], 2, "answer"),
    ("numeric-answer-above-max", lambda r: edit(r, "saq.csv", "kec-a,A05,7", "kec-a,A05,11"),
     ["saq.csv", "'11'", "from 0 to 10"], 3, "answer"),
    ("graded-answer-unknown", lambda r: edit(r, "saq.csv", "kec-a,B04,sebagian", "kec-a,B04,separuh"),
     ["saq.csv", "'separuh'", "'lengkap'"], 4, "answer"),
    ("unknown-question", lambda r: edit(r, "saq.csv", "kec-a,A01", "kec-a,Z99"),
     ["saq.csv", "'Z99'", "not in methodology klaten-2022"], 2, "question_id"),
    ("unknown-body", lambda r: edit(r, "saq.csv", "kec-a,A01", "kec-x,A01"),
     ["saq.csv", "'kec-x'", "not in bodies.csv"], 2, "body_id"),
    ("undeclared-group", lambda r: edit(r, "bodies.csv", "Dinas C,dinas", "Dinas C,bumd"),
     ["bodies.csv", "'bumd'", "not declared in region.yml"], 4, "group"),
    ("unknown-verdict", lambda r: edit(r, "verification.csv", "kec-a,A01,sesuai", "kec-a,A01,oke"),
     ["verification.csv", "'oke'", "sesuai, sebagian, tidak sesuai"], 2, "verdict"),
    ("partial-without-valid-granted", lambda r: edit(r, "verification.csv", "sebagian,5", "sebagian,lima"),
     ["verification.csv", "'lima'"], 7, "granted"),
    ("website-value-not-yes-no", lambda r: edit(r, "website.csv", "kec-a,profil,ya", "kec-a,profil,mungkin"),
     ["website.csv", "'mungkin'", "ya/tidak"], 2, "present"),
    ("website-unknown-item", lambda r: edit(r, "website.csv", "kec-a,profil", "kec-a,instagram"),
     ["website.csv", "'instagram'", "not in the checklist"], 2, "item_id"),
    ("extra-field-in-row", lambda r: edit(r, "saq.csv", "kec-a,A01,ya", "kec-a,A01,ya,extra"),
     ["saq.csv", "4 fields", "3 columns of the header"], 2, None),
    ("stage-weights-not-100", lambda r: edit_methodology(r, lambda d: d["stages"][0].update(weight=35)),
     ["method.yml", "stage weights must sum to 100", "105"], None, None),
    ("indicator-weights-not-100", lambda r: edit_methodology(
        r, lambda d: d["questionnaire"]["indicators"][0].update(weight=30)),
     ["method.yml", "indicator weights must sum to 100"], None, None),
    ("band-gap", lambda r: edit_methodology(r, lambda d: set_band(d, 1, max=89.5)),
     ["method.yml", "gap between bands", "89.6"], None, None),
    ("band-overlap", lambda r: edit_methodology(r, lambda d: set_band(d, 1, max=92)),
     ["method.yml", "bands overlap"], None, None),
    ("lowest-band-not-zero", lambda r: edit_methodology(r, lambda d: set_band(d, 4, min=10)),
     ["method.yml", "lowest band must start at 0"], None, None),
    ("region-yml-missing-title", lambda r: edit(r, "region.yml", "title:", "judul:"),
     ["region.yml", "title"], None, None),
    ("unknown-methodology", lambda r: edit(r, "region.yml", "methodology: klaten-2022", "methodology: klaten-2099"),
     ["klaten-2099", "neither a preset"], None, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_is_refused_with_file_row_column(tmp_path, case):
    _, breaker, words, row, column = case
    reg = base(tmp_path)
    breaker(reg)
    result = run(reg)
    assert result.exit_code == 2, result.output
    message = result.output
    for word in words:
        assert word in message, (word, message)
    if row is not None:
        assert f"row {row}" in message, message
    if column is not None:
        assert f"column '{column}'" in message, message
    assert "Traceback" not in message
    assert not reg.outputs_root.exists(), "nothing may be written on bad input"


def test_all_problems_are_reported_at_once(tmp_path):
    reg = base(tmp_path)
    edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,mungkin")
    edit(reg, "bodies.csv", "Dinas C,dinas", "Dinas C,bumd")
    edit(reg, "website.csv", "kec-a,profil,ya", "kec-a,profil,2")
    result = run(reg)
    assert result.exit_code == 2
    assert "3 problem(s)" in result.output
    for file in ("saq.csv", "bodies.csv", "website.csv"):
        assert file in result.output


@pytest.mark.parametrize("year,region", [("2022", "../contoh"), ("2022", "a/b"), ("../2022", "contoh"),
                                         ("2022", ".."), ("2022", "/etc")])
def test_path_like_arguments_are_refused(tmp_path, year, region):
    reg = base(tmp_path)
    args = ["score", "--year", year, "--region", region, "--inputs-root", str(reg.inputs_root),
            "--outputs-root", str(reg.outputs_root)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert not reg.outputs_root.exists()
    assert not (tmp_path / "contoh").exists()


def test_excel_indonesian_locale_csv_is_read_as_meant(tmp_path):
    """Semicolons, a BOM, CRLF line ends and a decimal comma, as Excel saves 'CSV' in id-ID."""
    plain = base(tmp_path / "plain")
    plain_result = run(plain)
    assert plain_result.exit_code == 0, plain_result.output

    excel = base(tmp_path / "excel")
    for name in ("bodies.csv", "saq.csv", "verification.csv", "website.csv"):
        path = excel.folder / name
        text = path.read_text(encoding="utf-8").replace(",", ";").replace("\n", "\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    excel_result = run(excel)
    assert excel_result.exit_code == 0, excel_result.output
    assert (excel.output_folder / "ranking.csv").read_bytes() == (plain.output_folder / "ranking.csv").read_bytes()


def test_decimal_comma_in_a_score_file(tmp_path):
    reg = make_region(
        tmp_path, Path(__file__).parent / "fixtures" / "two-stage.yml",
        bodies=[("x", "Dinas X", "dinas")], saq={"x": {"A1": "ya"}},
        files={"presentasi.csv": "\ufeffbody_id;score\r\nx;85,5\r\n"},
    )
    result = reg.score()
    assert result.ranking.loc[0, "presentasi"] == 85.5
