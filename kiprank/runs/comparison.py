"""``kiprank compare``: the comparison report, built by the shared orchestration of
:mod:`kiprank.runs.document` (kernel, papermill, nbconvert HTML, Typst PDF, tables, staged publish)
into ``<outputs_root>/compare/<region>_<first>-<last>/``.

What is the comparison's own: the years' input folders are checked before any kernel starts; the
comparison is loaded and the focus checked (while the kernel starts), so bad inputs fail with their
own message and nothing is written, not even the folder; the notebook
``kiprank/notebooks/year_comparison.ipynb``, its title, and the tables ``changes.csv`` and
``decomposition.csv``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ..analysis import compare as cmp
from ..core.errors import UsageError
from ..core.inputs import region_folder
from ..core.resources import notebook_path
from ..report.comparison import COMPARISON_FILES, NOTEBOOK_NAME, output_folder, texts, write_tables
from .document import Document, ReportBuild, build_document, check_parameters


def build_comparison(region: str, years, focus: str | None = None, inputs_root: Path | str = "inputs",
                     outputs_root: Path | str = "outputs", lang: str = "id", report_date: str | date | None = None,
                     notebook: Path | str | None = None, pdf_standard: str | None = None) -> ReportBuild:
    """Build the comparison report and publish it atomically in ``<outputs_root>/compare/<name>/``."""
    day = check_parameters(lang, report_date)
    ys = cmp.check_years(years)
    inputs_root = Path(inputs_root).resolve()
    target = output_folder(outputs_root, region, ys)
    nb_path = Path(notebook) if notebook else notebook_path(NOTEBOOK_NAME)
    for year in ys:  # checked before a kernel is started for nothing
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")

    def prepare() -> Document:
        comp = cmp.load_comparison(region, ys, inputs_root)
        if focus:
            cmp.focus_key(comp, focus)  # an unknown or ambiguous focus fails here, with the candidates
        cfg = comp.runs[-1].inputs.config

        def tables(stage: Path) -> list[str]:
            write_tables(comp, stage)
            return list(COMPARISON_FILES)

        return Document(
            name="comparison", kind="comparison", target=target, notebook=nb_path, day=day,
            parameters={"region": region, "years": ys, "focus": focus, "inputs_root": str(inputs_root),
                        "lang": lang, "report_date": day.isoformat()},
            meta={"lang": lang, "title": f"{texts(lang)['cover_title']} \u2014 {cfg.region} {ys[0]}\u2013{ys[-1]}",
                  "issuer": cfg.issuer},
            write_tables=tables)

    return build_document(prepare, pdf_standard=pdf_standard)


__all__ = ["build_comparison", "COMPARISON_FILES"]
