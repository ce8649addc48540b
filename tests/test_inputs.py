"""Reading and validating a region's inputs: every problem names its file, row and column, and
all problems are reported at once."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from conftest import FIXTURES, make_region
from kiprank.core.errors import InputProblem, InputValidationError, UsageError
from kiprank.core.region import check_name, region_folder

TWO_STAGE = FIXTURES / "two-stage.yml"
VERIFIED = FIXTURES / "verified.yml"
WEBSITE = FIXTURES / "website.yml"

BODIES = [("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas"), ("k", "Kecamatan K", "kecamatan")]
FULL = {"A1": "ya", "A2": "ya", "A3": "ya", "B1": "ya", "B2": "ya"}


def two_stage(tmp_path, **overrides):
    kwargs = {"bodies": BODIES, "saq": {"a": FULL, "b": FULL, "k": FULL},
              "scores": {"presentasi": {"a": 50, "b": 60, "k": 70}}}
    kwargs.update(overrides)
    return make_region(tmp_path, TWO_STAGE, **kwargs)


def problems_of(region) -> list[InputProblem]:
    with pytest.raises(InputValidationError) as info:
        region.load()
    problems = info.value.problems
    assert problems, "an InputValidationError must carry its problems"
    assert f"{len(problems)} problem(s)" in str(info.value)
    return problems


def find(problems, file_name, row=None, column=None) -> InputProblem:
    """The one problem of ``file_name`` (last path part) at ``row``/``column``."""
    hits = [p for p in problems if p.file.endswith(file_name) and (row is None or p.row == row)
            and (column is None or p.column == column)]
    assert len(hits) == 1, f"expected one problem in {file_name} row {row} column {column}, got {hits} of {problems}"
    return hits[0]


def assert_cell_problem(problem: InputProblem, row: int, column: str, *words: str):
    assert problem.row == row and problem.column == column, problem
    text = str(problem)
    assert f"row {row}" in text and f"column '{column}'" in text, text
    for word in words:
        assert word in problem.message, (word, problem.message)


# -- a valid region -------------------------------------------------------------------------

def test_valid_region_is_read_and_normalised(tmp_path):
    reg = two_stage(tmp_path, saq={"a": {"A1": "Ya", "A2": " tidak ", "B2": "YES"}, "b": FULL})
    inputs = reg.load()
    assert list(inputs.bodies["body_id"]) == ["a", "b", "k"]
    earned = {(r.body_id, r.question_id): r.earned for r in inputs.saq.itertuples()}
    assert earned[("a", "A1")] == 1.0 and earned[("a", "A2")] == 0.0 and earned[("a", "B2")] == 1.0
    assert list(inputs.scores["presentasi"]["score"]) == [50.0, 60.0, 70.0]
    assert set(inputs.file_hashes()) == {"region.yml", "bodies.csv", "saq.csv", "presentasi.csv"}


def test_integer_only_scores_are_accepted(tmp_path):
    """A score table whose scores are all whole numbers is still a table of numbers."""
    inputs = two_stage(tmp_path, scores={"presentasi": {"a": 50, "b": 60}}).load()
    assert inputs.scores["presentasi"]["score"].tolist() == [50.0, 60.0]


def test_headers_are_case_and_space_insensitive(tmp_path):
    reg = two_stage(tmp_path, files={
        "bodies.csv": " Body_ID , Name ,GROUP\na , Dinas A ,dinas\n",
        "saq.csv": "BODY_ID,Question_Id,Answer\na,A1,ya\n",
        "presentasi.csv": "body_id,score\na,50\n",
    })
    inputs = reg.load()
    assert inputs.bodies.iloc[0]["name"] == "Dinas A"
    assert inputs.saq.iloc[0]["body_id"] == "a"


def test_quoted_commas_and_blank_lines_keep_line_numbers(tmp_path):
    """A quoted comma stays in the name; a blank line is skipped but still counted, so the bad
    answer on line 5 is reported on row 5."""
    reg = two_stage(tmp_path, files={
        "bodies.csv": 'body_id,name,group\na,"Dinas Komunikasi, Informatika",dinas\nb,Dinas B,dinas\n',
        "saq.csv": "body_id,question_id,answer\na,A1,ya\n\na,A2,ya\na,A3,mungkin\n",
        "presentasi.csv": "body_id,score\na,50\n",
    })
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(find(problems, "saq.csv"), 5, "answer", "mungkin", "ya or tidak")


# -- one problem each ---------------------------------------------------------------------------

def test_missing_file(tmp_path):
    reg = two_stage(tmp_path)
    (reg.folder / "saq.csv").unlink()
    problem = find(problems_of(reg), "saq.csv")
    assert "missing" in problem.message
    assert problem.file == str(reg.folder / "saq.csv")


def test_missing_column(tmp_path):
    reg = two_stage(tmp_path, files={"saq.csv": "body_id,question_id\na,A1\n"})
    assert_cell_problem(find(problems_of(reg), "saq.csv"), 1, "answer", "required column 'answer' is missing")


def test_unknown_body_id(tmp_path):
    reg = two_stage(tmp_path, saq={"a": FULL, "zz": {"A1": "ya"}})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 7, "body_id", "'zz'", "bodies.csv")  # 5 rows of a, then zz on line 7


def test_unknown_question_id(tmp_path):
    reg = two_stage(tmp_path, saq={"a": {"A1": "ya", "Z9": "ya"}})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 3, "question_id", "'Z9'", "test-two-stage")


def test_duplicate_body_question_row(tmp_path):
    reg = two_stage(tmp_path, files={"saq.csv": "body_id,question_id,answer\na,A1,ya\nb,A1,ya\na,A1,tidak\n"})
    problems = problems_of(reg)
    rows = sorted({p.row for p in problems})
    assert rows == [2, 4], problems
    for p in problems:
        assert p.file.endswith("saq.csv") and p.column in ("body_id", "question_id")
        assert "duplicate" in p.message


def test_duplicate_body_id(tmp_path):
    """Both rows are named; the SAQ rows of the duplicated body are not also flagged as unknown."""
    reg = two_stage(tmp_path, bodies=BODIES + [("a", "Dinas A lagi", "dinas")])
    problems = problems_of(reg)
    assert {(p.row, p.column) for p in problems} == {(2, "body_id"), (5, "body_id")}, problems
    for p in problems:
        assert p.file.endswith("bodies.csv") and "duplicate" in p.message and "'a'" in p.message


@pytest.mark.parametrize("question, answer", [
    ("A1", "mungkin"),   # yes/no
    ("A1", "2"),
    ("A1", ""),
])
def test_yesno_answer_outside_allowed_values(tmp_path, question, answer):
    reg = two_stage(tmp_path, files={"saq.csv": f"body_id,question_id,answer\na,A2,ya\na,{question},{answer}\n"})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 3, "answer", f"'{answer}'", question, "ya or tidak")


@pytest.mark.parametrize("question, answer, expected", [
    ("Q3", "hampir", "one of 'lengkap', 'sebagian', 'tidak ada'"),
    ("Q4", "11", "a number from 0 to 10"),
    ("Q4", "-1", "a number from 0 to 10"),
    ("Q4", "tujuh", "a number from 0 to 10"),
])
def test_graded_and_numeric_answers_outside_allowed_values(tmp_path, question, answer, expected):
    reg = make_region(tmp_path, VERIFIED, bodies=BODIES,
                      saq={"a": {"Q1": "ya", question: answer}}, verification={"a": {"Q1": "sesuai"}})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 3, "answer", f"'{answer}'", expected)


def test_numeric_answer_with_decimal_comma(tmp_path):
    reg = make_region(tmp_path, VERIFIED, bodies=BODIES,
                      saq={"a": {"Q4": "7,5", "Q3": "Sebagian"}}, verification={"a": {"Q4": "sesuai"}})
    earned = {r.question_id: r.earned for r in reg.load().saq.itertuples()}
    assert earned == {"Q4": 0.75, "Q3": 0.5}


@pytest.mark.parametrize("value, words", [
    ("101", ["101", "outside 0-100"]),
    ("-1", ["-1", "outside 0-100"]),
    ("abc", ["'abc'", "not a number"]),
])
def test_score_outside_0_100(tmp_path, value, words):
    reg = two_stage(tmp_path, files={"presentasi.csv": f"body_id,score\na,50\nb,{value}\n"})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 3, "score", *words)


def test_score_boundaries_accepted(tmp_path):
    inputs = two_stage(tmp_path, files={"presentasi.csv": "body_id,score\na,0\nb,100\nk,99.999\n"}).load()
    assert inputs.scores["presentasi"]["score"].tolist() == [0.0, 100.0, 99.999]


def test_undeclared_group(tmp_path):
    reg = two_stage(tmp_path, groups={"dinas": "Badan/Dinas"})
    problems = problems_of(reg)
    assert len(problems) == 1
    assert_cell_problem(problems[0], 4, "group", "'kecamatan'", "region.yml", "dinas")


def test_empty_name_and_body_id(tmp_path):
    reg = two_stage(tmp_path, files={"bodies.csv": "body_id,name,group\na,,dinas\n,Dinas X,dinas\n"})
    problems = problems_of(reg)
    assert_cell_problem(find(problems, "bodies.csv", 2), 2, "name", "empty")
    assert_cell_problem(find(problems, "bodies.csv", 3), 3, "body_id", "empty")


def test_unknown_verdict_and_bad_granted(tmp_path):
    reg = make_region(
        tmp_path, VERIFIED, bodies=BODIES,
        saq={"a": {"Q1": "ya", "Q3": "lengkap", "Q4": "8"}},
        verification={"a": {"Q1": "mungkin", "Q3": ("sebagian", "setengah"), "Q4": ("sebagian", "")}},
    )
    problems = problems_of(reg)
    assert_cell_problem(find(problems, "verification.csv", 2), 2, "verdict", "'mungkin'", "sesuai")
    assert_cell_problem(find(problems, "verification.csv", 3), 3, "granted", "'setengah'", "lengkap")
    assert_cell_problem(find(problems, "verification.csv", 4), 4, "granted", "a number from 0 to 10")


def test_checklist_problems(tmp_path):
    reg = make_region(
        tmp_path, WEBSITE, bodies=BODIES,
        website={"a": {"dip": "ya", "faq": "ya", "sop": "kadang"}, "zz": {"dip": "ya"}},
        scores={"uji": {"a": 80}},
    )
    problems = problems_of(reg)
    assert_cell_problem(find(problems, "website.csv", 3), 3, "item_id", "'faq'")
    assert_cell_problem(find(problems, "website.csv", 4), 4, "present", "'kadang'")
    assert_cell_problem(find(problems, "website.csv", 5), 5, "body_id", "'zz'")


# -- encodings and file shapes --------------------------------------------------------------------

def test_latin1_file_is_refused(tmp_path):
    """'é' in Latin-1 is byte 0xe9, not UTF-8: refused (names would be garbled), with its line."""
    text = "body_id,name,group\na,Dinas A,dinas\nb,Kecamatan Bayat Désa,dinas\n"
    reg = two_stage(tmp_path, files={"bodies.csv": text.encode("latin-1")})
    problem = find(problems_of(reg), "bodies.csv")
    assert problem.row == 3
    assert "UTF-8" in problem.message and "0xe9" in problem.message


def test_empty_file(tmp_path):
    reg = two_stage(tmp_path, files={"saq.csv": ""})
    assert "empty" in find(problems_of(reg), "saq.csv").message


def test_header_only_file(tmp_path):
    reg = two_stage(tmp_path, files={"saq.csv": "body_id,question_id,answer\n"})
    assert "no data rows" in find(problems_of(reg), "saq.csv").message


def test_excel_csv_with_bom_semicolons_decimal_commas_and_crlf(tmp_path):
    """'CSV UTF-8' from Excel in an Indonesian locale: BOM, ';' separator, decimal comma, CRLF."""
    bom = "\ufeff"
    reg = make_region(tmp_path, "ki-pusat-2025", bodies=[("k", "Kementerian K", "kementerian")], files={
        "bodies.csv": (bom + "body_id;name;group\r\nk;Kementerian K, Jakarta;kementerian\r\n").encode("utf-8"),
        "saq.csv": (bom + "body_id;question_id;answer\r\nk;J08;7,5\r\nk;J01;Ya\r\n").encode("utf-8"),
        "verification.csv": (bom + "body_id;question_id;verdict;granted\r\nk;J08;Sebagian;2,5\r\n").encode("utf-8"),
        "presentasi.csv": (bom + "body_id;score\r\nk;85,5\r\n").encode("utf-8"),
    })
    inputs = reg.load()
    assert list(inputs.bodies.columns[:3]) == ["body_id", "name", "group"]
    assert inputs.bodies.iloc[0]["name"] == "Kementerian K, Jakarta"
    earned = {r.question_id: r.earned for r in inputs.saq.itertuples()}
    assert earned == {"J08": 0.75, "J01": 1.0}
    assert inputs.verification.iloc[0]["verdict"] == "partial"
    assert inputs.verification.iloc[0]["granted_earned"] == 0.25
    assert inputs.scores["presentasi"]["score"].tolist() == [85.5]


# -- Excel workbooks -------------------------------------------------------------------------------

def write_workbook(path, sheets: dict[str, list[list]]):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


XLSX_GROUPS = {"dinas": "Badan/Dinas", "kecamatan": "Kecamatan"}
XLSX_SHEETS = {
    "bodies": [["body_id", "name", "group"], ["a", "Dinas A", "dinas"], ["k", "Kecamatan K", "kecamatan"]],
    "saq": [["body_id", "question_id", "answer"], ["a", "A1", "ya"], ["a", "B2", "ya"], ["k", "A1", 1]],
    "presentasi": [["body_id", "score"], ["a", 85.5], ["k", 70]],
}


def test_xlsx_sheets_are_read(tmp_path):
    reg = make_region(tmp_path, TWO_STAGE, bodies=[], groups=XLSX_GROUPS)
    (reg.folder / "bodies.csv").unlink()
    write_workbook(reg.folder / "inputs.xlsx", XLSX_SHEETS)
    inputs = reg.load()
    assert list(inputs.bodies["body_id"]) == ["a", "k"]
    assert inputs.saq["earned"].tolist() == [1.0, 1.0, 1.0]
    assert inputs.scores["presentasi"]["score"].tolist() == [85.5, 70.0]
    assert set(inputs.file_hashes()) == {"region.yml", "inputs.xlsx"}


def test_csv_takes_precedence_over_xlsx_sheet(tmp_path):
    reg = make_region(tmp_path, TWO_STAGE, bodies=[("a", "Dinas A (csv)", "dinas"), ("k", "Kec K", "kecamatan")])
    write_workbook(reg.folder / "inputs.xlsx", XLSX_SHEETS)
    inputs = reg.load()
    assert list(inputs.bodies["name"]) == ["Dinas A (csv)", "Kec K"]
    assert inputs.files["bodies"].name == "bodies.csv" and inputs.files["saq"].name == "inputs.xlsx"


def test_xlsx_missing_sheet_and_bad_cell_reported_together(tmp_path):
    reg = make_region(tmp_path, TWO_STAGE, bodies=[], groups=XLSX_GROUPS)
    (reg.folder / "bodies.csv").unlink()
    sheets = dict(XLSX_SHEETS)
    del sheets["presentasi"]
    sheets["saq"] = XLSX_SHEETS["saq"] + [[None, None, None], ["k", "A2", "mungkin"]]
    write_workbook(reg.folder / "inputs.xlsx", sheets)
    problems = problems_of(reg)
    missing = [p for p in problems if "presentasi" in p.message]
    assert len(missing) == 1 and missing[0].file.endswith("inputs.xlsx")
    assert "sheet 'presentasi' is missing" in missing[0].message
    bad = find(problems, "inputs.xlsx [sheet 'saq']")
    assert_cell_problem(bad, 6, "answer", "'mungkin'")  # Excel row 6: header, 3 rows, a blank row


# -- everything at once ----------------------------------------------------------------------------

def test_all_problems_reported_at_once_with_file_row_column(tmp_path):
    """perki-5-2016 reads bodies, saq, verification, website and presentasi: one problem in each,
    plus a missing column, are reported in one error."""
    reg = make_region(
        tmp_path, "perki-5-2016",
        bodies=[("b1", "Kab B1", "kab"), ("b2", "Kab B2", "kota")],
        groups={"kab": "Kabupaten"},
        saq={"b1": {"W01": "ya", "W03": "kadang"}},
        verification={"b1": {"W01": "sesuai", "W99": "sesuai"}},
        website={"b1": {"profil": "mungkin"}},
        scores={"presentasi": {"b1": 120}},
    )
    problems = problems_of(reg)
    got = {(p.file.rsplit("/", 1)[-1], p.row, p.column) for p in problems}
    assert got == {
        ("bodies.csv", 3, "group"),
        ("saq.csv", 3, "answer"),
        ("verification.csv", 3, "question_id"),
        ("website.csv", 2, "present"),
        ("presentasi.csv", 2, "score"),
    }, problems
    for p in problems:
        assert p.file.startswith(str(reg.folder))
        assert p.row is not None and p.column is not None, p


def test_region_yml_problems(tmp_path):
    reg = two_stage(tmp_path)
    (reg.folder / "region.yml").write_text("region: X\nissuer: Y\ntitle: Z\nmethodology: test\ncolour: red\n")
    problems = problems_of(reg)
    assert all(p.file.endswith("region.yml") for p in problems)
    assert {p.column for p in problems} >= {"groups", "colour"}


def test_missing_region_folder(tmp_path):
    from kiprank.core.inputs import load_region

    two_stage(tmp_path)
    with pytest.raises(UsageError, match="no input folder"):
        load_region(2024, "elsewhere", tmp_path / "inputs")


@pytest.mark.parametrize("name", ["../x", "..", "a/b", "/etc", "", ".hidden", "x/../../y", "a\\b"])
def test_unsafe_names_refused(tmp_path, name):
    with pytest.raises(UsageError):
        check_name(name, "region")
    with pytest.raises(UsageError):
        region_folder(tmp_path, 2024, name)
    with pytest.raises(UsageError):
        region_folder(tmp_path, name, "klaten")


@pytest.mark.parametrize("name", ["klaten", "2022", "jawa-tengah", "ki_pusat.2025"])
def test_safe_names_accepted(name):
    assert check_name(name, "region") == name
