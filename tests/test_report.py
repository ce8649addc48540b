"""The published report: number formatting, report content, the notebook, and end-to-end builds
(papermill -> nbconvert HTML, Typst PDF) from the small fixture region tests/fixtures/report_region
(2 groups x 5 bodies, preset klaten-2022, one body per group without SAQ)."""

from __future__ import annotations

import math
import json
import shutil
from datetime import date
from html import escape
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner
import pymupdf

from kiprank.core.version import __version__
from kiprank.report.charts import band_colors, short_name
from kiprank.cli import main
from kiprank.core.errors import InputValidationError, KiprankError, ReportError
from kiprank.core.formatting import format_date, format_int, format_number, format_percent, format_weight
from kiprank.report import (band_counts_table, band_range_text, full_html, missing_items, overclaims, participation_table, prepare, resolve_report_date, top_bodies)
from kiprank.runs.report import build_report
from kiprank.core.wording import LANGUAGES, words

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "report_region"
YEAR, REGION = 2022, "uji"
NOTEBOOK = ROOT / "kiprank" / "notebooks" / "ranking_report.ipynb"
DATE = "2022-12-15"


# -- number formatting -----------------------------------------------------------------------

@pytest.mark.parametrize("value, decimals, lang, expected", [
    (94.84, 2, "id", "94,84"),
    (94.84, 2, "en", "94.84"),
    (1234.5, 2, "id", "1.234,50"),
    (1234567.891, 1, "id", "1.234.567,9"),
    (1234567.891, 1, "en", "1,234,567.9"),
    (93.3, 1, "id", "93,3"),
    (90, 2, "id", "90,00"),
    (89.995, 2, "id", "90,00"),   # half up, as a person rounds
    (2.675, 2, "id", "2,68"),     # not binary-float 2.67
    (0.05, 1, "id", "0,1"),
    (-0.04, 1, "id", "0,0"),      # no '-0,0'
    (-1234.5, 1, "id", "\u22121.234,5"),  # a true minus sign
    (12345, 0, "id", "12.345"),
    (999.95, 1, "id", "1.000,0"),
])
def test_format_number(value, decimals, lang, expected):
    assert format_number(value, decimals, lang) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, math.nan])
def test_format_number_missing_is_a_dash(missing):
    assert format_number(missing, 2, "id") == "\u2014"


def test_format_helpers():
    assert format_int(1500000, "id") == "1.500.000"
    assert format_int(1500000, "en") == "1,500,000"
    assert format_percent(20, 26, 1, "id") == "76,9%"
    assert format_percent(20, 26, 1, "en") == "76.9%"
    assert format_percent(1, 0) == "\u2014"
    assert format_weight(30.0, "id") == "30"
    assert format_weight(12.5, "id") == "12,5"
    assert format_weight(12.5, "en") == "12.5"
    assert format_date(date(2022, 12, 31), "id") == "31 Desember 2022"
    assert format_date(date(2024, 8, 1), "en") == "1 August 2024"
    with pytest.raises(ValueError):
        format_number(1.0, 2, "fr")


def test_every_language_has_every_string():
    texts = {lang: words("report", lang) for lang in LANGUAGES}
    assert set(texts["id"]) == set(texts["en"])
    for lang, strings in texts.items():
        assert all(isinstance(v, str) and v for v in strings.values()), lang


def test_short_names_for_charts():
    assert short_name("Dinas Kesehatan", 40) == "Dinas Kesehatan"
    long = "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia (BKPSDM)"
    short = short_name(long, 40)
    assert len(short) <= 40 and short.endswith("(BKPSDM)") and "\u2026" in short


def test_band_colors_cover_any_number_of_bands():
    for n in (1, 3, 5, 7):
        labels = [f"b{i}" for i in range(n)]
        colors = band_colors(labels)
        assert list(colors) == labels and all(c.startswith("#") and len(c) == 7 for c in colors.values())


def test_report_date(monkeypatch):
    assert resolve_report_date("2022-12-15") == date(2022, 12, 15)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1671062400")  # 2022-12-15 00:00 UTC
    assert resolve_report_date(None) == date(2022, 12, 15)
    with pytest.raises(ValueError):
        resolve_report_date("15/12/2022")


# -- report content (no kernel, no PDF) ------------------------------------------------------

@pytest.fixture(scope="module")
def rep():
    return prepare(YEAR, REGION, FIXTURE, lang="id", report_date=DATE)


def test_summary_tables(rep):
    part = participation_table(rep)
    assert part["bodies"].tolist() == [5, 5, 10]
    assert part["returned"].tolist() == [4, 4, 8]
    counts = band_counts_table(rep)
    assert counts.loc["Jumlah"].sum() == 10  # every body in one column
    assert counts.loc["Jumlah"].iloc[:-1].sum() == 8
    top = top_bodies(rep)
    assert set(top.groupby("group").size()) == {3}
    assert top.iloc[0]["name"] == "Kecamatan Ngawen Uji"


def test_overclaims_and_missing_items(rep):
    claims = overclaims(rep)
    assert len(claims) == 8
    assert (claims["gap"] == claims["claimed"] - claims["verified"]).all()
    assert claims["gap"].is_monotonic_decreasing
    missing = missing_items(rep)
    assert set(missing["item"]) == {i.id for i in rep.methodology.stage("website").items}
    assert missing["share"].between(0, 100).all()


def test_band_ranges_follow_the_precision(rep):
    m = rep.methodology
    assert band_range_text(m, 0, "id") == "90,0 \u2013 100,0"
    assert band_range_text(m, 1, "id") == "80,0 \u2013 89,9"
    assert band_range_text(m, len(m.bands) - 1, "id").startswith("0,0 \u2013 39,9")


def test_html_sections(rep):
    html = full_html(rep)
    m = rep.methodology
    assert "Kecamatan Sumber &lt;Lama&gt;" in html          # names are escaped
    assert "Badan Pengelolaan Keuangan &amp; Aset Daerah" in html
    for stage in m.stages:                                   # methodology generated from the object
        assert stage.label in html
    for band in m.bands:
        assert band.label in html
    for field in ("sources", "assumptions"):                 # in the report's own language
        texts, _ = m.written_in(field, rep.lang)
        assert texts
        for text in texts:
            assert escape(text) in html
    assert rep.inputs.config.data_note in html
    assert "95,0" in html and "95.0" not in html
    assert html.count('class="sheet"') == 10                # one score sheet per body


def test_english_report_content():
    rep_en = prepare(YEAR, REGION, FIXTURE, lang="en", report_date=DATE)
    html = full_html(rep_en)
    assert ">1. Summary<" in html and ">1. Ringkasan<" not in html and "Ranking Results" in html
    assert "95.0" in html and "15 December 2022" in html


# -- the notebook ----------------------------------------------------------------------------

def test_notebook_is_committed_clean_with_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in params[0].source.splitlines() if "=" in line}
    assert names == {"year", "region", "inputs_root", "lang", "report_date", "fingerprint", "robustness",
                     "preliminary"}
    assert 'region = "klaten"' in params[0].source and "year = 2022" in params[0].source
    source = "\n".join(c.source for c in code)
    assert "score(" not in source.replace("report.", "")   # no scoring in the notebook


# -- end to end ------------------------------------------------------------------------------

def _pdf_text(path: Path) -> str:
    with pymupdf.open(path) as doc:
        return "\n".join(page.get_text() for page in doc)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One report built from the fixture region (the kernel run takes a few seconds)."""
    outputs = tmp_path_factory.mktemp("outputs")
    build = build_report(YEAR, REGION, FIXTURE, outputs, lang="id", report_date=DATE)
    return build, outputs


def test_build_writes_every_output(built):
    build, outputs = built
    folder = outputs / str(YEAR) / REGION
    assert build.folder == folder
    for name in ("report.pdf", "report.html", "report.ipynb", "ranking.csv", "ranking.xlsx"):
        assert (folder / name).stat().st_size > 0, name
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left
    executed = nbformat.read(folder / "report.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))


def test_pdf_text(built, rep):
    build, _ = built
    text = _pdf_text(build.pdf)
    flat = " ".join(text.split())
    ranking = rep.ranking
    for gid in rep.groups:
        best = ranking[(ranking["group"] == gid) & (ranking["rank"] == 1)].iloc[0]
        assert best["name"] in flat
        assert format_number(best["final"], rep.methodology.decimals, "id") in flat
    for band in set(ranking["band"]) | set(rep.methodology.band_labels):
        assert band in flat
    assert "Kecamatan Sumber <Lama>" in flat
    assert rep.inputs.config.data_note in flat
    with pymupdf.open(build.pdf) as doc:
        pages = doc.page_count
    assert f"Halaman 1 dari {pages}" in flat and f"Halaman {pages} dari {pages}" in flat
    assert f"kiprank {__version__}" in flat and "metodologi klaten-2022" in flat
    for stray in ("Traceback", "Warning", "warning", "inputs_root", "outputs_root", "report_date",
                  "injected", "In [", "Out[", "display(HTML", "import "):
        assert stray not in text, stray


def test_html_has_no_code_or_parameters(built):
    build, _ = built
    html = (build.folder / "report.html").read_text(encoding="utf-8")
    for stray in ("inputs_root", "report.prepare", "warnings.filterwarnings", "jp-InputArea", "Traceback"):
        assert stray not in html, stray
    assert "@font-face" in html


def _embedded(html: str) -> set[bytes]:
    import base64
    import re

    return {base64.b64decode(m) for m in re.findall(r'url\("data:font/(?:ttf|otf);base64,([A-Za-z0-9+/=]+)"\)', html)}


def test_html_carries_its_fonts_and_points_nowhere_into_the_installation(built):
    """The published page embeds the bundled fonts its text needs (data: URLs, the files' own
    bytes), so it shows the same on any machine and after the installation moves; no file: URL,
    no installed path. DejaVu always; a Noto font only when the text has a character DejaVu lacks
    and it draws, so a page in Latin script carries no Arabic, Hebrew or CJK glyphs."""
    from kiprank.core.resources import FONTS_DIR, PACKAGE_DIR
    from kiprank.runs.html_export import export_html

    build, _ = built
    html = (build.folder / "report.html").read_text(encoding="utf-8")
    assert "file:" not in html and str(PACKAGE_DIR) not in html and "site-packages" not in html
    dejavu = {p.read_bytes() for p in FONTS_DIR.glob("DejaVu*.ttf")}
    noto = {p.name: p.read_bytes() for p in FONTS_DIR.glob("Noto*")}
    assert len(dejavu) == 7 and {"NotoSansArabic-Regular.ttf", "NotoSansHebrew-Regular.ttf",
                                 "NotoSansCJKsc-Regular.otf"} <= set(noto)
    assert _embedded(html) == dejavu                       # the fixture's text is Latin

    # the same notebook with a body named in Arabic and Chinese: those fonts come along, Hebrew does not
    nb = nbformat.read(build.folder / "report.ipynb", as_version=4)
    text = nbformat.writes(nb)
    assert "Kecamatan Sumber" in text
    nb = nbformat.reads(text.replace("Kecamatan Sumber", "Kecamatan \u0633\u0648\u0645\u0628\u0631 \u4e2d\u6587"), as_version=4)
    page = export_html(nb, {"lang": "id", "title": "t", "issuer": "i", "fingerprint": "f", "created": "2022-12-15T00:00:00Z"})
    assert "\u0633\u0648\u0645\u0628\u0631" in page and "file:" not in page and str(PACKAGE_DIR) not in page
    got = _embedded(page)
    assert dejavu <= got and noto["NotoSansArabic-Regular.ttf"] in got and noto["NotoSansCJKsc-Regular.otf"] in got
    assert noto["NotoSansHebrew-Regular.ttf"] not in got and noto["NotoSansHebrew-Bold.ttf"] not in got


def test_tables_match_the_scores(built, rep):
    build, _ = built
    table = pd.read_csv(build.folder / "ranking.csv")
    assert len(table) == len(rep.ranking)
    assert table["final"].dropna().round(1).tolist() == rep.ranking["final"].dropna().round(1).tolist()


def test_same_notebook_and_date_give_the_same_pdf_bytes(built, tmp_path):
    from kiprank.runs.document import write_pdf

    build, _ = built
    executed = nbformat.read(build.folder / "report.ipynb", as_version=4)
    write_pdf(executed, tmp_path / "again.pdf", tmp_path / "again.json", date.fromisoformat(DATE))
    assert (tmp_path / "again.pdf").read_bytes() == build.pdf.read_bytes()
    assert (tmp_path / "again.json").read_bytes() == (build.folder / "report-content.json").read_bytes()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_broken_input_leaves_previous_outputs(built, tmp_path):
    build, outputs = built
    before = _snapshot(build.folder)
    broken = tmp_path / "inputs"
    shutil.copytree(FIXTURE, broken)
    saq = broken / str(YEAR) / REGION / "saq.csv"
    saq.write_text(saq.read_text(encoding="utf-8") + "kec-01,A01,mungkin\n", encoding="utf-8")
    with pytest.raises(InputValidationError) as err:
        build_report(YEAR, REGION, broken, outputs, report_date=DATE)
    assert "mungkin" in str(err.value)
    assert _snapshot(build.folder) == before
    assert not [p for p in build.folder.parent.iterdir() if p.name.startswith(".")]


def test_notebook_error_names_the_cell_and_exception(built, tmp_path):
    build, outputs = built
    before = _snapshot(build.folder)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell('raise RuntimeError("chart data missing")'))
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    with pytest.raises(ReportError) as err:
        build_report(YEAR, REGION, FIXTURE, outputs, report_date=DATE, notebook=bad)
    message = str(err.value)
    assert err.value.step == "notebook"
    assert "RuntimeError: chart data missing" in message
    assert 'raise RuntimeError("chart data missing")' in message
    assert "Traceback" not in message and len(message.splitlines()) <= 4
    assert _snapshot(build.folder) == before
    assert not [p for p in build.folder.parent.iterdir() if p.name.startswith(".")]


def test_cli_report_errors_exit_non_zero(tmp_path):
    result = CliRunner().invoke(main, ["report", "--year", "2022", "--region", "nowhere",
                                       "--inputs-root", str(FIXTURE), "--outputs-root", str(tmp_path)])
    assert result.exit_code != 0
    assert not (tmp_path / "2022" / "nowhere").exists()
    result = CliRunner().invoke(main, ["report", "--year", "2022", "--region", REGION, "--inputs-root",
                                       str(FIXTURE), "--outputs-root", str(tmp_path), "--date", "yesterday"])
    assert result.exit_code == 2 and "--date" in result.output  # a bad argument, not a failed step (#11)
    assert issubclass(ReportError, KiprankError)


def test_cli_has_report_and_keeps_other_commands():
    names = set(main.commands)
    assert {"report", "score", "validate", "methodologies"} <= names
    help_text = CliRunner().invoke(main, ["report", "--help"]).output
    for option in ("--year", "--region", "--inputs-root", "--outputs-root", "--lang"):
        assert option in help_text


def test_published_folder_alone_gives_each_section_as_html_and_data(built):
    """What the site needs: report-content.json (listed in the manifest) holds every section's data,
    and section_html of each gives the HTML the notebook displayed for it."""
    from kiprank.report.blocks import MIME
    from kiprank.report.html import load_content, notebook_html, section_html

    build, _ = built
    data = load_content(build.folder)
    manifest = json.loads((build.folder / "manifest.json").read_text())
    assert "report-content.json" in manifest["outputs"]
    executed = nbformat.read(build.folder / "report.ipynb", as_version=4)
    shown = [o for c in executed.cells for o in c.get("outputs", []) if MIME in o.get("data", {})]
    assert len(shown) == len(data["sections"]) == 9  # with "Konsistensi Verifikasi"
    for output, section in zip(shown, data["sections"]):
        assert output["data"]["text/html"] == notebook_html(section_html(section))  # with its scoped styles
    html = (build.folder / "report.html").read_text(encoding="utf-8")
    assert html.count("<style>") == 1 and "kiprank-output" not in html  # report.html: the one full stylesheet
    for section in data["sections"]:
        if section["kind"] == "section":
            assert f'id="{section["anchor"]}"' in html
    assert data["meta"]["title"] and data["sections"][0]["kind"] == "cover"
