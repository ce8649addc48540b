"""kiprank site without a browser: hostile names as text on every page, same bytes twice, the
site's manifest and verify, refusing folders kiprank did not make, no request to another host,
lang attributes, headings in order, tables with header cells, charts with text alternatives."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.errors import UsageError
from kiprank.runs.site import build_site, verify_site
from kiprank.runs.manifest import VerificationError

from site_helpers import HOSTILE, make_outputs


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """An outputs root with two years of the region 'uji' (one with the full report), a comparison,
    robustness.csv and letters; and its site in ``<root>/site``."""
    root = make_outputs(tmp_path_factory.mktemp("site"))
    build_site(root)
    return root


@pytest.fixture()
def outputs(published, tmp_path) -> Path:
    """A private copy (for tests that change files)."""
    copy = tmp_path / "outputs"
    shutil.copytree(published, copy)
    return copy


class Page(HTMLParser):
    """Text, headings, tables, charts and links of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headings: list[int] = []
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self.imgs: list[dict] = []
        self.urls: list[str] = []
        self.lang = None
        self.stack: list[str] = []
        self.script_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "table":
            self.tables.append({"th": 0, "th_col": 0})
        if tag == "th" and self.tables:
            self.tables[-1]["th"] += 1
            self.tables[-1]["th_col"] += a.get("scope") == "col" or "thead" in self.stack
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.svgs.append({"attrs": a, "title": ""})
        if tag == "img":
            self.imgs.append(a)
        for key in ("href", "src"):
            if a.get(key):
                self.urls.append(a[key])
        if tag not in ("meta", "link", "br", "img", "input", "rect", "line", "circle", "polyline"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if "script" in self.stack:
            self.script_text += data
        self.text.append(data)
        if self.stack[-2:] == ["svg", "title"] and self.svgs:
            self.svgs[-1]["title"] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def all_text(page: Page) -> str:
    return " ".join("".join(page.text).split())


def test_hostile_names_are_text_on_every_page(published):
    site = published / "site"
    region = site / "2022" / "uji"
    for path in pages(site):
        source = path.read_text(encoding="utf-8")
        assert "<script>alert" not in source, path
        page = parse(path)
        assert page.script_text == "", f"{path}: inline script"
    index_text = all_text(parse(region / "index.html"))
    names = [*HOSTILE.values()]
    for name in names:
        assert " ".join(name.split()) in index_text, name
    for guarded in ("'=SUM(A1)", "'\uff1dHYPERLINK", "' =1+2"):  # the CSV's formula guard is taken off again
        assert guarded not in index_text
    # each body's own page names it in its heading and title
    for body_id, name in HOSTILE.items():
        page = parse(region / "badan" / f"{body_id}.html")
        assert " ".join(name.split()) in all_text(page)
    hostile_id_pages = [p for p in (region / "badan").iterdir() if p.name.startswith("kec-04-")]
    assert len(hostile_id_pages) == 1 and re.fullmatch(r"kec-04-b-x-[0-9a-f]{10}\.html", hostile_id_pages[0].name)
    # the comparison and the home page too
    comp = all_text(parse(site / "compare" / "uji_2021-2022" / "index.html"))
    for name in names:
        assert " ".join(name.split()) in comp, name
    assert (region / "ranking.csv").read_text(encoding="utf-8").count("'=SUM(A1)") == 1  # the copy is verbatim


def test_attributes_and_charts_escape_names(published):
    source = (published / "site" / "2022" / "uji" / "index.html").read_text(encoding="utf-8")
    assert 'data-name="&lt;script&gt;alert(1)&lt;/script&gt; | kec-01 | ' in source  # name, id, acronyms
    assert "$x$" in html.unescape(source)  # never mathematics
    score_only = (published / "site" / "2021" / "uji" / "index.html").read_text(encoding="utf-8")
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in score_only  # the chart's bar label


def test_labels_not_ids_and_issuer_and_region_in_every_header(published):
    """The stage labels come from the run's own methodology file (not a preset), the region's label
    and the issuer from its region.yml; every page's header names them."""
    site = published / "site"
    region = (site / "2022" / "uji" / "index.html").read_text(encoding="utf-8")
    assert '<abbr title="Self Assessment Questionnaire (SAQ)">SAQ</abbr>' in region
    assert ">saq<" not in region and ">verifikasi<" not in region
    for path in [site / "index.html", site / "2022/uji/index.html", site / "2021/uji/badan/kec-02.html",
                 site / "compare/uji_2021-2022/index.html", site / "en/2022/uji/badan/opd-01.html"]:
        header = re.search(r'<header class="site">(.*?)</header>', path.read_text(encoding="utf-8"), re.S).group(1)
        assert "Dinas Komunikasi dan Informatika Kabupaten Uji" in html.unescape(header), path
        if path.name != "index.html" or "uji" in str(path.parent):
            assert "Kabupaten Uji" in header.replace("Informatika Kabupaten Uji", ""), path
    body = (site / "2022/uji/badan/kec-02.html").read_text(encoding="utf-8")
    assert "Kabupaten Uji 2022" in body and "uji 2022" not in body  # the crumb names the region
    stages = re.search(r'<caption id="stages-cap">.*?</table>', body, re.S).group(0)
    assert "Bobot" in stages and "<td class=\"num\"></td>" not in stages  # the weights are known


def test_a_comparison_alone_names_its_issuer_and_region(tmp_path):
    """A comparison published without its years' rankings: the header and the home page take the
    region's label and the issuer from the region.yml its manifest recorded, not the folder's id."""
    inputs = Path(__file__).resolve().parent.parent / "inputs"
    result = CliRunner().invoke(main, ["compare", "--region", "jateng", "--years", "2018", "2019", "--inputs-root",
                                       str(inputs), "--outputs-root", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    build_site(tmp_path / "out")
    page = (tmp_path / "out" / "site" / "compare" / "jateng_2018-2019" / "index.html").read_text(encoding="utf-8")
    header = html.unescape(re.search(r'<header class="site">(.*?)</header>', page, re.S).group(1))
    assert "Komisi Informasi Provinsi Jawa Tengah" in header and "Provinsi Jawa Tengah 2018" in header
    assert ">jateng 2018" not in header
    home = html.unescape((tmp_path / "out" / "site" / "index.html").read_text(encoding="utf-8"))
    assert "Provinsi Jawa Tengah: 2018" in home


def test_a_renamed_body_has_its_history_through_the_crosswalk(published):
    from site_helpers import RENAMED

    page = (published / "site" / "2022" / "uji" / "badan" / f"{RENAMED[1]}.html").read_text(encoding="utf-8")
    history = re.search(r'<caption id="history-cap">.*?</table>', page, re.S).group(0)
    assert f'href="../../../2021/uji/badan/{RENAMED[0]}.html"' in history
    assert "history_none" not in page and "Hanya satu tahun" not in page


def test_both_languages_link_to_each_other(published):
    site = published / "site"
    for rel in ("index.html", "2022/uji/index.html", "2021/uji/badan/kec-02.html", "compare/uji_2021-2022/index.html"):
        id_page, en_page = parse(site / rel), parse(site / "en" / rel)
        assert id_page.lang == "id" and en_page.lang == "en"
        depth = rel.count("/")
        assert "../" * depth + "en/" + rel in id_page.urls, rel
        assert "../" * (depth + 1) + rel in en_page.urls, rel


def test_same_bytes_twice(published, tmp_path):
    other = published / "site-again"
    try:
        build_site(published, other)
        first = {p.relative_to(published / "site"): p.read_bytes() for p in (published / "site").rglob("*") if p.is_file()}
        second = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
        assert first.keys() == second.keys()
        differ = [str(k) for k in first if first[k] != second[k]]
        assert differ == []
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_manifest_lists_every_file_and_its_sources(published):
    site = published / "site"
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "site" and manifest["outputs_root"] == ".."
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["outputs"]) == files
    for rel in ("2022/uji/ranking.csv", "2022/uji/robustness.csv", "2022/uji/letters/kec-01.pdf",
                "2022/uji/report-content.json", "2021/uji/indicators.csv", "compare/uji_2021-2022/changes.csv"):
        assert rel in manifest["sources"], rel
    assert re.fullmatch(r"[0-9a-f]{12}", manifest["fingerprint"])


def test_verify_passes_then_names_a_changed_page_an_extra_file_and_a_stale_source(outputs):
    runner = CliRunner()
    site = outputs / "site"
    result = runner.invoke(main, ["verify", str(site)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output

    page = site / "2022" / "uji" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("uji", "ujj", 1), encoding="utf-8")
    (site / "stray.html").write_text("x", encoding="utf-8")
    result = runner.invoke(main, ["verify", str(site)])
    assert result.exit_code == 3
    assert "2022/uji/index.html (changed)" in result.output and "stray.html (not listed" in result.output

    with pytest.raises(UsageError, match="stray.html"):  # a file kiprank did not write is never deleted
        build_site(outputs)
    (site / "stray.html").unlink()
    build_site(outputs)
    robustness = outputs / "2022" / "uji" / "robustness.csv"
    robustness.write_text(robustness.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(VerificationError, match="robustness.csv"):
        verify_site(site)


def test_verify_notices_results_published_after_the_site(outputs):
    (outputs / "2020").mkdir()
    shutil.copytree(outputs / "2021" / "uji", outputs / "2020" / "uji")
    with pytest.raises(VerificationError, match="2020/uji"):
        verify_site(outputs / "site")


def test_refuses_an_out_folder_kiprank_did_not_make(outputs, tmp_path):
    runner = CliRunner()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(main, ["site", "--outputs-root", str(outputs), "--out", str(mine)])
    assert result.exit_code == 2 and "was not made by `kiprank site`" in result.output
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me" and len(list(mine.iterdir())) == 1
    inside = outputs / "2022" / "uji" / "site"
    result = runner.invoke(main, ["site", "--outputs-root", str(outputs), "--out", str(inside)])
    assert result.exit_code == 2 and "is a published folder" in result.output and not inside.exists()
    result = runner.invoke(main, ["site", "--outputs-root", str(outputs), "--out", str(outputs)])
    assert result.exit_code == 2
    result = runner.invoke(main, ["site", "--outputs-root", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "no such folder" in result.output
    empty = tmp_path / "empty-root"
    empty.mkdir()
    result = runner.invoke(main, ["site", "--outputs-root", str(empty)])
    assert result.exit_code == 2 and "nothing is published" in result.output
    # an earlier site (its manifest says so) is replaced
    result = runner.invoke(main, ["site", "--outputs-root", str(outputs)])
    assert result.exit_code == 0, result.output


def test_a_failed_build_keeps_the_last_site(outputs, monkeypatch):
    site = outputs / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    import kiprank.site.render as render

    real = render.write_site

    def broken(data, folder, **kwargs):
        real(data, folder, **kwargs)
        raise RuntimeError("killed half way")

    monkeypatch.setattr(render, "write_site", broken)
    with pytest.raises(RuntimeError):
        build_site(outputs)
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in outputs.iterdir() if p.name.startswith(".")] == []


def test_no_request_to_another_host(published):
    site = published / "site"
    for path in pages(site):
        page = parse(path)
        for url in page.urls:
            assert not re.match(r"^(https?:)?//", url, re.I), f"{path}: {url}"
            assert not url.startswith("/"), f"{path}: {url} (absolute path: breaks on the file system)"
            target = url.split("#")[0]
            if target and not target.startswith("data:"):
                assert (path.parent / target).resolve().is_file(), f"{path}: broken link {url}"
    css = (site / "static" / "site.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css
    js = (site / "static" / "site.js").read_text(encoding="utf-8")
    assert "http" not in js and "fetch(" not in js and "XMLHttpRequest" not in js


def test_lang_attributes_and_english(outputs):
    for path in pages(outputs / "site"):  # Indonesian at the top, English under en/
        assert parse(path).lang == ("en" if path.relative_to(outputs / "site").parts[0] == "en" else "id"), path
    region = (outputs / "site" / "2022" / "uji" / "index.html").read_text(encoding="utf-8")
    assert '<div class="report-content" lang="id">' in region  # the report's own language
    result = CliRunner().invoke(main, ["site", "--outputs-root", str(outputs), "--lang", "en"])
    assert result.exit_code == 0, result.output
    home = parse(outputs / "site" / "index.html")
    assert home.lang == "en" and "Public information openness rankings" in all_text(home)
    assert parse(outputs / "site" / "id" / "index.html").lang == "id"  # the other language under id/
    assert json.loads((outputs / "site" / "manifest.json").read_text(encoding="utf-8"))["lang"] == "en"


def test_headings_in_order_and_one_h1(published):
    for path in pages(published / "site"):
        levels = parse(path).headings
        assert levels[0] == 1 and levels.count(1) == 1, (path, levels)
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, (path, levels)


def test_tables_have_header_cells(published):
    count = 0
    for path in pages(published / "site"):
        for table in parse(path).tables:
            count += 1
            assert table["th"] > 0, path
    assert count > 20


def test_charts_have_text_alternatives(published):
    site = published / "site"
    charts = 0
    for path in pages(site):
        page = parse(path)
        for svg in page.svgs:
            charts += 1
            assert svg["attrs"].get("role") == "img", path
            assert svg["attrs"].get("aria-labelledby"), path
            assert svg["title"].strip(), path
        for img in page.imgs:
            assert (img.get("alt") or "").strip(), f"{path}: an image without alt text"
    assert charts >= 4
    body = (site / "2022" / "uji" / "badan" / "kec-02.html").read_text(encoding="utf-8")
    assert re.search(r"<desc id=\"h-d\">2021: [0-9]", body)  # the history chart says its numbers


def test_body_page_holds_sheet_robustness_letter_and_history(published):
    page = all_text(parse(published / "site" / "2022" / "uji" / "badan" / "kec-01.html"))
    assert "Lembar nilai" in page and "Pengumuman informasi berkala" in page
    assert "Peluang kualifikasi" in page and "75%" in page and "1000 simulasi" in page
    assert "Surat untuk badan publik ini" in page
    assert "Riwayat" in page and "2021" in page
    source = (published / "site" / "2022" / "uji" / "badan" / "kec-01.html").read_text(encoding="utf-8")
    assert 'href="../letters/kec-01.pdf"' in source and 'href="../../../2021/uji/badan/kec-01.html"' in source
    assert (published / "site" / "2022" / "uji" / "letters" / "kec-01.pdf").is_file()


def test_region_page_shows_the_report_sections_and_the_score_only_year_its_tables(published):
    site = published / "site"
    with_report = all_text(parse(site / "2022" / "uji" / "index.html"))
    assert "1. Ringkasan" in with_report and "2. Metodologi" in with_report
    assert "Data sintetis untuk pengujian kiprank" in with_report  # the cover's data note
    assert "Lembar Nilai per Badan Publik" not in with_report  # the annex lives on the body pages
    score_only = all_text(parse(site / "2021" / "uji" / "index.html"))
    assert "Ringkasan" in score_only and "Jumlah badan publik per kualifikasi dan kelompok" in score_only
    home = all_text(parse(site / "index.html"))
    assert "Tahun 2022" in home and "Tahun 2021" in home and "Kabupaten Uji: 2021–2022" in home


def test_build_has_a_site_flag():
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0 and "--site" in result.output
