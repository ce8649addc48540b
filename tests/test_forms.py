"""kiprank forms: the workbooks and the XLSForm made from a region's methodology and bodies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from intake_support import DEMO, copy_region, invoke, snapshot
from kiprank.intake import layout as L
from kiprank.intake.forms import build_forms, file_names
from kiprank.runs.manifest import sha256_file
from kiprank.core.methodology import load_methodology
from kiprank.core.publish import STEPS

ROOT = Path(__file__).resolve().parent.parent

KLATEN = load_methodology("klaten-2022")


def test_forms_of_the_demo_region(tmp_path):
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO,
                          "--outputs-root", tmp_path)
    assert code == 0, output
    folder = tmp_path / "2022" / "klaten" / "forms"
    bodies = [line.split(",")[0] for line in (DEMO / "2022/klaten/bodies.csv").read_text().splitlines()[1:]]
    assert sorted(p.stem for p in (folder / "saq").iterdir()) == sorted(bodies)
    assert sorted(p.stem for p in (folder / "verifikasi").iterdir()) == sorted(bodies)
    assert (folder / "website.xlsx").is_file() and (folder / "saq-xlsform.xlsx").is_file()
    assert not (folder / "scores.xlsx").exists()  # klaten-2022 has no score stage
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "forms" and manifest["methodology"]["id"] == "klaten-2022"
    assert len(manifest["outputs"]) == 2 * len(bodies) + 2
    for rel, digest in manifest["outputs"].items():
        assert sha256_file(folder / rel) == digest
    # the same inputs give the same bytes
    again = tmp_path / "again"
    build_forms(2022, "klaten", DEMO, out=again)
    assert snapshot(again) == snapshot(folder)


def test_saq_workbook_layout(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    region_yml = root / "2022/klaten/region.yml"
    region_yml.write_text(region_yml.read_text() + "deadline: 2022-08-31\n")
    build_forms(2022, "klaten", root, out=tmp_path / "forms", kinds=["saq"])
    wb = load_workbook(tmp_path / "forms/saq/kec-ngawen.xlsx")
    assert wb.sheetnames == ["Petunjuk", "SAQ", "pilihan", "kiprank"]
    cover = wb["Petunjuk"]
    cover_text = [c.value for row in cover.iter_rows() for c in row if c.value is not None]
    assert "Kecamatan Ngawen" in cover_text and "kec-ngawen" in cover_text and "31 Agustus 2022" in cover_text  # the Indonesian way, not ISO
    assert any(isinstance(v, str) and v.startswith("=") and "COUNTA(SAQ!D2:D20)" in v for v in cover_text)
    ws = wb["SAQ"]
    assert [c.value for c in ws[1]] == ["Kode", "Indikator", "Pertanyaan", "Jawaban", "Bukti", "Catatan"]
    questions = KLATEN.questionnaire.questions
    assert [ws.cell(r, 1).value for r in range(2, 2 + len(questions))] == [q.id for q in questions]
    assert ws.protection.sheet and cover.protection.sheet and wb.security.lockStructure
    assert ws["A2"].protection.locked and ws["C2"].protection.locked
    assert not ws["D2"].protection.locked and not ws["E2"].protection.locked and not ws["F2"].protection.locked
    # every answer cell has exactly one validation, of the question's kind
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in range(rng.min_row, rng.max_row + 1):
                rules[row] = dv
    for row, q in enumerate(questions, start=2):
        dv = rules[row]
        if q.type == "numeric":
            assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", L.format_number(q.max))
        else:
            ref = dv.formula1.lstrip("=").split("!")[1].replace("$", "")
            col = ref.split(":")[0].rstrip("0123456789")
            listed = [c.value for c in wb["pilihan"][col] if c.value is not None]
            assert listed == (["ya", "tidak"] if q.type == "yesno" else list(q.options))
    assert any("ISBLANK($D2)" in r.formula[0] for cf in ws.conditional_formatting for r in cf.rules)
    meta = {r[0].value: r[1].value for r in wb["kiprank"].iter_rows(max_col=2)}
    assert wb["kiprank"].sheet_state == "veryHidden"
    assert meta["body_id"] == "kec-ngawen" and meta["methodology_id"] == "klaten-2022"
    assert meta["methodology_sha256"] == sha256_file(KLATEN and DEMO.parent / "kiprank/methodologies/klaten-2022.yml")
    assert meta["checksum"] == L.meta_checksum(meta)


def test_verification_form_is_prefilled_with_the_claims(tmp_path):
    build_forms(2022, "klaten", DEMO, out=tmp_path / "forms", kinds=["verification"])
    wb = load_workbook(tmp_path / "forms/verifikasi/kec-ngawen.xlsx")
    ws = wb["Verifikasi"]
    assert [c.value for c in ws[1]] == ["Kode", "Pertanyaan", "Jawaban SAQ", "Hasil verifikasi", "Diterima", "Catatan"]
    claims = {}
    for line in (DEMO / "2022/klaten/saq.csv").read_text().splitlines()[1:]:
        body, qid, answer = line.split(",")
        if body == "kec-ngawen":
            claims[qid] = answer
    assert {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(2, 21)} == claims
    # a body that did not return the SAQ has nothing to verify yet
    silent = load_workbook(tmp_path / "forms/verifikasi/kec-gantiwarno.xlsx")["Verifikasi"]
    assert all(silent.cell(r, 3).value is None for r in range(2, 21))


def test_website_and_score_sheets(demo_forms):
    forms, _ = demo_forms["jateng"]
    wb = load_workbook(forms / "website.xlsx")
    ws = wb["Website"]
    items = load_methodology("perki-5-2016").stages_of("checklist")[0].items
    assert [c.value for c in ws[1]][3:] == [i.label for i in items]
    assert ws.max_row == 36  # 35 kabupaten/kota
    scores = load_workbook(forms / "scores.xlsx")
    assert "presentasi" in scores.sheetnames
    sheet = scores["presentasi"]
    assert sheet["A2"].value == "kab-banjarnegara" and not sheet["D2"].protection.locked


def test_xlsform_converts_with_pyxform(demo_forms):
    pyxform = pytest.importorskip("pyxform.xls2xform")
    forms, _ = demo_forms["klaten"]
    result = pyxform.convert(xlsform=str(forms / "saq-xlsform.xlsx"), validate=False)
    xform = result.xform
    assert "<A01/>" in xform and "<pengumuman>" in xform and "<kiprank_form/>" in xform
    assert "<name>kec-ngawen</name>" in xform and "Kecamatan Ngawen" in xform
    assert ". &gt;= 0 and . &lt;= 10" in xform or ". >= 0 and . <= 10" in xform
    assert not [w for w in result.warnings if "error" in w.lower()]


def test_out_refuses_a_folder_kiprank_did_not_create(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO, "--out", mine)
    assert code == 2 and "did not write" in output
    assert snapshot(mine) == {"thesis.docx": b"precious"}
    # a file instead of a folder
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO,
                          "--out", mine / "thesis.docx")
    assert code == 2
    # a folder of earlier forms is replaced; another kind keeps the files of the kinds not asked for
    target = tmp_path / "forms"
    assert invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO, "--out", target)[0] == 0
    before = snapshot(target)
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO, "--out", target,
                          "--kind", "website")
    assert code == 0, output
    assert snapshot(target) == before


def test_kind_without_its_stage_is_refused(tmp_path):
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO,
                          "--out", tmp_path / "f", "--kind", "scores")
    assert code == 2 and "no such stage" in output
    assert not (tmp_path / "f").exists()


def test_english_forms(tmp_path):
    build_forms(2022, "klaten", DEMO, out=tmp_path / "f", lang="en", kinds=["saq"])
    wb = load_workbook(tmp_path / "f/saq/kec-ngawen.xlsx")
    assert wb.sheetnames[0] == "Instructions"
    assert [c.value for c in wb["SAQ"][1]] == ["Code", "Indicator", "Question", "Answer", "Evidence", "Note"]


def test_hostile_body_names_stay_text(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    bodies = root / "2022/klaten/bodies.csv"
    odd = ["[/bold] [red]x", "=SUM(A1)", "Dinas " + "Ä" * 300, "Kecamatan 😀 مرحبا $x$ \\ # * _ < @"]
    lines = bodies.read_text().splitlines()
    for i, name in enumerate(odd, start=1):
        body, _, group, web = lines[i].split(",")
        lines[i] = ",".join([body, f'"{name}"', group, web])
    lines.append('A/B weird,"-2+3",kecamatan,')
    bodies.write_text("\n".join(lines) + "\n")
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", root,
                          "--outputs-root", tmp_path / "out")
    assert code == 0, output
    folder = tmp_path / "out/2022/klaten/forms"
    stems = file_names(["A/B weird"])
    assert (folder / "saq" / f"{stems['A/B weird']}.xlsx").is_file() and "/" not in stems["A/B weird"]
    wb = load_workbook(folder / "saq" / "kec-cawas.xlsx")
    names = [c.value for row in wb["Petunjuk"].iter_rows() for c in row]
    assert "=SUM(A1)" in names  # stored as text
    cell = next(c for row in wb["Petunjuk"].iter_rows() for c in row if c.value == "=SUM(A1)")
    assert cell.data_type == "s"
    web = load_workbook(folder / "website.xlsx")["Website"]
    assert web["B2"].value == "[/bold] [red]x" and web["B4"].value.endswith("Ä" * 300)


def test_forms_put_back_after_a_kill_between_renames(tmp_path):
    """Leftovers are judged by the process id in their name, not by their age: the folder a killed
    run left aside is put back, a dead run's staging folder is removed at once, a live one's stays."""
    target = tmp_path / "forms"
    build_forms(2022, "klaten", DEMO, out=target, kinds=["saq", "website"])
    before = snapshot(target)
    target.rename(tmp_path / ".forms.old-999999999-1")  # killed after moving the old folder aside
    live = tmp_path / f".forms.staging-{os.getppid()}-abc"
    for folder in (live, tmp_path / ".forms.staging-999999999-abc"):
        folder.mkdir()
        (folder / "half.xlsx").write_bytes(b"half")
    build_forms(2022, "klaten", DEMO, out=target, kinds=["website"])
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "forms"]


def test_out_refuses_an_earlier_forms_folder_holding_a_strangers_file(tmp_path):
    """A forms folder is replaced only when its manifest lists every file in it."""
    target = tmp_path / "forms"
    build_forms(2022, "klaten", DEMO, out=target, kinds=["website"])
    (target / "notes.docx").write_text("mine")
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", DEMO, "--out", target)
    assert code == 2 and "notes.docx" in output and "does not list" in output
    assert (target / "notes.docx").read_text() == "mine" and not (target / "saq").exists()


KILLS = [(step, False) for step in STEPS if step != "moved-old"] + [("moved-old", True)]


@pytest.mark.parametrize("step,two_renames", KILLS, ids=[s + ("-two-renames" if f else "") for s, f in KILLS])
def test_kill_at_every_step_of_publishing_forms(tmp_path, step, two_renames):
    """kill -9 of `kiprank forms` (a real process) at each step of publishing into a published region
    folder: the region still verifies at once (no waiting for leftovers to age), the forms folder is
    the old or the new one, and the next run publishes."""
    inputs = tmp_path / "inputs"
    shutil.copytree(DEMO / "2022" / "klaten", inputs / "2022" / "klaten")
    args = ["--year", "2022", "--region", "klaten", "--inputs-root", inputs, "--outputs-root", tmp_path / "out"]
    region = tmp_path / "out" / "2022" / "klaten"
    assert invoke("score", *args)[0] == 0
    assert invoke("forms", *args, "--kind", "website")[0] == 0
    old = snapshot(region / "forms")
    helper = [sys.executable, str(ROOT / "tests" / "kill_at.py"), step, *(["--two-renames"] if two_renames else [])]
    killed = subprocess.run([*helper, "--", "forms", *map(str, args), "--kind", "saq"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    code, output = invoke("verify", region)
    assert code == 0, output
    now = snapshot(region / "forms")
    if step in ("locked", "recovered", "staging", "staged", "moved-old"):  # moved-old: put back by verify
        assert now == old
    else:
        assert set(now) > set(old) and any(name.startswith("saq/") for name in now)
    assert not [p.name for p in region.iterdir() if p.name.startswith(".")], "verify removed the leftovers"
    assert invoke("forms", *args)[0] == 0
    assert invoke("verify", region)[0] == 0


def test_forms_in_a_published_folder_pass_verify(tmp_path):
    """The forms folder is a nested publication of the region's folder: kiprank verify checks its
    files against the forms manifest instead of calling them unlisted."""
    import shutil

    from click.testing import CliRunner

    from kiprank.cli import main

    inputs = tmp_path / "inputs"
    from conftest import REPO_INPUTS

    shutil.copytree(REPO_INPUTS / "2022" / "klaten", inputs / "2022" / "klaten")
    args = ["--year", "2022", "--region", "klaten", "--inputs-root", str(inputs), "--outputs-root", str(tmp_path / "out")]
    runner = CliRunner()
    assert runner.invoke(main, ["score", *args]).exit_code == 0
    assert runner.invoke(main, ["forms", *args, "--kind", "website"]).exit_code == 0
    result = runner.invoke(main, ["verify", str(tmp_path / "out" / "2022" / "klaten")])
    assert result.exit_code == 0, result.output
    (tmp_path / "out" / "2022" / "klaten" / "forms" / "website.xlsx").write_bytes(b"tampered")
    result = runner.invoke(main, ["verify", str(tmp_path / "out" / "2022" / "klaten")])
    assert result.exit_code == 3 and "forms/website.xlsx" in result.output


def test_a_folder_named_like_a_leftover_inside_a_region_is_not_taken_for_one(tmp_path):
    """Inside a published folder only names exactly as publishing makes them
    (``.forms.staging-<pid>-<8 characters>``) are recovered: a folder of someone's named almost so
    is neither removed nor hidden from verify."""
    inputs = tmp_path / "inputs"
    shutil.copytree(DEMO / "2022" / "klaten", inputs / "2022" / "klaten")
    args = ["--year", "2022", "--region", "klaten", "--inputs-root", inputs, "--outputs-root", tmp_path / "out"]
    region = tmp_path / "out" / "2022" / "klaten"
    assert invoke("score", *args)[0] == 0
    theirs = region / ".forms.staging-999999999-mine"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    dead = region / ".forms.staging-999999999-abcd_123"  # as mkdtemp names it, of a process that is gone
    dead.mkdir()
    (dead / "half.xlsx").write_bytes(b"half")
    code, output = invoke("verify", region)
    assert code == 3 and ".forms.staging-999999999-mine/notes.txt" in output
    assert (theirs / "notes.txt").read_text() == "mine" and not dead.exists()


def test_a_collect_while_forms_are_written_does_not_mix_inputs(tmp_path, monkeypatch):
    """Like every publishing command, forms read one snapshot of the inputs: a collect that rewrites
    saq.csv while the verification forms are written changes neither the claimed answers on them
    nor the hash the manifest records (verify then names saq.csv as changed since)."""
    import hashlib

    from kiprank.intake import forms as F

    region = copy_region(tmp_path / "inputs", 2022, "klaten", tables=("saq.csv",)) / "2022" / "klaten"
    saq = region / "saq.csv"
    original = saq.read_bytes()
    write_verification = F._write_verification

    def collect_meanwhile(ctx, folder):
        saq.write_text(saq.read_text(encoding="utf-8").replace(",ya", ",tidak"), encoding="utf-8")
        return write_verification(ctx, folder)

    monkeypatch.setattr(F, "_write_verification", collect_meanwhile)
    result = build_forms(2022, "klaten", tmp_path / "inputs", tmp_path / "outputs", kinds=["verification"])
    assert saq.read_bytes() != original  # the collect did land
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kinds"]["verification"]["inputs"]["saq.csv"] == hashlib.sha256(original).hexdigest()
    assert manifest["inputs_folder"] == "2022/klaten" and "kiprank-inputs" not in json.dumps(manifest)
    sheet = load_workbook(result.folder / "verifikasi" / "kec-ngawen.xlsx").worksheets[1]
    claimed = [row[2] for row in sheet.iter_rows(values_only=True)]
    assert "ya" in claimed  # the answers as they were when the forms were made
    code, output = invoke("verify", result.folder)
    assert code == 3 and "saq.csv" in output, output


def test_a_file_that_is_no_input_of_the_region_is_named(tmp_path):
    """The forms are made from the methodology and bodies.csv: a misnamed table (``saq (1).csv``), or
    the objection round's table in a region without a round, is named, not passed over; the demo's
    own inputs are not."""
    inputs = tmp_path / "inputs"
    shutil.copytree(DEMO / "2022" / "klaten", inputs / "2022" / "klaten")
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", inputs,
                          "--outputs-root", tmp_path / "a", "--kind", "website")
    assert code == 0 and "not read" not in output, output
    folder = inputs / "2022" / "klaten"
    shutil.copy(folder / "saq.csv", folder / "saq (1).csv")
    shutil.copy(folder / "saq.csv", folder / "objections.csv")
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--inputs-root", inputs,
                          "--outputs-root", tmp_path / "b", "--kind", "website")
    assert code == 0, output
    named = [line for line in output.splitlines() if "not read" in line]
    assert len(named) == 2, output
    assert any("saq (1).csv: not read" in line for line in named), output
    assert any("objections.csv: not read" in line for line in named), output  # no objection round declared
