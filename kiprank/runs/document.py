"""One build orchestration for the documents made from a notebook: the ranking report
(:mod:`kiprank.runs.report`) and the comparison report (:mod:`kiprank.runs.comparison`).

:func:`build_document` runs the steps below into a staging folder and publishes it only when every
step succeeded (:func:`kiprank.core.publish.staged_folder`): a failure leaves the previous outputs as
they were and no partial folder behind. A failing step raises
:class:`~kiprank.core.errors.ReportError` naming the step and the reason. Each build only says what
differs, in the :class:`Document` its ``prepare`` function returns:

1. ``inputs``: ``prepare`` validates the inputs in this process (input problems are reported as
   such) while the notebook's kernel starts (:class:`~kiprank.runs.kernels.KernelStarter`) and
   loads the report's libraries, so the two start-up costs overlap on two cores;
2. ``notebook``: the notebook run by papermill in that kernel (:mod:`kiprank.runs.engine`), saved as
   ``<name>.ipynb``; each cell displays one section, with its HTML and its data
   (:class:`kiprank.report.section.Section`);
3. ``html``: exported with nbconvert and the project template (:mod:`kiprank.runs.html_export`),
   ``<name>.html``;
4. ``pdf``: the sections' data typeset with Typst (:mod:`kiprank.report.pdf`), ``<name>.pdf``, and
   the same data as ``<name>-content.json`` (what the site renders pages from); a thread loads the
   fonts and the Typst compiler while the notebook runs (:class:`WarmPdf`);
5. ``tables``: the document's tables, then its manifest (when it has one).

A batch worker passes its warm kernel (``kernel=``): nothing is started or stopped here, and
``notebook_done`` tells it when the kernel is free for the next report. ``ReportBuild.timings`` has
each step's time (``kiprank report --timings``, ``benchmarks/bench_report.py``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from ..core.errors import KiprankError, ReportError
from ..core.formatting import check_lang, resolve_report_date
from ..core.version import __version__
from .kernels import KernelStarter, WarmKernel
from ..core.publish import staged_folder


@dataclass
class ReportBuild:
    """What a build produced: the published folder and the time each step took (seconds)."""

    folder: Path
    timings: dict[str, float] = field(default_factory=dict)
    renderer_messages: list[str] = field(default_factory=list)
    pdf_name: str = "report.pdf"

    @property
    def pdf(self) -> Path:
        return self.folder / self.pdf_name


@dataclass
class Document:
    """What one build of a notebook document is (returned by the build's ``prepare``).

    ``name``: the stem of its files (``<name>.ipynb``, ``.html``, ``.pdf``, ``<name>-content.json``);
    ``kind``: what the published folder is (:mod:`kiprank.core.publish`); ``target``: that folder;
    ``day``: the report date (PDF dates); ``parameters``: the notebook's; ``meta``: the HTML
    template's ``resources.kiprank`` (``lang``, ``title``, ``issuer`` ...; the version and creation
    date are added); ``write_tables(stage)`` writes the tables into the staging folder and
    returns the files the ``manifest`` lists (a manifest is written only when one is given).
    """

    name: str
    kind: str
    target: Path
    notebook: Path
    day: date
    parameters: dict
    meta: dict
    write_tables: Callable[[Path], list[str]]
    manifest: dict | None = None


class StepClock:
    """Times consecutive steps: ``lap("html")`` records the seconds since the previous lap."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = now - self._last
        self._last = now


class WarmPdf(threading.Thread):
    """Loads what the PDF step needs (the bundled fonts' character maps, the Typst compiler and its
    fonts, by typesetting a one-line document) while the notebook runs in its kernel, so the PDF
    step after it only typesets. Failures are ignored here: the PDF step reports them."""

    def __init__(self):
        super().__init__(daemon=True, name="kiprank-warm-pdf")

    def run(self):
        try:
            from ..core.glyphs import drawable
            from ..report.typeset import typeset_pdf

            drawable()
            typeset_pdf("report.typ", WARM_DOCUMENT, pdf_standard="1.7")
        except BaseException:
            pass


# A tiny document in every face the reports use (serif, sans, bold, italic).
WARM_DOCUMENT = {"meta": {"title": "warm"}, "sections": [{"kind": "section", "heading": "Aa", "title": "Aa",
                 "anchor": "a", "newpage": False, "blocks": [{"t": "p", "text": ["Aa ", {"text": "Bb", "b": True},
                                                                                    {"text": " Cc", "i": True}]},
                                                            {"t": "table", "headers": ["Aa"], "rows": [["1"]]}]}]}


def check_parameters(lang: str, report_date: str | date | None) -> date:
    """The report date of a build (``--date``, else ``SOURCE_DATE_EPOCH``, else today), after
    checking the language; a ReportError of the step ``parameters`` when either is not valid."""
    try:
        check_lang(lang)
        return resolve_report_date(report_date)
    except ValueError as exc:
        raise ReportError("parameters", str(exc)) from exc


def build_document(prepare: Callable[[], Document], *, kernel: WarmKernel | None = None,
                   execution_timeout: float | None = None, pdf_standard: str | None = None,
                   notebook_done: Callable[[], None] | None = None) -> ReportBuild:
    """Build and publish the document ``prepare`` describes (steps in the module's docstring).

    ``kernel``: a started warm kernel to run the notebook in (neither started nor shut down here);
    default: one started now, while ``prepare`` runs, and shut down after the notebook.
    ``execution_timeout``: seconds allowed per notebook cell (default: no limit). ``pdf_standard``:
    ``a-2b`` or ``1.7``; None: PDF/A-2b unless a character cannot be drawn (then PDF 1.7 and a
    warning in ``ReportBuild.renderer_messages``). ``notebook_done``: called once the notebook has
    run, before the HTML, PDF and tables are written (:func:`kiprank.runs.workers.run_jobs`).

    A little over 60 lines: the five steps in order, a few lines each, inside the lifetimes of the
    kernel and of the staging folder; split up, each part would need both handed to it.
    """
    clock = StepClock()
    starter = None
    if kernel is None:
        starter = KernelStarter(WarmKernel(Path.cwd()))
        starter.start()
    try:
        doc = prepare()
        clock.lap("inputs")
        if starter is not None:
            kernel = starter.ready()
        clock.lap("kernel start (overlapped)")
    except BaseException:
        if starter is not None:
            starter.cancel()
        raise
    build = ReportBuild(folder=doc.target, timings=clock.timings, pdf_name=f"{doc.name}.pdf")
    warm = WarmPdf()
    warm.start()
    with staged_folder(doc.target, kind=doc.kind) as stage:
        try:
            from .engine import run_notebook

            executed = run_notebook(doc.notebook, stage / f"{doc.name}.ipynb", doc.parameters, kernel,
                                    execution_timeout)
        finally:
            if starter is not None:
                starter.cancel()
        clock.lap("notebook")
        if notebook_done is not None:
            notebook_done()
        from .html_export import export_html

        created = datetime(doc.day.year, doc.day.month, doc.day.day, tzinfo=timezone.utc)
        meta = {"version": __version__, "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), **doc.meta}
        (stage / f"{doc.name}.html").write_text(export_html(executed, meta), encoding="utf-8")
        clock.lap("html")
        warm.join()
        build.renderer_messages = write_pdf(executed, stage / f"{doc.name}.pdf", stage / f"{doc.name}-content.json",
                                            doc.day, pdf_standard)
        clock.lap("pdf")
        try:
            files = doc.write_tables(stage)
        except KiprankError:
            raise
        except Exception as exc:
            raise ReportError("tables", f"{type(exc).__name__}: {exc}") from exc
        clock.lap("tables")
        if doc.manifest is not None:
            from .manifest import add_outputs, write_manifest

            write_manifest(add_outputs(doc.manifest, stage, files), stage)
    clock.lap("publish")
    return build


def write_pdf(executed, pdf_path: Path, content_path: Path | None, day: date,
              pdf_standard: str | None = None) -> list[str]:
    """Typeset the executed notebook's section data to ``pdf_path`` and write that data as JSON to
    ``content_path``; return the warnings (PDF standard fallback)."""
    from ..report.pdf import document_from_notebook, typeset_document

    data = document_from_notebook(executed)
    pdf, messages = typeset_document(data, day, pdf_standard)
    pdf_path.write_bytes(pdf)
    if content_path is not None:
        content_path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                encoding="utf-8")
    return messages


__all__ = ["build_document", "Document", "ReportBuild", "StepClock", "WarmPdf", "check_parameters", "write_pdf"]
