"""The Typst PDFs (kiprank.report.pdf): user text printed as written, the same words as the HTML in
every section, nothing outside the page, deterministic bytes, metadata, bookmarks, links, page
numbers, and the PDF/A-2b choice when a character cannot be drawn. These tests typeset the content
data directly (no notebook kernel); tests/test_report.py covers the whole build."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import pymupdf
import pytest

from kiprank.core.errors import ReportError
from kiprank.report import prepare, report_content
from kiprank.report.section import Section, sections_of_notebook
from kiprank.report.html import section_html
from kiprank.report.pdf import choose_standard, typeset_document

from pdf_checks import outside_text_area, overlapping

ROOT = Path(__file__).parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "report_region"
DAY = date(2022, 12, 15)
EVIL = "a#b $x$ *y* _z_ <c> @d \\ e] [/bold] `q` //c /* x"


def _doc(pdf: bytes):
    return pymupdf.open(stream=pdf, filetype="pdf")


@pytest.fixture(scope="module")
def demo():
    rep = prepare(2022, "klaten", ROOT / "inputs", report_date="2022-12-15", fingerprint="0123456789ab")
    data = report_content(rep)
    pdf, messages = typeset_document(data, DAY)
    return data, pdf, messages


@pytest.fixture(scope="module")
def hostile():
    """The fixture region with 300-character names, emoji, Arabic (RTL) and markup characters."""
    rep = prepare(2022, "uji", FIXTURE, report_date="2022-12-15")
    names = rep.result.ranking["name"].astype(str).tolist()
    odd = ["Dinas " + "Komunikasi dan Informatika " * 11 + "Panjang", "Badan 😀 Senyum 🎉",
           "هيئة المعلومات العامة Badan Arab", EVIL, "=SUM(A1:A3) Dinas Rumus"]
    for i, name in enumerate(odd):
        names[i % len(names)] = name
    rep.result.ranking["name"] = names
    data = report_content(rep)
    return data, odd


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\s]+", text) if 2 <= len(w) <= 25}


def test_demo_is_pdfa_with_metadata_outline_links_and_page_numbers(demo):
    data, pdf, messages = demo
    assert messages == []
    assert b"pdfaid:part" in pdf  # PDF/A identification in the XMP metadata
    with _doc(pdf) as doc:
        meta = doc.metadata
        assert meta["title"] == data["meta"]["title"] and meta["author"] == data["meta"]["author"]
        assert "kiprank manifest 0123456789ab" in meta["keywords"] and "0123456789ab" in meta["subject"]
        assert meta["creationDate"].startswith("D:20221215")
        toc = [title for level, title, page in doc.get_toc() if level == 1]
        assert toc[1:] == [label for _, label in data["sections"][1]["entries"]]
        contents_page = doc[1]
        targets = {link.get("page") for link in contents_page.get_links() if link.get("kind") == pymupdf.LINK_GOTO}
        assert len(targets) >= 5, "the table of contents links to the sections"
        n = doc.page_count
        for i, page in enumerate(doc, 1):
            text = " ".join(page.get_text().split())
            assert f"Halaman {i} dari {n}" in text
            if i > 2:  # running header: the section on this page
                heads = [s["title"] for s in data["sections"] if s["kind"] == "section"]
                assert any(h in text.split("Halaman")[0][:300] for h in heads), i
        fonts = {f[3] for p in doc for f in p.get_fonts()}
        assert fonts and all("DejaVu" in f for f in fonts), fonts


def test_two_compiles_give_the_same_bytes(demo):
    data, pdf, _ = demo
    again, _ = typeset_document(data, DAY)
    assert again == pdf


def test_each_section_has_the_words_of_its_html(demo):
    data, pdf, _ = demo
    with _doc(pdf) as doc:
        starts = {title: page for level, title, page in doc.get_toc() if level == 1}
        pages = [page.get_text() for page in doc]
    sections = [s for s in data["sections"] if s["kind"] == "section"]
    for k, s in enumerate(sections):
        first = starts[s["heading"]] - 1
        last = starts[sections[k + 1]["heading"]] if k + 1 < len(sections) else len(pages)
        pdf_words = _words(" ".join(pages[first:last]))
        html = re.sub(r"<img[^>]*>", " ", section_html(s))
        html_words = _words(unescape(re.sub(r"<[^>]+>", " ", html)))
        missing = html_words - pdf_words
        assert not missing, (s["title"], sorted(missing)[:20])


def test_user_text_is_printed_as_written():
    data = {"meta": {"title": EVIL, "author": EVIL, "keywords": [EVIL], "running": EVIL, "footer": EVIL},
            "sections": [{"kind": "section", "heading": EVIL, "title": EVIL, "anchor": "x", "newpage": False,
                          "blocks": [{"t": "p", "text": EVIL},
                                     {"t": "table", "headers": [EVIL], "rows": [[EVIL], [{"text": EVIL, "b": True}]],
                                      "caption": {"no": "Tabel 1", "title": EVIL}}]}]}
    pdf, _ = typeset_document(data, DAY)
    with _doc(pdf) as doc:
        text = doc[0].get_text()
        assert doc.metadata["title"] == EVIL
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert sum(EVIL in line for line in lines) >= 5, lines


def test_hostile_names_fall_back_to_pdf17_with_a_warning_and_stay_on_the_page(hostile):
    data, odd = hostile
    standard, messages = choose_standard(data, None)
    assert standard == "1.7" and len(messages) == 1
    assert "U+1F600" in messages[0] and "Badan 😀 Senyum" in messages[0]
    with pytest.raises(ReportError, match="--pdf-standard 1.7"):
        choose_standard(data, "a-2b")
    pdf, messages = typeset_document(data, DAY)
    assert messages
    _assert_inside_pages(pdf)
    with _doc(pdf) as doc:
        flat = " ".join(" ".join(p.get_text().split()) for p in doc)
    assert EVIL in flat and "=SUM(A1:A3) Dinas Rumus" in flat


def _assert_inside_pages(pdf: bytes) -> None:
    """Every text span's ink lies on its page, inside the margins (nothing cut off at an edge or at
    a chart's edge), and no two spans are printed over each other."""
    assert outside_text_area(pdf) == []
    assert overlapping(pdf) == []


def test_demo_report_stays_on_the_page(demo):
    _assert_inside_pages(demo[1])


@pytest.mark.parametrize("year, region, lang", [(2018, "jateng", "id"), (2019, "jateng", "en")])
def test_other_demo_reports_stay_on_the_page(year, region, lang):
    rep = prepare(year, region, ROOT / "inputs", lang=lang, report_date="2022-12-15")
    pdf, messages = typeset_document(report_content(rep), DAY)
    assert messages == []
    _assert_inside_pages(pdf)


def test_comparison_report_stays_on_the_page_including_table_6():
    from kiprank.report import comparison

    rep = comparison.prepare("jateng", [2018, 2019], "kudus", ROOT / "inputs", report_date="2025-01-15")
    data = comparison.comparison_content(rep)
    pdf, messages = typeset_document(data, DAY)
    assert messages == []
    _assert_inside_pages(pdf)
    with _doc(pdf) as doc:
        text = " ".join(" ".join(p.get_text().split()) for p in doc)
    assert "Pembulatan" in text


def test_section_bundle_holds_html_and_data_and_the_notebook_gives_them_back(demo):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    data = demo[0]
    bundles = [Section(s)._repr_mimebundle_() for s in data["sections"]]
    assert all("text/html" in b and "application/vnd.kiprank.section+json" in b for b in bundles)
    nb = new_notebook(cells=[new_code_cell(outputs=[new_output("display_data", data=b)]) for b in bundles])
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    assert sections_of_notebook(nb) == data["sections"]


def test_corrections_pdf_prints_names_as_written_and_falls_back_for_emoji(tmp_path):
    import pandas as pd

    from kiprank.analysis.corrections import DIFF_COLUMNS
    from kiprank.runs.corrections import write_diff

    row = {"group": "kecamatan", "body_id": "b1", "name": EVIL, "final_old": 80.0, "final_new": 91.25,
           "final_change": 11.25, "band_old": "Menuju Informatif", "band_new": "Informatif", "rank_old": 3,
           "rank_new": 1, "what_changed": "score, band, rank"}
    table = pd.DataFrame([row], columns=DIFF_COLUMNS)
    assert write_diff(table, "old", "new", tmp_path / "a") == []
    pdf = (tmp_path / "a" / "corrections.pdf").read_bytes()
    assert b"pdfaid:part" in pdf
    with _doc(pdf) as doc:
        text = " ".join(doc[0].get_text().split())
        assert doc[0].rect.width > doc[0].rect.height  # A4 landscape
    assert EVIL in text and "+11,25" in text and "Halaman 1 dari 1" in text
    _assert_inside_pages(pdf)
    table.loc[0, "name"] = "Dinas 😀"
    messages = write_diff(table, "old", "new", tmp_path / "b")
    assert messages and "Dinas 😀" in messages[0]
    assert b"pdfaid:part" not in (tmp_path / "b" / "corrections.pdf").read_bytes()


def test_validate_warns_about_characters_the_fonts_cannot_draw(tmp_path):
    import shutil

    import pandas as pd
    from click.testing import CliRunner

    from kiprank.cli import main

    root = tmp_path / "inputs"
    shutil.copytree(FIXTURE, root)
    bodies = root / "2022" / "uji" / "bodies.csv"
    table = pd.read_csv(bodies, dtype=str, keep_default_na=False)
    table.loc[1, "name"] = "Badan 😀 [/bold] Senyum"
    table.to_csv(bodies, index=False)
    result = CliRunner().invoke(main, ["validate", "--year", "2022", "--region", "uji", "--inputs-root", str(root)])
    assert result.exit_code == 0, result.output
    text = " ".join((result.output + getattr(result, "stderr", "")).split())
    body_id = table.loc[1, "body_id"]
    assert f"bodies.csv row 3 (body_id {body_id}), column name" in text
    assert "Badan 😀 [/bold] Senyum" in text and "U+1F600" in text and "PDF 1.7" in text


@pytest.mark.parametrize("command", ["report", "compare", "build", "diff"])
def test_pdf_standard_option_on_every_pdf_command(command):
    from click.testing import CliRunner

    from kiprank.cli import main

    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--pdf-standard [a-2b|1.7]" in result.output
