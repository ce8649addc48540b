"""Bad input, tried on purpose: each malformed input gives a clear message (file, row, column,
what was expected), exit code 2 and nothing written; the Excel-in-Indonesian-locale cases are
read as meant.

Every case starts from the same small, valid region (preset klaten-2022) and breaks one thing,
then runs the real command line (`kiprank score`) in a subprocess-free CliRunner.
"""

from __future__ import annotations

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
    from kiprank.core.methodology import PRESET_DIR

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


# -- the hostile-input table (issue #11) ------------------------------------------------------------
# Each case breaks one thing in a valid region (or in how the command is called), runs the real
# command line, and checks the exit code, that the message names the place (file and line, or the
# argument), that no traceback is printed, and that NOTHING on disk changed: a snapshot of the
# whole tree (inputs and outputs, including an earlier published run) is compared before and after.

import hashlib  # noqa: E402
import os  # noqa: E402



def snapshot(root: Path) -> dict:
    """Every path under ``root`` with its content hash (files), link target or 'dir'."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def score_args(reg, *extra, region=None, outputs=None, inputs=None):
    return ["score", "--year", str(reg.year), "--region", region or reg.region,
            "--inputs-root", str(inputs or reg.inputs_root), "--outputs-root", str(outputs or reg.outputs_root), *extra]


def touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_text(reg, name, text, encoding="utf-8"):
    (reg.folder / name).write_bytes(text.encode(encoding) if isinstance(text, str) else text)


def region_yml(reg, extra="", replace=None):
    text = (reg.folder / "region.yml").read_text(encoding="utf-8")
    if replace:
        text = text.replace(*replace)
    write_text(reg, "region.yml", text + extra)


def method_text(reg, text):
    """A methodology file given as text (to keep what yaml.safe_dump would normalise away)."""
    write_text(reg, "method.yml", text)
    region_yml(reg, replace=("methodology: klaten-2022", "methodology: method.yml"))


def preset_text():
    from kiprank.core.methodology import PRESET_DIR

    return (PRESET_DIR / "klaten-2022.yml").read_text(encoding="utf-8")


def to_xlsx(reg, tweak=None):
    """Move the four tables into inputs.xlsx (cells as text), then let ``tweak(wb)`` break it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ("bodies", "saq", "verification", "website"):
        path = reg.folder / f"{name}.csv"
        ws = wb.create_sheet(name)
        for line in path.read_text(encoding="utf-8").splitlines():
            ws.append(line.split(","))
        path.unlink()
    if tweak:
        tweak(wb)
    wb.save(reg.folder / "inputs.xlsx")


def big_xlsx(reg):
    """A small workbook whose content expands to a few MB (the limit is lowered to 1 MB)."""
    def tweak(wb):
        ws = wb["bodies"]
        for i in range(3000):
            ws.append([f"pad-{i}", "x" * 400, "dinas"])
    to_xlsx(reg, tweak)


def formula_without_value(reg):
    to_xlsx(reg, lambda wb: wb["saq"].cell(row=3, column=3, value="=1+1"))  # openpyxl saves no cached value


def corrupt_workbook(reg, data: bytes):
    to_xlsx(reg)
    (reg.folder / "inputs.xlsx").write_bytes(data)


def publish_first(reg):
    """Publish a good run first: the failing command must leave it exactly as it was."""
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 0, result.output
    return reg.output_folder


def foreign_folder(reg):
    folder = reg.output_folder
    folder.mkdir(parents=True)
    (folder / "notes.docx").write_bytes(b"someone's own file")


def damaged_manifest(reg, content: bytes):
    folder = publish_first(reg)
    (folder / "manifest.json").write_bytes(content)


def damaged_manifest_listing(reg, rel):
    path = reg.output_folder / "manifest.json"
    data = json.loads(path.read_text())
    data["outputs"][rel] = "0" * 64
    path.write_text(json.dumps(data))


def unlisted_file(reg):
    folder = publish_first(reg)
    (folder / "my-notes.txt").write_text("mine")


def other_kind(reg):
    folder = publish_first(reg)
    data = json.loads((folder / "manifest.json").read_text())
    data["kind"] = "corrections"
    (folder / "manifest.json").write_text(json.dumps(data))


def many_bad_answers(reg, n=3000):
    rows = "".join(f"kec-a,A{i:04d},ya\n" for i in range(n))
    (reg.folder / "saq.csv").write_text("body_id,question_id,answer\n" + rows)


import json  # noqa: E402

CHAOS = [
    # id, prepare(reg) -> args (None: plain score), env, exit code, words in the message
    # --- YAML ---
    ("yaml-duplicate-key", lambda r: region_yml(r, "title: again\n"), {}, 2, ["region.yml", "line 8", "appears twice", "title"]),
    ("yaml-duplicate-nested-key", lambda r: region_yml(r, replace=("groups:\n", "groups:\n  dinas: Dinas lagi\n")),
     {}, 2, ["region.yml", "'dinas' appears twice"]),
    ("yaml-impossible-date", lambda r: region_yml(r, "report_date: 2022-02-30\n"), {}, 2, ["region.yml", "line 8", "2022-02-30"]),
    ("yaml-year-zero", lambda r: region_yml(r, "report_date: 0000-01-01\n"), {}, 2, ["region.yml", "0000-01-01", "not a real date"]),
    ("yaml-not-a-mapping", lambda r: write_text(r, "region.yml", "- a\n- b\n"), {}, 2, ["region.yml", "mapping"]),
    ("yaml-syntax-error", lambda r: region_yml(r, "groups: [unclosed\n"), {}, 2, ["region.yml", "line", "not valid YAML"]),
    ("yaml-not-utf8", lambda r: region_yml(r, replace=("Testland", "T\xe9stland")) or write_text(
        r, "region.yml", (r.folder / "region.yml").read_text(encoding="utf-8"), "latin-1"), {}, 2, ["region.yml", "not UTF-8", "0xe9"]),
    ("yaml-empty", lambda r: write_text(r, "region.yml", ""), {}, 2, ["region.yml", "title"]),
    ("yaml-billion-laughs", lambda r: write_text(r, "region.yml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))),
     {}, 2, ["region.yml"]),
    ("yaml-python-tag", lambda r: region_yml(r, "x: !!python/object/apply:os.system ['echo hi']\n"), {}, 2, ["region.yml", "line 8"]),
    ("methodology-duplicate-key", lambda r: method_text(r, preset_text().replace("decimals: 1\n", "decimals: 1\ndecimals: 2\n")),
     {}, 2, ["method.yml", "line 6", "'decimals' appears twice"]),
    ("methodology-impossible-date", lambda r: method_text(r, preset_text().replace('years: "2022"', "years: 2022-13-01")),
     {}, 2, ["method.yml", "line 5", "2022-13-01"]),
    ("methodology-not-a-mapping", lambda r: method_text(r, "- just\n- a list\n"), {}, 2, ["method.yml", "mapping"]),
    ("methodology-not-utf8", lambda r: method_text(r, preset_text()) or write_text(
        r, "method.yml", preset_text().replace("Klaten", "Kl\xe4ten"), "latin-1"), {}, 2, ["method.yml", "not UTF-8"]),
    ("methodology-is-a-folder", lambda r: (r.folder / "method.yml").mkdir() or region_yml(
        r, replace=("methodology: klaten-2022", "methodology: method.yml")), {}, 2, ["method.yml"]),
    # --- CSV ---
    ("csv-duplicate-header", lambda r: edit(r, "bodies.csv", "body_id,name,group", "body_id,name,name,group"),
     {}, 2, ["bodies.csv", "row 1", "column 'name'", "appears twice"]),
    ("csv-duplicate-header-after-case", lambda r: edit(r, "saq.csv", "body_id,question_id,answer", "body_id,question_id,answer, ANSWER "),
     {}, 2, ["saq.csv", "row 1", "'answer' appears twice"]),
    ("csv-more-fields-quoted", lambda r: write_text(r, "bodies.csv", 'body_id,name,group\nkec-a,"Kecamatan A",kecamatan\n'
                                                      'din-b,Dinas B, Kota,dinas\ndin-c,Dinas C,dinas\n'),
     {}, 2, ["bodies.csv", "row 3", "4 fields", "double quotes"]),
    ("csv-fewer-fields", lambda r: edit(r, "website.csv", "kec-a,profil,ya", "kec-a,profil"), {}, 2, ["website.csv", "row 2", "2 fields"]),
    ("csv-unbalanced-quote", lambda r: edit(r, "bodies.csv", "din-c,Dinas C", 'din-c,"Dinas C'), {}, 2, ["bodies.csv", "never closed"]),
    ("csv-every-row-one-more", lambda r: write_text(r, "saq.csv", "body_id,question_id,answer\n" + "".join(
        f"{b},{q},{a},x\n" for b in ("kec-a", "din-b") for q, a in GOOD_SAQ.items())), {}, 2, ["saq.csv", "row 2", "4 fields"]),
    ("csv-semicolon-extra-field", lambda r: write_text(r, "website.csv", "body_id;item_id;present\nkec-a;profil;ya;1\n"),
     {}, 2, ["website.csv", "row 2", "4 fields"]),
    ("csv-too-many-columns", lambda r: write_text(r, "bodies.csv", ",".join(f"c{i}" for i in range(20000)) + "\n1\n"),
     {}, 2, ["bodies.csv", "row 1", "20,000 columns", "--max-columns"]),
    ("csv-too-large", lambda r: write_text(r, "saq.csv", "body_id,question_id,answer\n" + "kec-a,A01,ya\n" * 120000),
     {"KIPRANK_MAX_FILE_MB": "1"}, 2, ["saq.csv", "above the limit", "--max-file-mb"]),
    ("csv-problem-cap", many_bad_answers, {"KIPRANK_MAX_PROBLEMS": "50"}, 2, ["3000 problem(s)", "--max-problems", "saq.csv"]),
    ("csv-is-a-folder", lambda r: (r.folder / "saq.csv").unlink() or (r.folder / "saq.csv").mkdir(), {}, 2, ["saq.csv", "not a regular file"]),
    ("csv-not-utf8-late", lambda r: write_text(r, "bodies.csv", ("body_id,name,group\n" + "".join(
        f"x{i},Dinas {i},dinas\n" for i in range(200)) + "kec-a,Kecamatan \xc1,kecamatan\n"), "latin-1"),
     {}, 2, ["bodies.csv", "row 202", "not UTF-8"]),
    ("csv-blank-lines-only", lambda r: write_text(r, "verification.csv", "\n\n \n"), {}, 2, ["verification.csv", "empty"]),
    ("csv-nul-bytes", lambda r: write_text(r, "bodies.csv", b"body_id,name,group\x00\nkec-a,K\x00,kecamatan\n"), {}, 2, ["bodies.csv"]),
    ("csv-bom-duplicate-header", lambda r: write_text(r, "website.csv", "\ufeffbody_id,body_id,present\nkec-a,kec-a,ya\n"),
     {}, 2, ["website.csv", "'body_id' appears twice"]),
    ("csv-header-only-separators", lambda r: write_text(r, "bodies.csv", ",,\n,,\n"), {}, 2, ["bodies.csv"]),
    ("csv-markup-in-names-with-errors", lambda r: edit(r, "bodies.csv", "Dinas C,dinas", "[/bold] [red]C[/red],bumd"),
     {}, 2, ["bodies.csv", "row 4", "'bumd'"]),
    # --- XLSX ---
    ("xlsx-empty-sheet", lambda r: to_xlsx(r, lambda wb: (wb.remove(wb["website"]), wb.create_sheet("website"))),
     {}, 2, ["inputs.xlsx", "sheet 'website'", "empty"]),
    ("xlsx-empty-header-row", lambda r: to_xlsx(r, lambda wb: wb["website"].insert_rows(1)), {}, 2, ["sheet 'website'", "row 1", "header"]),
    ("xlsx-formula-without-value", formula_without_value, {}, 2, ["sheet 'saq'", "row 3", "column 'answer'", "formula"]),
    ("xlsx-duplicate-header", lambda r: to_xlsx(r, lambda wb: wb["bodies"].cell(row=1, column=3, value="NAME")),
     {}, 2, ["sheet 'bodies'", "row 1", "'name' appears twice"]),
    ("xlsx-value-beyond-header", lambda r: to_xlsx(r, lambda wb: wb["verification"].cell(row=4, column=7, value="oops")),
     {}, 2, ["sheet 'verification'", "row 4", "beyond the last column"]),
    ("xlsx-corrupt", lambda r: corrupt_workbook(r, b"PK\x03\x04 this is not a workbook"), {}, 2, ["inputs.xlsx", "cannot be read"]),
    ("xlsx-zero-bytes", lambda r: corrupt_workbook(r, b""), {}, 2, ["inputs.xlsx", "cannot be read"]),
    ("xlsx-is-a-csv", lambda r: corrupt_workbook(r, b"body_id,name,group\nx,y,z\n"), {}, 2, ["inputs.xlsx", "cannot be read"]),
    ("xlsx-expands-too-much", big_xlsx, {"KIPRANK_MAX_XLSX_MB": "1"}, 2, ["inputs.xlsx", "expands to", "--max-xlsx-mb"]),
    ("xlsx-header-only-sheet", lambda r: to_xlsx(r, lambda wb: wb["website"].delete_rows(2, 10)), {}, 2, ["sheet 'website'", "no data rows"]),
    # --- names and arguments ---
    ("name-trailing-newline", lambda r: score_args(r, region=r.region + "\n"), {}, 2, ["region", "not allowed"]),
    ("name-300-chars", lambda r: score_args(r, region="a" * 300), {}, 2, ["region", "not allowed"]),
    ("name-with-space", lambda r: score_args(r, region="con toh"), {}, 2, ["region 'con toh'"]),
    ("name-non-ascii", lambda r: score_args(r, region="contóh"), {}, 2, ["region 'contóh'"]),
    ("name-option-like", lambda r: score_args(r, region="-rf"), {}, 2, ["region '-rf'"]),
    ("name-markup", lambda r: score_args(r, region="[red]x[/red]"), {}, 2, ["region '[red]x[/red]'"]),
    ("date-impossible", lambda r: ["report", *score_args(r)[1:], "--date", "2022-02-30"], {}, 2, ["--date", "2022-02-30"]),
    ("date-words", lambda r: ["report", *score_args(r)[1:], "--date", "yesterday"], {}, 2, ["--date", "yesterday"]),
    ("epoch-not-a-number", None, {"SOURCE_DATE_EPOCH": "soon"}, 2, ["SOURCE_DATE_EPOCH", "soon"]),
    ("epoch-out-of-range", None, {"SOURCE_DATE_EPOCH": "99999999999999999"}, 2, ["SOURCE_DATE_EPOCH"]),
    ("limit-env-garbage", None, {"KIPRANK_MAX_PROBLEMS": "lots"}, 2, ["KIPRANK_MAX_PROBLEMS", "--max-problems"]),
    ("build-date-impossible", lambda r: ["build", "--year", "2022", "--inputs-root", str(r.inputs_root), "--outputs-root",
                                         str(r.outputs_root), "--date", "2021-02-29"], {}, 2, ["--date", "2021-02-29"]),
    # --- paths ---
    ("outputs-same-as-inputs", lambda r: score_args(r, outputs=r.inputs_root), {}, 2, ["--outputs-root", "overlap", "same folder"]),
    ("outputs-inside-inputs", lambda r: score_args(r, outputs=r.inputs_root / "out"), {}, 2, ["--outputs-root", "overlap"]),
    ("inputs-inside-outputs", lambda r: score_args(r, outputs=r.inputs_root.parent), {}, 2, ["--outputs-root", "overlap"]),
    ("outputs-symlink-to-inputs", lambda r: (r.root / "link").symlink_to(r.inputs_root) or score_args(r, outputs=r.root / "link"),
     {}, 2, ["overlap"]),
    ("outputs-inputs-region-folder", lambda r: score_args(r, outputs=r.folder), {}, 2, ["overlap"]),
    ("report-outputs-same-as-inputs", lambda r: ["report", *score_args(r, outputs=r.inputs_root)[1:]], {}, 2, ["overlap"]),
    ("build-outputs-same-as-inputs", lambda r: ["build", "--year", "2022", "--inputs-root", str(r.inputs_root),
                                                "--outputs-root", str(r.inputs_root)], {}, 2, ["overlap"]),
    ("outputs-root-is-a-file", lambda r: touch(r.root / "out.txt") or score_args(r, outputs=r.root / "out.txt"),
     {}, 2, ["out.txt", "is a file"]),
    ("outputs-root-under-a-file", lambda r: touch(r.root / "out.txt") or score_args(r, outputs=r.root / "out.txt" / "sub"),
     {}, 2, ["out.txt", "is a file"]),
    ("target-is-a-file", lambda r: touch(r.outputs_root / "2022" / "contoh"),
     {}, 2, ["contoh", "not a folder"]),
    ("target-is-someones-folder", foreign_folder, {}, 2, ["contoh", "did not write", "no manifest.json"]),
    ("target-manifest-empty", lambda r: damaged_manifest(r, b""), {}, 2, ["manifest.json", "empty", "refusing"]),
    ("target-manifest-corrupt", lambda r: damaged_manifest(r, b'{"outputs": {'), {}, 2, ["manifest.json", "not valid JSON", "line 1"]),
    ("target-manifest-not-utf8", lambda r: damaged_manifest(r, b'{"outputs": "\xff"}'), {}, 2, ["manifest.json", "not UTF-8"]),
    ("target-manifest-a-list", lambda r: damaged_manifest(r, b"[1, 2]"), {}, 2, ["manifest.json", "not a kiprank manifest"]),
    ("target-unlisted-file", unlisted_file, {}, 2, ["my-notes.txt", "does not list"]),
    ("target-other-kind", other_kind, {}, 2, ["'corrections' folder", "not a 'run' folder"]),
    ("target-holds-a-link-to-a-folder", lambda r: publish_first(r) and (r.output_folder / "share").symlink_to(r.root / "inputs"),
     {}, 2, ["share", "does not list"]),
    ("target-holds-an-empty-folder-of-files", lambda r: publish_first(r) and touch(r.output_folder / "drafts" / "x.txt"),
     {}, 2, ["drafts/x.txt", "does not list"]),
    ("verify-manifest-lists-a-path-outside", lambda r: publish_first(r) and damaged_manifest_listing(r, "../../escape.txt")
     or ["verify", str(r.output_folder)], {}, 3, ["../../escape.txt", "not a path inside the folder"]),
    ("verify-missing-folder", lambda r: ["verify", str(r.root / "nope")], {}, 2, ["nope", "not a folder"]),
    ("verify-damaged-manifest", lambda r: damaged_manifest(r, b"{nope") or ["verify", str(r.output_folder)], {}, 3,
     ["manifest.json", "not valid JSON"]),
    ("verify-manifest-without-inputs", lambda r: damaged_manifest(r, b'{"kind": "run", "outputs": {}}') or ["verify", str(r.output_folder)],
     {}, 3, ["does not record the run's inputs"]),
]


@pytest.mark.parametrize("case", CHAOS, ids=[c[0] for c in CHAOS])
def test_hostile_case_is_refused_and_changes_nothing(tmp_path, monkeypatch, case):
    name, prepare, env, code, words = case
    monkeypatch.setenv("KIPRANK_LOG_DIR", str(tmp_path.parent / f"{tmp_path.name}-logs"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reg = base(tmp_path)
    args = prepare(reg) if prepare else None
    args = args or score_args(reg)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, args)
    message = result.output
    assert result.exit_code == code, message
    for word in words:
        assert word in message, (word, message)
    assert "Traceback" not in message
    assert snapshot(tmp_path) == before, "nothing on disk may change"


def test_old_mac_line_ends_are_read_as_meant(tmp_path):
    """CR-only line ends (old Mac Excel) once crashed the header check; read them as meant."""
    plain = base(tmp_path / "plain")
    assert run(plain).exit_code == 0
    mac = base(tmp_path / "mac")
    for name in ("bodies.csv", "saq.csv", "verification.csv", "website.csv"):
        path = mac.folder / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    result = run(mac)
    assert result.exit_code == 0, result.output
    assert (mac.output_folder / "ranking.csv").read_bytes() == (plain.output_folder / "ranking.csv").read_bytes()


def test_chunked_validation_finds_the_same_problems(tmp_path, monkeypatch):
    """Large tables are validated in chunks (bounded memory): the problems are the same."""
    reg = base(tmp_path)
    edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,mungkin")
    edit(reg, "saq.csv", "din-b,A05,7", "din-x,A01,ya")
    edit(reg, "saq.csv", "din-b,C03", "din-b,Z99")
    edit(reg, "saq.csv", "kec-a,B04,sebagian", "kec-a,A05,sebagian")
    whole = run(reg).output
    monkeypatch.setattr("kiprank.core.checks.CHUNK_ROWS", 2)
    chunked = run(reg).output
    assert "problem(s)" in whole and chunked == whole


def test_many_bad_rows_are_counted_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("KIPRANK_MAX_PROBLEMS", "10")
    monkeypatch.setattr("kiprank.core.checks.CHUNK_ROWS", 1000)
    reg = base(tmp_path)
    rows = "".join(f"kec-a,A01,x{i}\n" for i in range(5000))  # 5000 duplicates with 5000 bad answers
    (reg.folder / "saq.csv").write_text("body_id,question_id,answer\n" + rows)
    result = run(reg)
    assert result.exit_code == 2
    assert "10000 problem(s)" in result.output and "the first 10 found are kept" in result.output
