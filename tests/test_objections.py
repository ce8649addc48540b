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
