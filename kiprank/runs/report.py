"""``kiprank report``: the published report of a region, built by the shared orchestration of
:mod:`kiprank.runs.document` (kernel, papermill, nbconvert HTML, Typst PDF, tables, manifest, staged
publish) into ``<outputs_root>/<year>/<region>/``.

What is the report's own: the inputs are validated and scored in this process (while the kernel
starts), the robustness analysis when asked for, the notebook
``kiprank/notebooks/ranking_report.ipynb`` and its parameters, the tables (``ranking.csv``,
``ranking.xlsx``, ``indicators.csv``: :func:`kiprank.runs.pipeline.write_tables`,
``robustness.csv`` / ``sensitivity.csv``, and ``datapackage.json``) and the manifest
(:mod:`kiprank.runs.manifest`). The process and the notebook read one snapshot of the inputs
(:mod:`kiprank.core.snapshot`), so the tables and the sections cannot come from different inputs.

Reproducibility: the same inputs, notebook and report date give byte-identical HTML and PDF (chart
ids are salted, the PDF's dates are the report date, fonts come only from ``kiprank/fonts``).
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from ..core.errors import UsageError
from ..core.resources import notebook_path
from .document import Document, ReportBuild, build_document, check_parameters
from .kernels import WarmKernel

# Only light modules are imported above: the kernel is started before pandas & co. are imported.

NOTEBOOK_NAME = "ranking_report.ipynb"
REPORT_FILES = ("report.pdf", "report.html", "report.ipynb", "report-content.json", "ranking.csv", "ranking.xlsx",
                "indicators.csv", "datapackage.json")


def build_report(year: int | str, region: str, inputs_root: Path | str = "inputs",
                 outputs_root: Path | str = "outputs", lang: str = "id",
                 report_date: str | date | None = None, notebook: Path | str | None = None, *,
                 kernel: WarmKernel | None = None, execution_timeout: float | None = None,
                 pdf_standard: str | None = None, robustness: bool = False, notebook_done=None,
                 preliminary: bool = False) -> ReportBuild:
    """Build the report of a region and publish it atomically in ``<outputs_root>/<year>/<region>``.

    ``robustness`` (or ``robustness: {report: true}`` in the methodology): the report gets the section
    "Ketahanan peringkat", and ``robustness.csv`` and ``sensitivity.csv`` are published with it (their
    settings recorded in the manifest under ``sections.robustness``). ``kernel``,
    ``execution_timeout``, ``pdf_standard`` and ``notebook_done``: see
    :func:`kiprank.runs.document.build_document`. ``preliminary``: the preliminary results of an
    objection round; a region with a round otherwise gets its final results, with the preliminary
    ones, the minutes and the corrections list (:mod:`kiprank.runs.objection_round`).

    (About 65 lines: its inner ``prepare``, run while the kernel starts, says what the report is made
    of and reads this call's arguments.)
    """
    day = check_parameters(lang, report_date)
    inputs_root = Path(inputs_root).resolve()
    nb_path = Path(notebook) if notebook else notebook_path(NOTEBOOK_NAME)

    stack = contextlib.ExitStack()

    def prepare() -> Document:
        from ..core.publish import check_separate
        from ..core.region import region_folder
        from ..core.snapshot import input_snapshot
        from .manifest import build_manifest
        from .objection_round import check_window_closed, find_preliminary, is_final, round_parameters, write_round
        from .pipeline import output_folder, score_region, with_warnings, write_tables

        target = output_folder(outputs_root, year, region)
        check_separate(inputs_root, outputs_root)
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")
        # one snapshot of the inputs for this process and the notebook's kernel (kiprank.core.snapshot)
        snap = stack.enter_context(input_snapshot(inputs_root, [(year, region)]))
        inputs, result = score_region(year, region, inputs_root, snap, preliminary=preliminary)
        check_window_closed(inputs)
        prelim = find_preliminary(target, inputs) if is_final(inputs) else None
        when = inputs.config.report_date if report_date is None and inputs.config.report_date else day
        params = {**report_parameters(int(year), region, lang, when, pdf_standard,
                                      bool(robustness or inputs.methodology.robustness.report)),
                  **round_parameters(inputs)}
        robust = None
        if params["robustness"]:
            from ..analysis import analyse_robustness

            robust = analyse_robustness(inputs, result)
        manifest = with_warnings(build_manifest(inputs, "report", params, notebook=nb_path), inputs, result)
        if prelim is not None and prelim.warnings:
            manifest["warnings"] = [*manifest.get("warnings", []), *prelim.warnings]

        def tables(stage: Path) -> list[str]:
            files = list(REPORT_FILES)
            files += [p.name for p in write_tables(inputs, result, stage) if p.name not in files]
            if robust is not None:
                from ..analysis import write_robustness

                written = write_robustness(robust, stage)
                files += written
                manifest["sections"] = {"robustness": {"files": written, "settings": robust.settings}}
            if prelim is not None:  # the final results of an objection round: the preliminary, minutes, corrections
                files += write_round(stage, inputs, result, manifest, prelim, lang, pdf_standard)[0]
            from .datapackage import write_run_datapackage

            write_run_datapackage(stage, inputs)  # describes the tables above (in REPORT_FILES)
            return files

        return Document(
            name="report", kind="run", target=target, notebook=nb_path, day=when, manifest=manifest,
            parameters={"year": inputs.year, "region": inputs.region_id, "inputs_root": str(snap.root), "lang": lang,
                        "report_date": when.isoformat(), "fingerprint": manifest["fingerprint"],
                        "robustness": robust is not None, "preliminary": bool(preliminary)},
            meta={"lang": lang, "title": inputs.config.title, "issuer": inputs.config.issuer,
                  "fingerprint": manifest["fingerprint"], "methodology": inputs.methodology.id,
                  **({"stamp": stamp_text(lang)} if preliminary else {})},
            write_tables=tables)

    with stack:
        return build_document(prepare, kernel=kernel, execution_timeout=execution_timeout,
                              pdf_standard=pdf_standard, notebook_done=notebook_done)


def stamp_text(lang: str) -> str:
    """What the HTML of preliminary results shows at its top ("HASIL SEMENTARA")."""
    from ..core.wording import words

    return words("objections", lang)["stamp"]


def report_parameters(year: int, region: str, lang: str, day: date, pdf_standard: str | None,
                      robustness: bool) -> dict:
    """The parameters a report's manifest records: every option that changes its files (``kiprank
    build`` compares them to decide whether the report is up to date)."""
    return {"year": year, "region": region, "lang": lang, "report_date": day.isoformat(),
            "pdf_standard": pdf_standard or "auto", "robustness": robustness}


__all__ = ["build_report", "report_parameters", "ReportBuild", "REPORT_FILES", "NOTEBOOK_NAME"]
