"""A report section shown in a notebook (JupyterLab, Notebook, VS Code) looks like the report: its
``text/html`` bundle carries the report's stylesheet scoped to the section, so band colours, chips
and tables show wherever the output is displayed and nothing else of the page is restyled. And the
README's exploring story: open the notebook, change a parameter, run all (nbclient, as JupyterLab's
"Run All" does, in the notebook's own folder).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from kiprank import report
from kiprank.report.blocks import MIME
from kiprank.report.charts import band_colors
from kiprank.report.html import SCOPE, SCOPE_SELECTOR, scoped_stylesheet

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "kiprank" / "notebooks" / "ranking_report.ipynb"
CHROMIUM = os.environ.get("KIPRANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


@pytest.fixture(scope="module")
def rep():
    return report.prepare(2022, "klaten", ROOT / "inputs", report_date="2022-12-15")


# JupyterLab 4's own rules for the tables of an HTML output (from its jlab_core stylesheet), which a
# section's styles must win against
JUPYTERLAB_CSS = """
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none; font-size: 13px;
  table-layout: fixed; margin-left: auto; margin-right: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr { vertical-align: middle;
  padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td, :not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon tr { text-align: right; }
.jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: #fff; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #f5f5f5; }
"""


def _bundle(section) -> dict:
    return section._repr_mimebundle_()


def test_section_bundle_carries_its_scoped_stylesheet(rep):
    bundle = _bundle(report.summary(rep))
    html = bundle["text/html"]
    assert html.startswith(f'<div class="kiprank {SCOPE}"><style>') and html.endswith("</div>")
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert style == scoped_stylesheet()
    assert "@page" not in style and "data:font" not in style  # print rules and embedded fonts stay in report.html
    rules = [r.strip() for r in re.findall(r"(?:^|\})([^{}]*)\{", style) if not r.strip().startswith("@")]
    assert len(rules) > 50
    for selectors in rules:
        for sel in selectors.split(","):
            assert sel.strip() == SCOPE_SELECTOR or sel.strip().startswith(f"{SCOPE_SELECTOR} "), sel
    assert f"{SCOPE_SELECTOR} .chip{{" in style and "display: inline-block" in style
    assert f"{SCOPE_SELECTOR} table.data th.band-head" in style
    # the data the PDF is typeset from is beside it, unchanged
    assert bundle[MIME]["kind"] == "section"


@pytest.mark.skipif(sync_playwright is None or not Path(CHROMIUM).is_file(),
                    reason="needs Chromium (`apt-get install chromium`) and Playwright (`pip install -e '.[test]'`)")
def test_section_shown_alone_in_a_browser_has_its_band_colours_and_restyles_nothing_else(rep):
    """The bundle alone on a blank page (as a notebook front end shows an output): the band chips
    are drawn in their band's colour and the band heads of the table have their coloured rule; the
    same markup outside the section is left unstyled."""
    colors = band_colors(rep.methodology.band_labels)
    html = _bundle(report.summary(rep))["text/html"]
    outside = ('<div id="outside"><span class="chip" style="background:#ff0000"></span>'
               '<table class="data"><thead><tr><th class="band-head" style="border-bottom-color:#ff0000">x</th>'
               '</tr></thead></table><p>p</p></div>')
    page_html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{JUPYTERLAB_CSS}</style></head><body>"
                 f"<div class='jp-RenderedHTMLCommon'>{outside}</div><div class='jp-RenderedHTMLCommon'>{html}</div>"
                 "</body></html>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.set_content(page_html)
            got = page.evaluate("""() => {
                const css = (el, p) => getComputedStyle(el).getPropertyValue(p);
                const inside = document.querySelector('.kiprank-output');
                const chips = [...inside.querySelectorAll('.chip')].map(c => [c.getAttribute('style'),
                    c.getBoundingClientRect().width, css(c, 'background-color')]);
                const heads = [...inside.querySelectorAll('th.band-head')].map(h => [h.getAttribute('style'),
                    parseFloat(css(h, 'border-bottom-width')), css(h, 'border-bottom-color'), css(h, 'color'),
                    css(h, 'background-color')]);
                const out = document.getElementById('outside');
                const names = [...inside.querySelectorAll('table.data tbody td.name')].map(td => css(td, 'text-align'));
                const nums = [...inside.querySelectorAll('table.data tbody td.num')].map(td => css(td, 'text-align'));
                return {chips, heads, names, nums,
                        outChip: out.querySelector('.chip').getBoundingClientRect().width,
                        outHead: parseFloat(css(out.querySelector('th'), 'border-bottom-width')),
                        outFont: css(out.querySelector('p'), 'font-family'),
                        inFont: css(inside, 'font-family')};
            }""")
        finally:
            browser.close()

    def rgb(hex_colour: str) -> str:
        h = hex_colour.lstrip("#")
        return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))

    band_rgb = {rgb(c) for c in colors.values()}
    assert got["heads"], "the summary's band table has band heads"
    for style, width, colour, _, _ in got["heads"]:
        assert width >= 2 and colour in band_rgb, (style, width, colour)
    assert {h[2] for h in got["heads"]} == band_rgb  # every band's colour is shown
    for style, width, colour in got["chips"]:
        assert width > 3 and colour in band_rgb | {rgb(x) for x in re.findall(r"#[0-9a-fA-F]{6}", style)}
    assert got["names"] and set(got["names"]) == {"left"}, got["names"]  # not JupyterLab's right-aligned cells
    assert got["nums"] and set(got["nums"]) == {"right"}, got["nums"]
    assert got["outChip"] == 0 and got["outHead"] == 0  # nothing outside the section is styled
    assert "Kiprank Serif" in got["inFont"] and "Kiprank" not in got["outFont"]


def _run_all(nb, folder: Path):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def test_exploring_story_change_a_parameter_and_run_all(tmp_path):
    """README "Exploring in JupyterLab": open kiprank/notebooks/ranking_report.ipynb, change the
    parameters (another region and year, English), run all: every section is shown, in English, with
    its styles, and nothing is written anywhere."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    source = params.source
    for old, new in (('year = 2022', 'year = 2019'), ('region = "klaten"', 'region = "jateng"'), ('lang = "id"', 'lang = "en"')):
        assert old in source, old
        source = source.replace(old, new)
    params.source = source
    before = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "kiprank" / "notebooks").iterdir())
    _run_all(nb, NOTEBOOK.parent)  # the notebook's own folder: inputs/ is found in a parent folder
    assert sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "kiprank" / "notebooks").iterdir()) == before
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o for o in outputs if o.output_type == "display_data" and MIME in o.data]
    kinds = [o.data[MIME]["kind"] for o in shown]
    assert kinds.count("section") >= 5 and "cover" in kinds, kinds
    html = "".join(o.data["text/html"] for o in shown)
    assert html.count(f'<div class="kiprank {SCOPE}"><style>') == len(shown)
    headings = [o.data[MIME].get("heading") for o in shown if o.data[MIME]["kind"] == "section"]
    assert "1. Summary" in headings and not [h for h in headings if "Ringkasan" in h], headings  # English, as asked
    assert "Provinsi Jawa Tengah" in html and "2019" in html
    stray = [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not stray, stray
