"""``kiprank compare``: the comparison notebook run by papermill, exported to HTML (nbconvert) and
typeset to PDF (Typst), published atomically in ``<outputs_root>/compare/<region>_<first>-<last>/``
with the ranking report's steps (:mod:`kiprank.runs.report`)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from ..core.version import __version__
from ..analysis import compare as cmp
from ..core.errors import KiprankError, ReportError, UsageError
from ..core.formatting import check_lang, resolve_report_date
from ..core.inputs import region_folder
from .publish import staged_folder
from .report import (FONTS_DIR, ReportBuild, StepClock, WarmPdf, _export_html, _Kernel, _run_notebook, default_notebook, write_pdf)
from ..report.comparison import COMPARISON_FILES, NOTEBOOK_NAME, comparison_date, output_folder, texts, write_tables


def build_comparison(region: str, years, focus: str | None = None, inputs_root: Path | str = "inputs",
                     outputs_root: Path | str = "outputs", lang: str = "id", report_date: str | date | None = None,
                     notebook: Path | str | None = None, pdf_standard: str | None = None) -> ReportBuild:
    """Build the comparison report and publish it atomically in ``<outputs_root>/compare/<name>/``.

    Inputs (and ``focus``) are checked in this process first (while the notebook's kernel starts),
    so bad inputs fail with their own message and nothing is written, not even the folder; then the
    notebook runs (papermill), is exported to HTML with the ranking report's template and rendered
    to PDF (the steps of :mod:`kiprank.runs.report`), and the tables are written. Nothing is
    published unless every step succeeds.
    """

    try:
        check_lang(lang)
        if report_date:
            resolve_report_date(report_date)
    except ValueError as exc:
        raise ReportError("parameters", str(exc)) from exc
    ys = cmp.check_years(years)
    inputs_root = Path(inputs_root).resolve()
    target = output_folder(outputs_root, region, ys)
    nb_path = Path(notebook) if notebook else default_notebook(NOTEBOOK_NAME)
    clock = StepClock()
    timings, lap = clock.timings, clock.lap

    for year in ys:  # checked before a kernel is started for nothing
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
    build = ReportBuild(folder=target, timings=timings, pdf_name="comparison.pdf")
    # The ranking report's kernel, started (quietly) while the inputs and the focus are checked here;
    # nothing is written, not even the outputs folder, until they are known to be good.
    kernel = _Kernel(Path.cwd())
    kernel.start()
    try:
        comp = cmp.load_comparison(region, ys, inputs_root)
        if focus:
            cmp.focus_key(comp, focus)  # an unknown or ambiguous focus fails here, with the candidates
        day = comparison_date(comp, report_date)  # the years' report dates, or --date; never the clock
        lap("inputs")
        km = kernel.ready()
    except BaseException:
        kernel.cancel()
        raise
    warm = WarmPdf()
    warm.start()
    with staged_folder(target, kind="comparison") as stage:
        try:
            executed = _run_notebook(nb_path, stage / "comparison.ipynb", {
                "region": region, "years": ys, "focus": focus, "inputs_root": str(inputs_root),
                "lang": lang, "report_date": day.isoformat(),
            }, km)
        finally:
            kernel.cancel()
        lap("notebook")
        cfg = comp.runs[-1].inputs.config
        meta = {
            "lang": lang, "title": f"{texts(lang)['cover_title']} \u2014 {cfg.region} {ys[0]}\u2013{ys[-1]}",
            "issuer": cfg.issuer, "version": __version__,
            "created": datetime(day.year, day.month, day.day, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fonts_url": FONTS_DIR.as_uri(),
        }
        html = _export_html(executed, meta)
        (stage / "comparison.html").write_text(html, encoding="utf-8")
        lap("html")
        warm.join()
        build.renderer_messages = write_pdf(executed, stage / "comparison.pdf", stage / "comparison-content.json", day,
                                            pdf_standard)
        lap("pdf")
        try:
            write_tables(comp, stage)
        except KiprankError:
            raise
        except Exception as exc:
            raise ReportError("tables", f"{type(exc).__name__}: {exc}") from exc
        lap("tables")
    lap("publish")
    return build


__all__ = ["build_comparison", "COMPARISON_FILES"]
