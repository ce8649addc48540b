"""User text is data in every output channel (issue #11): literal on the console (no rich markup),
literal in charts (no mathtext), never a formula in any CSV/XLSX kiprank writes; crosswalk files
read strictly; batch children end with their parent."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.errors import InputValidationError

from conftest import make_region
from test_bad_inputs import GOOD_SAQ, QUESTIONS, score_args

MARKUP = ["[/bold]", "[red]merah[/red] Dinas", "Dinas [link=http://x]klik[/link]", "\\[escaped] \\", "[bold"]
FORMULAS = ["=HYPERLINK(\"http://x\",\"klik\")", "@SUM(A1:A9)", "+62 811", "-Dinas", " =1+1", "\t=cmd"]


def region_with_names(tmp_path, names, ids=None, year=2022):
    ids = ids or [f"b{i}" for i in range(len(names))]
    bodies = [(i, n, "dinas") for i, n in zip(ids, names)]
    return make_region(
        tmp_path, "klaten-2022", year=year, region="contoh", bodies=bodies, groups={"dinas": "Badan/Dinas"},
        saq={i: GOOD_SAQ for i in ids}, verification={i: {q: "sesuai" for q in QUESTIONS} for i in ids},
        website={i: {"profil": "ya", "dip": "tidak"} for i in ids},
    )


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # table cells on one line each


def test_markup_in_names_is_printed_literally(tmp_path):
    reg = region_with_names(tmp_path, MARKUP[:3])
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 0, result.output
    for name in MARKUP[:3]:
        assert name in result.output, result.output


def test_markup_in_ids_and_problems_does_not_hide_the_problems(tmp_path):
    reg = region_with_names(tmp_path, MARKUP, ids=["[/bold]", "[red]x[/red]", "b2", "b3", "b4"])
    (reg.folder / "website.csv").write_text("body_id,item_id,present\n[/bold],profil,[/red]\n[red]x[/red],dip,mungkin\n")
    result = CliRunner().invoke(main, ["validate", *score_args(reg)[1:]])
    assert result.exit_code == 2, result.output
    assert "2 problem(s)" in result.output
    assert "value '[/red]' is not ya/tidak" in result.output and "value 'mungkin'" in result.output


def test_markup_in_warnings_is_printed_literally(tmp_path):
    reg = region_with_names(tmp_path, ["A", "B"], ids=["[/bold]", "[red]x[/red]"])
    (reg.folder / "website.csv").write_text("body_id,item_id,present\n[/bold],profil,ya\n")
    result = CliRunner().invoke(main, ["validate", *score_args(reg)[1:]])
    assert result.exit_code == 0, result.output
    assert "[red]x[/red]: website: 13 value(s) missing" in " ".join(result.output.split())


def test_dollar_signs_in_names_are_not_mathtext(tmp_path):
    from kiprank.report import charts

    names = ["Dinas $x^2$", "Dinas $\\frac{a}{$ rusak", "Biaya $5 dan $10"]
    svg = charts.final_scores_chart(names, [50.0, 70.0, 60.0], ["Cukup"] * 3, ["Informatif", "Cukup"], [90, 0], 1, "id")
    assert "Dinas $x^2$" in svg and "Biaya $5 dan $10" in svg


def formula_cells(path: Path) -> list[str]:
    """Cells of a CSV that a spreadsheet would run as a formula."""
    starts = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # written out here, not taken from kiprank
    with open(path, encoding="utf-8", newline="") as handle:
        return [c for row in csv.reader(handle) for c in row if c.lstrip(" \u00a0\u3000").startswith(starts)
                and not _number(c)]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("text", ["=1", "+1", "-x", "@a", "\tx", "\rx", "\nx", "\uff1dx", "\uff0bx", "\uff0dx",
                                  "\uff20x", " =x", "   +x", "\u00a0=x", "\u3000\uff1dx", " \t x"])
def test_the_one_formula_guard_and_its_reverse(text):
    """Every formula-like text gets exactly one leading ' and every reader takes exactly that off;
    other text (including a ' the user typed) is left alone."""
    from kiprank.core.formulas import safe_text, unguard

    assert safe_text(text) == "'" + text and unguard(safe_text(text)) == text
    for plain in ("Dinas", "'ditulis", " Dinas", "'", "", "1-2", "a=b"):
        assert safe_text(plain) == plain and unguard(plain) == plain
    assert unguard("'" + text) == text and unguard("''" + text) == "''" + text


def test_no_formula_in_any_table_of_a_run(tmp_path):
    reg = region_with_names(tmp_path, FORMULAS, ids=["=1+1", "@x", "+1", "-y", " =z", "ok"])
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 0, result.output
    for name in ("ranking.csv", "indicators.csv"):
        assert formula_cells(reg.output_folder / name) == [], name
    wb = openpyxl.load_workbook(reg.output_folder / "ranking.xlsx")
    assert all(c.data_type != "f" for row in wb["ranking"].iter_rows() for c in row)


def test_no_formula_in_corrections_csv(tmp_path):
    reg = region_with_names(tmp_path, FORMULAS)
    assert CliRunner().invoke(main, score_args(reg, outputs=tmp_path / "a")).exit_code == 0
    (reg.folder / "saq.csv").write_text((reg.folder / "saq.csv").read_text().replace("b0,A01,ya", "b0,A01,tidak"))
    assert CliRunner().invoke(main, score_args(reg, outputs=tmp_path / "b")).exit_code == 0
    out = tmp_path / "corr"
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "a/2022/contoh"), str(tmp_path / "b/2022/contoh"),
                                       "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert FORMULAS[0] in result.output  # the console shows the name as it is
    assert formula_cells(out / "corrections.csv") == []
    with open(out / "corrections.csv", encoding="utf-8", newline="") as handle:
        assert "'" + FORMULAS[0] in {r["name"] for r in csv.DictReader(handle)}


def test_no_formula_in_comparison_tables(tmp_path):
    from kiprank.analysis import compare as cmp
    from kiprank.runs.comparison import write_tables

    region_with_names(tmp_path, FORMULAS, year=2022)
    region_with_names(tmp_path / "x", FORMULAS, year=2023)
    import shutil

    shutil.copytree(tmp_path / "x" / "inputs" / "2023", tmp_path / "inputs" / "2023")
    comp = cmp.load_comparison("contoh", [2022, 2023], tmp_path / "inputs")
    for path in write_tables(comp, tmp_path / "tables"):
        assert formula_cells(path) == [], path.name
    with open(tmp_path / "tables" / "changes.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["final_change"].startswith(("0", "-", "")) for r in rows)


def test_every_writer_neutralises_headers_and_categories():
    import pandas as pd

    from kiprank.core.export import neutralised

    table = pd.DataFrame({"=a": ["=x", "ok"], "b": pd.Categorical(["@y", "z"]), "n": ["-1.5", "-x"]})
    out = neutralised(table, numbers=("n",))
    assert list(out.columns) == ["'=a", "b", "n"]
    assert out.iloc[:, 0].tolist() == ["'=x", "ok"] and out["b"].tolist() == ["'@y", "z"]
    assert out["n"].tolist() == ["-1.5", "'-x"]


# -- crosswalk ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,words", [
    ('old_id,new_id,note\nkec-a,kec-b,"renamed, 2023\n', ["crosswalk.csv", "never closed"]),
    ("old_id,new_id,note\nkec-a,kec-b,renamed, merged later\n", ["crosswalk.csv", "row 2", "4 fields"]),
    ("old_id,new_id,old_id\nkec-a,kec-b,x\n", ["crosswalk.csv", "row 1", "'old_id' appears twice"]),
    (b"old_id,new_id\nk\xe9c,x\n", ["crosswalk.csv", "row 2", "not UTF-8"]),
], ids=["unbalanced-quote", "unquoted-comma", "duplicate-header", "latin1"])
def test_crosswalk_is_read_strictly(tmp_path, text, words):
    from kiprank.analysis.compare import read_crosswalk

    path = tmp_path / "crosswalk.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputValidationError) as info:
        read_crosswalk(path)
    assert info.value.exit_code == 2
    for word in words:
        assert word in str(info.value), str(info.value)


def test_crosswalk_ids_in_no_year_are_warned(tmp_path):
    from kiprank.analysis import compare as cmp

    region_with_names(tmp_path, ["A", "B"], year=2022)
    region_with_names(tmp_path / "x", ["A", "B"], year=2023)
    import shutil

    shutil.copytree(tmp_path / "x" / "inputs" / "2023", tmp_path / "inputs" / "2023")
    (tmp_path / "inputs" / "crosswalk.csv").write_text('old_id,new_id,note\nb0,b1,"a note, with a comma"\nkec-typo,b1,\n')
    comp = cmp.load_comparison("contoh", [2022, 2023], tmp_path / "inputs")
    notes = cmp.crosswalk_warnings(comp)
    assert notes == [f"{tmp_path / 'inputs' / 'crosswalk.csv'}, row 3, column 'old_id': 'kec-typo' is in none of "
                     "the years compared (2022, 2023)"]


# -- processes ------------------------------------------------------------------------------------------

def _cmdline(psutil, process) -> str:
    """A process's command line; "" for one that ended or is a zombie meanwhile (nothing runs there)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def test_killed_build_takes_its_workers_and_kernels_along(tmp_path):
    psutil = pytest.importorskip("psutil")
    reg = region_with_names(tmp_path, ["A", "B"])
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "kiprank.cli", "build", "--year", "2022", "--jobs", "1",
                             "--inputs-root", str(reg.inputs_root), "--outputs-root", str(reg.outputs_root)],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    main_proc = psutil.Process(proc.pid)
    children: list = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:  # until a notebook kernel runs
        children = main_proc.children(recursive=True)
        if any("ipykernel" in _cmdline(psutil, c) for c in children):
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        pytest.skip("the build finished before a kernel was seen")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gone, alive = psutil.wait_procs(children, timeout=60)
    running = [p for p in alive if _cmdline(psutil, p)]  # zombies and processes gone meanwhile run nothing
    assert not running, [_cmdline(psutil, p) for p in running]
    # a rerun is not disturbed by what the killed build left
    rerun = subprocess.run([sys.executable, "-m", "kiprank.cli", "build", "--year", "2022", "--jobs", "1",
                            "--inputs-root", str(reg.inputs_root), "--outputs-root", str(reg.outputs_root)],
                           cwd=root, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert sorted(p.name for p in (reg.outputs_root / "2022").iterdir()) == ["contoh"]
