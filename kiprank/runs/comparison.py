"""``kiprank compare``: the comparison report, built by the shared orchestration of
:mod:`kiprank.runs.document` (kernel, papermill, nbconvert HTML, Typst PDF, tables, staged publish)
into ``<outputs_root>/compare/<region>_<first>-<last>/``.

What is the comparison's own: the years' input folders are checked before any kernel starts; one
snapshot of every year's inputs and the crosswalk is read by this process and the notebook
(:mod:`kiprank.core.snapshot`); the comparison is loaded and the focus checked (while the kernel
starts), so bad inputs fail with their own message and nothing is written, not even the folder; the
notebook ``kiprank/notebooks/year_comparison.ipynb``, its title, the tables ``changes.csv`` and
``decomposition.csv``, ``datapackage.json``, and a manifest that records every year's inputs as a
run's does (so that ``kiprank verify`` notices a corrected year).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from ..analysis import compare as cmp
from ..core.errors import UsageError
from ..core.region import region_folder
from ..core.resources import notebook_path
from ..core.snapshot import Snapshot, input_snapshot
from ..core.version import __version__, code_sha256
from ..core.export import write_table_csv
from ..core.region import check_name
from ..report.comparison import texts
from .datapackage import comparison_about, write_datapackage
from .document import Document, ReportBuild, build_document, check_parameters
from .manifest import git_commit, library_versions, recorded_inputs, sha256_file

COMPARE_DIR = "compare"
NOTEBOOK_NAME = "year_comparison.ipynb"
COMPARISON_FILES = ("comparison.pdf", "comparison.html", "comparison.ipynb", "comparison-content.json", "changes.csv",
                    "decomposition.csv", "datapackage.json")


def output_folder(outputs_root: Path | str, region: str, years) -> Path:
    """``<outputs_root>/compare/<region>_<first>-<last>``."""
    ys = cmp.check_years(years)
    return Path(outputs_root) / COMPARE_DIR / f"{check_name(region, 'region')}_{ys[0]}-{ys[-1]}"


def write_tables(comp: cmp.Comparison, folder: Path) -> list[Path]:
    """``changes.csv`` (:func:`kiprank.analysis.compare.changes_table`) and ``decomposition.csv``
    (:func:`kiprank.analysis.compare.decomposition_table`) into ``folder``; ``kiprank verify`` makes
    them again with this function."""
    folder.mkdir(parents=True, exist_ok=True)
    cmp.write_changes_csv(comp, folder / "changes.csv")
    write_table_csv(cmp.decomposition_table(comp), folder / "decomposition.csv", float_format="%.6f")
    return [folder / "changes.csv", folder / "decomposition.csv"]


def build_comparison(region: str, years, focus: str | None = None, inputs_root: Path | str = "inputs",
                     outputs_root: Path | str = "outputs", lang: str = "id", report_date: str | date | None = None,
                     notebook: Path | str | None = None, pdf_standard: str | None = None) -> ReportBuild:
    """Build the comparison report and publish it atomically in ``<outputs_root>/compare/<name>/``."""
    check_parameters(lang, report_date)  # the date itself comes from the years' report dates (below)
    ys = cmp.check_years(years)
    inputs_root = Path(inputs_root).resolve()
    target = output_folder(outputs_root, region, ys)
    nb_path = Path(notebook) if notebook else notebook_path(NOTEBOOK_NAME)
    for year in ys:  # checked before a kernel is started for nothing
        folder = region_folder(inputs_root, year, region)
        if not folder.is_dir():
            raise UsageError(f"no input folder {folder}")

    with input_snapshot(inputs_root, [(y, region) for y in ys], extra=(cmp.CROSSWALK_FILE,)) as snap:

        def prepare() -> Document:
            comp = cmp.load_comparison(region, ys, snap.root)
            for run in comp.runs:
                run.inputs.snapshot = snap
            if focus:
                cmp.focus_key(comp, focus)  # an unknown or ambiguous focus fails here, with the candidates
            day = cmp.comparison_date(comp, report_date)  # the years' report dates, or --date; never the clock
            cfg = comp.runs[-1].inputs.config
            params = {"region": region, "years": ys, "focus": focus, "lang": lang, "report_date": day.isoformat(),
                      "pdf_standard": pdf_standard or "auto"}

            def tables(stage: Path) -> list[str]:
                write_tables(comp, stage)
                write_datapackage(stage, "comparison", **comparison_about(comp, day))
                return list(COMPARISON_FILES)

            return Document(
                name="comparison", kind="comparison", target=target, notebook=nb_path, day=day,
                manifest=comparison_manifest(comp, snap, params, nb_path, region),
                parameters={"region": region, "years": ys, "focus": focus, "inputs_root": str(snap.root),
                            "lang": lang, "report_date": day.isoformat()},
                meta={"lang": lang, "title": f"{texts(lang)['cover_title']} \u2014 {cfg.region} {ys[0]}\u2013{ys[-1]}",
                      "issuer": cfg.issuer},
                write_tables=tables)

        return build_document(prepare, pdf_standard=pdf_standard)


def comparison_manifest(comp: cmp.Comparison, snap: Snapshot, parameters: dict, notebook: Path | None,
                        region: str) -> dict:
    """The manifest of a comparison: every year's inputs as a run's manifest records them (by year),
    the crosswalk, the parameters, kiprank's version and code hash, the notebook and the libraries."""
    crosswalk = snap.root / cmp.CROSSWALK_FILE
    manifest = {
        "kind": "comparison", "kiprank_version": __version__, "git_commit": git_commit(),
        "code_sha256": code_sha256(), "command": "compare", "parameters": parameters,
        "region": region, "years": [run.year for run in comp.runs],
        "inputs_root": str(snap.source),
        "years_inputs": {str(run.year): recorded_inputs(run.inputs) for run in comp.runs},
        "crosswalk": {"path": cmp.CROSSWALK_FILE, "sha256": sha256_file(crosswalk) if crosswalk.is_file() else None},
        "notebook": None if notebook is None else {"path": notebook.name, "sha256": sha256_file(notebook)},
        "libraries": library_versions(),
    }
    keyed = {k: manifest[k] for k in ("kiprank_version", "code_sha256", "parameters", "crosswalk", "notebook",
                                      "libraries")}
    keyed["years"] = {y: (r["inputs"], r["methodology"]["sha256"]) for y, r in manifest["years_inputs"].items()}
    manifest["fingerprint"] = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:12]
    return manifest


__all__ = ["build_comparison", "comparison_manifest", "output_folder", "write_tables", "COMPARISON_FILES", "NOTEBOOK_NAME"]
