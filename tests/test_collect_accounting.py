"""Issue 19: nothing collect is given is silent. Returns saved as .ods or .xls (LibreOffice, old
Excel) are read; an empty return is 'dikembalikan kosong'; every file of a source folder is
accounted for in collect-status.csv; a later collect of one kind keeps the other kinds' columns; a
formula without a saved value is named; --latest never picks an older answer for a date order it
cannot tell; a saved time without a zone does not crash it."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from openpyxl import load_workbook

from intake_support import DEMO, copy_region, invoke
from kiprank.intake.demo import fill_saq

SOFFICE = shutil.which("soffice")


def run_collect(root, *sources, extra=()):
    return invoke("collect", "--year", 2022, "--region", "klaten", "--inputs-root", root, *extra, *sources)


def status_of(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    status = pd.read_csv(root / "2022/klaten/collect/collect-status.csv", dtype=str, keep_default_na=False)
    return (status[status["record"] == "body"].set_index("body_id"),
            status[status["record"] == "file"].set_index("file"))


def saq_rows(root: Path, body: str) -> list[str]:
    return [line for line in (root / "2022/klaten/saq.csv").read_text(encoding="utf-8").splitlines()
            if line.startswith(body + ",")]


def demo_rows(name: str, body: str) -> list[str]:
    return [line for line in (DEMO / "2022/klaten" / name).read_text(encoding="utf-8").splitlines()
            if line.startswith(body + ",")]


def convert(tmp_path: Path, files: list[Path], to: str, out: Path) -> list[Path]:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", to,
                    "--outdir", str(out), *map(str, files)], check=True, timeout=240, capture_output=True)
    return sorted(out.iterdir())


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_returns_saved_as_ods_and_xls_are_collected(tmp_path, demo_forms):
    """Case 1: LibreOffice's own .ods and old Excel's .xls were skipped in a folder (the body
    published as not returned); now they are read like .xlsx, and the status says so."""
    _, returns = demo_forms["klaten"]
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(returns / "saq/kec-ngawen.xlsx", src / "kec-ngawen.xlsx")
    shutil.copy(returns / "saq/kec-bayat.xlsx", src / "kec-bayat.xlsx")
    shutil.copy(returns / "verifikasi/kec-ngawen.xlsx", src / "ver-kec-ngawen.xlsx")
    folder = tmp_path / "returns"
    folder.mkdir()
    convert(tmp_path, [src / "kec-ngawen.xlsx", src / "ver-kec-ngawen.xlsx"], "ods", folder)
    convert(tmp_path, [src / "kec-bayat.xlsx"], "xls", folder)
    assert sorted(p.name for p in folder.iterdir()) == ["kec-bayat.xls", "kec-ngawen.ods", "ver-kec-ngawen.ods"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, folder)
    assert code == 0, output
    for body in ("kec-ngawen", "kec-bayat"):
        assert saq_rows(root, body) == demo_rows("saq.csv", body)
    ver = (root / "2022/klaten/verification.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert ver == demo_rows("verification.csv", "kec-ngawen")
    bodies, files = status_of(root)
    assert bodies.loc["kec-bayat", "status"] == "dikembalikan (lengkap)"
    assert bodies.loc["kec-ngawen", "verification_status"] == "dikembalikan"
    assert set(files["used"]) == {"dipakai"} and len(files) == 3


def test_an_empty_return_is_not_a_non_return(tmp_path, demo_forms):
    """Case 1: an empty returned form looked the same as no return."""
    forms, returns = demo_forms["klaten"]
    folder = tmp_path / "r"
    fill_saq(forms / "saq/kec-ngawen.xlsx", folder / "kec-ngawen.xlsx", {})
    shutil.copy(returns / "saq/kec-bayat.xlsx", folder / "kec-bayat.xlsx")
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, folder)
    assert code == 0, output
    bodies, _ = status_of(root)
    assert bodies.loc["kec-ngawen", "status"] == "dikembalikan kosong"
    assert bodies.loc["kec-ngawen", "saq_source"] == "r/kec-ngawen.xlsx"
    assert bodies.loc["kec-cawas", "status"] == "tidak dikembalikan"
    text = " ".join(output.split())
    assert "kec-ngawen returned an empty SAQ" in text and "did not return the SAQ" in text


def test_every_file_of_a_source_folder_is_accounted_for(tmp_path, demo_forms):
    _, returns = demo_forms["klaten"]
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(returns / "saq/kec-ngawen.xlsx", folder / "kec-ngawen.xlsx")
    (folder / "surat pengantar.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "~$kec-ngawen.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "catatan.docx").write_bytes(b"PK")
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, folder)
    assert code == 0, output
    _, files = status_of(root)
    assert files.loc["inbox/kec-ngawen.xlsx", "used"] == "dipakai"
    assert files.loc["inbox/kec-ngawen.xlsx", "reason"] == "saq kec-ngawen"
    for name, why in (("surat pengantar.pdf", "bukan buku kerja"), ("catatan.docx", "bukan buku kerja"),
                      ("~$kec-ngawen.xlsx", "kunci"), (".DS_Store", "tersembunyi")):
        assert files.loc[f"inbox/{name}", "used"] == "tidak dipakai", name
        assert why in files.loc[f"inbox/{name}", "reason"], name
        assert f"inbox/{name}" in " ".join(output.split())  # and printed


def test_a_later_collect_of_one_kind_keeps_the_other_kinds(tmp_path, demo_forms):
    """Case 6: collecting the website sheet after the SAQ rewrote the status and printed every body
    as 'tidak dikembalikan'."""
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, returns / "saq")
    assert code == 0, output
    first, _ = status_of(root)
    code, output = run_collect(root, returns / "website.xlsx")
    assert code == 0, output
    bodies, files = status_of(root)
    assert (bodies["status"] == first["status"]).all() and (bodies["saq_source"] == first["saq_source"]).all()
    assert (bodies["status"] == "dikembalikan (lengkap)").sum() == 43
    assert (bodies["website_status"] == "dikembalikan").sum() == 50
    assert "43 dikembalikan (lengkap)" in output and "tidak dikembalikan" in output  # the 7 that did not
    assert files.loc["saq/kec-ngawen.xlsx", "used"] == "dipakai"  # the SAQ files are still accounted for
    assert str(returns / "website.xlsx") in files.index


def test_answer_spellings_are_the_same_for_collect_and_score(tmp_path, demo_forms):
    """Case 7: '1e1' was refused by collect but scored as 10; 'iya' refused while 'Y' accepted.
    One rule now: both accept iya/tdk/t, both refuse 1e1 and =1."""
    from kiprank.core.answers import answer_fractions, canonical_answer
    from kiprank.core.methodology import load_methodology

    m = load_methodology("perki-5-2016")
    numeric = next(q for q in m.questionnaire.questions if q.type == "numeric")
    yesno = next(q for q in m.questionnaire.questions if q.type == "yesno")
    cases = [(yesno, "iya", "ya"), (yesno, "Tdk", "tidak"), (yesno, "t", "tidak"), (yesno, " Tidak  Ada ", "tidak"),
             (yesno, "Y", "ya"), (numeric, "7,5", "7.5"), (numeric, "1e1", None), (numeric, "=1", None),
             (numeric, "inf", None), (yesno, "=1", None)]
    for q, typed, expected in cases:
        assert canonical_answer(q, typed)[0] == expected, typed
        earned = answer_fractions(pd.Series([q.id]), pd.Series([typed], dtype="category"), m)[0]
        assert (expected is None) == bool(pd.isna(earned)), typed

    forms, _ = demo_forms["klaten"]
    answers = {"A01": "iya", "A02": "Tdk"}
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "r/kec-ngawen.xlsx", answers)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, tmp_path / "r")
    assert code == 0, output
    assert saq_rows(root, "kec-ngawen") == ["kec-ngawen,A01,ya", "kec-ngawen,A02,tidak"]


def test_a_formula_without_a_saved_value_is_named(tmp_path, demo_forms):
    """Also found: a formula answer with no stored value counted as unanswered without a word."""
    _, returns = demo_forms["klaten"]
    src = returns / "saq/kec-ngawen.xlsx"
    wb = load_workbook(src)
    wb["SAQ"]["D3"] = "=1"  # a formula (openpyxl stores no value for it)
    dest = tmp_path / "r/kec-ngawen.xlsx"
    dest.parent.mkdir()
    wb.save(dest)
    with zipfile.ZipFile(dest) as zf:  # openpyxl writes the formula without a cached value, as some programs do
        assert any(b"<f>1</f>" in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, tmp_path / "r")
    text = " ".join(output.split())
    assert code == 2 and "SAQ!D3" in text and "formula (=1) without a saved value" in text, text


def google_rows(rows: list[list[str]], header_time="Timestamp") -> str:
    from kiprank.core.methodology import load_methodology

    qs = load_methodology("klaten-2022").questionnaire.questions
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header_time, "Badan publik", *[q.id for q in qs]])
    for stamp, body, answer in rows:
        writer.writerow([stamp, body, *[answer if q.type == "yesno" else "" for q in qs]])
    return buffer.getvalue()


def test_latest_never_keeps_an_older_answer_of_a_us_locale_export(tmp_path):
    """Also found: US-locale Google Forms dates (month/day) made --latest keep the older answer.
    Dates that tell the order (a day above 12) are read right; dates that do not are refused when
    the order would decide which answer is kept."""
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    told = tmp_path / "told.csv"   # 8/13 can only be 13 August: month first; 3/8 is 8 March, 8/1 is 1 August
    told.write_text(google_rows([["3/8/2022 10:00:00", "Kecamatan Ngawen", "tidak"],
                                 ["8/1/2022 09:00:00", "Kecamatan Ngawen", "ya"],
                                 ["8/13/2022 09:00:00", "Kecamatan Bayat", "ya"]]), encoding="utf-8")
    code, output = run_collect(root, told, extra=["--latest"])
    assert code == 0, output
    assert saq_rows(root, "kec-ngawen")[0] == "kec-ngawen,A01,ya"

    untold = tmp_path / "untold.csv"
    untold.write_text(google_rows([["3/8/2022 10:00:00", "Kecamatan Ngawen", "tidak"],
                                   ["8/1/2022 09:00:00", "Kecamatan Ngawen", "ya"]]), encoding="utf-8")
    root2 = copy_region(tmp_path / "inputs2", 2022, "klaten")
    code, output = run_collect(root2, untold, extra=["--latest"])
    text = " ".join(output.split())
    assert code == 2 and "day/month or month/day" in text and "kec-ngawen" in text, text


def test_a_saved_time_without_a_zone_does_not_crash_latest(tmp_path, demo_forms):
    """Also found: a workbook whose saved time has no zone crashed --latest (naive vs aware times)."""
    _, returns = demo_forms["klaten"]
    folder = tmp_path / "r"
    folder.mkdir()
    for name, stamp in (("a.xlsx", "2022-08-01T10:00:00"), ("b.xlsx", "2022-08-02T10:00:00Z")):
        src = returns / "saq/kec-ngawen.xlsx"
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename == "docProps/core.xml":
                    import re

                    data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]+(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
                zout.writestr(item, data)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, folder, extra=["--latest"])
    assert code == 0, output
    _, files = status_of(root)
    assert files.loc["r/b.xlsx", "used"] == "dipakai" and files.loc["r/a.xlsx", "used"] == "tidak dipakai"
    assert "--latest" in files.loc["r/a.xlsx", "reason"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_workbook_instructions_list_every_accepted_spelling(lang):
    """The README says the SAQ workbook's instructions list the spellings the one answer rule
    accepts: every yes and no spelling of kiprank.core.answers is in each language's instructions."""
    import re

    from kiprank.core.answers import NO, YES
    from kiprank.core.wording import words

    text = words("forms", lang)["instructions"]
    line = next(l for l in text.splitlines() if " tdk" in l)
    after = line.split("ditulis" if lang == "id" else "written", 1)[1]
    yes, no = after.split("(")[0], after.split(")", 1)[1].split("(")[0]

    def listed(part: str) -> set[str]:
        part = re.sub(r"^\s*(?:dan|and)\s+", "", part)
        return {w.strip() for w in re.split(r",|\s(?:atau|or)\s", part) if w.strip()}

    assert set(YES) <= listed(yes), set(YES) - listed(yes)
    assert set(NO) <= listed(no), set(NO) - listed(no)
