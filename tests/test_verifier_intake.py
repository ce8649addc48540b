"""Several verifiers through the forms: the verifier's name on the verification form, Kobo/Google
exports with a verifier column, and the adjudication form (``kiprank forms --kind adjudikasi``)
collected as adjudication.csv (issue 24). The round trip of the demo's Jawa Tengah 2019 returns
(two verifiers on 12 bodies, and the adjudication) is in test_collect.py."""

from __future__ import annotations

import shutil

import pandas as pd
from openpyxl import load_workbook

from intake_support import DEMO, copy_region, invoke

YEAR, REGION = 2019, "jateng"


def collect(root, *sources, extra=()):
    return invoke("collect", "--year", YEAR, "--region", REGION, "--inputs-root", root, *extra, *sources)


def verification_forms(demo_forms, tmp_path, *stems):
    """Copies of the demo's filled verification returns of these bodies (every verifier's)."""
    _, returns = demo_forms[REGION]
    out = tmp_path / "returns"
    out.mkdir()
    for path in sorted((returns / "verifikasi").iterdir()):
        if path.name.split(".")[0] in stems:
            shutil.copy(path, out / path.name)
    return out


def set_verifier(path, name):
    wb = load_workbook(path)
    cover = wb.worksheets[0]
    for row in range(1, cover.max_row + 1):
        if cover.cell(row, 1).value == "Verifikator":
            cover.cell(row, 2).value = name
    wb.save(path)


def twice_verified() -> str:
    table = pd.read_csv(DEMO / str(YEAR) / REGION / "verification.csv")
    counts = table.groupby("body_id")["verifier"].nunique()
    return str(counts[counts == 2].index[0])


def test_each_verifiers_form_becomes_their_rows(tmp_path, demo_forms):
    body = twice_verified()
    forms = verification_forms(demo_forms, tmp_path, body)
    assert len(list(forms.iterdir())) == 2
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv",))
    code, output = collect(root, forms)
    assert code == 0, output
    got = pd.read_csv(root / str(YEAR) / REGION / "verification.csv", keep_default_na=False)
    want = pd.read_csv(DEMO / str(YEAR) / REGION / "verification.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(got, want[want["body_id"] == body].reset_index(drop=True))
    status = pd.read_csv(root / str(YEAR) / REGION / "collect" / "collect-status.csv", dtype=str, keep_default_na=False)
    files = status[status["record"] == "file"]
    assert (files["used"] == "dipakai").all() and len(files) == 2  # both forms used, neither "older"


def test_the_same_verifier_twice_is_refused_and_latest_takes_the_newest(tmp_path, demo_forms):
    body = twice_verified()
    forms = verification_forms(demo_forms, tmp_path, body)
    first = sorted(forms.iterdir())[0]
    shutil.copy(first, forms / "copy.xlsx")
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv",))
    code, output = collect(root, forms)
    assert code == 2 and f"2 returns of verification for body '{body}' by verifier" in output


def test_named_and_unnamed_forms_together_are_refused(tmp_path, demo_forms):
    body = twice_verified()
    forms = verification_forms(demo_forms, tmp_path, body)
    set_verifier(sorted(forms.iterdir())[0], None)
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv",))
    code, output = collect(root, forms)
    assert code == 2 and "the verifier's name is empty while other verification forms name theirs" in output
    assert not (root / str(YEAR) / REGION / "verification.csv").exists()


def test_a_formula_as_the_verifiers_name_is_refused(tmp_path, demo_forms):
    body = twice_verified()
    forms = verification_forms(demo_forms, tmp_path, body)
    set_verifier(sorted(forms.iterdir())[0], "@SUM(A1)")
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv",))
    code, output = collect(root, forms)
    assert code == 2 and "Petunjuk!B" in output and "not a plain name" in output


def test_a_verification_export_with_a_verifier_column(tmp_path):
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv",))
    export = tmp_path / "kobo.csv"
    export.write_text("_submission_time,body_id,Verifikator,W01,W02,W03,W03 diterima\n"
                      "2019-11-02T10:00:00+07:00,kab-kudus,Sri,sesuai,tidak sesuai,sebagian,bulanan\n"
                      "2019-11-03T10:00:00+07:00,kab-kudus,Joko,sesuai,sesuai,sesuai,\n", encoding="utf-8")
    code, output = collect(root, export)
    assert code == 0, output
    text = (root / str(YEAR) / REGION / "verification.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "body_id,question_id,verifier,verdict,granted"
    assert "kab-kudus,W03,Sri,sebagian,bulanan" in text and "kab-kudus,W03,Joko,sesuai," in text
    bad = tmp_path / "bad.csv"
    bad.write_text("_submission_time,body_id,Verifikator,W01,W03\n2019-11-02T10:00:00+07:00,kab-kudus,,sesuai,sebagian\n",
                   encoding="utf-8")
    code, output = collect(root, bad, extra=("--replace",))
    assert code == 2 and "row 2, column 'Verifikator': the verifier is empty" in output


def test_the_adjudication_form_round_trip_and_its_refusals(tmp_path):
    root = copy_region(tmp_path / "inputs", YEAR, REGION, ("saq.csv", "verification.csv", "website.csv",
                                                          "presentasi.csv"))
    code, output = invoke("forms", "--year", YEAR, "--region", REGION, "--kind", "adjudikasi", "--inputs-root", root,
                          "--outputs-root", tmp_path / "out")
    assert code == 0, output
    forms = tmp_path / "out" / str(YEAR) / REGION / "forms"
    listed = pd.read_csv(forms / "disagreements.csv", keep_default_na=False)
    assert len(listed) == 6 and set(listed["status"]) == {"combined"}  # nothing decided yet in this copy
    wb = load_workbook(forms / "adjudikasi.xlsx")
    ws = wb["Adjudikasi"]
    assert ws.protection.sheet and ws.max_row == 7
    assert [ws.cell(1, c).value for c in range(1, 10)][5:7] == ["Penilaian verifikator", "Keputusan"]
    ws.cell(2, 7).value = "tidak sesuai"
    ws.cell(3, 7).value = "sebagian"  # a yes/no question: 'sebagian' needs the accepted answer
    wb.save(tmp_path / "decided.xlsx")
    code, output = collect(root, tmp_path / "decided.xlsx")
    assert code == 2 and "Adjudikasi!H3" in output and "needs the accepted answer" in output
    ws.cell(3, 7).value = None
    ws.cell(4, 4).value = "a question edited by hand"
    wb.save(tmp_path / "decided.xlsx")
    code, output = collect(root, tmp_path / "decided.xlsx")
    assert code == 2 and "Adjudikasi!D4" in output and "locked cell was edited" in output
    ws.cell(4, 4).value = load_workbook(forms / "adjudikasi.xlsx")["Adjudikasi"].cell(4, 4).value  # put back
    wb.save(tmp_path / "decided.xlsx")
    code, output = collect(root, tmp_path / "decided.xlsx")
    assert code == 0, output
    decided = pd.read_csv(root / str(YEAR) / REGION / "adjudication.csv", keep_default_na=False)
    assert decided.values.tolist() == [[listed.loc[0, "body_id"], listed.loc[0, "question_id"], "tidak sesuai", ""]]
    code, output = invoke("score", "--year", YEAR, "--region", REGION, "--inputs-root", root, "--outputs-root",
                          tmp_path / "out")
    assert code == 0, output
    published = pd.read_csv(tmp_path / "out" / str(YEAR) / REGION / "disagreements.csv", keep_default_na=False)
    assert published.loc[0, "status"] == "decided" and float(published.loc[0, "final"]) == 0.0


def test_adjudication_forms_need_several_verifiers(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("saq.csv", "verification.csv"))
    code, output = invoke("forms", "--year", 2022, "--region", "klaten", "--kind", "adjudikasi", "--inputs-root", root,
                          "--outputs-root", tmp_path / "out")
    assert code == 2 and "has no verifier column" in output
