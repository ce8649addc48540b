"""The PDF renderer (kiprank.pdf): the report rendered as two parts at once and joined must read
exactly like the same HTML rendered as one WeasyPrint document (text of every page, page count,
outline, links), be numbered "Halaman N dari M" on every page, give the same bytes with one or two
processes, and fail as the 'pdf' step without writing the PDF."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import nbformat
import pymupdf
import pytest

from kiprank import pdf
from kiprank.errors import ReportError
from kiprank.report import full_html, prepare
from kiprank.reportbuild import FONTS_DIR, _export_html

pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

FIXTURE = Path(__file__).parent / "fixtures" / "report_region"
DAY = date(2022, 12, 15)


@pytest.fixture(scope="module")
def html() -> str:
    """The fixture region's report HTML as `kiprank report` exports it (template, fonts, metadata),
    from an in-memory notebook holding the report's sections (no kernel needed)."""
    rep = prepare(2022, "uji", FIXTURE, lang="id", report_date=DAY.isoformat(), fingerprint="0123456789ab")
    cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data={"text/html": full_html(rep)})])
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"language_info": {"name": "python"}})
    return _export_html(nb, {"lang": "id", "title": "Uji", "issuer": "Diskominfo Uji", "version": "test",
                             "created": "2022-12-15T00:00:00Z", "fonts_url": FONTS_DIR.as_uri(),
                             "fingerprint": "0123456789ab", "methodology": "klaten-2022"})


@pytest.fixture(scope="module")
def rendered(html, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    one, two = folder / "one.pdf", folder / "two.pdf"
    pdf.render_document(html, one, DAY)
    pdf.render_pdf(html, two, DAY)
    return one, two


def test_the_report_is_split_before_the_annex(html):
    part_a, part_b, numbers = pdf.split_report(html)
    assert 'id="lampiran"' in part_a and 'class="report-section annex"' not in part_a
    assert part_b.count('class="sheet"') == html.count('class="sheet"') > 0
    assert 'id="ringkasan"' in part_a and 'id="ringkasan"' not in part_b
    assert "{pages}" in numbers


@pytest.mark.parametrize("change", ["no annex", "section after the annex", "link into the annex",
                                    "link out of the annex"])
def test_a_report_that_cannot_be_cut_is_one_document(html, change):
    """Other notebooks (e.g. a commission's own) may order or link sections differently: the cut
    is only made where it cannot change a page number, link or bookmark."""
    start = html.index(pdf.ANNEX_START)
    edited = {
        "no annex": html.replace(pdf.ANNEX_START, '<section class="report-section"'),
        "section after the annex": html.replace("</body>", '<section class="report-section" id="x"><h2>X</h2></section></body>'),
        "link into the annex": html[:start].replace("<h2", '<a href="#sheet-1">sheet</a><h2', 1)
                               + html[start:].replace('<div class="sheet">', '<div class="sheet" id="sheet-1">', 1),
        "link out of the annex": html[:start] + html[start:].replace("<p>", '<p><a href="#ringkasan">back</a>', 1),
    }[change]
    assert pdf.split_report(edited) is None


def test_two_parts_read_like_one_document(rendered):
    one, two = (pymupdf.open(p) for p in rendered)
    assert len(two) == len(one) > 3
    for i, (a, b) in enumerate(zip(one, two), start=1):
        assert b.get_text() == a.get_text(), f"page {i}"
        assert [(link.get("page"), link["from"]) for link in b.get_links()] == \
               [(link.get("page"), link["from"]) for link in a.get_links()], f"links of page {i}"
    assert two.get_toc() == one.get_toc()
    assert two.metadata["title"] == one.metadata["title"] == "Uji"
    assert "0123456789ab" in two.metadata["keywords"]


def test_every_page_is_numbered_once_in_the_same_place(rendered):
    one, two = (pymupdf.open(p) for p in rendered)
    total = len(two)
    for i, (a, b) in enumerate(zip(one, two), start=1):
        label = f"Halaman {i} dari {total}"
        assert b.get_text().count(label) == 1, f"page {i}"
        assert [r.round() for r in b.search_for(label)] == [r.round() for r in a.search_for(label)]


def test_contents_outline_and_header_point_at_the_annex(rendered):
    doc = pymupdf.open(rendered[1])
    page = next(p for _, title, p in doc.get_toc() if title.startswith("Lampiran"))
    first = doc[page - 1].get_text()
    assert "Setiap lembar memuat" in first
    assert first.count("Lampiran: Lembar Nilai per Badan Publik") == 2, "heading and running header"
    assert page - 1 in [link["page"] for link in doc[1].get_links()], "the contents link to it"


@pytest.mark.parametrize("parallel", [True, False], ids=["two-processes", "one-process"])
def test_a_failing_part_is_a_pdf_step_error_and_writes_nothing(html, tmp_path, monkeypatch, parallel):
    def boom(*args):
        raise RuntimeError("annex exploded")

    monkeypatch.setattr(pdf, "_render_part_b", boom)
    target = tmp_path / "report.pdf"
    with pytest.raises(ReportError) as err:
        pdf.render_pdf(html, target, DAY, parallel=parallel)
    assert err.value.step == "pdf" and "annex exploded" in err.value.reason
    assert not target.exists()


def test_a_crashed_renderer_process_is_reported(html, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "_render_part_b", lambda *args: os._exit(9))
    with pytest.raises(ReportError) as err:
        pdf.render_pdf(html, tmp_path / "report.pdf", DAY, parallel=True)
    assert err.value.step == "pdf" and "exit code 9" in err.value.reason
    assert not (tmp_path / "report.pdf").exists()
