"""The objection round (masa sanggah), end to end on the demo, by hand: preliminary report and
letters (HASIL SEMENTARA), objection forms, four bodies' returns (one accepted, one partly accepted,
one rejected, one late), the verifiers' decisions, the final report with the minutes and the
corrections list, and ``kiprank verify`` of both publications. The accepted and the partly accepted
body's scores are checked against a hand calculation from the CSV files (exact fractions, the
reference scorer of tests/reference_scorer.py for the preliminary values).
"""

from __future__ import annotations

import csv
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pymupdf
import pytest
from openpyxl import load_workbook

from intake_support import DEMO, REPO, invoke
from reference_scorer import round_half_up, score_folder

UNTIL = "2022-12-22"


def round_region(root: Path, until: str = UNTIL) -> Path:
    """A copy of the Klaten demo under ``root/inputs`` declaring an objection round."""
    folder = root / "inputs" / "2022" / "klaten"
    shutil.copytree(DEMO / "2022" / "klaten", folder)
    with open(folder / "region.yml", "a", encoding="utf-8") as handle:
        handle.write(f"objections: {{until: {until}}}\n")
    return root / "inputs"


def args(root: Path) -> list:
    return ["--year", 2022, "--region", "klaten", "--inputs-root", root / "inputs", "--outputs-root", root / "outputs"]


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ranking(folder: Path) -> dict[str, dict]:
    return {r["body_id"]: r for r in rows(folder / "ranking.csv")}


def pdf_pages(path: Path) -> list[str]:
    with pymupdf.open(path) as doc:
        return [" ".join(page.get_text().split()) for page in doc]  # words, whatever the line breaks


def demo(kind: str, root: Path) -> Path:
    from kiprank.intake.objection_demo import fill_round

    out = root / "returns" / kind
    fill_round(kind, 2022, "klaten", root / "inputs", root / "outputs/2022/klaten/forms", out)
    return out


def test_the_objection_round_end_to_end_on_the_demo(tmp_path):
    root = tmp_path
    round_region(root)
    region = root / "outputs/2022/klaten"
    # 1. preliminary results: HASIL SEMENTARA on every page, in the manifest, in the letters
    code, out = invoke("report", *args(root), "--preliminary")
    assert code == 0, out
    assert "HASIL SEMENTARA" in out or "preliminary results" in out
    manifest = json.loads((region / "manifest.json").read_text())
    assert manifest["parameters"]["round"] == "preliminary" and manifest["parameters"]["objections_until"] == UNTIL
    assert "objections.csv" not in manifest["inputs"]
    pages = pdf_pages(region / "report.pdf")
    assert all("HASIL SEMENTARA" in page for page in pages), [i for i, p in enumerate(pages) if "HASIL SEMENTARA" not in p]
    assert "22 Desember 2022" in pages[0] and any("Masa Sanggah" in p for p in pages[2:])
    assert 'class="stamp"' in (region / "report.html").read_text()
    code, out = invoke("letters", *args(root))
    assert code == 0, out
    letter = pdf_pages(region / "letters/kec-kalikotes.pdf")
    assert all("HASIL SEMENTARA" in page for page in letter)
    assert "Masa sanggah" in letter[0] and "22 Desember 2022" in letter[0]
    preliminary = ranking(region)
    prelim_csv = (region / "ranking.csv").read_bytes()
    code, out = invoke("verify", region)
    assert code == 0 and "reproduced exactly" in out, out

    # 2. objection forms: one per assessed body, sealed, with the verified values
    code, out = invoke("forms", *args(root), "--kind", "sanggah")
    assert code == 0, out
    forms = region / "forms"
    made = sorted(p.name for p in (forms / "sanggah").iterdir())
    assert len(made) == 43 and "kec-gantiwarno.xlsx" not in made  # the 7 that did not return the SAQ get none
    wb = load_workbook(forms / "sanggah/kec-kalikotes.xlsx")
    ws = wb[wb.sheetnames[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "B01")
    assert [ws.cell(row, c).value for c in (4, 5, 6)] == ["ya", "tidak sesuai", "tidak"]
    assert [ws.cell(1, c).value for c in range(8, 12)] == ["Keberatan", "Nilai yang diajukan", "Alasan", "Bukti baru"]
    assert ws.protection.sheet and wb[wb.sheetnames[-1]].sheet_state == "veryHidden"

    # 3. four bodies return objections; one came the day after the deadline
    from kiprank.intake.objection_demo import demo_scenario
    from kiprank.intake.objection_forms import round_tables

    scenario = demo_scenario(round_tables(2022, "klaten", root / "inputs"))
    assert [(o.body, o.code, o.decision, o.late) for o in scenario] == [
        ("kec-kalikotes", "B01", "diterima", False), ("kec-ngawen", "A05", "diterima sebagian", False),
        ("kec-karangdowo", "D03", "ditolak", False), ("kec-klaten-utara", "E01", "diterima", True)]
    code, out = invoke("collect", *args(root)[:6], demo("sanggah", root))
    assert code == 0, out
    assert "kec-klaten-utara: the objection to E01" in out and "late" in out
    objections = {r["body_id"]: r for r in rows(root / "inputs/2022/klaten/objections.csv")}
    assert set(objections) == {"kec-kalikotes", "kec-ngawen", "kec-karangdowo", "kec-klaten-utara"}
    assert (objections["kec-klaten-utara"]["late"], objections["kec-klaten-utara"]["considered"]) == ("ya", "tidak")
    assert objections["kec-ngawen"]["claimed"] == "9" and objections["kec-kalikotes"]["claimed"] == "ya"

    # 4. the final results wait for a decision on every objection considered
    code, out = invoke("report", *args(root))
    assert code == 2, out
    for body in ("kec-kalikotes", "kec-ngawen", "kec-karangdowo"):
        assert f"the objection of {body}" in out and "has no decision" in out
    assert "kec-klaten-utara" not in out  # late, not considered: nothing to decide
    assert (region / "ranking.csv").read_bytes() == prelim_csv  # nothing was published
    code, out = invoke("forms", *args(root), "--kind", "sanggah-keputusan")
    assert code == 0, out
    wb = load_workbook(forms / "sanggah-keputusan.xlsx")
    listed = [wb[wb.sheetnames[1]].cell(r, 1).value for r in range(2, 6)]
    assert listed == ["kec-kalikotes", "kec-karangdowo", "kec-ngawen", None]
    code, out = invoke("collect", *args(root)[:6], demo("sanggah-keputusan", root))
    assert code == 0, out

    # 5. final results: the decisions applied over verification.csv (the file itself untouched)
    verification = (root / "inputs/2022/klaten/verification.csv").read_bytes()
    code, out = invoke("report", *args(root))
    assert code == 0, out
    assert (root / "inputs/2022/klaten/verification.csv").read_bytes() == verification
    assert verification == (DEMO / "2022/klaten/verification.csv").read_bytes()
    final = ranking(region)
    manifest = json.loads((region / "manifest.json").read_text())
    assert manifest["parameters"]["round"] == "final"
    assert {"objections.csv", "objection_decisions.csv", "verification.csv"} <= set(manifest["inputs"])
    assert manifest["objection_round"]["preliminary"]["fingerprint"] != manifest["fingerprint"]
    assert manifest["objection_round"]["totals"] == {
        "received": 4, "considered": 3, "late": 1, "late_considered": 0, "accepted": 1, "partial": 1, "rejected": 1,
        "bodies": 4, "bodies_changed": 2, "band_changed": 1}
    assert not any("HASIL SEMENTARA" in page for page in pdf_pages(region / "report.pdf"))

    # 6. the hand calculation (exact fractions; the preliminary values from the reference scorer)
    m, _, before = score_folder(DEMO / "2022/klaten", REPO / "kiprank/methodologies")
    assert [s["weight"] for s in m["stages"]] == [30, 50, 20] and m["decimals"] == 1
    penyediaan = [q["id"] for q in m["questionnaire"]["questions"] if q["indicator"] == "penyediaan"]
    pengumuman = [q["id"] for q in m["questionnaire"]["questions"] if q["indicator"] == "pengumuman"]
    weights = {i["id"]: Fraction(i["weight"]) for i in m["questionnaire"]["indicators"]}
    assert "B01" in penyediaan and len(penyediaan) == 4 and weights["penyediaan"] == 25
    assert "A05" in pengumuman and len(pengumuman) == 5 and weights["pengumuman"] == 25
    # kec-kalikotes B01 (ya/tidak) accepted: verified 0 -> 1 of a question weighing 1/4 of an indicator of 25
    gain = Fraction(1) * Fraction(1, 4) * 25
    k = before["kec-kalikotes"]
    assert preliminary["kec-kalikotes"]["verifikasi"] == f"{float(round_half_up(k.stages['verifikasi'], 1)):.1f}"
    assert final["kec-kalikotes"]["verifikasi"] == f"{float(round_half_up(k.stages['verifikasi'] + gain, 1)):.1f}"
    after = round_half_up(k.final + Fraction(50, 100) * gain, 1)
    assert final["kec-kalikotes"]["final"] == f"{float(after):.1f}" == "82.9"
    assert (preliminary["kec-kalikotes"]["band"], final["kec-kalikotes"]["band"]) == ("Cukup Informatif",
                                                                                      "Menuju Informatif")
    # kec-ngawen A05 (a number of 10) partly accepted at 8: from what the verifier granted to 8 of 10
    granted = next(r["granted"] for r in rows(DEMO / "2022/klaten/verification.csv")
                   if r["body_id"] == "kec-ngawen" and r["question_id"] == "A05")
    gain = (Fraction(8, 10) - Fraction(granted) / 10) * Fraction(1, 5) * 25
    n = before["kec-ngawen"]
    assert final["kec-ngawen"]["verifikasi"] == f"{float(round_half_up(n.stages['verifikasi'] + gain, 1)):.1f}"
    assert final["kec-ngawen"]["final"] == f"{float(round_half_up(n.final + Fraction(1, 2) * gain, 1)):.1f}"
    # rejected and late: unchanged
    for body in ("kec-karangdowo", "kec-klaten-utara"):
        assert {c: final[body][c] for c in ("verifikasi", "final", "band")} == \
            {c: preliminary[body][c] for c in ("verifikasi", "final", "band")}

    # 7. the minutes, the corrections list, the preliminary results kept, the report and letters
    minutes = rows(region / "sanggah.csv")
    assert [(r["body_id"], r["decision"], r["late"]) for r in minutes] == [
        ("kec-ngawen", "diterima sebagian", "tidak"), ("kec-karangdowo", "ditolak", "tidak"),
        ("kec-klaten-utara", "", "ya"), ("kec-kalikotes", "diterima", "tidak")]  # preliminary report order
    by_body = {r["body_id"]: r for r in minutes}
    assert (by_body["kec-kalikotes"]["final_before"], by_body["kec-kalikotes"]["final_after"]) == (
        preliminary["kec-kalikotes"]["final"], "82.9")
    assert by_body["kec-ngawen"]["after"] == "8" and by_body["kec-ngawen"]["verifier"] == "Verifikator Demo"
    text = "\n".join(pdf_pages(region / "sanggah.pdf"))
    for name in ("Kecamatan Kalikotes", "Kecamatan Ngawen", "Kecamatan Karangdowo", "Kecamatan Klaten Utara"):
        assert name in text
    assert "terlambat, tidak dipertimbangkan" in text and "diterima sebagian" in text
    assert "Diterima: 23 Desember 2022 pukul 10.00 (UTC+07:00)" in text  # 03:00 UTC, in the round's zone
    corrections = {r["body_id"]: r for r in rows(region / "corrections.csv")}
    assert corrections["kec-kalikotes"]["what_changed"] == "score, band"
    assert (region / "sementara/ranking.csv").read_bytes() == prelim_csv
    assert (region / "sementara/letters/kec-kalikotes.pdf").is_file()
    report = "\n".join(pdf_pages(region / "report.pdf"))
    assert "Masa Sanggah" in report and "4 sanggahan diterima dari 4 badan publik" in report
    code, out = invoke("letters", *args(root))
    assert code == 0, out
    letter = "\n".join(pdf_pages(region / "letters/kec-kalikotes.pdf"))
    assert "Hasil sanggahan" in letter and "diterima: tidak → ya" in letter and "HASIL SEMENTARA" not in letter
    assert "berubah dari 79,8 menjadi 82,9; kualifikasi Cukup Informatif → Menuju Informatif; peringkat tetap 4" \
        in letter, letter
    rejected = "\n".join(pdf_pages(region / "letters/kec-karangdowo.pdf"))
    assert "Nilai akhir tetap 84,3; kualifikasi tetap Menuju Informatif; peringkat tetap 2." in rejected, rejected
    assert "tidak mengajukan sanggahan" in "\n".join(pdf_pages(region / "letters/kec-bayat.pdf"))
    late = "\n".join(pdf_pages(region / "letters/kec-klaten-utara.pdf"))
    assert "terlambat, tidak dipertimbangkan" in late

    # 8. verify re-derives the final ranking from the preliminary inputs plus the decisions
    code, out = invoke("verify", region)
    assert code == 0 and "reproduced exactly" in out, out
    decisions = root / "inputs/2022/klaten/objection_decisions.csv"
    decisions.write_text(decisions.read_text().replace("Verifikator Demo", "Verifikator Lain", 1))
    code, out = invoke("verify", region)
    assert code == 3 and "objection_decisions.csv" in out, out


# -- bad input and hostile cases ------------------------------------------------------------------
# One prepared round (preliminary results, objection forms, the demo's returns collected, the
# decision workbook and the demo's filled copy of it, not collected), copied by each test.

@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("round")
    round_region(root)
    for step in (["score", *args(root), "--preliminary"], ["forms", *args(root), "--kind", "sanggah"]):
        code, out = invoke(*step)
        assert code == 0, out
    code, out = invoke("collect", *args(root)[:6], demo("sanggah", root))
    assert code == 0, out
    code, out = invoke("forms", *args(root), "--kind", "sanggah-keputusan")
    assert code == 0, out
    demo("sanggah-keputusan", root)
    return root


@pytest.fixture
def state(prepared, tmp_path):
    """A copy of the prepared round for one test to change."""
    shutil.copytree(prepared, tmp_path / "r")
    return tmp_path / "r"


def folder(root: Path) -> Path:
    return root / "inputs/2022/klaten"


def fill(root: Path, body: str, cells: dict[str, object], dest: Path, saved: str = "2022-12-21T03:00:00") -> Path:
    """A copy of ``body``'s objection form with cells of the sheet Sanggahan changed (``{"I7": 11}``)."""
    from datetime import datetime

    from kiprank.intake.objection_demo import save_workbook

    wb = load_workbook(root / f"outputs/2022/klaten/forms/sanggah/{body}.xlsx")
    ws = wb[wb.sheetnames[1]]
    for ref, value in cells.items():
        ws[ref].value = value
        if isinstance(value, str) and not value.startswith("=9"):  # text stays text (a typed formula: "=9")
            ws[ref].data_type = "s"
    save_workbook(wb, dest, datetime.fromisoformat(saved + "+00:00"))
    return dest


def row_of(root: Path, body: str, code: str) -> int:
    wb = load_workbook(root / f"outputs/2022/klaten/forms/sanggah/{body}.xlsx")
    ws = wb[wb.sheetnames[1]]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == code)


def collect_into(root: Path, *sources, extra=()) -> tuple[int, str]:
    return invoke("collect", *args(root)[:6], *extra, *sources)


def test_a_decision_for_an_objection_that_does_not_exist(state):
    f = folder(state)
    (f / "objection_decisions.csv").write_text(
        "body_id,stage,code,decision,final_value,note,verifier,source\n"
        "kec-kalikotes,verifikasi,B01,diterima,,,Budi,x\nkec-ngawen,verifikasi,A05,diterima sebagian,8,,Budi,x\n"
        "kec-karangdowo,verifikasi,D03,ditolak,,,Budi,x\nkec-bayat,verifikasi,A03,diterima,,,Budi,x\n"
        "kec-klaten-utara,verifikasi,E01,diterima,,,Budi,x\n", encoding="utf-8")
    before = (state / "outputs/2022/klaten/manifest.json").read_bytes()
    for command in ("validate", "score"):
        code, out = invoke(command, *args(state))
        assert code == 2, out
        assert "objection_decisions.csv, row 5, column 'code': a decision for an objection that does not exist: " \
               "kec-bayat did not object to A03" in out
        assert "row 6, column 'code': the objection of kec-klaten-utara to E01 came late and is not considered" in out
    assert (state / "outputs/2022/klaten/manifest.json").read_bytes() == before  # nothing was published


def test_values_outside_what_the_question_allows_are_refused_by_cell(state, tmp_path):
    a05, a01 = row_of(state, "kec-ngawen", "A05"), row_of(state, "kec-ngawen", "A01")
    cases = [
        ({f"H{a05}": "ya", f"I{a05}": 11}, f"Sanggahan!I{a05}: answer '11' to A05 is not allowed (expected a number "
                                           "from 0 to 10)"),
        ({f"H{a05}": "ya", f"I{a05}": "sepuluh"}, f"Sanggahan!I{a05}: answer 'sepuluh' to A05 is not allowed"),
        ({f"H{a05}": "ya", f"I{a05}": 10}, "asks for '10', more than the body's own SAQ answer '9' to A05"),
        ({f"H{a05}": "ya", f"I{a05}": 7}, "asks for '7', which is not more than the verified value '7'"),
        ({f"H{a01}": "ya", f"I{a01}": "ya"}, "asks for 'ya', which is not more than the verified value 'ya' of A01"),
        ({f"H{a05}": "mungkin", f"I{a05}": 9}, f"Sanggahan!H{a05}: value 'mungkin' is not ya/tidak"),
        ({f"H{a05}": "tidak", f"I{a05}": 9}, "a value asked for, but the column Keberatan does not say ya"),
        ({f"H{a05}": "ya", f"I{a05}": "=9"}, f"Sanggahan!I{a05}: a formula (=9) without a saved value"),
        ({"C2": "Pertanyaan lain"}, "Sanggahan!C2: locked cell was edited"),
        ({f"F{a05}": "9"}, f"Sanggahan!F{a05}: locked cell was edited, or the inputs changed since the form was made"),
        ({f"A{200}": "x"}, "is below the last row of the form"),
    ]
    for n, (cells, expected) in enumerate(cases):
        src = fill(state, "kec-ngawen", cells, tmp_path / f"c{n}" / "kec-ngawen.xlsx")
        code, out = collect_into(state, src, extra=["--replace"])
        assert code == 2 and expected in " ".join(out.split()), (cells, out)
        assert "nothing was written" in out
    objections = folder(state) / "objections.csv"
    assert objections.read_text().count("\n") == 5  # the demo's four, unchanged


def test_a_decision_outside_the_question_or_between_the_values_is_refused(state, tmp_path):
    from kiprank.intake.objection_demo import save_workbook

    base = state / "outputs/2022/klaten/forms/sanggah-keputusan.xlsx"
    cases = [({"K4": "diterima sebagian", "L4": 12, "N4": "Budi"}, "Keputusan!L4: answer '12' to A05 is not allowed"),
             ({"K4": "diterima sebagian", "L4": 9, "N4": "Budi"}, "needs a value between the verified value '7' and the "
                                                                   "value asked for '9' (got '9')"),
             ({"K4": "diterima sebagian", "N4": "Budi"}, "'diterima sebagian' needs the final value"),
             ({"K2": "diterima", "L2": "tidak", "N2": "Budi"}, "'diterima' gives the value asked for ('ya'), not 'tidak'"),
             ({"K2": "disetujui", "N2": "Budi"}, "Keputusan!K2: decision 'disetujui' is not one of"),
             ({"K2": "diterima"}, "Keputusan!N2: the verifier who decided is not named"),
             ({"L3": "ya", "N3": "Budi"}, "Keputusan!K3: a final value or verifier, but no decision"),
             ({"A2": "kec-bayat"}, "Keputusan!A2: a decision for an objection that does not exist: kec-bayat did not "
                                   "object to B01"),
             ({"G2": "tidak"}, "Keputusan!G2: locked cell was edited, or the inputs changed")]
    for n, (cells, expected) in enumerate(cases):
        wb = load_workbook(base)
        ws = wb[wb.sheetnames[1]]
        for ref, value in cells.items():
            ws[ref].value = value
        dest = tmp_path / f"d{n}" / "sanggah-keputusan.xlsx"
        save_workbook(wb, dest, None)
        code, out = collect_into(state, dest)
        assert code == 2 and expected in " ".join(out.split()), (cells, out)
    assert not (folder(state) / "objection_decisions.csv").exists()


def test_a_decision_workbook_made_before_objections_changed(state):
    """objections.csv collected again without one objection: the decision workbook made before no
    longer matches it, and each row that changed is named."""
    returns = state / "returns/sanggah"
    (returns / "kec-ngawen.xlsx").unlink()
    code, out = collect_into(state, returns, extra=["--replace"])
    assert code == 0, out
    code, out = collect_into(state, state / "returns/sanggah-keputusan")
    assert code == 2, out
    assert "Keputusan!A4: a decision for an objection that does not exist: kec-ngawen did not object to A05 in " \
           "objections.csv; objections.csv changed since this workbook was made" in " ".join(out.split()), out
    assert not (folder(state) / "objection_decisions.csv").exists()


def test_a_second_return_of_the_same_objection(state, tmp_path):
    first = state / "returns/sanggah/kec-kalikotes.xlsx"
    b01 = row_of(state, "kec-kalikotes", "B01")
    again = fill(state, "kec-kalikotes", {f"H{b01}": "ya", f"I{b01}": "ya", f"J{b01}": "dikirim lagi"},
                 tmp_path / "again/kec-kalikotes.xlsx", saved="2022-12-21T09:00:00")
    code, out = collect_into(state, first, again, extra=["--replace"])
    assert code == 2, out
    assert "2 returns of sanggah verifikasi/B01 for body 'kec-kalikotes'" in " ".join(out.split())
    code, out = collect_into(state, first, again, extra=["--replace", "--latest"])
    assert code == 0, out
    got = rows(folder(state) / "objections.csv")
    assert [(r["body_id"], r["reason"]) for r in got] == [("kec-kalikotes", "dikirim lagi")]
    # the same objection in a Google Forms export and a workbook
    export = tmp_path / "gforms.csv"
    export.write_text("Timestamp,Badan publik,Kode,Nilai yang diajukan,Alasan,Bukti baru\n"
                      "21/12/2022 10:00:00,Kecamatan Kalikotes,B01 - Informasi setiap saat tersedia bila diminta,ya,"
                      "lewat formulir,https://x.test/b.pdf\n", encoding="utf-8")
    code, out = collect_into(state, first, export, extra=["--replace"])
    assert code == 2 and "2 returns of sanggah verifikasi/B01" in " ".join(out.split()), out


def test_another_bodys_form_under_a_file_name_is_named(state, tmp_path):
    src = state / "returns/sanggah/kec-kalikotes.xlsx"
    renamed = tmp_path / "x/kec-bayat.xlsx"
    renamed.parent.mkdir()
    renamed.write_bytes(src.read_bytes())
    code, out = collect_into(state, renamed, extra=["--replace"])
    assert code == 0, out
    assert "the objection form of 'kec-kalikotes' (Kecamatan Kalikotes), under another file name" in " ".join(out.split())
    assert [r["body_id"] for r in rows(folder(state) / "objections.csv")] == ["kec-kalikotes"]
    # the hidden sheet edited to make it another body's: refused
    wb = load_workbook(src)
    meta = wb["kiprank"]
    row = next(r for r in range(1, 20) if meta.cell(r, 1).value == "body_id")
    meta.cell(row, 2).value = "kec-bayat"
    wb.save(tmp_path / "forged.xlsx")
    code, out = collect_into(state, tmp_path / "forged.xlsx", extra=["--replace"])
    assert code == 2 and "the hidden sheet 'kiprank' was edited" in out, out


def test_forms_of_another_region_or_without_a_round_are_refused(state, tmp_path):
    other = state / "inputs/2022/lain"
    shutil.copytree(folder(state), other)
    code, out = invoke("collect", "--year", 2022, "--region", "lain", "--inputs-root", state / "inputs",
                       state / "returns/sanggah")
    assert code == 2 and "a form of klaten 2022, not of lain 2022" in out, out
    plain = tmp_path / "plain"
    shutil.copytree(DEMO / "2022/klaten", plain / "2022/klaten")
    code, out = invoke("collect", "--year", 2022, "--region", "klaten", "--inputs-root", plain, state / "returns/sanggah")
    assert code == 2 and "region.yml declares no objection round" in out, out


def test_late_objections_are_kept_and_considered_only_when_accepted(state):
    code, out = collect_into(state, state / "returns/sanggah", extra=["--replace", "--accept-late"])
    assert code == 0, out
    late = {r["body_id"]: r for r in rows(folder(state) / "objections.csv")}["kec-klaten-utara"]
    assert (late["late"], late["considered"]) == ("ya", "ya") and "considered (--accept-late)" in out
    code, out = invoke("forms", *args(state), "--kind", "sanggah-keputusan")
    assert code == 0, out
    wb = load_workbook(state / "outputs/2022/klaten/forms/sanggah-keputusan.xlsx")
    assert "kec-klaten-utara" in [wb[wb.sheetnames[1]].cell(r, 1).value for r in range(2, 7)]


def test_objections_from_google_forms_and_kobo_exports(state, tmp_path):
    """The same objection by workbook, Google Forms and KoboToolbox gives the same row."""
    gforms = tmp_path / "gforms.csv"
    gforms.write_text("Stempel waktu,Badan publik,Kode,Nilai yang diajukan,Alasan,Bukti baru\n"
                      "21/12/2022 10.00.00,Kecamatan Kalikotes,B01. Informasi setiap saat tersedia bila diminta,ya,"
                      "Demo: accepted,https://example.org/bukti/kec-kalikotes.pdf\n"
                      "23/12/2022 10.00.00,kec-ngawen,A05,9,terlambat,\n", encoding="utf-8")
    kobo = tmp_path / "kobo.csv"
    kobo.write_text("start,end,sanggah/body_id,sanggah/tahap,sanggah/kode,sanggah/nilai yang diajukan,sanggah/alasan,"
                    "sanggah/bukti baru,_id,_uuid,_submission_time\n"
                    ",,kec-kalikotes,verifikasi,B01,ya,Demo: accepted,https://example.org/bukti/kec-kalikotes.pdf,1,u1,"
                    "2022-12-21T03:00:00\n", encoding="utf-8")
    want = {r["body_id"]: r for r in rows(folder(state) / "objections.csv")}["kec-kalikotes"]
    for export in (gforms, kobo):
        code, out = collect_into(state, export, extra=["--replace"])
        assert code == 0, out
        got = {r["body_id"]: r for r in rows(folder(state) / "objections.csv")}
        same = {k: v for k, v in got["kec-kalikotes"].items() if k not in ("source", "received")}
        assert same == {k: v for k, v in want.items() if k not in ("source", "received")}
    assert got["kec-kalikotes"]["received"] == "2022-12-21T03:00:00+00:00"
    code, out = collect_into(state, gforms, extra=["--replace"])
    ngawen = {r["body_id"]: r for r in rows(folder(state) / "objections.csv")}["kec-ngawen"]
    assert ngawen["late"] == "ya"  # 23 December, after the deadline (WIB)
    bad = tmp_path / "bad.csv"
    bad.write_text("Timestamp,Badan publik,Kode,Nilai yang diajukan,Warna\n21/12/2022 10:00:00,Kecamatan X,Z99,ya,biru\n",
                   encoding="utf-8")
    code, out = collect_into(state, bad, extra=["--replace"])
    assert code == 2 and "bad.csv, row 1, column 'Warna': unknown column" in out, out


def test_a_round_is_refused_where_it_cannot_be(tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(DEMO / "2022/klaten", plain / "inputs/2022/klaten")
    code, out = invoke("score", *args(plain), "--preliminary")
    assert code == 2 and "declares no objection round" in out, out
    code, out = invoke("forms", *args(plain), "--kind", "sanggah")
    assert code == 2 and "declares no objection round" in out, out
    open_round = tmp_path / "open"
    round_region(open_round, until="2099-12-31")
    assert invoke("score", *args(open_round), "--preliminary")[0] == 0
    code, out = invoke("score", *args(open_round))
    assert code == 2 and "is open until 2099-12-31" in out, out
    unpublished = tmp_path / "unpublished"
    round_region(unpublished)
    code, out = invoke("report", *args(unpublished))
    assert code == 2 and "no preliminary results are published" in out, out
    bad = tmp_path / "bad"
    shutil.copytree(DEMO / "2022/klaten", bad / "inputs/2022/klaten")
    with open(bad / "inputs/2022/klaten/region.yml", "a", encoding="utf-8") as handle:
        handle.write("objections: {until: 2022-02-30}\n")
    code, out = invoke("validate", *args(bad)[:6])
    assert code == 2 and "region.yml" in out and "2022-02-30" in out, out


def test_the_final_results_refuse_inputs_changed_since_the_preliminary(state):
    f = folder(state)
    (f / "objection_decisions.csv").write_text(
        "body_id,stage,code,decision,final_value,note,verifier,source\n"
        "kec-kalikotes,verifikasi,B01,diterima,,,Budi,x\nkec-ngawen,verifikasi,A05,ditolak,,,Budi,x\n"
        "kec-karangdowo,verifikasi,D03,ditolak,,,Budi,x\n", encoding="utf-8")
    verification = f / "verification.csv"
    verification.write_text(verification.read_text().replace("kec-bayat,A01,sesuai,", "kec-bayat,A01,tidak sesuai,"))
    code, out = invoke("score", *args(state))
    assert code == 2 and "made from other inputs" in out and "verification.csv" in out, out


def test_hand_edited_objections_are_checked_by_row_and_column(state):
    f = folder(state)
    (f / "objections.csv").write_text(
        "body_id,stage,code,claimed,reason,evidence,received,late,considered,source\n"
        "kec-x,verifikasi,B01,ya,,,,tidak,ya,a\n"
        "kec-kalikotes,presentasi,B01,ya,,,,tidak,ya,a\n"
        "kec-kalikotes,verifikasi,Z9,ya,,,,tidak,ya,a\n"
        "kec-kalikotes,verifikasi,B01,ya,,,,tidak,ya,a\n"
        "kec-kalikotes,verifikasi,B01,ya,,,,tidak,ya,a\n"
        "kec-ngawen,verifikasi,A05,9,,,kemarin,tidak,ya,a\n"
        "kec-karangdowo,verifikasi,D03,ya,,,,mungkin,ya,a\n"
        "kec-gantiwarno,verifikasi,A01,ya,,,,tidak,ya,a\n"
        "kec-bayat,website,sop,ya,,,,tidak,tidak,a\n", encoding="utf-8")
    code, out = invoke("validate", *args(state)[:6])
    assert code == 2, out
    text = " ".join(out.split())
    for expected in ("row 2, column 'body_id': body 'kec-x' is not in bodies.csv",
                     "row 3, column 'stage': stage 'presentasi' is not a verification or website stage",
                     "row 4, column 'code': 'Z9' is not a question or item of stage 'verifikasi'",
                     "row 6, column 'code': a second objection of kec-kalikotes to B01 (also row 5)",
                     "row 7, column 'received': 'kemarin' is not a time",
                     "row 8, column 'late': 'mungkin' is not ya or tidak",
                     "row 9, column 'body_id': body 'kec-gantiwarno' did not return the SAQ",
                     "row 10, column 'considered': an objection received in time is considered"):
        assert expected in text, expected


def test_hostile_text_in_objections_stays_text(state, tmp_path):
    """A reason that a spreadsheet would run, markup, Typst syntax and a 300-letter word: kept as text
    in objections.csv (formula neutralised), printed literally in sanggah.pdf."""
    b01 = row_of(state, "kec-kalikotes", "B01")
    reason = "=HYPERLINK(\"http://evil\") <script>alert(1)</script> #set $x$ *b* " + "x" * 300
    src = fill(state, "kec-kalikotes", {f"H{b01}": "ya", f"I{b01}": "ya", f"J{b01}": reason, f"K{b01}": "@cmd"},
               tmp_path / "h/kec-kalikotes.xlsx")
    code, out = collect_into(state, src, extra=["--replace"])
    assert code == 0, out
    raw = (folder(state) / "objections.csv").read_text()
    assert "'=HYPERLINK" in raw and ",'@cmd," in raw
    (folder(state) / "objection_decisions.csv").write_text(
        "body_id,stage,code,decision,final_value,note,verifier,source\n"
        "kec-kalikotes,verifikasi,B01,ditolak,,\"+1 <b>catatan</b>\",=Budi,x\n", encoding="utf-8")
    code, out = invoke("score", *args(state))
    assert code == 0, out
    minutes = (state / "outputs/2022/klaten/sanggah.csv").read_text()
    assert "'=HYPERLINK" in minutes and "'=Budi" in minutes and "'+1 <b>catatan</b>" in minutes
    text = "".join(pdf_pages(state / "outputs/2022/klaten/sanggah.pdf")).replace(" ", "")
    assert '=HYPERLINK("http://evil")<script>alert(1)</script>#set$x$*b*' in text and "=Budi" in text


def test_the_evidence_check_knows_the_round_tables(state):
    """kiprank evidence (before verification) has no use for objections.csv and
    objection_decisions.csv, but they are the region's inputs: not named as stray files."""
    code, out = invoke("evidence", *args(state), "--offline")
    assert code == 0, out
    assert "evidence items" in out and "objections.csv" not in out and "objection_decisions.csv" not in out, out
    (folder(state) / "objections (1).csv").write_text("x\n", encoding="utf-8")
    code, out = invoke("evidence", *args(state), "--offline")
    assert code == 0 and "objections (1).csv: not read" in out, out


def test_a_killed_collect_leaves_objections_whole(state):
    """kill right after the first rename of a collect of objections: the table is whole (old or new),
    the next collect cleans up and writes it."""
    import subprocess
    import sys

    f = folder(state)
    good = (f / "objections.csv").read_bytes()
    (f / "objections.csv").write_text((f / "objections.csv").read_text().replace("Demo: accepted", "lama"))
    old = (f / "objections.csv").read_bytes()
    script = ("import os\nreal = os.replace\ndef dies(a, b):\n    real(a, b)\n    os._exit(9)\nos.replace = dies\n"
              "from kiprank.intake.collect import collect\n"
              f"collect(2022, 'klaten', [{str(state / 'returns/sanggah')!r}], {str(state / 'inputs')!r}, replace=True)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=REPO)
    assert proc.returncode == 9, proc.stderr
    assert (f / "objections.csv").read_bytes() in (good, old)
    code, out = collect_into(state, state / "returns/sanggah", extra=["--replace"])
    assert code == 0, out
    assert (f / "objections.csv").read_bytes() == good and not list(f.glob(".*.tmp"))


def test_final_results_again_keep_the_preliminary_and_preliminary_again_replaces_them(state):
    code, out = collect_into(state, state / "returns/sanggah-keputusan")
    assert code == 0, out
    region = state / "outputs/2022/klaten"
    assert invoke("score", *args(state))[0] == 0
    first = {p.name: p.read_bytes() for p in (region / "sementara").iterdir()}
    assert invoke("score", *args(state))[0] == 0  # final again: the preliminary comes from sementara/
    assert {p.name: p.read_bytes() for p in (region / "sementara").iterdir()} == first
    code, out = invoke("verify", region)
    assert code == 0, out
    code, out = invoke("score", *args(state), "--preliminary")
    assert code == 0, out
    assert not (region / "sementara").exists() and not (region / "sanggah.csv").exists()


@pytest.mark.needs("libreoffice")
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_objection_form_saved_again_by_libreoffice_is_read_the_same(state, tmp_path):
    import subprocess

    src = state / "returns/sanggah"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "ods", "--outdir", str(tmp_path / "saved"), *map(str, sorted(src.glob("*.xlsx")))], check=True,
                   timeout=300, capture_output=True)
    want = [{k: v for k, v in r.items() if k not in ("source", "received", "late", "considered")}
            for r in rows(folder(state) / "objections.csv")]
    code, out = collect_into(state, tmp_path / "saved", extra=["--replace"])
    assert code == 0, out
    got = [{k: v for k, v in r.items() if k not in ("source", "received", "late", "considered")}
           for r in rows(folder(state) / "objections.csv")]
    assert got == want


def test_the_readme_walks_through_the_round(tmp_path):
    """The README's walk-through of the round, run line by line in a folder holding the demo's inputs."""
    import re
    import subprocess
    import sys

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"A walk through with the demo.*?```sh\n(.*?)```", text, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    shutil.copytree(DEMO, tmp_path / "inputs", ignore=shutil.ignore_patterns("*.py", "collect"))
    env = {**__import__("os").environ, "SOURCE_DATE_EPOCH": "1671062400"}
    for line in lines:
        if line.startswith("kiprank "):
            cmd = [sys.executable, "-m", "kiprank.cli", *__import__("shlex").split(line)[1:]]
        elif line.startswith("python "):
            cmd = [sys.executable, *__import__("shlex").split(line)[1:]]
        else:
            cmd = ["bash", "-c", line]
        done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=900, env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (line, done.stdout, done.stderr)
    region = tmp_path / "round-out/2022/klaten"
    for name in ("sanggah.pdf", "sanggah.csv", "corrections.pdf", "sementara/report.pdf", "letters/kec-kalikotes.pdf"):
        assert (region / name).is_file(), name
    assert "reproduced exactly" in done.stdout or (tmp_path / "round-out/site/index.html").is_file()
    assert ranking(region)["kec-kalikotes"]["band"] == "Menuju Informatif"


@pytest.mark.needs("browser")
def test_the_site_marks_preliminary_results_in_a_browser(state, tmp_path):
    """The site of preliminary results (tables only: the site's own notice) and of the final ones
    (the report's), in Chromium at 390 and 1366 px: the marking is there and readable, nothing
    scrolls sideways, axe-core finds no serious violation; screenshots for a person to look at
    (``$KIPRANK_SCREENSHOTS`` or this test's folder)."""
    import os

    playwright = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("KIPRANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).is_file():
        pytest.skip("needs Chromium (apt-get install chromium)")
    from axe_playwright_python.sync_playwright import Axe

    shots = Path(os.environ.get("KIPRANK_SCREENSHOTS") or tmp_path / "round-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    code, out = invoke("site", "--outputs-root", state / "outputs")
    assert code == 0, out
    site = state / "outputs/site"
    assert "HASIL SEMENTARA" in (site / "index.html").read_text()
    axe = Axe()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for width in (390, 1366):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name, rel in (("region", "2022/klaten/index.html"), ("body", "2022/klaten/badan/kec-kalikotes.html"),
                              ("home", "index.html"), ("region-en", "en/2022/klaten/index.html")):
                page.goto((site / rel).as_uri())
                if name != "home":
                    notice = page.locator(".round-notice")
                    assert notice.count() == 1 and notice.is_visible(), (name, width)
                    text = notice.inner_text()
                    assert ("HASIL SEMENTARA" in text and "22 Desember 2022" in text) or \
                        ("PRELIMINARY RESULTS" in text and "22 December 2022" in text), text
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, width)
                page.screenshot(path=str(shots / f"preliminary-{name}-{width}.png"), full_page=False)
                serious = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
                assert serious == [], (name, width, serious)
            page.close()
        browser.close()
    print(f"screenshots: {shots}")


@pytest.mark.parametrize("step", ["staged", "swapped", "cleaning"])
def test_a_killed_final_run_leaves_the_preliminary_or_the_final_results_whole(state, step):
    """kill -9 of the final `kiprank score` at a step of publishing: the folder holds the preliminary
    or the final results, complete (verify passes), and the next run publishes the final ones."""
    import signal
    import subprocess
    import sys

    code, out = collect_into(state, state / "returns/sanggah-keputusan")
    assert code == 0, out
    region = state / "outputs/2022/klaten"
    killed = subprocess.run([sys.executable, str(REPO / "tests/kill_at.py"), step, "--", "score",
                             *map(str, args(state))], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    code, out = invoke("verify", region)
    assert code == 0, out
    stage = json.loads((region / "manifest.json").read_text())["parameters"]["round"]
    assert stage == ("preliminary" if step == "staged" else "final")
    code, out = invoke("score", *args(state))
    assert code == 0, out
    assert (region / "sanggah.pdf").is_file() and invoke("verify", region)[0] == 0
    assert not [p for p in region.parent.iterdir() if p.name.startswith(".")]


def test_english_objection_forms_come_back_the_same(state, tmp_path):
    """Forms in English (--lang en): their headers and yes/no words are English, collect reads them
    by the language the sealed sheet names, and the decisions' English words are understood."""
    from kiprank.intake.objection_demo import fill_round

    code, out = invoke("forms", *args(state), "--kind", "sanggah", "--kind", "sanggah-keputusan", "--lang", "en",
                       "--out", tmp_path / "en")
    assert code == 0, out
    wb = load_workbook(tmp_path / "en/sanggah/kec-kalikotes.xlsx")
    assert wb[wb.sheetnames[1]].cell(1, 8).value == "Objection"
    want = rows(folder(state) / "objections.csv")
    fill_round("sanggah", 2022, "klaten", state / "inputs", tmp_path / "en", tmp_path / "en-returns")
    code, out = collect_into(state, tmp_path / "en-returns", extra=["--replace"])
    assert code == 0, out
    strip = lambda rs: [{k: v for k, v in r.items() if k != "source"} for r in rs]  # noqa: E731
    assert strip(rows(folder(state) / "objections.csv")) == strip(want)
    wb = load_workbook(tmp_path / "en/sanggah-keputusan.xlsx")
    ws = wb[wb.sheetnames[1]]
    assert ws.cell(1, 11).value == "Decision"
    for row, (decision, final) in zip((2, 3, 4), (("accepted", None), ("rejected", None), ("partly accepted", 8))):
        ws.cell(row, 11).value, ws.cell(row, 12).value, ws.cell(row, 14).value = decision, final, "Budi"
    wb.save(tmp_path / "decisions-en.xlsx")
    code, out = collect_into(state, tmp_path / "decisions-en.xlsx")
    assert code == 0, out
    assert [r["decision"] for r in rows(folder(state) / "objection_decisions.csv")] == [
        "diterima", "ditolak", "diterima sebagian"]
