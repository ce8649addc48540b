"""Rendering the report HTML to PDF with WeasyPrint, on both cores.

WeasyPrint lays out a document in one thread, and the published report is mostly layout work
(the annex alone, one score sheet per body, is half of it). :func:`render_pdf` therefore renders
the report as two documents at once and joins them:

- part A: the cover and every section before the annex, ending with an empty *annex slot* page
  that carries the annex's anchor and bookmark (so the table of contents, its links and the PDF
  outline point at the right page, computed by WeasyPrint itself);
- part B: the annex, rendered in a forked process while this process renders part A;
- the page numbers: "Halaman N dari M" is the only thing that depends on both parts, so neither
  part draws it; once both page counts are known (part B reports its count as soon as it is laid
  out) a document of M pages holding only that footer text (same stylesheet, same position) is
  rendered here and laid over every page;
- the join (pikepdf): part B's first page is laid over the annex slot (the page the links and
  bookmark already point to), its other pages appended, the numbers laid over all pages.

The parts are cut at the annex's page break, so the pages are the same as those of the single
document; ``render_document`` (one WeasyPrint document) gives the same text on every page
(tests/test_pdf.py compares them) and is used for HTML that cannot be cut that way (no annex, as in
the comparison report; a section after the annex; an internal link across the cut).
Where ``fork`` is unavailable, or ``parallel=False`` (batch builds already use every core), the
two parts are rendered one after the other: the bytes are the same.

Reproducible output: the same HTML and day give the same bytes (content-derived identifiers, font
subsets stamped with the report day, pikepdf's deterministic document id).
"""

from __future__ import annotations

import gc
import hashlib
import html as html_lib
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from .errors import ReportError

ANNEX_START = '<section class="report-section annex"'
RUNNING_STRINGS = re.compile(r'<div class="running-strings">.*?</div>', re.S)
ANNEX_HEADING = re.compile(r'<h2(?: data-title="([^"]*)")?[^>]*>(.*?)</h2>', re.S)
SLOT_CLASS = "kiprank-annex-slot"
ID = re.compile(r'\bid="([^"]+)"')
LINK = re.compile(r'\bhref="#([^"]+)"')

_NO_NUMBER_CSS = """
@page { @bottom-right { content: ""; } }
"""
_PART_A_CSS = _NO_NUMBER_CSS + f"""
@page {SLOT_CLASS} {{
  @top-left {{ content: none; border: none; }}
  @top-right {{ content: none; border: none; }}
  @bottom-left {{ content: none; border: none; }}
  @bottom-right {{ content: none; border: none; }}
}}
.{SLOT_CLASS} {{ page: {SLOT_CLASS}; break-before: page; bookmark-level: 1; bookmark-label: attr(data-title); }}
"""
_PART_B_CSS = _NO_NUMBER_CSS + """
.running-strings[data-section] { string-set: section attr(data-section); }
.report-section.annex { break-before: auto; }
.report-section.annex h2 { bookmark-level: none; }
"""
_NUMBERS_CSS = """
@page {
  @top-left { content: none; border: none; }
  @top-right { content: none; border: none; }
  @bottom-left { content: none; border: none; }
  @bottom-right { border-top-color: transparent; }
}
.kiprank-numbers-page { break-after: page; }
"""


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _rendering(day: date | None):
    """WeasyPrint's warnings collected (not printed); font subsets stamped with ``day``; the cyclic
    garbage collector paused (the layout allocates hundreds of thousands of short-lived objects and
    the collector would walk the whole heap many times meanwhile)."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    # fontTools stamps embedded font subsets with the current time unless SOURCE_DATE_EPOCH is set.
    old_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if day is not None and not (old_epoch or "").strip().isdigit():
        os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()))
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        yield handler.messages
    finally:
        if gc_enabled:
            gc.enable()
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
        if old_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old_epoch


def _weasyprint():
    try:
        import weasyprint
    except Exception as exc:
        raise ReportError("pdf", f"WeasyPrint cannot be loaded: {type(exc).__name__}: {exc}") from exc
    return weasyprint


def _layout(html: str, base_url: str):
    return _weasyprint().HTML(string=html, base_url=base_url).render()


def _write(document, html: str, path: Path) -> None:
    identifier = hashlib.md5(html.encode("utf-8")).hexdigest().encode("ascii")
    document.write_pdf(str(path), pdf_identifier=identifier)


def _failure(exc: BaseException) -> ReportError:
    if isinstance(exc, ReportError):
        return exc
    lines = str(exc).strip().splitlines()
    return ReportError("pdf", f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": "))


def render_document(html: str, path: Path, day: date | None) -> list[str]:
    """Render ``html`` as one WeasyPrint document to ``path``; return WeasyPrint's warnings."""
    with _rendering(day) as messages:
        try:
            _write(_layout(html, str(path.parent)), html, path)
        except Exception as exc:
            raise _failure(exc) from exc
    return messages


def split_report(html: str) -> tuple[str, str, str] | None:
    """(part A, part B, numbers template) of a report whose last section is the annex, or None
    (no annex, a section after it, or an internal link across the cut other than to the annex
    itself: then the report is rendered as one document).

    The numbers template has a ``{pages}`` placeholder for the empty page elements."""
    start = html.find(ANNEX_START)
    head_end = html.find("</head>")
    if start < 0 or head_end < 0 or "<section" in html[start + len(ANNEX_START):]:
        return None
    strings = RUNNING_STRINGS.search(html)
    heading = ANNEX_HEADING.search(html, start)
    if strings is None or heading is None:
        return None
    anchor = re.search(r'\bid="([^"]+)"', html[start:html.index(">", start)])
    ids_b = set(ID.findall(html, start))
    if (set(LINK.findall(html, 0, start)) & ids_b) - {anchor.group(1) if anchor else None} \
            or set(LINK.findall(html, start)) - ids_b:
        return None
    head = html[:head_end]
    # The slot carries the heading's bookmark (its text); part B starts with the running strings
    # and the heading's header title (otherwise set by the heading itself, then no longer first).
    label = html_lib.escape(html_lib.unescape(re.sub(r"<[^>]+>", "", heading.group(2))).strip())
    slot_id = f' id="{anchor.group(1)}"' if anchor else ""
    slot = f'<div class="{SLOT_CLASS}"{slot_id} data-title="{label}"></div>'
    section = f' data-section="{heading.group(1)}"' if heading.group(1) is not None else ""
    strings_b = strings.group(0).replace('<div class="running-strings"', f'<div class="running-strings"{section}', 1)
    part_a = f"{head}<style>{_PART_A_CSS}</style>{html[head_end:start]}{slot}</body>\n</html>\n"
    part_b = f"{head}<style>{_PART_B_CSS}</style></head>\n<body>{strings_b}{html[start:]}"
    numbers = f"{head}<style>{_NUMBERS_CSS}</style></head>\n<body>{strings.group(0)}{{pages}}</body>\n</html>\n"
    return part_a, part_b, numbers


def numbers_html(template: str, pages: int) -> str:
    return template.replace("{pages}", '<div class="kiprank-numbers-page"></div>' * (pages - 1) + "<div></div>")


def render_pdf(html: str, path: Path, day: date | None, parallel: bool = True) -> list[str]:
    """Render the report ``html`` to ``path`` (see the module docstring); return WeasyPrint's
    warnings. Raises ReportError (step ``pdf``) on failure; ``path`` is then not written."""
    parts = split_report(html)
    if parts is None:
        return render_document(html, path, day)
    part_a, part_b, numbers = parts
    base_url = str(path.parent)
    with tempfile.TemporaryDirectory(prefix="kiprank-pdf-") as tmp:
        files = {name: Path(tmp) / f"{name}.pdf" for name in ("a", "b", "numbers")}
        with _rendering(day) as messages:
            worker = None
            try:
                worker = _PartB(part_b, base_url, files["b"], parallel)
                document_a = _layout(part_a, base_url)
                pages_a = len(document_a.pages)
                _write(document_a, part_a, files["a"])
                del document_a
                # Part A ends with the annex slot, which part B's first page covers.
                page_numbers = numbers_html(numbers, pages_a - 1 + worker.pages())
                _write(_layout(page_numbers, base_url), page_numbers, files["numbers"])
                messages.extend(worker.result())
            except Exception as exc:
                raise _failure(exc) from exc
            finally:
                if worker is not None:
                    worker.stop()
        try:
            _join(files, Path(tmp) / "joined.pdf")
            shutil.move(Path(tmp) / "joined.pdf", path)
        except Exception as exc:
            raise ReportError("pdf", f"joining the parts failed: {type(exc).__name__}: {exc}") from exc
    return messages


class _PartB:
    """Part B's renderer: a forked process started on creation (when ``fork`` is available and
    ``parallel``), which reports its page count as soon as it is laid out; otherwise part B is
    rendered in this process when its page count is first asked for."""

    def __init__(self, html: str, base_url: str, path: Path, parallel: bool):
        self.args = (html, base_url, path)
        self._pages: int | None = None
        self.process = None
        if parallel and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self.conn, child_conn = context.Pipe(duplex=False)
            self.process = context.Process(target=_child, args=(child_conn, *self.args), name="kiprank-pdf", daemon=True)
            with warnings.catch_warnings():
                # Python 3.12+ warns on fork() in a process with threads (here: zmq's, from the
                # notebook run): the child only lays out and writes a PDF and exits with os._exit.
                warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
                self.process.start()
            child_conn.close()

    def pages(self) -> int:
        if self._pages is None:
            if self.process is None:  # its warnings go to the caller's collector
                self._pages = _render_part_b(*self.args, lambda pages: None)
            else:
                self._pages = self._receive("pages")
        return self._pages

    def result(self) -> list[str]:
        """WeasyPrint's warnings, once part B is written."""
        self.pages()
        if self.process is None:
            return []
        messages = self._receive("ok")
        self.conn.close()
        self.process.join()
        return messages

    def _receive(self, expected: str):
        try:
            status, payload = self.conn.recv()
        except EOFError:
            self.process.join()
            raise ReportError("pdf", f"the annex renderer stopped (exit code {self.process.exitcode})") from None
        if status == "error":
            raise ReportError("pdf", payload)
        assert status == expected, (status, expected)
        return payload

    def stop(self) -> None:
        """Kill the renderer if it still runs (part A failed, or this process is interrupted)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


def _render_part_b(html: str, base_url: str, path: Path, report_pages) -> int:
    """Lay out part B, call ``report_pages(page count)``, write it; return the page count."""
    document = _layout(html, base_url)
    pages = len(document.pages)
    report_pages(pages)
    _write(document, html, path)
    return pages


def _child(conn, *args) -> None:
    """The forked renderer: sends ("pages", count), then ("ok", warnings); or ("error", reason).
    The report day's SOURCE_DATE_EPOCH is inherited from the parent."""
    try:
        with _rendering(None) as messages:
            _render_part_b(*args, lambda pages: conn.send(("pages", pages)))
        conn.send(("ok", messages))
    except BaseException as exc:
        conn.send(("error", _failure(exc).reason))
    finally:
        conn.close()


def _join(files: dict, path: Path) -> None:
    import pikepdf

    with pikepdf.open(files["a"]) as pdf, pikepdf.open(files["b"]) as part_b, pikepdf.open(files["numbers"]) as numbers:
        slot = pdf.pages[-1]
        first_b = part_b.pages[0]
        _overlay(pdf, slot, first_b, "/KiprankAnnex")
        if "/Annots" in first_b.obj:  # e.g. web links on the annex's first page
            slot.obj.Annots = pdf.copy_foreign(first_b.obj.Annots)
        pdf.pages.extend(part_b.pages[1:])
        if len(numbers.pages) != len(pdf.pages):
            raise ValueError(f"{len(numbers.pages)} numbered pages for {len(pdf.pages)} pages")
        for page, number in zip(pdf.pages, numbers.pages):
            _overlay(pdf, page, number, "/KiprankPageNumber")
        pdf.save(path, deterministic_id=True)


def _overlay(pdf, page, source, name: str) -> None:
    """Draw ``source`` (a page of the same size, from another PDF) over ``page``, as a form
    XObject with a fixed resource name (pikepdf's ``add_overlay`` picks a random one)."""
    import pikepdf

    if [float(v) for v in source.mediabox] != [float(v) for v in page.mediabox]:
        raise ValueError("the parts have different page sizes")
    form = pdf.copy_foreign(source.as_form_xobject())
    # WeasyPrint's pages share one resource dictionary: give this page its own before adding to it.
    resources = pikepdf.Dictionary(dict(page.obj.get("/Resources", pikepdf.Dictionary()).items()))
    resources.XObject = pikepdf.Dictionary(dict(resources.get("/XObject", pikepdf.Dictionary()).items()))
    page.obj.Resources = resources
    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, f"\nQ\nq\n{name} Do\nQ\n".encode("ascii")))


__all__ = ["render_pdf", "render_document", "split_report"]
