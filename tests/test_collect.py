"""kiprank collect: returned workbooks and web-form exports -> input tables, checked.

Round trips: the demo answers go out as forms (or as a KoboToolbox / Google Forms export), come
back, are collected into an empty region, and give exactly the ranking of the demo inputs.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from intake_support import DEMO, REPO, copy_region, edit, invoke, ranking_of, same_ranking, snapshot
from kiprank.intake import layout as L
from kiprank.intake.collect import collect
from kiprank.intake.demo import fill_saq
from kiprank.intake.sources import CollectError
from kiprank.runs.manifest import sha256_file
from kiprank.core.methodology import load_methodology

KLATEN = load_methodology("klaten-2022")
SHA = sha256_file(REPO / "kiprank/methodologies/klaten-2022.yml")


def run_collect(root, *sources, extra=(), year=2022, region="klaten"):
    return invoke("collect", "--year", year, "--region", region, "--inputs-root", root, *extra, *sources)


def body_status(folder: Path) -> pd.DataFrame:
    """The body rows of a region's collect/collect-status.csv."""
    status = pd.read_csv(folder / "collect" / "collect-status.csv", dtype=str, keep_default_na=False)
    return status[status["record"] == "body"].reset_index(drop=True)


def file_status(folder: Path) -> pd.DataFrame:
    status = pd.read_csv(folder / "collect" / "collect-status.csv", dtype=str, keep_default_na=False)
    return status[status["record"] == "file"].set_index("file")


def demo_answers(year=2022, region="klaten") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with open(DEMO / str(year) / region / "saq.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["body_id"], {})[row["question_id"]] = row["answer"]
    return out


# -- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("year,region", [(2022, "klaten"), (2019, "jateng")])
def test_returned_workbooks_round_trip(tmp_path, demo_forms, year, region):
    _, returns = demo_forms[region]
    root = copy_region(tmp_path / "inputs", year, region)
    code, output = run_collect(root, returns, year=year, region=region)
    assert code == 0, output
    same_ranking(ranking_of(root, year, region), ranking_of(DEMO, year, region))
    folder = root / str(year) / region
    for name in ("saq.csv", "verification.csv", "website.csv"):  # written as the demo writes them
        assert (folder / name).read_bytes() == (DEMO / str(year) / region / name).read_bytes(), name
    status = body_status(folder)
    returned = set(demo_answers(year, region))
    assert set(status.loc[status["status"] == "dikembalikan (lengkap)", "body_id"]) == returned
    assert (status["status"] == "tidak dikembalikan").sum() == len(status) - len(returned)
    if region == "klaten":  # 6 kecamatan and 1 dinas did not return the SAQ
        assert (status["status"] == "tidak dikembalikan").sum() == 7
        assert "7 tidak dikembalikan" in output


def test_collecting_the_same_again_changes_nothing(tmp_path, demo_forms):
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("saq.csv", "verification.csv", "website.csv"))
    code, output = run_collect(root, returns)
    assert code == 0, output
    assert "unchanged" in output and "written" not in output.split("unchanged")[0].split("│")[-1]
    assert not list((root / "2022/klaten/collect").glob("*.replaced-*"))


def kobo_export(answers, sep=";", group_sep="/", stamp=True, extra_columns=(), labels=False) -> str:
    """A KoboToolbox-style export: metadata columns, the group path before each question code,
    select answers as choice names."""
    qs = KLATEN.questionnaire.questions
    header = ["start", "end", *(["kiprank_form"] if stamp else []), "body_id",
              *[f"{q.indicator}{group_sep}{q.id}" for q in qs], "meta/instanceID", "_id", "_uuid",
              "_submission_time", "_validation_status", "_index", *extra_columns]
    rows = []
    for n, (body, mine) in enumerate(answers.items(), start=1):
        cells = ["2022-08-01T09:00:00.000+07:00", "2022-08-01T09:30:00.000+07:00"]
        if stamp:
            cells.append(L.form_stamp(2022, "klaten", KLATEN.id, SHA))
        cells.append(body)
        for q in qs:
            answer = mine.get(q.id, "")
            if q.type == "graded" and answer and not labels:
                answer = L.option_choice(answer, list(q.options).index(answer))
            cells.append(answer)
        cells += [f"uuid:{n}", str(n), f"u{n}", f"2022-08-0{1 + n % 9}T03:00:{n % 60:02d}", "", str(n)]
        cells += ["x"] * len(extra_columns)
        rows.append(cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def test_kobo_export_round_trip(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("verification.csv", "website.csv"))
    export = tmp_path / "kobo.csv"
    export.write_text(kobo_export(demo_answers()), encoding="utf-8")
    code, output = run_collect(root, export)
    assert code == 0, output
    same_ranking(ranking_of(root, 2022, "klaten"), ranking_of(DEMO, 2022, "klaten"))
    assert (root / "2022/klaten/saq.csv").read_bytes() == (DEMO / "2022/klaten/saq.csv").read_bytes()


def test_odk_central_xlsx_export_round_trip(tmp_path):
    """ODK Central names groups with '-' and has its own metadata; here as an XLSX with option labels."""
    text = kobo_export(demo_answers(), sep=",", group_sep="-", stamp=False, labels=True)
    rows = list(csv.reader(io.StringIO(text)))
    rows[0] = [{"start": "SubmissionDate", "_uuid": "KEY", "meta/instanceID": "meta-instanceID"}.get(h, h)
               for h in rows[0]]
    wb = Workbook()
    for row in rows:
        wb.active.append([float(c) if c.replace(".", "", 1).isdigit() and len(c) < 4 else c for c in row])
    wb.save(tmp_path / "odk.xlsx")
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("verification.csv", "website.csv"))
    code, output = run_collect(root, tmp_path / "odk.xlsx")
    assert code == 0, output
    same_ranking(ranking_of(root, 2022, "klaten"), ranking_of(DEMO, 2022, "klaten"))


def google_export(answers, names=None) -> str:
    """A Google Forms-style CSV: timestamp first, the body by name, question headers 'A01. text'
    (or only the text), answers as labels people click."""
    bodies = pd.read_csv(DEMO / "2022/klaten/bodies.csv", dtype=str)
    names = names or dict(zip(bodies["body_id"], bodies["name"]))
    qs = KLATEN.questionnaire.questions
    header = ["Timestamp", "Email Address", "Badan publik",
              *[(q.text if i % 3 == 0 else f"{q.id}. {q.text}") for i, q in enumerate(qs)]]
    rows = []
    for n, (body, mine) in enumerate(answers.items(), start=1):
        cells = [f"2022/08/{1 + n % 28:02d} 10:{n % 60:02d}:05 AM GMT+7", f"ppid{n}@example.go.id", names[body]]
        for q in qs:
            answer = mine.get(q.id, "")
            cells.append(answer.capitalize() if q.type == "yesno" else answer.replace(".", ","))
        rows.append(cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def test_google_forms_round_trip(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("verification.csv", "website.csv"))
    export = tmp_path / "Formulir SAQ (Jawaban) - Form Responses 1.csv"
    export.write_text(google_export(demo_answers()), encoding="utf-8")
    code, output = run_collect(root, export)
    assert code == 0, output
    same_ranking(ranking_of(root, 2022, "klaten"), ranking_of(DEMO, 2022, "klaten"))


def test_unanswered_questions_are_counted(tmp_path, demo_forms):
    forms, _ = demo_forms["klaten"]
    answers = demo_answers()["kec-ngawen"]
    partial = {q: a for q, a in answers.items() if q not in ("A01", "B03", "E03")}
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "r/kec-ngawen.xlsx", partial)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, tmp_path / "r")
    assert code == 0, output
    status = body_status(root / "2022/klaten")
    row = status[status["body_id"] == "kec-ngawen"].iloc[0]
    assert row["status"] == "dikembalikan, 3 pertanyaan belum dijawab" and row["unanswered"] == "3"
    assert (status["status"] == "tidak dikembalikan").sum() == len(status) - 1
    saq = pd.read_csv(root / "2022/klaten/saq.csv", dtype=str)
    assert len(saq) == len(partial)


# -- bad sources: exit 2, the place named, nothing written ----------------------------------------

def _reseal(path: Path, dest: Path, **changes) -> Path:
    """A copy whose hidden sheet says something else, with a valid checksum (a form made otherwise)."""
    wb = load_workbook(path)
    ws = wb[L.META_SHEET]
    meta = {r[0].value: r[1].value for r in ws.iter_rows(max_col=2)}
    meta.update(changes)
    meta["checksum"] = L.meta_checksum(meta)
    for row in ws.iter_rows(max_col=2):
        row[1].value = meta[row[0].value]
    wb.save(dest)
    return dest


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 2**20))
    return path


def _bad(kind: str, src: Path, tmp: Path) -> tuple[Path, list[str]]:
    """A bad source of ``kind`` made from the good return ``src`` (kec-ngawen's SAQ) and the
    strings the message must hold."""
    dest = tmp / "bad" / "saq" / "kec-ngawen.xlsx"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if kind == "wrong form version":
        return _reseal(src, dest, form_version="0"), ["kec-ngawen.xlsx", "layout version '0'"]
    if kind == "other methodology":
        return _reseal(src, dest, methodology_sha256="0" * 64), ["kec-ngawen.xlsx", "methodology klaten-2022",
                                                                 "sha256 000000000000"]
    if kind == "other year":
        return _reseal(src, dest, year="2021"), ["a form of klaten 2021, not of klaten 2022"]
    if kind == "tampered hidden sheet":
        return edit(src, dest, {(L.META_SHEET, "B7"): "kec-bayat"}), ["hidden sheet 'kiprank' was edited"]
    if kind == "edited locked cell":
        return edit(src, dest, {("SAQ", "C5"): "Ringkasan anggaran diumumkan (diubah)"}), \
            ["kec-ngawen.xlsx, SAQ!C5", "locked cell was edited"]
    if kind == "edited code":
        return edit(src, dest, {("SAQ", "A3"): "A99"}), ["SAQ!A3", "expected 'A02', found 'A99'"]
    if kind == "wrong type in an answer":
        return edit(src, dest, {("SAQ", "D6"): "banyak"}), ["kec-ngawen.xlsx, SAQ!D6", "answer 'banyak' to A05",
                                                            "a number from 0 to 10"]
    if kind == "number out of range":
        return edit(src, dest, {("SAQ", "D9"): 11}), ["SAQ!D9", "answer '11' to B03"]
    if kind == "option not offered":
        return edit(src, dest, {("SAQ", "D10"): "hampir"}), ["SAQ!D10", "'lengkap'"]
    if kind == "a date as an answer":
        return edit(src, dest, {("SAQ", "D2"): datetime(2022, 1, 1)}), ["SAQ!D2", "date"]
    if kind == "row added":
        return edit(src, dest, {("SAQ", "A25"): "Z01", ("SAQ", "D25"): "ya"}), ["SAQ!A25", "rows may not be added"]
    if kind == "not a workbook":
        dest.write_text("body_id,answer\n")
        return dest, ["kec-ngawen.xlsx", "not a zip file"]
    if kind == "zip without a workbook":
        with zipfile.ZipFile(dest, "w") as zf:
            zf.writestr("hello.txt", "hi")
        return dest, ["is a zip file but not a workbook"]
    if kind == "zip bomb":
        return _zip_bomb(dest), ["expands to", "zip bomb"]
    if kind == "old xls":
        dest.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
        return dest, [".xls"]
    if kind == "one far cell":  # a 10 KB file whose used area is 17 billion cells
        return edit(src, dest, {("SAQ", "XFD1048576"): "x"}), ["cells reach row 1048576, column 16384"]
    if kind == "body not in bodies.csv":
        return _reseal(src, dest, body_id="kec-atlantis"), ["body 'kec-atlantis' is not in bodies.csv"]
    raise AssertionError(kind)


BAD_WORKBOOKS = ["wrong form version", "other methodology", "other year", "tampered hidden sheet",
                 "edited locked cell", "edited code", "wrong type in an answer", "number out of range",
                 "option not offered", "a date as an answer", "row added", "not a workbook",
                 "zip without a workbook", "zip bomb", "old xls", "one far cell", "body not in bodies.csv"]


@pytest.mark.parametrize("kind", BAD_WORKBOOKS)
def test_bad_returned_workbook_is_refused(tmp_path, demo_forms, kind):
    _, returns = demo_forms["klaten"]
    bad, expected = _bad(kind, returns / "saq/kec-ngawen.xlsx", tmp_path)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    before = snapshot(root)
    code, output = run_collect(root, returns / "saq/kec-bayat.xlsx", bad.parent.parent)
    assert code == 2, output
    flat = " ".join(output.split())
    for text in expected:
        assert text in flat, (text, output)
    assert "Traceback" not in output
    assert snapshot(root) == before


def test_unknown_export_column_is_refused(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    export = tmp_path / "kobo.csv"
    export.write_text(kobo_export(demo_answers(), extra_columns=("pengumuman/A06",)), encoding="utf-8")
    before = snapshot(root)
    code, output = run_collect(root, export)
    assert code == 2 and "kobo.csv, row 1, column 'pengumuman/A06': unknown column" in " ".join(output.split())
    assert snapshot(root) == before


@pytest.mark.parametrize("case,expected", [
    ("unknown body", "row 3, column 'body_id': body 'kec-atlantis' is not in bodies.csv"),
    ("bad answer", "row 2, column 'pengumuman/A05': answer 'sepuluh' to A05 is not allowed"),
    ("other form", "a submission of form 'saq|2021|klaten"),
    ("not utf-8", "not UTF-8"),
])
def test_bad_export_rows_are_refused(tmp_path, case, expected):
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    text = kobo_export(demo_answers())
    lines = text.splitlines()
    if case == "unknown body":
        lines[2] = lines[2].replace(";kec-", ";kec-atlantis-old-", 1).replace("kec-atlantis-old-" +
                                                                            lines[2].split(";")[3][4:], "kec-atlantis")
    elif case == "bad answer":
        cells = lines[1].split(";")
        cells[8] = "sepuluh"
        lines[1] = ";".join(cells)
    elif case == "other form":
        lines[1] = lines[1].replace("saq|2022|klaten", "saq|2021|klaten")
    export = tmp_path / "kobo.csv"
    data = ("\n".join(lines) + "\n").encode("utf-8")
    export.write_bytes(data if case != "not utf-8" else data.replace(b"Kabupaten", b"Kab\xe9").replace(b"2022-08", b"\xe9", 1))
    before = snapshot(root)
    code, output = run_collect(root, export)
    assert code == 2, output
    assert expected in " ".join(output.split()), output
    assert snapshot(root) == before


def test_two_returns_for_one_body(tmp_path, demo_forms):
    forms, returns = demo_forms["klaten"]
    answers = demo_answers()["kec-ngawen"]
    older = dict(answers, A01="tidak")
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "a/kec-ngawen.xlsx", older,
             modified=datetime(2022, 8, 1, tzinfo=timezone.utc))
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "b/kec-ngawen (revisi).xlsx", answers,
             modified=datetime(2022, 8, 3, tzinfo=timezone.utc))
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    before = snapshot(root)
    code, output = run_collect(root, tmp_path / "a", tmp_path / "b")
    flat = " ".join(output.split())
    assert code == 2 and "2 returns of saq for body 'kec-ngawen'" in flat
    assert "a/kec-ngawen.xlsx" in flat and "b/kec-ngawen (revisi).xlsx" in flat and "--latest" in flat
    assert "ditolak" in output  # the status table printed says so
    assert snapshot(root) == before
    code, output = run_collect(root, tmp_path / "a", tmp_path / "b", extra=["--latest"])
    assert code == 0, output
    saq = pd.read_csv(root / "2022/klaten/saq.csv", dtype=str)
    assert saq[(saq["body_id"] == "kec-ngawen") & (saq["question_id"] == "A01")]["answer"].item() == answers["A01"]
    status = (root / "2022/klaten/collect/collect-status.csv").read_text()
    assert "b/kec-ngawen (revisi).xlsx" in status


def test_latest_picks_the_newest_submission_of_an_export(tmp_path):
    answers = demo_answers()
    text = kobo_export({"kec-ngawen": dict(answers["kec-ngawen"], A01="tidak")})
    newer = kobo_export({"kec-ngawen": answers["kec-ngawen"]}).splitlines()[1].replace("2022-08-02T03", "2022-09-02T03")
    export = tmp_path / "kobo.csv"
    export.write_text(text + newer + "\n", encoding="utf-8")
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    assert run_collect(root, export)[0] == 2
    code, output = run_collect(root, export, extra=["--latest"])
    assert code == 0, output
    saq = pd.read_csv(root / "2022/klaten/saq.csv", dtype=str)
    assert saq[saq["question_id"] == "A01"]["answer"].item() == answers["kec-ngawen"]["A01"]


def test_a_different_existing_table_is_kept_only_with_replace(tmp_path, demo_forms):
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    saq = root / "2022/klaten/saq.csv"
    saq.write_text("body_id,question_id,answer\nkec-ngawen,A01,tidak\n")
    before = snapshot(root)
    code, output = run_collect(root, returns)
    assert code == 2 and "saq.csv: exists with other content: use --replace" in " ".join(output.split())
    assert snapshot(root) == before
    with pytest.raises(CollectError):
        collect(2022, "klaten", [returns], root)
    result = collect(2022, "klaten", [returns], root, replace=True, now=datetime(2022, 9, 1, 8, 30, tzinfo=timezone.utc))
    assert result.kept == ["collect/saq.replaced-20220901T083000Z.csv"]
    assert (root / "2022/klaten/collect/saq.replaced-20220901T083000Z.csv").read_text() == \
        "body_id,question_id,answer\nkec-ngawen,A01,tidak\n"
    assert saq.read_bytes() == (DEMO / "2022/klaten/saq.csv").read_bytes()
    # the region is still valid: the kept copy and the status are not input tables
    same_ranking(ranking_of(root, 2022, "klaten"), ranking_of(DEMO, 2022, "klaten"))


def test_interrupted_write_leaves_the_inputs_whole(tmp_path, demo_forms, monkeypatch):
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("saq.csv",))
    (root / "2022/klaten/saq.csv").write_text("body_id,question_id,answer\nkec-ngawen,A01,tidak\n")
    before = snapshot(root)
    real = os.replace

    def dies(src, dst):
        raise KeyboardInterrupt  # as a kill between writing and renaming would

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(KeyboardInterrupt):
        collect(2022, "klaten", [returns], root, replace=True)
    monkeypatch.setattr(os, "replace", real)
    after = snapshot(root)
    assert {k: v for k, v in after.items() if "replaced-" not in k} == before  # no temp file left, no table changed


def test_killed_collect_leaves_whole_files(tmp_path, demo_forms):
    """kill -9 at any moment: every table is the old one or the new one, never half of one."""
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    script = (f"from kiprank.intake.collect import collect; collect(2022, 'klaten', [{str(returns)!r}], "
              f"{str(root)!r}, replace=True)")
    good = (DEMO / "2022/klaten/saq.csv").read_bytes()
    for delay in (0.3, 0.9, 1.5):
        proc = subprocess.Popen([sys.executable, "-c", script])
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        saq = root / "2022/klaten/saq.csv"
        assert not saq.exists() or saq.read_bytes() == good
    # killed right after the first rename: that table is new, the others old, temp files left over
    root = copy_region(tmp_path / "fresh", 2022, "klaten")
    script = script.replace(repr(str(tmp_path / "inputs")), repr(str(root)))
    hook = ("import os\nreal = os.replace\ndef dies(a, b):\n    real(a, b)\n    os._exit(9)\nos.replace = dies\n")
    proc = subprocess.run([sys.executable, "-c", hook + script])
    assert proc.returncode == 9
    assert (root / "2022/klaten/saq.csv").read_bytes() == good
    assert not (root / "2022/klaten/verification.csv").exists()
    assert list((root / "2022/klaten").glob(".*.collect-*.tmp"))
    code, output = run_collect(root, returns, extra=["--replace"])
    assert code == 0, output
    assert not list((root / "2022/klaten").glob(".*.tmp"))  # leftovers of killed runs are cleaned


def test_two_collects_at_once(tmp_path, demo_forms):
    forms, returns = demo_forms["klaten"]
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "other/kec-ngawen.xlsx",
             dict(demo_answers()["kec-ngawen"], A01="tidak"))
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    kiprank = [sys.executable, "-m", "kiprank.cli", "collect", "--year", "2022", "--region", "klaten",
               "--inputs-root", str(root), "--replace"]
    procs = [subprocess.Popen([*kiprank, str(src)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for src in (returns, tmp_path / "other")]
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out.decode()
    saq = (root / "2022/klaten/saq.csv").read_bytes()
    full = (DEMO / "2022/klaten/saq.csv").read_bytes()
    only = b"body_id,question_id,answer\n" + b"".join(
        line + b"\n" for line in full.splitlines() if line.startswith(b"kec-ngawen,")).replace(
        b"kec-ngawen,A01,ya", b"kec-ngawen,A01,tidak")
    assert saq in (full, only)
    kept = list((root / "2022/klaten/collect").glob("saq.replaced-*.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() in (full, only) and kept[0].read_bytes() != saq


def test_hostile_names_and_notes(tmp_path, demo_forms):
    forms, _ = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten", ("verification.csv", "website.csv"))
    bodies = root / "2022/klaten/bodies.csv"
    text = bodies.read_text().replace("Kecamatan Ngawen", '"=SUM(A1) [/bold] 😀 ' + "x" * 300 + '"')
    bodies.write_text(text)
    answers = demo_answers()["kec-ngawen"]
    fill_saq(forms / "saq/kec-ngawen.xlsx", tmp_path / "r/kec-ngawen.xlsx", answers,
             evidence={"A01": "=HYPERLINK(\"http://evil\")", "A02": "https://klatenkab.go.id/dip [/bold]"})
    code, output = run_collect(root, tmp_path / "r")
    assert code == 0, output
    assert "[/bold]" in output
    status = (root / "2022/klaten/collect/collect-status.csv").read_text()
    assert "'=SUM(A1) [/bold] 😀" in status
    saq = pd.read_csv(root / "2022/klaten/saq.csv", dtype=str, keep_default_na=False)
    assert list(saq.columns) == ["body_id", "question_id", "answer", "evidence"]
    assert saq.loc[saq["question_id"] == "A01", "evidence"].item() == "'=HYPERLINK(\"http://evil\")"
    ranking_of(root, 2022, "klaten")  # still valid inputs
    # a body id a spreadsheet would run is refused before anything is written
    bodies.write_text(bodies.read_text().replace("kec-bayat,", "=cmd|x,"))
    before = snapshot(root)
    code, output = run_collect(root, tmp_path / "r")
    assert code == 2 and "body_id '=cmd|x' starts with '='" in output
    assert snapshot(root) == before


def test_missing_source_and_empty_folder(tmp_path):
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    assert run_collect(root, tmp_path / "nope.xlsx")[0] == 2
    (tmp_path / "empty").mkdir()
    code, output = run_collect(root, tmp_path / "empty")
    assert code == 2 and "no workbook (.xlsx, .xlsm, .xls, .ods) or .csv file" in output


def test_unwritable_inputs_folder(tmp_path, demo_forms, monkeypatch):
    """A read-only folder (simulated: the tests may run as root) or a file where the collect/
    subfolder goes: exit 2 with the reason, nothing written."""
    _, returns = demo_forms["klaten"]
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    (root / "2022/klaten/collect").write_text("someone's notes")
    before = snapshot(root)
    code, output = run_collect(root, returns)
    assert code == 2 and "cannot write into" in output
    assert snapshot(root) == before
    (root / "2022/klaten/collect").unlink()
    before = snapshot(root)

    def read_only(path, mode="r", *args, **kwargs):
        if "w" in mode:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr("kiprank.intake.collect.open", read_only, raising=False)
    code, output = run_collect(root, returns)
    assert code == 2 and "Permission denied" in output
    assert snapshot(root) == before


@pytest.mark.needs("libreoffice")
@pytest.mark.skipif(__import__("shutil").which("soffice") is None, reason="LibreOffice is not installed")
def test_a_return_saved_again_by_libreoffice_is_read_the_same(tmp_path, demo_forms):
    """A body opens the form in LibreOffice Calc and saves it (shared strings, its own styles):
    the hidden sheet, the locked cells and the answers survive."""
    _, returns = demo_forms["klaten"]
    src = tmp_path / "src"
    src.mkdir()
    for name in ("saq/kec-ngawen.xlsx", "verifikasi/kec-bayat.xlsx"):
        (src / name.split("/")[1]).write_bytes((returns / name).read_bytes())
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "saved"),
                    str(src / "kec-ngawen.xlsx"), str(src / "kec-bayat.xlsx")], check=True, timeout=180,
                   capture_output=True)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, tmp_path / "saved")
    assert code == 0, output
    for name, body in (("saq.csv", "kec-ngawen"), ("verification.csv", "kec-bayat")):
        mine = [line for line in (DEMO / "2022/klaten" / name).read_text().splitlines() if line.startswith(body + ",")]
        got = (root / "2022/klaten" / name).read_text().splitlines()[1:]
        assert got == mine


def test_submission_times():
    from kiprank.intake.exports import day_first, parse_time

    assert parse_time("2022/08/01 10:03:05 PM GMT+7") == datetime(2022, 8, 1, 15, 3, 5, tzinfo=timezone.utc)
    assert parse_time("2022-08-01T03:00:05") == datetime(2022, 8, 1, 3, 0, 5, tzinfo=timezone.utc)
    assert parse_time("2022-08-01T10:00:05.120+07:00") == datetime(2022, 8, 1, 3, 0, 5, 120000, tzinfo=timezone.utc)
    us = ["8/1/2022 10:00:00", "8/13/2022 9:00:00"]
    assert not day_first(us) and parse_time(us[0], day_first(us)).month == 8
    ind = ["01/08/2022 10.00.00", "13/08/2022 09.00.00"]
    assert day_first(ind) and parse_time(ind[0], day_first(ind)).month == 8
    assert parse_time("kemarin sore") is None and parse_time("") is None


def test_english_forms_round_trip(tmp_path):
    from kiprank.intake.demo import fill_forms
    from kiprank.intake.forms import build_forms

    build_forms(2022, "klaten", DEMO, out=tmp_path / "forms", lang="en")
    fill_forms(2022, "klaten", DEMO, forms=tmp_path / "forms", out=tmp_path / "returns")
    wb = load_workbook(tmp_path / "returns/verifikasi/kec-ngawen.xlsx")
    assert wb["Verification"]["D2"].value in ("verified", "partial", "unverified")
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    code, output = run_collect(root, tmp_path / "returns", extra=["--lang", "en"])
    assert code == 0, output
    assert "43 returned (complete), 7 not returned" in output
    for name in ("saq.csv", "verification.csv", "website.csv"):
        assert (root / "2022/klaten" / name).read_bytes() == (DEMO / "2022/klaten" / name).read_bytes(), name


def test_used_area_counts_cells_without_references():
    from kiprank.intake.xlsxread import NotAWorkbook, _check_area

    _check_area(b'<row r="1"><c r="A1"/><c/><c/></row><row><c/></row>', "s.xml")  # 2 x 3
    wide = b"<row>" + b"<c/>" * 20000 + b"</row>" + b'<row r="1000"><c/></row>'
    with pytest.raises(NotAWorkbook, match="row 1000, column 20000"):
        _check_area(wide, "s.xml")


@pytest.mark.parametrize("name,low,bad", [
    ("max_form_cells", "10", "good"),              # a returned SAQ form spans more than 10 cells
    ("max_form_mb", "1", "large"),                 # 1.5 MB
    ("max_form_content_mb", "100", "bomb"),        # expands to 300 MiB (315 MB) of zeros
])
def test_form_limits_can_be_raised_and_lowered(tmp_path, demo_forms, monkeypatch, name, low, bad):
    """Every limit on returned forms is in the one limits table: lowered by its environment
    variable it refuses (naming the option and the variable), raised by its option it lets through."""
    _, returns = demo_forms["klaten"]
    source = tmp_path / "src" / "kec-ngawen.xlsx"
    source.parent.mkdir()
    if bad == "good":
        shutil.copy(returns / "saq/kec-ngawen.xlsx", source)
    elif bad == "large":
        source.write_bytes(b"x" * 1_500_000)
    else:
        _zip_bomb(source)
    root = copy_region(tmp_path / "inputs", 2022, "klaten")
    option, variable = "--" + name.replace("_", "-"), "KIPRANK_" + name.upper()
    monkeypatch.setenv(variable, low)
    code, output = run_collect(root, source)
    assert code == 2 and option in output and variable in output, output
    code, output = run_collect(root, source, extra=[option, "400" if bad == "bomb" else "3000000"])
    assert option not in output, output  # the limit was raised: whatever is said now is about something else
    if bad == "good":
        assert code == 0, output
    monkeypatch.setenv(variable, "0")
    code, output = run_collect(root, source)
    assert code == 2 and variable in output and "at least 1" in output
