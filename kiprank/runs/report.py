"""Building the published report: notebook (papermill) -> HTML (nbconvert) and PDF (Typst).

``build_report`` runs the steps below into a staging folder and publishes it as
``<outputs_root>/<year>/<region>/`` only when every step succeeded
(:func:`kiprank.core.publish.staged_folder`): a failure leaves the previous outputs as they were and
no partial folder behind. A failing step raises :class:`~kiprank.core.errors.ReportError` naming the
step and the reason (for a notebook error: the cell and the exception).

Steps, in order:

1. ``inputs``: validate and score the region in this process (input problems are reported as
   such, before any kernel starts);
2. ``notebook``: execute ``notebooks/ranking_report.ipynb`` with papermill (kernel ``python3`` of
   the running Python), saved as ``report.ipynb``; each cell displays one section, with its HTML
   and its data (:class:`kiprank.report.section.Section`);
3. ``html``: export it with nbconvert's HTMLExporter and the project template
   ``kiprank/templates/kiprank_report`` (no code, prompts, parameters or stderr), ``report.html``;
4. ``pdf``: typeset the sections' data displayed by the executed notebook with Typst
   (:mod:`kiprank.report.pdf`), ``report.pdf``, and write the same data as
   ``report-content.json`` (what the site renders region pages from);
5. ``tables``: ``ranking.csv``, ``ranking.xlsx`` and ``indicators.csv``
   (:func:`kiprank.runs.pipeline.write_tables`).

Speed: the kernel is started first and loads the report's libraries (``WARM_UP``) while this
process validates the inputs and imports nbconvert, so the two start-up costs overlap on the two
cores; while the notebook runs, a thread loads the fonts and the Typst compiler (``WarmPdf``);
the nbconvert export skips HTMLExporter's BeautifulSoup pass and reuses its exporters (their
templates are compiled once); Typst typesets in this process with a warm compiler (fonts
loaded once). The kernels kiprank starts keep no IPython history file and freeze the report's
libraries out of the garbage collector's sight (``WARM_UP``), which matters most for the warm
kernels of ``kiprank build`` (:mod:`kiprank.runs.batch`), reset between reports.
``ReportBuild.timings`` has each step's time
(``kiprank report --timings``, ``benchmarks/bench_report.py``).

Reproducibility: the same inputs, notebook and report date give byte-identical HTML and PDF (chart
ids are salted, the PDF's dates are the report date, fonts come only from ``kiprank/fonts``).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ..core.version import __version__
from ..core.errors import KiprankError, ReportError, UsageError
from ..core.formatting import check_lang, resolve_report_date
from .manifest import add_outputs, build_manifest, write_manifest
from ..core.publish import staged_folder

# Only light modules are imported above: the kernel is started before pandas & co. are imported.

from ..core.resources import NOTEBOOKS_DIR, TEMPLATES_DIR  # noqa: E402
from .datapackage import write_run_datapackage  # noqa: E402
TEMPLATE_NAME = "kiprank_report"
NOTEBOOK_NAME = "ranking_report.ipynb"
KERNEL_NAME = "python3"
REPORT_FILES = ("report.pdf", "report.html", "report.ipynb", "report-content.json", "ranking.csv", "ranking.xlsx",
                "indicators.csv", "datapackage.json")


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


class StepClock:
    """Times consecutive steps: ``lap("html")`` records the seconds since the previous lap."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = now - self._last
        self._last = now


def default_notebook(name: str = NOTEBOOK_NAME) -> Path:
    """``notebooks/<name>`` of the source tree (or a copy shipped in the package)."""
    candidate = NOTEBOOKS_DIR / name
    if candidate.is_file():
        return candidate
    raise ReportError("notebook", f"the notebook {name} was not found next to the kiprank package")


class _Prefetch(threading.Thread):
    """Imports the notebook, HTML and PDF libraries in the background (they take seconds to
    import), so that none is imported after the kernel is ready."""

    def __init__(self):
        super().__init__(daemon=True, name="kiprank-prefetch")
        self.error: BaseException | None = None

    def run(self):
        try:
            import nbconvert.exporters.html  # noqa: F401
            import papermill  # noqa: F401
            import typst  # noqa: F401
        except BaseException as exc:  # reported by the step that needs the library
            self.error = exc


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


# What the report notebook imports: loaded into the kernel while this process checks the inputs.
# Then the objects of those libraries are moved out of the garbage collector's sight
# (``gc.freeze``): they live as long as the kernel, and every full collection (automatic ones, and
# the one of each namespace reset in a batch worker's kernel) no longer walks through them.
WARM_UP = ("import kiprank.report, kiprank.report.charts, matplotlib.figure, matplotlib.backends.backend_svg, "
           "IPython.display; __import__('gc').collect(); __import__('gc').freeze()")

# Options of the kernels kiprank starts: no IPython history database (a write to an SQLite file
# after every cell, which nobody reads back for a published report).
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]


class _Kernel(threading.Thread):
    """Starts the notebook's kernel early and loads the report's libraries into it.

    The kernel (a separate process) then imports pandas, matplotlib and kiprank while this process
    validates the inputs and imports nbconvert; papermill executes the notebook in this kernel.
    Warm-up failures are ignored here: the same import fails in the notebook, where it is reported.
    The kernel's own stdout/stderr (start-up chatter such as a TCP warning) is discarded: what the
    notebook prints goes through the kernel protocol, not through these streams.
    """

    def __init__(self, cwd: Path):
        super().__init__(daemon=True, name="kiprank-kernel")
        self.cwd = cwd
        self.km = None
        self.error: BaseException | None = None
        self._cancelled = threading.Event()

    def run(self):
        import asyncio

        try:
            asyncio.run(self._start())
        except BaseException as exc:
            self.error = exc

    async def _start(self):
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_this_python_specs())
        await km.start_kernel(cwd=str(self.cwd), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              extra_arguments=KERNEL_ARGUMENTS)
        self.km = km
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            if not self._cancelled.is_set():
                await kc.execute_interactive(WARM_UP, silent=True, store_history=False, timeout=120,
                                             output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
            if self._cancelled.is_set():
                await km.shutdown_kernel(now=True)

    def ready(self):
        """Wait for the warm kernel; its manager, or None (papermill then starts its own kernel)."""
        self.join()
        if self.error is not None and self.km is not None:
            self.cancel()
            return None
        return self.km

    def cancel(self):
        """Stop the kernel: now, or once it has started (when the build failed before the notebook
        ran), and after the notebook ran (papermill leaves a kernel it did not start running)."""
        self._cancelled.set()
        if not self.is_alive() and self.km is not None:
            import asyncio

            try:
                asyncio.run(self.km.shutdown_kernel(now=True))
            except Exception:
                pass


def _this_python_specs():
    """Kernel specs in which ``python3`` is always the running interpreter (this venv), even when a
    user-level ``python3`` kernelspec points at another Python."""
    import sys

    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name == KERNEL_NAME:
                return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                  display_name="Python 3 (kiprank)", language="python", resource_dir="")
            return super().get_kernel_spec(kernel_name)

    return ThisPythonSpecs()


class _GivenKernel:
    """A kernel started by the caller (``build_report(kernel_manager=...)``): nothing to start or stop."""

    def __init__(self, km):
        self.km = km

    def start(self):
        pass

    def ready(self):
        return self.km

    def cancel(self):
        pass


def build_report(year: int | str, region: str, inputs_root: Path | str = "inputs",
                 outputs_root: Path | str = "outputs", lang: str = "id",
                 report_date: str | date | None = None, notebook: Path | str | None = None, *,
                 kernel_manager=None, execution_timeout: float | None = None,
                 pdf_standard: str | None = None, parallel_pdf: bool | None = None,
                 robustness: bool = False, notebook_done=None) -> ReportBuild:
    """Build the report of a region and publish it atomically in ``<outputs_root>/<year>/<region>``.

    ``kernel_manager``: a started jupyter_client kernel manager to run the notebook in (neither
    started nor shut down here; used by :mod:`kiprank.runs.batch` to reuse a warm kernel); default: a
    fresh kernel. ``execution_timeout``: seconds allowed per notebook cell (default: no limit).
    ``pdf_standard``: ``a-2b`` or ``1.7``; None: PDF/A-2b unless a character cannot be drawn
    (then PDF 1.7 and a warning in ``ReportBuild.renderer_messages``; see :mod:`kiprank.report.pdf`).
    ``parallel_pdf`` is ignored (kept for older callers; Typst typesets in this process).
    ``robustness`` (or ``robustness: {report: true}`` in the methodology): the report gets the section
    "Ketahanan peringkat", and ``robustness.csv`` and ``sensitivity.csv`` are published with it (their
    settings recorded in the manifest under ``sections.robustness``).
    ``notebook_done``: called (no arguments) once the notebook has run, before the HTML, PDF and
    tables are written: the kernel is free for another report (:func:`kiprank.runs.batch.run_jobs`).
    """
    try:
        check_lang(lang)
        day = resolve_report_date(report_date)
    except ValueError as exc:
        raise ReportError("parameters", str(exc)) from exc
    inputs_root = Path(inputs_root).resolve()
    nb_path = Path(notebook) if notebook else default_notebook()
    clock = StepClock()
    timings, lap = clock.timings, clock.lap

    # The kernel starts first: while it loads the report's libraries, this process imports pandas,
    # validates and scores the inputs (input problems are raised as they are) and imports the HTML
    # and PDF libraries.
    kernel = _Kernel(Path.cwd()) if kernel_manager is None else _GivenKernel(kernel_manager)
    kernel.start()
    with contextlib.ExitStack() as stack:
        try:
            from ..core.region import region_folder
            from ..core.snapshot import input_snapshot
            from .pipeline import output_folder, score_region, with_warnings
            from ..core.publish import check_separate

            target = output_folder(outputs_root, year, region)
            check_separate(inputs_root, outputs_root)
            folder = region_folder(inputs_root, year, region)
            if not folder.is_dir():
                raise UsageError(f"no input folder {folder}")
            build = ReportBuild(folder=target, timings=timings)
            # one snapshot of the inputs for this process and the notebook's kernel (kiprank.core.snapshot)
            snap = stack.enter_context(input_snapshot(inputs_root, [(year, region)]))
            inputs, result = score_region(year, region, inputs_root, snap)
            if report_date is None and inputs.config.report_date:
                day = inputs.config.report_date  # the region's publication date wins over today's
            params = report_parameters(int(year), region, lang, day, pdf_standard,
                                       bool(robustness or inputs.methodology.robustness.report))
            robust = None
            if params["robustness"]:
                from ..analysis import analyse_robustness

                robust = analyse_robustness(inputs, result)
            manifest = with_warnings(build_manifest(inputs, "report", params, notebook=nb_path), inputs, result)
            lap("inputs")
            prefetch = _Prefetch()
            prefetch.start()
            prefetch.join()
            km = kernel.ready()
            lap("kernel start (overlapped)")
        except BaseException:
            kernel.cancel()
            raise
        _publish_report(build, target, nb_path, snap, inputs, result, robust, manifest, km, kernel, day, lang,
                        pdf_standard, execution_timeout, notebook_done, lap)
    lap("publish")
    return build


def report_parameters(year: int, region: str, lang: str, day: date, pdf_standard: str | None,
                      robustness: bool) -> dict:
    """The parameters a report's manifest records: every option that changes its files (``kiprank
    build`` compares them to decide whether the report is up to date)."""
    return {"year": year, "region": region, "lang": lang, "report_date": day.isoformat(),
            "pdf_standard": pdf_standard or "auto", "robustness": robustness}


def _publish_report(build, target, nb_path, snap, inputs, result, robust, manifest, km, kernel, day, lang,
                    pdf_standard, execution_timeout, notebook_done, lap) -> None:
    """The notebook (reading the same snapshot), HTML, PDF and tables, published together."""
    from .pipeline import write_tables

    warm = WarmPdf()
    warm.start()
    with staged_folder(target, kind="run") as stage:
        try:
            executed = _run_notebook(nb_path, stage / "report.ipynb", {
                "year": inputs.year, "region": inputs.region_id, "inputs_root": str(snap.root),
                "lang": lang, "report_date": day.isoformat(), "fingerprint": manifest["fingerprint"],
                "robustness": robust is not None,
            }, km, execution_timeout)
        finally:
            kernel.cancel()
        lap("notebook")
        if notebook_done is not None:
            notebook_done()
        meta = {
            "lang": lang, "title": inputs.config.title, "issuer": inputs.config.issuer, "version": __version__,
            "created": datetime(day.year, day.month, day.day, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fingerprint": manifest["fingerprint"],
            "methodology": inputs.methodology.id,
        }
        html = _export_html(executed, meta)
        (stage / "report.html").write_text(html, encoding="utf-8")
        lap("html")
        warm.join()
        build.renderer_messages = write_pdf(executed, stage / "report.pdf", stage / "report-content.json", day,
                                            pdf_standard)
        lap("pdf")
        files = list(REPORT_FILES)
        try:
            write_tables(inputs, result, stage)
            if robust is not None:
                from ..analysis import write_robustness

                written = write_robustness(robust, stage)
                files += written
                manifest["sections"] = {"robustness": {"files": written, "settings": robust.settings}}
            write_run_datapackage(stage, inputs)  # describes the tables above (in REPORT_FILES)
        except KiprankError:
            raise
        except Exception as exc:
            raise ReportError("tables", f"{type(exc).__name__}: {exc}") from exc
        lap("tables")
        write_manifest(add_outputs(manifest, stage, files), stage)


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


def _run_notebook(source: Path, output: Path, parameters: dict, km=None, execution_timeout=None):
    """Execute the notebook with papermill (in the kernel of ``km`` if given, started otherwise);
    return the executed notebook node."""
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as exc:
        raise ReportError("notebook", f"papermill is not installed: {exc}") from exc
    if not source.is_file():
        raise ReportError("notebook", f"notebook {source} does not exist")
    extra = {"km": km} if km is not None else {}
    if execution_timeout is not None:
        extra["execution_timeout"] = execution_timeout
    try:
        return pm.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=KERNEL_NAME, language="python",
            progress_bar=False, log_output=False, report_mode=False, request_save_on_cell_execute=False,
            **extra,
        )
    except PapermillExecutionError as exc:
        raise ReportError("notebook", describe_cell_error(exc)) from None
    except Exception as exc:  # kernel died, timeout, unreadable notebook, ...
        raise ReportError("notebook", f"{type(exc).__name__}: {_first_lines(str(exc))}") from exc


def describe_cell_error(exc) -> str:
    """'cell 4 (`rep = report.prepare(...)`): InputValidationError: ...' from a PapermillExecutionError."""
    lines = [ln for ln in (exc.source or "").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    code = lines[0].strip() if lines else ""
    if len(code) > 70:
        code = code[:67] + "..."
    where = f"cell {exc.exec_count}" if exc.exec_count else f"cell index {exc.cell_index}"
    if code:
        where += f" (`{code}`)"
    return f"{where}: {exc.ename}: {_first_lines(str(exc.evalue), 12)}"


def _first_lines(text: str, n: int = 3) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:n]) + (f"\n... ({len(lines) - n} more lines)" if len(lines) > n else "")


def _report_exporter_class():
    """nbconvert's HTMLExporter without its final BeautifulSoup pass (it re-parses the whole page to
    add ``alt`` texts and ``tabindex`` to JupyterLab classes; the report template already writes
    ``alt`` on every image and has no JupyterLab markup), which takes about a second on a report."""
    from nbconvert.exporters import HTMLExporter, TemplateExporter
    from nbconvert.exporters.html import Highlight2HTML, WidgetsDataTypeFilter

    class ReportHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportHTMLExporter


_exporters: list = []  # idle HTML exporters, reused by any thread (one thread at a time each)


def _report_exporter():
    """An idle HTML exporter, made when there is none: a new exporter compiles the report's Jinja
    templates again (about 80 ms of a report's CPU in a batch worker); what one export sets
    (filters, resources) is set again by the next, so a reused exporter writes the same bytes.
    Give it back with ``_exporters.append`` when done."""
    try:
        return _exporters.pop()
    except IndexError:
        return _report_exporter_class()(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)],
                                        optimistic_validation=True)


def _export_html(nb, meta: dict) -> str:
    from ..report.html import embedded_fonts

    exporter = _report_exporter()
    try:
        body, _ = exporter.from_notebook_node(nb, resources={"kiprank": {**meta, "fonts": embedded_fonts()}})
    except Exception as exc:
        raise ReportError("html", f"{type(exc).__name__}: {_first_lines(str(exc))}") from exc
    finally:
        _exporters.append(exporter)
    if "<section" not in body:
        raise ReportError("html", "the executed notebook displayed no report section")
    return body


__all__ = ["build_report", "ReportBuild", "default_notebook", "describe_cell_error", "write_pdf", "REPORT_FILES"]
