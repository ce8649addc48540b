"""Publishable on first print (issue #22): a regression test for each thing seen in the documents
of a real region, that tests/test_layout.py (layout), tests/test_one_language.py (languages),
tests/test_fonts.py (scripts) and the site tests do not already hold.

- the assumptions' heading no longer claims that an issuer's own weights are unpublished;
- chart labels fit their chart's margin (no "nas Kependudukan ..." cut at the left);
- the corrections list names region, year, issuer, both decrees' dates and fingerprints, holds no
  path of this machine, rounds its numbers as published (no 12.599999999999994), and its folder
  is named with the region and the year;
- Sobol' indices are shown clipped at 0 with their confidence interval, never '-0,01';
- a letter to a body whose directly scored stage is 88 does not say that everything earned full marks;
- the comparison's date comes from its years (or --date), never from the clock.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kiprank.cli import main

from conftest import make_region
from pdf_checks import open_pdf

ROOT = Path(__file__).resolve().parent.parent
TWO_STAGE = Path(__file__).parent / "fixtures" / "two-stage.yml"
ALL_YES = {"A1": "ya", "A2": "ya", "A3": "ya", "B1": "ya", "B2": "ya"}


def test_assumptions_heading_makes_no_claim_about_publication():
    from kiprank.report import methodology, prepare

    for lang, heading in (("id", "Asumsi dan pilihan metodologi ini"), ("en", "Assumptions and choices of this methodology")):
        section = methodology(prepare(2022, "klaten", ROOT / "inputs", lang=lang, report_date="2022-12-15")).data
        heads = [b["text"] for b in section["blocks"] if b["t"] == "h3"]
        assert heading in heads
        assert not any("dipublikasikan" in h or "published" in h for h in heads)


@pytest.mark.parametrize("name", [
    "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Karanganyar Provinsi Jawa Tengah",
    "Badan " + "Pemberdayaanmasyarakatdesa" * 12,
    "Portal https://ppid.contoh-kabupaten.go.id/" + "dokumen-berkala/" * 10,
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    "Dinas Pemberdayaan Masyarakat dan Desa Kabupaten Klaten (Dispermasdes)",
])
def test_chart_labels_fit_their_margin(name):
    from kiprank.report.charts import TICK_PAD_PT, WIDTH_IN, fit_label, fit_labels, text_width_pt

    for left, size in ((0.36, 6.8), (0.3, 7.5), (0.42, 7.5), (0.2, 7.5)):
        room = left * WIDTH_IN * 72 - TICK_PAD_PT
        label = fit_labels([name], left, size)[0]
        assert text_width_pt(label, size) <= room, (label, left)
        assert label.startswith(name[:5])  # the start of the name stays readable
    assert fit_label("Kecamatan Ngawen", 200, 7) == "Kecamatan Ngawen"  # a name that fits is whole
    if name.endswith(")"):
        assert fit_label(name, 150, 6.8).endswith("(Dispermasdes)")  # the acronym stays


def test_comparison_chart_labels_stay_inside_the_chart():
    """The dumbbell chart of bodies with long names: every label's ink starts right of the SVG's
    left edge (text-anchor end at the axis, width fitted)."""
    from kiprank.report.comparison_charts import dumbbell_chart

    names = ["Dinas Kependudukan dan Pencatatan Sipil Kabupaten Karanganyar " * 2, "Kecamatan Wedi",
             "Badan " + "Pemberdayaanmasyarakatdesa" * 12]
    svg = dumbbell_chart(names, [60.0, 70.0, 80.0], [65.0, 68.0, 90.0], "2018", "2019", [90, 80, 60, 40, 0], "id",
                         None, {"legend_up": "naik", "legend_down": "turun", "legend_same": "tetap", "score_axis": "Nilai"})
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert any(label.endswith("\u2026") for label in labels)  # long names are shortened, not cut
    from kiprank.report.charts import TICK_PAD_PT, WIDTH_IN, text_width_pt

    names_drawn = [label for label in labels if label.startswith(("Dinas", "Kecamatan", "Badan"))]
    assert len(names_drawn) == 3
    assert all(text_width_pt(label, 7.5) <= 0.3 * WIDTH_IN * 72 - TICK_PAD_PT for label in names_drawn)


def test_chart_labels_are_printed_whole_inside_the_chart(tmp_path):
    """The labels as Typst draws them in the PDF (unhinted widths): every fitted name is there whole
    (Typst drops the glyphs that fall left of the image, so "Badan Perencanaan ..." was printed as
    "an Perencanaan ...") and starts right of the chart's left edge."""
    import typst

    from kiprank.core.resources import FONTS_DIR
    from kiprank.report.charts import final_scores_chart

    names = ["Dinas Pertanian, Ketahanan Pangan dan Perikanan", "Badan Perencanaan Pembangunan Daerah (Bappeda)",
             "Kecamatan " + "n" * 40, "Dinas Pemberdayaan Masyarakat dan Desa Kabupaten Klaten (Dispermasdes)",
             "Kecamatan Wedi"]
    svg = final_scores_chart(names, [90.0, 80.0, 70.0, 60.0, 50.0], ["A"] * 5, ["A"], [0], 1, "id")
    drawn = [t for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg) if t.startswith(("Dinas", "Badan", "Kec"))]
    assert len(drawn) == len(names)
    (tmp_path / "chart.svg").write_text(svg, encoding="utf-8")
    (tmp_path / "page.typ").write_text('#set page(width: 500pt, height: auto, margin: 10pt)\n'
                                       '#image("chart.svg", width: 475.2pt)\n', encoding="utf-8")
    pdf = typst.compile(str(tmp_path / "page.typ"), font_paths=[str(FONTS_DIR)], ignore_system_fonts=True)
    page = open_pdf(pdf)[0]
    printed = {}
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                printed[span["text"]] = span["bbox"][0]
    for label in drawn:
        assert label in printed, (label, sorted(printed))
        assert printed[label] >= 10 - 0.5, (label, printed[label])


def test_names_that_differ_near_their_end_get_labels_that_tell_them_apart():
    """A 30-body region of names alike but for a number near the end was charted as a column of
    identical 'Dinas Pemberdayaan Masyarakat dan Desa…' labels."""
    from kiprank.report.charts import TICK_PAD_PT, WIDTH_IN, fit_labels, text_width_pt

    names = [f"Dinas Pemberdayaan Masyarakat dan Desa Nomor {n:04d} Kabupaten" for n in (10, 20, 30)]
    names += ["Kecamatan Wedi", "Kecamatan Wedi", "Badan " + "Pemberdayaanmasyarakatdesa" * 12]
    for left, size in ((0.36, 6.8), (0.3, 7.5)):
        labels = fit_labels(names, left, size)
        assert len(set(labels[:3])) == 3, labels
        assert [label.split()[-2] for label in labels[:3]] == ["0010", "0020", "0030"]
        assert all(label.startswith("Dinas Pemberda") for label in labels[:3])
        assert labels[3:5] == ["Kecamatan Wedi", "Kecamatan Wedi"]  # the same name stays the same
        room = left * WIDTH_IN * 72 - TICK_PAD_PT
        assert all(text_width_pt(label, size) <= room for label in labels), labels


def test_comparison_names_stages_by_their_labels():
    """The comparison's table of methods showed 'website 20, saq 20, verifikasi 45' (ids; the stage
    'verifikasi' of perki-5-2016 is the visit, 'Visitasi')."""
    from kiprank.report import comparison

    rep = comparison.prepare("jateng", [2018, 2019], "kudus", ROOT / "inputs", report_date="2019-12-20")
    table = [b for b in comparison.methodology(rep).data["blocks"] if b["t"] == "table"][0]
    stages = [row[-1] for row in table["rows"]]
    assert stages == ["Pemeriksaan website 20%, SAQ 20%, Visitasi 45%, Presentasi 15%"] * 2, stages


# -- the corrections list ---------------------------------------------------------------------------

def test_corrections_list_is_publishable(tmp_path, monkeypatch):
    """The first decree was a report (its date recorded), the correction a new scoring of changed
    inputs dated in region.yml; the list says both, with their fingerprints."""
    from kiprank.runs.report import build_report

    reg = make_region(tmp_path, TWO_STAGE, bodies=[("x", "Dinas X", "dinas"), ("y", "Dinas Y", "dinas"),
                                                   ("z", "Dinas Z", "dinas")],
                      saq={"x": ALL_YES, "y": ALL_YES, "z": {**ALL_YES, "B2": "tidak"}},
                      scores={"presentasi": {"x": 70, "y": 85.5, "z": 50.3}}, year=2024, region="uji")
    region_yml = reg.folder / "region.yml"
    region_yml.write_text(region_yml.read_text(encoding="utf-8") + "report_date: 2024-11-20\n", encoding="utf-8")
    build_report(reg.year, reg.region, reg.inputs_root, tmp_path / "decree-1")
    published = tmp_path / "decree-1" / "2024" / "uji"
    region_yml.write_text(region_yml.read_text(encoding="utf-8").replace("2024-11-20", "2024-12-02"), encoding="utf-8")
    (reg.folder / "presentasi.csv").write_text("body_id,score\nx,70\ny,85.5\nz,93.3\n")
    folder, _ = reg.run()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["diff", str(published), str(folder)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "outputs" / "corrections" / "uji_2024"  # named with the region and the year
    assert out.is_dir(), sorted(p.name for p in (tmp_path / "outputs" / "corrections").iterdir())
    with open(out / "corrections.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["body_id"] for r in rows] == ["z"]
    for col in ("final_old", "final_new", "final_change"):  # at the published precision, as written
        assert re.fullmatch(r"-?\d+\.\d{2}", rows[0][col]), rows[0]
    assert rows[0]["final_change"] == "8.60"  # 0.2 * (93.3 - 50.3), not 8.599999999999994
    with open_pdf((out / "corrections.pdf").read_bytes()) as doc:
        text = " ".join(" ".join(page.get_text() for page in doc).split())
    old_fp = json.loads((published / "manifest.json").read_text())["fingerprint"]
    new_fp = json.loads((folder / "manifest.json").read_text())["fingerprint"]
    for fact in ("Testland", "2024", "Komisi Informasi Testland", "20 November 2024", "2 Desember 2024", old_fp, new_fp):
        assert fact in text, fact
    html = (out / "corrections.html").read_text(encoding="utf-8")
    for document in (text, html):
        assert str(tmp_path) not in document and "/tmp" not in document and "outputs/" not in document


# -- robustness --------------------------------------------------------------------------------------

def test_sobol_indices_are_clipped_at_zero_with_their_interval():
    from types import SimpleNamespace

    from kiprank.report.robustness_content import sensitivity_blocks, sobol_cell, texts

    w = texts("id")
    cell = sobol_cell(-0.0213, 0.0150, "id", w)
    assert cell["text"] == "0,00" and cell["sub"] == "0,00\u20130,00"
    cell = sobol_cell(-0.01, 0.04, "id", w)
    assert cell["text"] == "0,00" and cell["sub"] == "0,00\u20130,03"
    rows = []
    for output in ("rank", "band"):
        rows += [{"output": output, "input": "stage_weights", "varied": True, "S1": 0.62, "S1_conf": 0.05,
                  "ST": 0.71, "ST_conf": 0.06},
                 {"output": output, "input": "indicator_weights", "varied": True, "S1": -0.02, "S1_conf": 0.03,
                  "ST": -0.01, "ST_conf": 0.02}]
    res = SimpleNamespace(sensitivity=pd.DataFrame(rows),
                          settings={"sensitivity_samples": 256, "inputs": ["stage_weights", "indicator_weights"]})
    rep = SimpleNamespace(lang="id", t={"table": "Tabel {n}"}, _counters={"table": 0},
                          next=lambda kind: "Tabel 9")
    blocks = sensitivity_blocks(rep, res, w)
    from kiprank.report.blocks import plain_text

    text = " ".join(plain_text(c) for b in blocks if b["t"] == "table" for r in b["rows"] for c in r)
    assert "-0" not in text and "\u22120" not in text
    assert "0,00\n0,00\u20130,01" in text and "0,62\n0,57\u20130,67" in text


# -- letters ------------------------------------------------------------------------------------------

def test_a_direct_score_below_100_is_not_called_full_marks(tmp_path):
    from kiprank.letters.content import LetterSet, Scored, letter_data
    from kiprank.report import annex, prepare

    reg = make_region(tmp_path, TWO_STAGE, bodies=[("x", "Dinas X", "dinas"), ("y", "Dinas Y", "dinas")],
                      saq={"x": ALL_YES, "y": ALL_YES}, scores={"presentasi": {"x": 88, "y": 100}})
    rep = prepare(reg.year, reg.region, reg.inputs_root, report_date="2024-12-15")
    ls = LetterSet(Scored(rep.inputs, rep.result), report_date=date(2024, 12, 15))
    x = letter_data(ls, "x")["shortfalls"]
    assert x["none"] == "" and "Semua pertanyaan" not in str(x)
    assert [g["title"] for g in x["groups"]] == ["Tahap yang dinilai langsung"]
    assert x["groups"][0]["items"][0]["label"] == "Presentasi" and "88,00 dari 100" in x["groups"][0]["items"][0]["earned"]
    y = letter_data(ls, "y")["shortfalls"]
    assert y["none"].startswith("Semua pertanyaan") and y["groups"] == []  # a body with 100 everywhere
    sheets = {b["name"]: b for b in annex(rep).data["blocks"] if b["t"] == "sheet"}
    from kiprank.report.blocks import plain_text

    assert "Presentasi 88,00" in plain_text(sheets["Dinas X"]["notes"])
    assert "Semua butir terpenuhi penuh" not in plain_text(sheets["Dinas X"]["notes"])
    assert "Semua butir terpenuhi penuh" in plain_text(sheets["Dinas Y"]["notes"])


# -- dates -----------------------------------------------------------------------------------------------

def test_comparison_date_comes_from_its_years_never_the_clock(tmp_path, monkeypatch):
    from kiprank.core.errors import UsageError
    from kiprank.report import comparison

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    rep = comparison.prepare("jateng", [2018, 2019], None, ROOT / "inputs")
    assert rep.report_date == date(2019, 12, 10)  # the later year's report date
    assert comparison.prepare("jateng", [2018, 2019], None, ROOT / "inputs", report_date="2020-01-05").report_date \
        == date(2020, 1, 5)
    root = tmp_path / "inputs"
    for year in (2018, 2019):
        shutil.copytree(ROOT / "inputs" / str(year) / "jateng", root / str(year) / "jateng")
        yml = root / str(year) / "jateng" / "region.yml"
        yml.write_text(re.sub(r"report_date: .*\n", "", yml.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(UsageError, match="--date"):
        comparison.prepare("jateng", [2018, 2019], None, root)
    result = CliRunner().invoke(main, ["compare", "--region", "jateng", "--years", "2018", "2019", "--inputs-root",
                                       str(root), "--outputs-root", str(tmp_path / "out")])
    assert result.exit_code == 2 and "--date" in result.output and not (tmp_path / "out").exists()
