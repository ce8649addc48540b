"""Building the published report: notebook (papermill) -> HTML (nbconvert) -> PDF (WeasyPrint).

``build_report`` runs the steps below into a staging folder and publishes it as
``<outputs_root>/<year>/<region>/`` only when every step succeeded
(:func:`kiprank.publish.staged_folder`): a failure leaves the previous outputs as they were and
no partial folder behind. A failing step raises :class:`~kiprank.errors.ReportError` naming the
step and the reason (for a notebook error: the cell and the exception).

Steps, in order:

1. ``inputs``: validate and score the region in this process (input problems are reported as
   such, before any kernel starts);
2. ``notebook``: execute ``notebooks/ranking_report.ipynb`` with papermill (kernel ``python3`` of
   the running Python), saved as ``report.ipynb``;
3. ``html``: export it with nbconvert's HTMLExporter and the project template
   ``kiprank/templates/kiprank_report`` (no code, prompts, parameters or stderr), ``report.html``;
4. ``pdf``: render the HTML with WeasyPrint, ``report.pdf``;
5. ``tables``: ``ranking.csv``, ``ranking.xlsx`` and ``indicators.csv``
   (:func:`kiprank.pipeline.write_tables`).

While the kernel runs the notebook, a helper thread imports WeasyPrint and nbconvert, so that
their start-up cost overlaps with the kernel's.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from . import __version__
from .errors import KiprankError, ReportError
from .formatting import check_lang
from .pipeline import output_folder, score_region, write_tables
from .publish import staged_folder
from .report import resolve_report_date

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "kiprank_report"
FONTS_DIR = PACKAGE_DIR / "fonts"
NOTEBOOK_NAME = "ranking_report.ipynb"
KERNEL_NAME = "python3"
REPORT_FILES = ("report.pdf", "report.html", "report.ipynb", "ranking.csv", "ranking.xlsx", "indicators.csv")


@dataclass
class ReportBuild:
    """What a build produced: the published folder and the time each step took (seconds)."""

    folder: Path
    timings: dict[str, float] = field(default_factory=dict)
    renderer_messages: list[str] = field(default_factory=list)

    @property
    def pdf(self) -> Path:
        return self.folder / "report.pdf"


def default_notebook() -> Path:
    """``notebooks/ranking_report.ipynb`` of the source tree (or a copy shipped in the package)."""
    for candidate in (PACKAGE_DIR.parent / "notebooks" / NOTEBOOK_NAME, PACKAGE_DIR / "notebooks" / NOTEBOOK_NAME):
        if candidate.is_file():
            return candidate
    raise ReportError("notebook", f"the report notebook {NOTEBOOK_NAME} was not found next to the kiprank package")


class _Prefetch(threading.Thread):
    """Imports the HTML and PDF libraries in the background (they take seconds to import)."""

    def __init__(self):
        super().__init__(daemon=True, name="kiprank-prefetch")
        self.error: BaseException | None = None

    def run(self):
        try:
            import nbconvert.exporters.html  # noqa: F401
            import weasyprint  # noqa: F401
        except BaseException as exc:  # reported by the step that needs the library
            self.error = exc


def build_report(year: int | str, region: str, inputs_root: Path | str = "inputs",
                 outputs_root: Path | str = "outputs", lang: str = "id",
                 report_date: str | date | None = None, notebook: Path | str | None = None) -> ReportBuild:
    """Build the report of a region and publish it atomically in ``<outputs_root>/<year>/<region>``."""
    try:
        check_lang(lang)
        day = resolve_report_date(report_date)
    except ValueError as exc:
        raise ReportError("parameters", str(exc)) from exc
    inputs_root = Path(inputs_root).resolve()
    target = output_folder(outputs_root, year, region)
    nb_path = Path(notebook) if notebook else default_notebook()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = now - clock
        clock = now

    inputs, result = score_region(year, region, inputs_root)  # raises InputValidationError etc. as they are
    lap("inputs")
    build = ReportBuild(folder=target, timings=timings)
    prefetch = _Prefetch()
    prefetch.start()
    with staged_folder(target) as stage:
        executed = _run_notebook(nb_path, stage / "report.ipynb", {
            "year": int(year), "region": region, "inputs_root": str(inputs_root), "outputs_root": None,
            "lang": lang, "report_date": day.isoformat(),
        })
        lap("notebook")
        prefetch.join()
        meta = {
            "lang": lang, "title": inputs.config.title, "issuer": inputs.config.issuer, "version": __version__,
            "created": datetime(day.year, day.month, day.day, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fonts_url": FONTS_DIR.as_uri(),
        }
        html = _export_html(executed, meta)
        (stage / "report.html").write_text(html, encoding="utf-8")
        lap("html")
        build.renderer_messages = _render_pdf(html, stage / "report.pdf", day)
        lap("pdf")
        try:
            write_tables(inputs, result, stage)
        except KiprankError:
            raise
        except Exception as exc:
            raise ReportError("tables", f"{type(exc).__name__}: {exc}") from exc
        lap("tables")
    lap("publish")
    return build


def _run_notebook(source: Path, output: Path, parameters: dict):
    """Execute the notebook with papermill; return the executed notebook node."""
    try:
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as exc:
        raise ReportError("notebook", f"papermill is not installed: {exc}") from exc
    if not source.is_file():
        raise ReportError("notebook", f"notebook {source} does not exist")
    try:
        return pm.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=KERNEL_NAME, language="python",
            progress_bar=False, log_output=False, report_mode=False, cwd=str(Path.cwd()),
            request_save_on_cell_execute=False,
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


def _export_html(nb, meta: dict) -> str:
    try:
        from nbconvert.exporters import HTMLExporter

        exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)])
        body, _ = exporter.from_notebook_node(nb, resources={"kiprank": meta})
    except Exception as exc:
        raise ReportError("html", f"{type(exc).__name__}: {_first_lines(str(exc))}") from exc
    if "<section" not in body:
        raise ReportError("html", "the executed notebook displayed no report section")
    return body


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _render_pdf(html: str, path: Path, day: date) -> list[str]:
    """Render to PDF; WeasyPrint's warnings (e.g. an unsupported CSS rule) are collected, not
    printed, and returned. The PDF identifier is derived from the content, not random."""
    try:
        import weasyprint
    except Exception as exc:
        raise ReportError("pdf", f"WeasyPrint cannot be loaded: {type(exc).__name__}: {exc}") from exc
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        document = weasyprint.HTML(string=html, base_url=str(path.parent)).render()
        import hashlib

        identifier = hashlib.md5(html.encode("utf-8")).hexdigest().encode("ascii")
        document.write_pdf(str(path), pdf_identifier=identifier)
    except Exception as exc:
        raise ReportError("pdf", f"{type(exc).__name__}: {_first_lines(str(exc))}") from exc
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
    return handler.messages


__all__ = ["build_report", "ReportBuild", "default_notebook", "describe_cell_error", "REPORT_FILES"]
