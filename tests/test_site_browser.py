"""kiprank site in a real browser: headless Chromium (Debian's ``chromium`` package) driven by
Playwright, over the site served from a local HTTP server on 127.0.0.1.

Every page loads with no console error and no failed request, every link and anchor leads
somewhere; sorting by the score column and filtering by name, id, acronym, group and band change
the visible rows as expected; at a phone's width (390 px) and a laptop's (1366 px) no page scrolls
sideways (a wide table scrolls in its own box); axe-core (``axe-playwright-python``) finds no
serious or critical accessibility violation on any page type in either language at either width;
the language switch leads to the same page in the other language; the pages also work from the
file system (file://). Screenshots of the home, a region and a body page at desktop and phone
width are written to ``$KIPRANK_SCREENSHOTS`` (default: a ``site-screenshots`` folder in pytest's
temporary folder, printed; tests never write into the checkout's ``outputs/``) for a person
to look at.

Without Chromium these tests are skipped: ``apt-get install chromium`` (Debian/Ubuntu, as root;
``.ci/run`` does it) and ``pip install -e '.[test]'`` (Playwright). Playwright is never asked to
download a browser of its own.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from kiprank.runs.site import build_site

from site_helpers import ADDED_BODIES, BPKAD, HOSTILE, KOMINFO, RENAMED, make_outputs

CHROMIUM = os.environ.get("KIPRANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HOW = ("needs Chromium: `apt-get install chromium` (Debian/Ubuntu, as root) or set KIPRANK_CHROMIUM "
       "to a Chromium binary, and Playwright for Python (`pip install -e '.[test]'`)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS_ENV = os.environ.get("KIPRANK_SCREENSHOTS")
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
PAGE_TYPES = {  # one page of each type, in both languages
    "home": "index.html", "region with report": "2022/uji/index.html", "region, tables only": "2021/uji/index.html",
    "body": "2022/uji/badan/kec-02.html", "renamed body": f"2022/uji/badan/{RENAMED[1]}.html",
    "comparison": "compare/uji_2021-2022/index.html"}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [pytest.mark.needs("browser"),
              pytest.mark.skipif(sync_playwright is None or not Path(CHROMIUM).is_file(), reason=HOW)]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 64  # Chromium opens several connections at once; a busy machine must not refuse them


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_outputs(tmp_path_factory.mktemp("browser"))
    return build_site(root).folder


@pytest.fixture(scope="module")
def server(site):
    httpd = _Server(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def test_every_page_loads_without_errors_and_every_link_works(site, server, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    problems = _watch(page)
    checked: set[str] = set()
    for rel in _pages(site):
        page.goto(server + rel, wait_until="load")
        assert page.evaluate("document.documentElement.classList.contains('js')"), f"{rel}: site.js did not run"
        links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
        for url in links:
            assert url.startswith(server), f"{rel}: link to another host {url}"
            target, _, anchor = url.partition("#")
            if target == (server + rel) and anchor:
                assert anchor in ids, f"{rel}: anchor #{anchor} leads nowhere"
                continue
            if target in checked:
                continue
            checked.add(target)
            response = page.request.get(target)
            assert response.ok, f"{rel}: broken link {url} ({response.status})"
    assert problems == []
    assert len(checked) > 20
    context.close()


def test_sorting_by_score_and_filtering_by_name_group_and_band(site, server, browser):
    page = browser.new_page(viewport=DESKTOP)
    problems = _watch(page)
    page.goto(server + "2021/uji/index.html")
    rows = page.locator("#k-ranking-table tbody tr")
    total = rows.count()
    assert total == 10 + len(ADDED_BODIES)

    def visible_scores() -> list[float | None]:
        return page.evaluate("""Array.from(document.querySelectorAll('#k-ranking-table tbody tr'))
            .filter(tr => !tr.hidden).map(tr => { const v = tr.cells[2].dataset.sort; return v === '' ? null : parseFloat(v); })""")

    def visible_names() -> list[str]:
        return page.evaluate("""Array.from(document.querySelectorAll('#k-ranking-table tbody tr'))
            .filter(tr => !tr.hidden).map(tr => tr.querySelector('th').textContent.trim())""")

    before = visible_scores()
    score_header = page.locator("#k-ranking-table thead th[data-key=final] button")
    score_header.click()
    scores = visible_scores()
    assert page.locator("#k-ranking-table thead th[data-key=final]").get_attribute("aria-sort") == "descending"
    numbers = [s for s in scores if s is not None]
    assert numbers == sorted(numbers, reverse=True) and scores[len(numbers):] == [None] * (len(scores) - len(numbers))
    assert scores != before  # the report order (by group, then rank) is not one descending list
    score_header.click()
    scores = visible_scores()
    numbers = [s for s in scores if s is not None]
    assert numbers == sorted(numbers)
    assert page.locator("#k-ranking-table thead th[data-key=final]").get_attribute("aria-sort") == "ascending"

    page.fill("form.filters input[name=name]", "kecamatan")
    names = visible_names()
    assert names and all("kecamatan" in n.lower() for n in names)
    assert len(names) < total
    assert page.locator("#k-ranking-count").inner_text().startswith(f"{len(names)} dari {total}")
    page.fill("form.filters input[name=name]", "<script>")
    assert visible_names() == [HOSTILE["kec-01"]]
    page.fill("form.filters input[name=name]", "no such body at all")
    assert visible_names() == [] and page.locator("#k-ranking-count").inner_text() == "Tidak ada badan publik yang cocok."
    page.fill("form.filters input[name=name]", "")
    assert len(visible_names()) == total
    page.select_option("form.filters select[name=group]", "Badan / Dinas")
    groups = page.evaluate("""Array.from(document.querySelectorAll('#k-ranking-table tbody tr'))
        .filter(tr => !tr.hidden).map(tr => tr.dataset.group)""")
    assert groups and set(groups) == {"Badan / Dinas"} and len(groups) < total
    page.select_option("form.filters select[name=group]", "")
    page.select_option("form.filters select[name=band]", "Tidak Informatif")
    bands = page.evaluate("""Array.from(document.querySelectorAll('#k-ranking-table tbody tr'))
        .filter(tr => !tr.hidden).map(tr => tr.dataset.band)""")
    assert bands and set(bands) == {"Tidak Informatif"}
    page.press("form.filters input[name=name]", "Enter")  # no form submission, no navigation
    assert page.url.endswith("2021/uji/index.html")
    assert problems == []
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1366px"])
def test_no_page_scrolls_sideways_and_wide_tables_scroll_in_their_box(site, server, browser, viewport):
    context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE)
    page = context.new_page()
    wide, cut = [], []
    for rel in _pages(site):
        page.goto(server + rel)
        scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        if scroll > inner:
            wide.append(f"{rel}: {scroll} > {inner}")
        # a table wider than the page sits in a box that scrolls (overflow auto) and can be focused
        cut += [f"{rel}: {t}" for t in page.evaluate("""Array.from(document.querySelectorAll('table')).filter(t => {
                const r = t.getBoundingClientRect();
                if (r.right <= innerWidth + 1) return false;
                const box = t.closest('.table-scroll, .table-box');
                return !box || getComputedStyle(box).overflowX !== 'auto' || box.tabIndex < 0;
            }).map(t => t.className || t.id || 'table')""")]
    assert wide == [] and cut == []
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_report_table_headings_keep_their_words_whole(site, server, browser, viewport):
    """A heading of a report section's table is never broken inside a word ('Perub|ahan', 'Perin|gkat'
    were seen on the comparison page at 1366 px): it has no more lines than words."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    broken, seen = [], 0
    for rel in _pages(site):
        if "/badan/" in rel:
            continue
        page.goto(server + rel)
        found = page.evaluate("""Array.from(document.querySelectorAll('.report-content thead th')).map(th => {
                const range = document.createRange(); range.selectNodeContents(th);
                const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
                return [th.textContent.trim(), tops.size, th.textContent.trim().split(/\\s+/).filter(Boolean).length];
            })""")
        seen += len(found)
        broken += [f"{rel}: {text!r} on {lines} lines" for text, lines, words in found if lines > max(words, 1)]
    assert seen > 0, "no report section on the site"
    assert broken == []
    context.close()


def test_axe_finds_no_serious_or_critical_violation(site, server, browser):
    """axe-core on every page type, Indonesian and English, at 390 and 1366 px."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = []
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        for kind, rel in PAGE_TYPES.items():
            for prefix in ("", "en/"):
                page.goto(server + prefix + rel)
                result = axe.run(page)
                for v in result.response["violations"]:
                    if v["impact"] in ("serious", "critical"):
                        found.append(f"{viewport['width']}px {prefix}{rel} ({kind}): {v['id']} ({v['impact']}): "
                                     f"{[n['target'] for n in v['nodes'][:3]]}")
        context.close()
    assert found == []
    assert result.response["testEngine"]["name"] == "axe-core"  # axe really ran


def test_search_finds_bodies_by_id_and_acronym(site, server, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(server + "2022/uji/index.html")

    def visible_names() -> list[str]:
        return page.evaluate("""Array.from(document.querySelectorAll('#k-ranking-table tbody tr'))
            .filter(tr => !tr.hidden).map(tr => tr.querySelector('th').textContent.trim())""")

    page.fill("form.filters input[name=name]", "Diskominfo")
    assert visible_names() == [KOMINFO[1]]
    page.fill("form.filters input[name=name]", "kec-03")
    assert visible_names() == [HOSTILE["kec-03"]]
    page.fill("form.filters input[name=name]", "BPKAD")
    assert visible_names() == [BPKAD[1]]
    page.goto(server + "compare/uji_2021-2022/index.html")
    page.fill("form.filters input[name=name]", "diskominfo")
    names = page.evaluate("""Array.from(document.querySelectorAll('table.sortable tbody tr'))
        .filter(tr => !tr.hidden).map(tr => tr.querySelector('th').textContent.trim())""")
    assert names == [KOMINFO[1]]
    page.close()


def test_language_switch_leads_to_the_same_page_in_the_other_language(site, server, browser):
    page = browser.new_page(viewport=DESKTOP)
    problems = _watch(page)
    page.goto(server + "2022/uji/badan/kec-02.html")
    assert page.evaluate("document.documentElement.lang") == "id"
    page.click("header a.lang-switch")
    page.wait_for_load_state("load")  # else the next navigation aborts this page's style sheet
    assert page.url == server + "en/2022/uji/badan/kec-02.html"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h2#result").inner_text() == "Result"
    page.click("header a.lang-switch")
    page.wait_for_load_state("load")
    assert page.url == server + "2022/uji/badan/kec-02.html"
    page.goto(server + "en/2022/uji/index.html")  # the English page links to the published files
    for href in page.evaluate("Array.from(document.querySelectorAll('ul.downloads a')).map(a => a.href)"):
        assert page.request.get(href).ok, href
    assert problems == []
    page.close()


def test_pages_work_from_the_file_system(site, browser):
    page = browser.new_page(viewport=DESKTOP)
    problems = _watch(page)
    page.goto((site / "2021" / "uji" / "index.html").as_uri())
    page.locator("#k-ranking-table thead th[data-key=final] button").click()
    assert page.locator("#k-ranking-table thead th[data-key=final]").get_attribute("aria-sort") == "descending"
    page.goto((site / "index.html").as_uri())
    page.locator("a", has_text="2021").first.is_visible()
    assert problems == []
    page.close()


def test_screenshots_for_a_person_to_look_at(site, server, browser, tmp_path_factory):
    SHOTS = Path(SHOTS_ENV) if SHOTS_ENV else tmp_path_factory.mktemp("site-screenshots")
    SHOTS.mkdir(parents=True, exist_ok=True)
    targets = {"home": "index.html", "region": "2022/uji/index.html", "body": "2022/uji/badan/kec-02.html",
               "comparison": "compare/uji_2021-2022/index.html", "region-en": "en/2021/uji/index.html"}
    written = []
    for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        for name, rel in targets.items():
            page.goto(server + rel)
            path = SHOTS / f"{name}-{width_name}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
            written.append(path)
        context.close()
    print("screenshots:", *written, sep="\n  ")
