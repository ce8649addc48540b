"""The layout holds for any region (issue #22): every kind of PDF kiprank publishes (the ranking
report, the comparison, the corrections list, a letter, a certificate) is typeset for a matrix of
region shapes (1 to 6 stages, with and without a gate and its notes, with and without a data note,
5, 30 and 5,000 bodies, names of 60 characters, a 300-letter word and a 200-character URL) and
checked from what a reader gets (tests/pdf_checks.py):

- no text leaves its page or the page's margins (a chart label cut at the chart's edge included);
- no two text spans are printed over each other;
- no page holds fewer than 3 rows of a tagged table that has more (no row left alone);
- each PDF says in its XMP metadata that it conforms to PDF/A-2b and PDF/UA-1, is tagged, has its
  language, and every figure has a text alternative.

The 5,000-body region is typeset once per session (its report has some 1,600 pages: a few minutes
on a busy 2-core machine); its tables are checked on every page, its text positions on a sample.
"""

from __future__ import annotations

import pytest

from layout_regions import DOCUMENTS, WORD_300, Shape, build_documents
from pdf_checks import (conformance, figures_without_alt, open_pdf, outside_text_area, overlapping, sample_pages,
                        thin_table_pages)

SHAPES = [
    Shape(1, gates=False, notes=True, bodies=5),
    Shape(2, gates=True, notes=False, bodies=5),
    Shape(3, gates=False, notes=True, bodies=5),
    Shape(4, gates=True, notes=True, bodies=30),
    Shape(5, gates=False, notes=False, bodies=5),
    Shape(6, gates=True, notes=False, bodies=5),
    Shape(6, gates=False, notes=True, bodies=30),
    Shape(3, gates=True, notes=True, bodies=30),
]
LARGE = Shape(6, gates=True, notes=True, bodies=5000)

_built: dict[Shape, dict[str, bytes]] = {}


def documents(shape: Shape, tmp_path_factory) -> dict[str, bytes]:
    if shape not in _built:
        _built[shape] = build_documents(tmp_path_factory.mktemp(shape.name), shape)
    return _built[shape]


def _check(pdf: bytes, what: str, pages: set[int] | None = None) -> list[str]:
    problems = [f"{what}: outside: {p}" for p in outside_text_area(pdf, pages=pages)]
    problems += [f"{what}: overlap: {p}" for p in overlapping(pdf, pages=pages)]
    problems += [f"{what}: {p}" for p in thin_table_pages(pdf)]
    claimed = conformance(pdf)
    if claimed.get("pdfa") != "2B" or claimed.get("pdfua") != "1":
        problems.append(f"{what}: conformance claimed {claimed}")
    if claimed.get("lang") not in ("id", "id-ID") or claimed.get("marked") != "True":
        problems.append(f"{what}: language or tagging {claimed}")
    missing = figures_without_alt(pdf)
    if missing:
        problems.append(f"{what}: {missing} figures without alt text")
    return problems


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_every_document_holds_its_layout(shape, kind, tmp_path_factory):
    pdf = documents(shape, tmp_path_factory)[kind]
    assert _check(pdf, f"{shape.name} {kind}") == []


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_a_region_of_5000_bodies_holds_its_layout(kind, tmp_path_factory):
    """Every table of the 5,000-body documents (each row's page, from the tagged structure); the text
    positions of their first 200 pages (the results tables), every 10th page and the last 10."""
    pdf = documents(LARGE, tmp_path_factory)[kind]
    assert _check(pdf, f"{LARGE.name} {kind}", pages=sample_pages(pdf)) == []


def test_the_long_texts_are_printed_whole(tmp_path_factory):
    """The 300-letter word and the 200-character URL are printed (broken over lines), not cut."""
    docs = documents(SHAPES[3], tmp_path_factory)
    with open_pdf(docs["report"]) as doc:
        text = "".join("".join(page.get_text().split()) for page in doc)
    assert WORD_300 in text
    with open_pdf(docs["certificate"]) as doc:
        assert WORD_300 in "".join("".join(page.get_text().split()) for page in doc)


def test_the_results_table_goes_landscape_then_splits_by_stage(tmp_path_factory):
    """With four stages, a gate's notes and a self-assessed column the results table no longer fits
    a portrait page with room for the names: its pages are landscape."""
    with open_pdf(documents(SHAPES[3], tmp_path_factory)["report"]) as doc:
        landscape = [p.number + 1 for p in doc if p.rect.width > p.rect.height
                     and "Hasil Pemeringkatan" in p.get_text()]
    assert landscape, "the results section is on landscape pages"
