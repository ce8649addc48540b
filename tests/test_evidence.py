"""``kiprank evidence``: every cited link and file checked, against a local web server (127.0.0.1, a
free port, stopping by itself) and local files; the published section, the archive, verify, the
letters and the verification forms that show it; hostile references; no request to a private or
loopback address without --allow-private."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from evidence_server import EvidenceServer, make_pdf
from kiprank.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "inputs" / "2022" / "klaten"
TIMEOUT = "1.5"  # seconds per link: the page that never answers must not slow the suite


@pytest.fixture(scope="module")
def server():
    with EvidenceServer(max_seconds=300) as s:
        yield s


def claimed(body: str) -> list[str]:
    """The questions ``body`` answered 'ya' in the demo (they need evidence)."""
    with open(DEMO / "saq.csv", encoding="utf-8", newline="") as handle:
        return [r["question_id"] for r in csv.DictReader(handle) if r["body_id"] == body and r["answer"] == "ya"]


def make_region(root: Path, evidence: dict[tuple[str, str], str], websites: dict[str, str] | None = None,
                files: dict[str, bytes] | None = None) -> Path:
    """The Klaten demo under ``root``, with the SAQ's evidence column filled from ``evidence``
    ((body, question) -> cell), the bodies' websites from ``websites`` (others empty: no request
    leaves the machine) and ``files`` in the region's evidence/ folder."""
    folder = root / "2022" / "klaten"
    shutil.copytree(DEMO, folder)
    with open(DEMO / "saq.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(folder / "saq.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["body_id", "question_id", "answer", "evidence"], lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "evidence": evidence.get((r["body_id"], r["question_id"]), "")})
    with open(DEMO / "bodies.csv", encoding="utf-8", newline="") as handle:
        bodies = list(csv.DictReader(handle))
    with open(folder / "bodies.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["body_id", "name", "group", "website"], lineterminator="\n")
        writer.writeheader()
        for b in bodies:
            writer.writerow({**b, "website": (websites or {}).get(b["body_id"], "")})
    if files:
        (folder / "evidence").mkdir()
        for name, data in files.items():
            (folder / "evidence" / name).write_bytes(data)
    return folder


def run(tmp_path: Path, *args: str):
    result = CliRunner().invoke(main, ["evidence", "--year", "2022", "--region", "klaten", "--inputs-root",
                                       str(tmp_path / "in"), "--outputs-root", str(tmp_path / "out"), *args])
    assert "Traceback" not in result.output
    return result


def table(tmp_path: Path) -> pd.DataFrame:
    return pd.read_csv(tmp_path / "out" / "2022" / "klaten" / "evidence.csv", dtype=str, keep_default_na=False)


def status_of(t: pd.DataFrame, body: str, question: str) -> str:
    rows = t[(t["body_id"] == body) & (t["question_id"] == question) & (t["cited_in"] == "saq")]
    assert len(rows) == 1, rows
    return rows.iloc[0]["status"]


SERVED = {  # path -> status the check gives it
    "/good.pdf": "ok",
    "/missing.pdf": "not_found",
    "/error.pdf": "server_error",
    "/big.pdf": "too_large",
    "/big-stream.pdf": "too_large",
    "/page.pdf": "not_pdf",
    "/disguised.pdf": "not_pdf",
    "/loop-a": "redirect_loop",
    "/slow.pdf": "timeout",
    "/private.pdf": "login_required",
    "/auth.pdf": "login_required",
    "/locked.pdf": "password_protected",   # opened once archived
    "/to-js": "unsafe_url",
    "/gzip.pdf": "ok",
}


def test_every_kind_of_link_gets_its_status(tmp_path, server):
    ngawen, dishub = claimed("kec-ngawen"), claimed("dishub")
    paths = list(SERVED)
    evidence = {("kec-ngawen", q): server.url(p) for q, p in zip(ngawen, paths)}
    # one PDF under two URLs, cited by two bodies: a duplicate on both rows
    evidence[("kec-ngawen", ngawen[len(paths)])] = server.url("/copy-1.pdf")
    evidence[("dishub", dishub[0])] = server.url("/copy-2.pdf")
    # the same link for two questions of one body but different indicators: duplicate too
    evidence[("bpkpad", "A01")] = server.url("/other.pdf")
    evidence[("bpkpad", "D01")] = server.url("/other.pdf")
    # the body's website is the HTML page it also cites as a PDF: fine as a website, not as a PDF
    make_region(tmp_path / "in", evidence, websites={"kec-ngawen": server.url("/page.pdf")})
    before = len(server.requests)
    result = run(tmp_path, "--allow-private", "--timeout", TIMEOUT, "--archive", "--concurrency", "8")
    assert result.exit_code == 0, result.output
    t = table(tmp_path)
    for q, path in zip(ngawen, paths):
        assert status_of(t, "kec-ngawen", q) == SERVED[path], (path, t[t["question_id"] == q].to_dict("records"))
    assert status_of(t, "kec-ngawen", ngawen[len(paths)]) == "duplicate"
    assert status_of(t, "dishub", dishub[0]) == "duplicate"
    assert "dishub" in t[(t["body_id"] == "kec-ngawen") & (t["status"] == "duplicate")].iloc[0]["detail"]
    bp = t[(t["body_id"] == "bpkpad") & t["question_id"].isin(["A01", "D01"])]
    if set(bp["question_id"]) == {"A01", "D01"}:  # both claimed 'ya' in the demo
        assert set(bp["status"]) == {"duplicate"}
    good = t[(t["body_id"] == "kec-ngawen") & (t["status"] == "ok")].iloc[0]
    assert good["http_status"] == "200" and good["content_type"] == "application/pdf"
    assert good["sha256"] == __import__("hashlib").sha256(server.good).hexdigest()
    assert good["size"] == str(len(server.good)) and good["checked_at"].endswith("Z")
    assert good["archived"] == f"evidence/archive/{good['sha256']}.pdf"
    # the body's website is checked too (any type)
    site = t[(t["body_id"] == "kec-ngawen") & (t["cited_in"] == "bodies")].iloc[0]
    assert site["status"] == "ok" and site["question_id"] == "website"
    # a claimed answer with no evidence is 'missing'; an answer that earns nothing needs none
    from kiprank.core.inputs import load_setup

    saq = load_setup(2022, "klaten", ROOT / "inputs").saq
    earning = saq[(saq["body_id"] == "kec-bayat") & (saq["earned"] > 0)]
    assert (t[(t["body_id"] == "kec-bayat")]["status"] == "missing").sum() == len(earning) > len(claimed("kec-bayat"))
    # each URL asked for once, however often cited
    asked = server.requests[before:]
    assert asked.count("/other.pdf") == 1 and asked.count("/slow.pdf") == 1 and asked.count("/page.pdf") == 1
    # the archive: content-addressed, deduplicated, and verify agrees
    folder = tmp_path / "out" / "2022" / "klaten"
    archived = sorted(p.name for p in (folder / "evidence" / "archive").iterdir())
    assert len(archived) == len(set(a for a in t["archived"] if a))
    assert not any(n.startswith(".incoming") for n in archived)
    manifest = json.loads((folder / "manifest.json").read_text())
    section = manifest["sections"]["evidence"]
    assert {"evidence.csv", "evidence.html", "evidence.pdf"} <= set(section["files"]) <= set(manifest["outputs"])
    assert section["settings"]["counts"]["timeout"] == 1 and section["settings"]["allow_private"] is True
    assert "saq.csv" in section["settings"]["inputs"]["inputs"]
    ok = CliRunner().invoke(main, ["verify", str(folder)])
    assert ok.exit_code == 0, ok.output
    # the per-body workbook and the summary
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(folder / "evidence" / "bodies" / "kec-ngawen.xlsx"))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "Pertanyaan" and any("Tidak ditemukan (4xx)" in map(str, r) for r in rows)
    html = (folder / "evidence.html").read_text(encoding="utf-8")
    assert "Pemeriksaan bukti dukung" in html and "Pengalihan berputar" in html and 'lang="id"' in html
    import pymupdf

    text = "".join(page.get_text() for page in pymupdf.open(folder / "evidence.pdf"))
    assert "Rujukan per status" in text and "Kecamatan Ngawen" in text


def test_archive_tampering_and_changed_inputs_are_named_by_verify(tmp_path, server):
    evidence = {("kec-ngawen", claimed("kec-ngawen")[0]): server.url("/good.pdf")}
    region = make_region(tmp_path / "in", evidence)
    assert run(tmp_path, "--allow-private", "--timeout", TIMEOUT, "--archive").exit_code == 0
    folder = tmp_path / "out" / "2022" / "klaten"
    doc = next((folder / "evidence" / "archive").iterdir())
    doc.write_bytes(b"%PDF-1.4 something else")
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3 and doc.name in result.output
    doc.unlink()
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3 and doc.name in result.output
    assert run(tmp_path, "--allow-private", "--timeout", TIMEOUT, "--archive").exit_code == 0  # put right
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0
    with open(region / "saq.csv", "a", encoding="utf-8") as handle:
        handle.write("")
    (region / "saq.csv").write_text((region / "saq.csv").read_text().replace("tidak", "ya", 1))
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3 and "saq.csv" in result.output and "evidence" in result.output


def test_no_request_to_a_loopback_address_without_allow_private(tmp_path, server, monkeypatch):
    port = server.port
    hostile = {  # each resolves to the loopback address the server listens on
        "A01": server.url("/good.pdf"),
        "A02": f"http://localhost:{port}/good.pdf",
        "A03": f"http://2130706433:{port}/good.pdf",           # 127.0.0.1 written as one number
        "A04": f"http://[::ffff:127.0.0.1]:{port}/good.pdf",   # IPv4-mapped IPv6
        "A05": f"http://0x7f.1:{port}/good.pdf",
    }
    questions = claimed("kec-ngawen")
    evidence = {("kec-ngawen", q): url for q, url in zip(questions, hostile.values())}
    make_region(tmp_path / "in", evidence, websites={"dishub": server.url("/")})
    before = server.connections
    result = run(tmp_path, "--timeout", TIMEOUT)
    assert result.exit_code == 0, result.output
    assert server.connections == before, "a connection reached the loopback server"
    t = table(tmp_path)
    rows = t[t["evidence"].isin(list(hostile.values()) + [server.url("/")])]
    assert len(rows) == len(hostile) + 1 and set(rows["status"]) == {"private_address"}

    # after a redirect too: the first host is let through (as if public), its redirect to
    # 127.0.0.2 written as one number (not caught by the form) is refused at the connection
    from kiprank.intake import evidence_fetch as F

    monkeypatch.setattr(F, "public_address", lambda address: address == "127.0.0.1")
    target = f"http://2130706434:{port}/good.pdf"
    url = server.url("/redirect?to=" + target)
    got = F.fetch_all({url: "pdf"}, F.FetchOptions(timeout=2))[url]
    assert got.status == "private_address" and "127.0.0.2" in got.detail
    assert server.requests[-1].startswith("/redirect")


def test_public_address_rules():
    from kiprank.intake.evidence_refs import public_address

    for private in ("127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1",
                    "fe80::1", "fc00::1", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1", "224.0.0.1",
                    "100.64.0.1", "not an address"):
        assert not public_address(private), private
    for public in ("8.8.8.8", "103.10.20.30", "2001:4860:4860::8888"):
        assert public_address(public), public


def test_offline_checks_files_and_the_form_of_links_and_asks_for_nothing(tmp_path, server):
    q = claimed("kec-ngawen")
    pdf, locked = make_pdf("sk"), make_pdf("sk", password="rahasia")
    files = {"sk.pdf": pdf, "locked.pdf": locked, "broken.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage",
             "cut.pdf": pdf[: len(pdf) // 2], "notes.docx": b"PK\x03\x04" + b"\0" * 100,
             "SK-Upper.PDF": pdf, "big.pdf": b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)}
    cells = ["sk.pdf", "locked.pdf", "broken.pdf", "cut.pdf", "notes.docx", "sk-upper.pdf", "big.pdf",
             "hilang.pdf", "../../../etc/passwd", "C:\\Users\\ppid\\SK.pdf", "/etc/passwd", "sub/",
             server.url("/good.pdf").replace("127.0.0.1", "ppid.klatenkab.go.id"), "ada di kantor"]
    expected = ["ok", "password_protected", "broken_pdf", "broken_pdf", "not_pdf", "file_missing", "too_large",
                "file_missing", "unsafe_path", "file_missing", "file_missing", "unreadable", "not_checked",
                "unrecognised"]
    region = make_region(tmp_path / "in", {("kec-ngawen", qq): c for qq, c in zip(q, cells)}, files=files)
    (region / "evidence" / "sub").mkdir()
    (region / "evidence" / "outside.pdf").symlink_to(ROOT / "README.md")
    before = server.connections
    result = run(tmp_path, "--offline")
    assert result.exit_code == 0, result.output
    assert server.connections == before
    t = table(tmp_path)
    for qq, cell, want in zip(q, cells, expected):
        assert status_of(t, "kec-ngawen", qq) == want, (cell, t[t["question_id"] == qq].to_dict("records"))
    assert "SK-Upper.PDF" in t[t["status"] == "file_missing"]["detail"].str.cat()
    ok = t[(t["body_id"] == "kec-ngawen") & (t["status"] == "ok")].iloc[0]
    assert ok["sha256"] == __import__("hashlib").sha256(pdf).hexdigest() and ok["kind"] == "file"


def test_a_symlink_out_of_the_evidence_folder_is_not_read(tmp_path):
    q = claimed("kec-ngawen")
    region = make_region(tmp_path / "in", {("kec-ngawen", q[0]): "outside.pdf"}, files={"x.pdf": make_pdf()})
    (region / "evidence" / "outside.pdf").symlink_to(ROOT / "README.md")
    assert run(tmp_path, "--offline").exit_code == 0
    assert status_of(table(tmp_path), "kec-ngawen", q[0]) == "unsafe_path"


HOSTILE = {
    "javascript:alert(document.cookie)": "unsafe_url",
    "JaVaScRiPt:alert(1)": "unsafe_url",
    "file:///etc/passwd": "unsafe_url",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==": "unsafe_url",
    "http://admin:rahasia@ppid.example.go.id/sk.pdf": "unsafe_url",
    "https://ppid.example.go.id/" + "a" * 10_000 + ".pdf": "invalid_url",
    "https://ppid.example.go.id/SK PPID 2022.pdf": "not_checked",
    "https://bücher.example/dokumen-ä.pdf": "not_checked",
    "https://exa mple.go.id/sk.pdf": "invalid_url",
    "https://ppid.example.go.id/a\u202eb.pdf": "invalid_url",
    "http://ppid.example.go.id:99999/sk.pdf": "invalid_url",
    "ftp://ppid.example.go.id/sk.pdf": "invalid_url",
    "http://192.168.1.10/sk.pdf": "private_address",
    "=HYPERLINK(\"http://evil\")": "unrecognised",
    "www.klatenkab.go.id/ppid": "not_checked",
}


def test_hostile_references_are_classified_never_fetched_never_a_traceback(tmp_path, server):
    cells = list(HOSTILE)
    pairs = [("kec-ngawen", x) for x in claimed("kec-ngawen")] + [("dishub", x) for x in claimed("dishub")]
    assert len(pairs) >= len(cells)  # every hostile reference is cited by some answer
    make_region(tmp_path / "in", dict(zip(pairs, cells)))
    for args in (["--offline"], ["--timeout", TIMEOUT]):
        before = server.connections
        result = run(tmp_path, *args)
        assert result.exit_code == 0, result.output
        assert server.connections == before
        t = table(tmp_path)
        for (body, question), cell in zip(pairs, cells):
            got = status_of(t, body, question)
            want = HOSTILE[cell]
            if args != ["--offline"] and want == "not_checked":
                want = {"unreachable", "timeout"}  # opened: no such host on this offline machine
                assert got in want, (cell, got)
            else:
                assert got == want, (cell, got)
    raw = (tmp_path / "out" / "2022" / "klaten" / "evidence.csv").read_text(encoding="utf-8")
    assert "rahasia" not in raw and "admin:" not in raw  # a password in a link is never written out
    assert "'=HYPERLINK" in raw  # a formula is written as text
    assert "\u202e" not in raw


def test_bad_options_and_inputs_exit_2(tmp_path):
    make_region(tmp_path / "in", {})
    assert run(tmp_path, "--timeout", "0").exit_code == 2
    assert run(tmp_path, "--concurrency", "0").exit_code == 2
    result = CliRunner().invoke(main, ["evidence", "--year", "2022", "--region", "../x", "--inputs-root",
                                       str(tmp_path / "in"), "--outputs-root", str(tmp_path / "out")])
    assert result.exit_code == 2
    (tmp_path / "in" / "2022" / "klaten" / "saq.csv").write_bytes(b"body_id,question_id,answer\nkec-bayat,A01,\xff\n")
    result = run(tmp_path, "--offline")
    assert result.exit_code == 2 and "saq.csv" in result.output
    assert not (tmp_path / "out" / "2022" / "klaten").exists()


def test_score_keeps_the_check_letters_and_verification_forms_show_it(tmp_path, server):
    q = claimed("kec-ngawen")
    evidence = {("kec-ngawen", q[0]): server.url("/missing.pdf"), ("kec-ngawen", q[1]): server.url("/good.pdf")}
    make_region(tmp_path / "in", evidence)
    common = ["--year", "2022", "--region", "klaten", "--inputs-root", str(tmp_path / "in"),
              "--outputs-root", str(tmp_path / "out")]
    assert run(tmp_path, "--allow-private", "--timeout", TIMEOUT).exit_code == 0  # before any ranking
    folder = tmp_path / "out" / "2022" / "klaten"
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0
    score = CliRunner().invoke(main, ["score", *common])
    assert score.exit_code == 0, score.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "evidence.csv" in manifest["outputs"] and "ranking.csv" in manifest["outputs"]
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0

    letters = CliRunner().invoke(main, ["letters", *common, "--bodies", "kec-ngawen", "kec-bayat"])
    assert letters.exit_code == 0, letters.output
    import pymupdf

    text = " ".join("".join(p.get_text() for p in pymupdf.open(folder / "letters" / "kec-ngawen.pdf")).split())
    assert "Bukti dukung yang perlu diperbaiki" in text and "Tidak ditemukan (4xx)" in text
    assert "missing.pdf" in text

    forms = CliRunner().invoke(main, ["forms", *common, "--kind", "verification"])
    assert forms.exit_code == 0, forms.output
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(folder / "forms" / "verifikasi" / "kec-ngawen.xlsx"))
    rows = book.get_sheet_by_name("Verifikasi").to_python() if "Verifikasi" in book.sheet_names else \
        book.get_sheet_by_index(1).to_python()
    assert rows[0][6:8] == ["Bukti", "Status bukti"]
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code[q[0]][6].endswith("/missing.pdf") and by_code[q[0]][7] == "Tidak ditemukan (4xx)"
    assert by_code[q[1]][7] == "Baik"
    assert by_code[q[2]][7] == "Tidak ada bukti"
    # the returned form with the two extra columns is still read by collect
    result = CliRunner().invoke(main, ["collect", *common, str(folder / "forms" / "verifikasi" / "kec-ngawen.xlsx")])
    assert "locked cell" not in result.output and "Traceback" not in result.output


def test_a_check_killed_while_it_waits_leaves_the_last_result(tmp_path, server):
    import signal
    import subprocess
    import sys
    import time

    q = claimed("kec-ngawen")
    region = make_region(tmp_path / "in", {("kec-ngawen", q[0]): server.url("/good.pdf")})
    assert run(tmp_path, "--allow-private", "--timeout", TIMEOUT, "--archive").exit_code == 0
    folder = tmp_path / "out" / "2022" / "klaten"
    before = (folder / "manifest.json").read_bytes()
    saq = (region / "saq.csv").read_text()
    (region / "saq.csv").write_text(saq.replace(server.url("/good.pdf"), server.url("/slow.pdf")))
    proc = subprocess.Popen([sys.executable, "-m", "kiprank.cli", "evidence", "--year", "2022", "--region", "klaten",
                             "--inputs-root", str(tmp_path / "in"), "--outputs-root", str(tmp_path / "out"),
                             "--allow-private", "--timeout", "60", "--archive"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name.startswith(".klaten.staging") for p in folder.parent.iterdir()):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert (folder / "manifest.json").read_bytes() == before
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 3  # saq.csv changed since: named
    (region / "saq.csv").write_text(saq)
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0
    assert run(tmp_path, "--allow-private", "--timeout", TIMEOUT, "--archive").exit_code == 0
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(".klaten.")]


def test_the_archive_keeps_each_document_once_and_within_its_cap(tmp_path):
    from kiprank.intake.evidence_fetch import Archive, Reading

    archive = Archive(tmp_path / "a", cap_bytes=10)
    names = []
    for data in (b"%PDF-12345", b"%PDF-12345", b"%PDF-1"):
        doc = Reading(100, archive)
        assert doc.feed(data)
        names.append(doc.keep("pdf"))
        doc.discard()
    assert names[0] == names[1] != "" and names[2] == ""  # the same once; the third passes the cap
    assert archive.refused == 1 and sorted(p.name for p in (tmp_path / "a").iterdir()) == [names[0]]
    doc = Reading(4, archive)
    assert not doc.feed(b"%PDF-")  # larger than its limit: reading stops, nothing is left behind
    doc.discard()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [names[0]]


def test_a_collect_while_the_check_runs_does_not_mix_inputs(tmp_path, monkeypatch):
    """Like every publishing command, the check reads one snapshot of the inputs: a collect that
    rewrites saq.csv while the links and files are checked changes neither the rows listed nor the
    recorded hash of saq.csv (verify then names saq.csv as changed since)."""
    import hashlib

    from kiprank.intake import evidence as E

    q = claimed("kec-ngawen")
    region = make_region(tmp_path / "in", {("kec-ngawen", q[0]): "sk.pdf"}, files={"sk.pdf": make_pdf("sk")})
    original = (region / "saq.csv").read_bytes()
    fetch_all = E.fetch_all

    def collect_meanwhile(*args, **kwargs):  # a collect lands after the tables were read
        text = (region / "saq.csv").read_text(encoding="utf-8")
        (region / "saq.csv").write_text(text.replace(",sk.pdf", ",hilang.pdf"), encoding="utf-8")
        return fetch_all(*args, **kwargs)

    monkeypatch.setattr(E, "fetch_all", collect_meanwhile)
    result = run(tmp_path, "--offline")
    assert result.exit_code == 0, result.output
    assert (region / "saq.csv").read_bytes() != original  # the collect did land
    t = table(tmp_path)
    assert status_of(t, "kec-ngawen", q[0]) == "ok" and "hilang.pdf" not in t["evidence"].str.cat()
    folder = tmp_path / "out" / "2022" / "klaten"
    recorded = json.loads((folder / "manifest.json").read_text())["sections"]["evidence"]["settings"]["inputs"]
    assert recorded["inputs"]["saq.csv"] == hashlib.sha256(original).hexdigest()
    assert recorded["inputs_folder"] == "2022/klaten" and "kiprank-inputs" not in json.dumps(recorded)
    assert recorded["inputs"]["evidence/sk.pdf"] == hashlib.sha256((region / "evidence" / "sk.pdf").read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3 and "saq.csv" in result.output


def test_the_published_table_is_read_back_with_the_one_formula_guard(tmp_path):
    """evidence.csv is written through the formula guard (full-width signs and leading spaces too);
    reading it back (letters, verification forms) takes off exactly the guard's quote, as the site
    and diff do: a full-width or spaced formula is shown as the body wrote it, never as "'＝..."."""
    from kiprank.core.export import write_table_csv
    from kiprank.core.files import write_manifest
    from kiprank.intake.evidence import COLUMNS, read_published

    cells = ["=HYPERLINK(\"x\")", "\uff1dHYPERLINK(\"x\")", " +1", "'quoted by the body", "plain"]
    rows = pd.DataFrame([{c: "" for c in COLUMNS} | {"body_id": "b", "evidence": cell, "detail": cell} for cell in cells],
                        columns=COLUMNS)
    write_table_csv(rows, tmp_path / "evidence.csv")
    raw = (tmp_path / "evidence.csv").read_text(encoding="utf-8")
    assert "'\uff1dHYPERLINK" in raw and "' +1" in raw  # guarded on the way out
    assert read_published(tmp_path) is None  # not listed in a manifest: not ours
    write_manifest({"kind": "run", "outputs": {"evidence.csv": "x"}}, tmp_path)
    back = read_published(tmp_path)
    assert list(back["evidence"]) == cells and list(back["detail"]) == cells
    write_manifest({"kind": "run", "outputs": ["evidence.csv"]}, tmp_path)
    assert read_published(tmp_path) is None


@pytest.mark.parametrize("per_host,concurrency", [(3, 20), (20, 20), (13, 30)])
def test_links_to_one_host_never_exceed_per_host_nor_concurrency_at_once(per_host, concurrency):
    """Politeness holds, and the connections spread over several httpcore pools (GuardedTransport)
    still let ``per_host`` requests run at once when that exceeds one pool's size; connections are
    kept alive and used again (far fewer connections than requests)."""
    from kiprank.intake.evidence_fetch import POOL_SIZE, FetchOptions, fetch_all

    with EvidenceServer(max_seconds=120) as s:
        jobs = {s.url(f"/gen/{i}.pdf?wait=0.3"): "pdf" for i in range(4 * concurrency)}
        results = fetch_all(jobs, FetchOptions(timeout=60, concurrency=concurrency, per_host=per_host,
                                               allow_private=True))
        assert {r.status for r in results.values()} == {"ok"}
        assert len(s.requests) == len(jobs)
        most = min(per_host, concurrency)
        assert s.most_active <= most
        assert s.most_active == most if most <= POOL_SIZE else s.most_active > POOL_SIZE
        assert s.connections <= 2 * most < len(jobs)
