"""``kiprank report``: the published report of a region, built by the shared orchestration of
:mod:`kiprank.runs.document` (kernel, papermill, nbconvert HTML, Typst PDF, tables, manifest, staged
publish) into ``<outputs_root>/<year>/<region>/``.

What is the report's own: the inputs are validated and scored in this process (while the kernel
starts), the robustness analysis when asked for, the notebook
``kiprank/notebooks/ranking_report.ipynb`` and its parameters, the tables (``ranking.csv``,
``ranking.xlsx``, ``indicators.csv``: :func:`kiprank.runs.pipeline.write_tables`, and
``robustness.csv`` / ``sensitivity.csv``) and the manifest (:mod:`kiprank.runs.manifest`).

Reproducibility: the same inputs, notebook and report date give byte-identical HTML and PDF (chart
ids are salted, the PDF's dates are the report date, fonts come only from ``kiprank/fonts``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..core.errors import UsageError
from ..core.resources import notebook_path
from .document import Document, ReportBuild, build_document, check_parameters
from .kernels import WarmKernel

# Only light modules are imported above: the kernel is started before pandas & co. are imported.

NOTEBOOK_NAME = "ranking_report.ipynb"
REPORT_FILES = ("report.pdf", "report.html", "report.ipynb", "report-content.json", "ranking.csv", "ranking.xlsx",
                "indicators.csv")


def build_report(year: int | str, region: str, inputs_root: Path | str = "inputs",
                 outputs_root: Path | str = "outputs", lang: str = "id",
                 report_date: str | date | None = None, notebook: Path | str | None = None, *,
                 kernel: WarmKernel | None = None, execution_timeout: float | None = None,
                 pdf_standard: str | None = None, robustness: bool = False, notebook_done=None) -> ReportBuild:
    """Build the report of a region and publish it atomically in ``<outputs_root>/<year>/<region>``.

    ``robustness`` (or ``robustness: {report: true}`` in the methodology): the report gets the section
    "Ketahanan peringkat", and ``robustness.csv`` and ``sensitivity.csv`` are published with it (their
    settings recorded in the manifest under ``sections.robustness``). ``kernel``,
    ``execution_timeout``, ``pdf_standard`` and ``notebook_done``: see
    :func:`kiprank.runs.document.build_document`.

    A little over 60 lines because of its inner ``prepare`` (run while the kernel starts): what the
    report is made of, which reads this call's arguments.
    """
    day = check_parameters(lang, report_date)
    inputs_root = Path(inputs_root).resolve()
    nb_path = Path(notebook) if notebook else notebook_path(NOTEBOOK_NAME)

    def prepare() -> Document:
        from ..core.inputs import region_folder
        from .manifest import build_manifest
        from .pipeline import output_folder, score_region, write_tables
        from .publish import check_separate

        target = output_folder(outputs_root, year, region)
        check_separate(inputs_root, outputs_root)
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
        inputs, result = score_region(year, region, inputs_root)
        when = inputs.config.report_date if report_date is None and inputs.config.report_date else day
        params = {"year": int(year), "region": region, "lang": lang, "report_date": when.isoformat()}
        if pdf_standard is not None:
            params["pdf_standard"] = pdf_standard
        robust = None
        if robustness or inputs.methodology.robustness.report:
            from ..analysis import analyse_robustness

            params["robustness"] = True
            robust = analyse_robustness(inputs, result)
        manifest = build_manifest(inputs, "report", params, notebook=nb_path)

        def tables(stage: Path) -> list[str]:
            files = list(REPORT_FILES)
            write_tables(inputs, result, stage)
            if robust is not None:
                from ..analysis import write_robustness

                written = write_robustness(robust, stage)
                files += written
                manifest["sections"] = {"robustness": {"files": written, "settings": robust.settings}}
            return files

        return Document(
            name="report", kind="run", target=target, notebook=nb_path, day=when, manifest=manifest,
            parameters={"year": int(year), "region": region, "inputs_root": str(inputs_root), "lang": lang,
                        "report_date": when.isoformat(), "fingerprint": manifest["fingerprint"],
                        "robustness": robust is not None},
            meta={"lang": lang, "title": inputs.config.title, "issuer": inputs.config.issuer,
                  "fingerprint": manifest["fingerprint"], "methodology": inputs.methodology.id},
            write_tables=tables)

    return build_document(prepare, kernel=kernel, execution_timeout=execution_timeout, pdf_standard=pdf_standard,
                          notebook_done=notebook_done)


__all__ = ["build_report", "ReportBuild", "REPORT_FILES", "NOTEBOOK_NAME"]
