"""kiprank letters: the PDFs are read back with PyMuPDF and checked against ranking.csv and the annex
score sheets (kiprank.core.scoring.shortfalls), the previous year, certificates, determinism, hostile
names and the page's printable area."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.formatting import format_number
from kiprank.runs.letters import build_letters, letter_files
from kiprank.runs.manifest import sha256_file
from kiprank.runs.pipeline import run_score, score_region
from kiprank.core.scoring import shortfalls

from conftest import NATIONAL_BANDS, make_region

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "inputs"
MM = 72 / 25.4


def _text(path: Path) -> str:
    with pymupdf.open(path) as doc:
        return " ".join(page.get_text() for page in doc)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _ranking(folder: Path) -> list[dict]:
    with open(folder / "ranking.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _score(folder: Path, year: int, region: str, inputs_root: Path = INPUTS):
    run_score(year, region, inputs_root, folder)
    return folder / str(year) / region


@pytest.fixture(scope="module")
def jateng(tmp_path_factory):
    """Jateng 2019 (2018 exists) published and lettered in Indonesian."""
    out = tmp_path_factory.mktemp("out")
    folder = _score(out, 2019, "jateng")
    run = build_letters(2019, "jateng", INPUTS, out)
    return folder, run


@pytest.fixture(scope="module")
def klaten(tmp_path_factory):
    """Klaten 2022 (no 2021) with certificates."""
    out = tmp_path_factory.mktemp("out")
    folder = _score(out, 2022, "klaten")
    run = build_letters(2022, "klaten", INPUTS, out, certificates=True)
    return folder, run


def _expected_rank_text(row: dict, rows: list[dict]) -> str:
    n = sum(1 for r in rows if r["group"] == row["group"] and r["rank"])
    return f"{row['rank']} dari {n}"


@pytest.mark.parametrize("which", ["jateng", "klaten"])
def test_each_letter_names_its_body_score_band_and_rank_as_in_ranking_csv(which, request):
    folder, run = request.getfixturevalue(which)
    rows = _ranking(folder)
    files = letter_files([r["body_id"] for r in rows])
    assert run.letters == len(rows)
    for row in rows:
        text = _flat(_text(folder / files[row["body_id"]]))
        assert row["name"] in text
        assert row["band"] in text
        if row["rank"]:
            decimals = len(row["final"].split(".")[1]) if "." in row["final"] else 0
            assert format_number(float(row["final"]), decimals, "id") in text
            assert _expected_rank_text(row, rows) in text
        else:
            assert "SAQ tidak dikembalikan" in text and row["status"] in text
            assert "Yang belum memperoleh nilai penuh" not in text


@pytest.mark.parametrize("which,year,region", [("jateng", 2019, "jateng"), ("klaten", 2022, "klaten")])
def test_each_letter_lists_exactly_the_unmet_items_of_its_annex_sheet(which, year, region, request):
    folder, _ = request.getfixturevalue(which)
    inputs, result = score_region(year, region, INPUTS)
    m = result.methodology
    files = letter_files([str(b) for b in result.ranking["body_id"]])
    code = re.compile(r"\b(" + "|".join(map(re.escape, m.question_ids)) + r")\b")
    checklist = m.stages_of("checklist")[0]
    from kiprank.analysis.compare import short_stage_label

    short = short_stage_label(checklist)
    seen_any = False
    for row in result.ranking.itertuples():
        text = _flat(_text(folder / files[row.body_id]))
        if not row.returned:
            assert not code.search(text)
            continue
        gaps = shortfalls(result, row.body_id, inputs)
        expected_q = set(gaps.loc[gaps["stage"] != checklist.id, "item"])
        assert set(code.findall(text)) == expected_q, row.body_id
        missing_items = set(gaps.loc[gaps["stage"] == checklist.id, "label"])
        for item in checklist.items:
            shown = f"{item.label} ({short} 0%)" in text
            assert shown == (item.label in missing_items), (row.body_id, item.label)
        seen_any |= bool(expected_q or missing_items)
        if gaps.empty:
            assert "Semua pertanyaan dan butir penilaian memperoleh nilai penuh" in text
    assert seen_any


def test_previous_year_paragraph_only_when_the_previous_year_exists(jateng, klaten):
    jfolder, jrun = jateng
    kfolder, krun = klaten
    assert jrun.previous_year == 2018 and krun.previous_year is None
    for pdf in (jfolder / "letters").glob("kab-*.pdf"):
        assert "Dibandingkan dengan tahun 2018" in _text(pdf)
    for pdf in (kfolder / "letters").glob("*.pdf"):
        text = _text(pdf)
        assert "Dibandingkan dengan tahun" not in text and "2021" not in text


def test_kudus_letter_names_its_decline_and_last_years_result(jateng):
    folder, _ = jateng
    text = _flat(_text(folder / "letters" / "kab-kudus.pdf"))
    inputs18, result18 = score_region(2018, "jateng", INPUTS)
    r18 = result18.ranking.set_index("body_id").loc["kab-kudus"]
    r19 = {r["body_id"]: r for r in _ranking(folder)}["kab-kudus"]
    assert format_number(r18["final"], 2, "id") in text
    assert f"peringkat {int(r18['rank'])} dari" in text
    assert "nilainya turun" in text and f"peringkatnya turun dari {int(r18['rank'])} ke {r19['rank']}" in text
    assert "Dua penyebab terbesar perubahan ini:" in text and "poin)" in text


def test_drivers_are_the_two_largest_rows_of_the_comparisons_decomposition(jateng):
    from kiprank.analysis.compare import decompose

    folder, _ = jateng
    _, r18 = score_region(2018, "jateng", INPUTS)
    _, r19 = score_region(2019, "jateng", INPUTS)
    d = decompose(r18, r19)
    d = d[d["key"] == "kab-kudus"].assign(size=lambda x: x["change"].abs()).sort_values("size", ascending=False)
    text = _flat(_text(folder / "letters" / "kab-kudus.pdf"))
    for row in d.head(2).itertuples():
        assert f"{row.label} (\u2212{format_number(abs(row.change), 2, 'id')} poin)" in text


def test_certificates_only_for_the_top_band(klaten):
    folder, run = klaten
    rows = _ranking(folder)
    top = {r["body_id"] for r in rows if r["band"] == "Informatif" and r["rank"]}
    assert run.certificates == len(top) > 0
    files = letter_files([r["body_id"] for r in rows])
    for row in rows:
        with pymupdf.open(folder / files[row["body_id"]]) as doc:
            landscape = [p for p in doc if p.rect.width > p.rect.height]
            assert len(landscape) == (row["body_id"] in top)
            if landscape:
                text = _flat(landscape[0].get_text())
                assert "PIAGAM PENGHARGAAN" in text and row["name"] in text and "Informatif" in text
    with pymupdf.open(folder / "letters" / "all.pdf") as doc:
        assert sum(p.rect.width > p.rect.height for p in doc) == len(top)


def test_all_pdf_holds_every_letter_with_its_own_page_numbers(klaten):
    folder, run = klaten
    with pymupdf.open(folder / "letters" / "all.pdf") as doc:
        firsts = [p for p in doc if "Dengan hormat," in p.get_text()]
        assert len(firsts) == run.letters
        assert all("Halaman 1 dari" in p.get_text() for p in firsts)


def test_manifest_lists_the_letters_with_their_hashes(klaten):
    folder, run = klaten
    manifest = json.loads((folder / "manifest.json").read_text())
    section = manifest["sections"]["letters"]
    assert section["files"] == run.files and "letters/all.pdf" in run.files
    assert section["settings"]["certificates"] is True and section["settings"]["lang"] == "id"
    for rel in run.files:
        assert manifest["outputs"][rel] == sha256_file(folder / rel)


def test_same_bytes_twice(tmp_path, klaten):
    folder, run = klaten
    out = tmp_path / "again"
    again = _score(out, 2022, "klaten")
    build_letters(2022, "klaten", INPUTS, out, certificates=True)
    for rel in run.files:
        assert (again / rel).read_bytes() == (folder / rel).read_bytes(), rel


def test_english_letters(tmp_path):
    folder = _score(tmp_path, 2019, "jateng")
    build_letters(2019, "jateng", INPUTS, tmp_path, lang="en", bodies=["kab-kudus", "kab-batang"])
    assert sorted(p.name for p in (folder / "letters").iterdir()) == ["all.pdf", "kab-batang.pdf", "kab-kudus.pdf"]
    text = _flat(_text(folder / "letters" / "kab-kudus.pdf"))
    row = {r["body_id"]: r for r in _ranking(folder)}["kab-kudus"]
    assert "Dear Sir or Madam" in text and "Final score" in text and "Compared with 2018" in text
    assert format_number(float(row["final"]), 2, "en") in text and "fell" in text
    assert "Halaman" not in text and "Page 1 of" in text


def test_cli_letters_and_its_errors(tmp_path):
    runner = CliRunner()
    args = ["--year", "2022", "--region", "klaten", "--inputs-root", str(INPUTS), "--outputs-root", str(tmp_path)]
    res = runner.invoke(main, ["letters", *args])
    assert res.exit_code == 2 and "kiprank score" in res.output
    assert runner.invoke(main, ["score", *args]).exit_code == 0
    res = runner.invoke(main, ["letters", *args, "--bodies", "kec-ngawen", "--bodies", "no-such-body"])
    assert res.exit_code == 2 and "no-such-body" in res.output
    res = runner.invoke(main, ["letters", *args, "--bodies", "kec-ngawen", "--pdf-standard", "1.7"])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "2022" / "klaten" / "letters"
    assert sorted(p.name for p in folder.iterdir()) == ["all.pdf", "kec-ngawen.pdf"]
    assert b"pdfaid" not in (folder / "kec-ngawen.pdf").read_bytes()


def test_inputs_changed_since_publication_are_refused(tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(INPUTS / "2022" / "klaten", inputs / "2022" / "klaten")
    _score(tmp_path / "out", 2022, "klaten", inputs)
    saq = inputs / "2022" / "klaten" / "saq.csv"
    lines = saq.read_text().splitlines()
    body, question, answer = lines[1].split(",")
    lines[1] = ",".join([body, question, "tidak" if answer == "ya" else "ya"])
    saq.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["letters", "--year", "2022", "--region", "klaten", "--inputs-root", str(inputs),
                                    "--outputs-root", str(tmp_path / "out")])
    assert res.exit_code == 2 and "published from other inputs" in " ".join(res.output.split())
    assert not (tmp_path / "out" / "2022" / "klaten" / "letters").exists()


def test_a_file_kiprank_did_not_write_is_not_overwritten(tmp_path):
    folder = _score(tmp_path, 2022, "klaten")
    (folder / "letters").mkdir()
    (folder / "letters" / "kec-ngawen.pdf").write_bytes(b"my own letter")
    res = CliRunner().invoke(main, ["letters", "--year", "2022", "--region", "klaten", "--inputs-root", str(INPUTS),
                                    "--outputs-root", str(tmp_path)])
    assert res.exit_code == 2 and "not written by kiprank" in res.output
    assert (folder / "letters" / "kec-ngawen.pdf").read_bytes() == b"my own letter"


def test_letters_again_after_the_ranking_is_scored_again(tmp_path):
    """kiprank score rewrites the manifest (the letters are no longer listed): the letters, which say
    they are kiprank's, are written again rather than refused."""
    folder = _score(tmp_path, 2022, "klaten")
    build_letters(2022, "klaten", INPUTS, tmp_path, bodies=["kec-ngawen"])
    _score(tmp_path, 2022, "klaten")
    run = build_letters(2022, "klaten", INPUTS, tmp_path, bodies=["kec-ngawen"])
    assert run.files == ["letters/all.pdf", "letters/kec-ngawen.pdf"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "letters/kec-ngawen.pdf" in manifest["outputs"]


# -- hostile names, letterhead, advice ---------------------------------------------------------

HOSTILE = "a#b $x$ *y* _z_ <c> @d \\ e] [/bold] =SUM(A1) {n} #{x}"
LONG = "Dinas " + "Komunikasi" * 29 + " Informatika"  # one 290-letter word
RTL = "Dinas \u0627\u0644\u0625\u0639\u0644\u0627\u0645 \u05e9\u05dc\u05d5\u05dd"
EMOJI = "Kecamatan Senang \U0001F600"
WEB = {"id": "web", "label": "Pemeriksaan website", "weight": 40, "source": "checklist",
       "items": [{"id": "dip", "label": "DIP", "weight": 50, "advice": {"id": "Tetapkan DIP dan unggah.",
                                                                      "en": "Adopt the DIP and upload it."}},
                 {"id": "sop", "label": HOSTILE, "weight": 50}]}
METHOD = {
    "id": "hostile", "name": "Metode uji", "decimals": 2,
    "stages": [{"id": "saq", "label": "SAQ", "weight": 30, "source": "questionnaire"},
               {"id": "ver", "label": "Verifikasi", "weight": 30, "source": "verification"}, WEB],
    "questionnaire": {
        "indicators": [{"id": "i1", "label": "Indikator " + HOSTILE, "weight": 100}],
        "questions": [{"id": "Q1", "indicator": "i1", "type": "yesno", "text": "Pertanyaan " + HOSTILE,
                       "advice": "Saran khusus: " + HOSTILE},
                      {"id": "Q2", "indicator": "i1", "type": "yesno", "text": LONG}],
    },
    "bands": NATIONAL_BANDS,
}
BODIES = [("hostile", HOSTILE, "g"), ("long", LONG, "g"), ("rtl", RTL, "g"), ("emoji", EMOJI, "g"),
          ("a/b ..", "Id yang bukan nama berkas", "g"), ("nr", "Badan " + HOSTILE, "g")]


def _png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (navy square), made here so the test needs no image file."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes((31, 58, 95)) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG = _png()


def _hostile_region(tmp_path, **config):
    answers = {b: {"Q1": "ya", "Q2": "tidak"} for b, _, _ in BODIES if b != "nr"}
    verdicts = {b: {"Q1": "tidak sesuai", "Q2": "sesuai"} for b in answers}
    website = {b: {"dip": "tidak", "sop": "ya"} for b in answers}
    # the body with the 300-letter name earns everything: top band, so a certificate with that name
    answers["long"], verdicts["long"], website["long"] = ({"Q1": "ya", "Q2": "ya"}, {"Q1": "sesuai", "Q2": "sesuai"},
                                                         {"dip": "ya", "sop": "ya"})
    reg = make_region(tmp_path, METHOD, bodies=BODIES, saq=answers, verification=verdicts, website=website,
                      files={"logo.png": PNG})
    if config:
        import yaml

        data = yaml.safe_load((reg.folder / "region.yml").read_text())
        data.update(config)
        (reg.folder / "region.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return reg


def _inside_printable_area(path: Path) -> None:
    with pymupdf.open(path) as doc:
        for page in doc:
            area = page.rect + (12 * MM, 10 * MM, -12 * MM, -8 * MM)
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    for span in line["spans"]:
                        if span["text"].strip():
                            assert area.contains(pymupdf.Rect(span["bbox"])), (path.name, page.number, span["text"], span["bbox"])


def test_hostile_names_print_literally_inside_the_page(tmp_path):
    reg = _hostile_region(tmp_path, logo="logo.png", letter_number="489/{n:03d}/KIP/{year}",
                          signatory={"name": "Dr. " + HOSTILE, "title": "Ketua"})
    reg.run()
    run = build_letters(reg.year, reg.region, reg.inputs_root, reg.outputs_root, certificates=True)
    folder = reg.output_folder
    files = letter_files([b for b, _, _ in BODIES])
    assert files["a/b .."].startswith("letters/body-") and files["hostile"] == "letters/hostile.pdf"
    # Arabic and Hebrew are drawn by the bundled Noto fonts; only the emoji has no glyph (hence PDF 1.7)
    assert sorted(run.fallbacks) == ["emoji"] and run.pdf_standard == "1.7"
    assert any("U+1F600" in w for w in run.warnings)
    order = [r["body_id"] for r in _ranking(folder)]
    for body_id, name, _ in BODIES:
        path = folder / files[body_id]
        raw = _text(path)
        dense = re.sub(r"\s", "", raw)  # a line may break inside a long text: compare without spaces

        def has(s: str) -> bool:
            return re.sub(r"\s", "", s) in dense

        if body_id == "rtl":  # right-to-left text: extracted in visual order, so only the Latin word is compared
            assert "Dinas" in raw and "\u05e9" in raw
        elif body_id == "emoji":
            assert "Kecamatan Senang" in raw
        else:
            assert has(name), body_id
        assert has(f"489/{order.index(body_id) + 1:03d}/KIP/{reg.year}")  # numbered in report order
        assert has("Dr. " + HOSTILE)
        if body_id == "long":
            with pymupdf.open(path) as doc:
                landscape = [p for p in doc if p.rect.width > p.rect.height]
                assert landscape and "PIAGAM PENGHARGAAN" in landscape[0].get_text()
            assert has("Semua pertanyaan dan butir penilaian memperoleh nilai penuh")
        elif body_id != "nr":
            assert has("Saran khusus: " + HOSTILE)  # the methodology's advice for Q1
            assert has("Tetapkan DIP dan unggah.")
            assert has("Pertanyaan " + HOSTILE) and has(LONG)
        _inside_printable_area(path)
        with pymupdf.open(path) as doc:
            assert doc[0].get_images(), "the logo is on the letterhead"
        pdfa = b"pdfaid" in path.read_bytes()
        assert pdfa == (body_id != "emoji"), body_id
    _inside_printable_area(folder / "letters" / "all.pdf")


def test_pdfa_asked_for_with_an_emoji_is_a_clear_error(tmp_path):
    reg = _hostile_region(tmp_path)
    reg.run()
    res = CliRunner().invoke(main, ["letters", "--year", str(reg.year), "--region", reg.region, "--inputs-root",
                                    str(reg.inputs_root), "--outputs-root", str(reg.outputs_root),
                                    "--pdf-standard", "a-2b"])
    assert res.exit_code == 3 and "--pdf-standard 1.7" in res.output and "U+" in res.output
    assert not (reg.output_folder / "letters").exists()


@pytest.mark.parametrize("config,column,message", [
    ({"logo": "missing.png"}, "logo", "not found"),
    ({"logo": "logo.txt"}, "logo", "image file"),
    ({"letter_number": "489/{m}/KIP"}, "letter_number", "unknown field"),
    ({"letter_number": "489/KIP"}, "letter_number", "{n}"),
    ({"letter_number": "489/{n:zz}/KIP"}, "letter_number", "cannot be used"),
    ({"signatory": {"name": "X"}}, "signatory.title", "required"),
])
def test_bad_letterhead_fields_name_region_yml_and_the_field(tmp_path, config, column, message):
    reg = _hostile_region(tmp_path, **config)
    res = CliRunner().invoke(main, ["validate", "--year", str(reg.year), "--region", reg.region,
                                    "--inputs-root", str(reg.inputs_root)])
    assert res.exit_code == 2
    assert "region.yml" in res.output and f"column '{column}'" in res.output and message in res.output


def test_build_with_letters_writes_them_and_then_is_up_to_date(tmp_path):
    runner = CliRunner()
    args = ["build", "--year", "2019", "--regions", "jateng", "--letters", "--jobs", "1",
            "--inputs-root", str(INPUTS), "--outputs-root", str(tmp_path)]
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    folder = tmp_path / "2019" / "jateng"
    rows = _ranking(folder)
    assert sorted(p.name for p in (folder / "letters").iterdir()) == sorted(
        ["all.pdf"] + [Path(f).name for f in letter_files([r["body_id"] for r in rows]).values()])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "report.pdf" in manifest["outputs"] and "letters/all.pdf" in manifest["outputs"]
    res = runner.invoke(main, args)
    assert res.exit_code == 0 and "1 up to date" in res.output
