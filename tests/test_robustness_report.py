"""The report section "Ketahanan peringkat" (kiprank.report.robustness_content): present only when
asked for, its sentences, English, the annex line, and an end-to-end build with --robustness."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from conftest import NATIONAL_BANDS, make_region

from kiprank.cli import main
from kiprank.report import blocks as B
from kiprank.report.content import contents, full_html, prepare, robustness, sections
from kiprank.report.robustness_content import _pct, chances_text, indistinct_sentence, ranks_phrase, texts

DEMO = Path(__file__).parent.parent / "inputs"
FIXTURE = Path(__file__).parent / "fixtures" / "report_region"


def _words(section) -> str:
    out = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == "figure":
                out.append(B.plain_text(node.get("title")))
                out.append(B.plain_text(node.get("note")))
                return
            for key, value in node.items():
                if key != "svg":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            out.append(node)

    walk(section.data if hasattr(section, "data") else section)
    return "\n".join(out)


@pytest.fixture(scope="module")
def with_section():
    return prepare(2022, "klaten", DEMO, lang="id", report_date="2022-12-15", robustness=True)


def test_no_section_unless_asked():
    rep = prepare(2022, "klaten", DEMO, lang="id", report_date="2022-12-15")
    assert rep.robust is None and robustness(rep) is None
    text = "\n".join(_words(s) for s in sections(rep))
    assert "Ketahanan Peringkat" not in text and "Ketahanan:" not in text  # (a dinas is "Ketahanan Pangan")
    assert all(anchor != "ketahanan" for anchor, _ in contents(rep).data["entries"])


def test_section_blocks_and_sentences(with_section):
    rep = with_section
    sec = robustness(rep)
    data = sec.data
    # after "6. Konsistensi Verifikasi" (the methodology has a verification stage)
    assert data["heading"] == "7. Ketahanan Peringkat" and data["anchor"] == "ketahanan"
    figures = [b for b in data["blocks"] if b["t"] == "figure"]
    assert [f["title"] for f in figures] == ["Selang peringkat, kelompok Kecamatan", "Selang peringkat, kelompok Badan/Dinas"]
    assert all(f["svg"].startswith("<svg") for f in figures)
    text = _words(sec)
    # what was varied, from the klaten-2022 preset (25 % on weights, sebagian 50 %, 1000 draws, seed 1)
    assert "bobot tahap (masing-masing hingga 25% lebih tinggi atau lebih rendah)" in text
    assert "1.000 kali" in text and "seed 1" in text
    # one sentence per group naming the ranks that cannot be told apart: Karangdowo and Klaten Utara
    assert "Kelompok Kecamatan: peringkat 2 dan 3; " in text
    assert "Kelompok Badan/Dinas: peringkat " in text
    # the uncertain bands with their chances, and the sensitivity table of the four inputs
    tables = [b for b in data["blocks"] if b["t"] == "table"]
    uncertain, sens = tables
    assert len(uncertain["rows"]) == len(rep.robust.uncertain) > 0
    assert any("Informatif" in B.plain_text(r[-1]) and "%" in B.plain_text(r[-1]) for r in uncertain["rows"])
    assert [B.plain_text(r[0]) for r in sens["rows"]] == ["Bobot tahap", "Bobot indikator SAQ", "Bobot butir website",
                                                         "Penilaian verifikator atas jawaban sebagian"]
    assert "Keragaman peringkat paling banyak ditentukan oleh " in text
    # listed in the contents before the annex, and each assessed body's sheet has its chances
    entries = contents(rep).data["entries"]
    assert [e[0] for e in entries][-2:] == ["ketahanan", "lampiran"]
    annex = sections(rep)[-1]
    sheets = [b for b in annex.data["blocks"] if b.get("t") == "sheet"]
    ngawen = next(s for s in sheets if s["name"] == "Kecamatan Ngawen")
    assert any("Ketahanan:" in B.plain_text(n) and "Informatif 100%" in B.plain_text(n) for n in ngawen["notes"])
    gone = next(s for s in sheets if s["table"] is None)  # did not return the SAQ: no draws, no line
    assert not any("Ketahanan:" in B.plain_text(n) for n in gone["notes"])


def test_english_section():
    rep = prepare(2022, "klaten", DEMO, lang="en", report_date="2022-12-15", robustness=True)
    text = _words(robustness(rep))
    assert "7. Robustness of the Ranking" in text
    assert "Group Kecamatan: ranks 2 and 3; " in text
    assert "stage weights (each up to 25% higher or lower)" in text and "1,000 times" in text
    assert "The spread of ranks is driven most by " in text
    html = full_html(rep)
    assert "Robustness of the Ranking" in html and "Ketahanan Peringkat" not in html


def test_methodology_can_ask_for_the_section(tmp_path):
    m = {"id": "asks", "name": "Asks", "decimals": 1,
         "stages": [{"id": "a", "label": "A", "weight": 50, "source": "score"},
                    {"id": "b", "label": "B", "weight": 50, "source": "score"}],
         "bands": NATIONAL_BANDS, "robustness": {"report": True, "draws": 200, "stage_weights": {"spread": 0}}}
    reg = make_region(tmp_path, m, bodies=[("x", "Badan <X> $1$ [/bold]", "g"), ("y", "=SUM(1)", "g")],
                      scores={"a": {"x": 80, "y": 60}, "b": {"x": 70, "y": 50}})
    rep = prepare(2024, "testland", reg.inputs_root, lang="id", report_date="2024-01-01")
    text = _words(robustness(rep))
    # nothing varies: said so, every rank told apart, no uncertain band, no spread to explain
    assert "tidak menyatakan pilihan apa pun" in text
    assert "Kelompok G: setiap peringkat dapat dibedakan" in text
    assert "Kualifikasi setiap badan publik sama pada semua hitungan." in text
    assert "Tidak ada pilihan yang diubah" in text
    svg = next(b for b in robustness(rep).data["blocks"] if b["t"] == "figure")["svg"]
    assert "Badan &lt;X&gt; $1$ [/bold]" in svg and "=SUM(1)" in svg  # drawn as written, no mathtext


def test_sentence_helpers():
    w = texts("id")
    assert ranks_phrase((2, 3), "id", w) == "2 dan 3"
    assert ranks_phrase((5, 6, 7), "id", w) == "5 sampai 7"
    assert ranks_phrase((7, 8, 9, 11), "id", w) == "7, 8, 9 dan 11"
    assert ranks_phrase((1, 3), "en", texts("en")) == "1 and 3"
    many = [(i, i + 1) for i in range(1, 16)]
    sentence = indistinct_sentence("Kecamatan", many, "id")
    assert sentence.count(" dan ") >= 12 and "dan 3 himpunan peringkat lainnya" in sentence
    assert indistinct_sentence("Kecamatan", [], "en").startswith("Group Kecamatan: every rank can be told apart")
    assert [_pct(p, "id", w) for p in (0, 0.004, 0.005, 0.4, 0.555, 0.996, 1)] == ["0%", "<1%", "<1%", "40%", "56%", ">99%", "100%"]
    row = {"p_A": 0.25, "p_B": 0.0, "p_C": 0.75}
    assert chances_text(row, ["A", "B", "C"], "id", w) == "A 25%, C 75%"


def test_report_with_robustness_end_to_end(tmp_path):
    """kiprank report --robustness --lang en: the section in the PDF (English), the tables published
    with it and their settings in the manifest; the same command without the flag has neither."""
    out = tmp_path / "out"
    args = ["report", "--year", "2022", "--region", "uji", "--inputs-root", str(FIXTURE), "--outputs-root", str(out),
            "--date", "2022-12-15", "--lang", "en"]
    res = CliRunner().invoke(main, [*args, "--robustness"])
    assert res.exit_code == 0, res.output
    assert "robustness.csv, sensitivity.csv" in res.output
    folder = out / "2022" / "uji"
    with pymupdf.open(folder / "report.pdf") as doc:
        text = "\n".join(page.get_text() for page in doc)
        toc = [entry[1] for entry in doc.get_toc()]
    assert "6. Agreement of the Verifiers" in toc and "7. Robustness of the Ranking" in toc
    assert "Rank intervals, group Kecamatan" in text and "Sobol" in text and "Robustness:" in text
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["robustness"] is True
    assert manifest["sections"]["robustness"]["files"] == ["robustness.csv", "sensitivity.csv"]
    assert manifest["sections"]["robustness"]["settings"]["draws"] == 1000
    assert {"robustness.csv", "sensitivity.csv"} <= set(manifest["outputs"])

    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    with pymupdf.open(folder / "report.pdf") as doc:
        text = "\n".join(page.get_text() for page in doc)
    assert "Robustness of the Ranking" not in text and "Rank intervals" not in text
    assert not (folder / "robustness.csv").exists()
    assert json.loads((folder / "manifest.json").read_text())["parameters"]["robustness"] is False


def test_section_data_is_the_same_every_time():
    """The same inputs and seed give the same section (numbers, sentences, chart SVG) and sheets."""
    runs = []
    for _ in range(2):
        rep = prepare(2022, "klaten", DEMO, lang="id", report_date="2022-12-15", robustness=True)
        runs.append(json.dumps([s.data for s in sections(rep)], sort_keys=True))
    assert runs[0] == runs[1]
