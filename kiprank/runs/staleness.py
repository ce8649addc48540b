"""Is a region's published report up to date? (``kiprank build`` skips those that are.)

The main process compares each job with the ``manifest.json`` of its last successful build
(:func:`stale_reason`): the recorded SHA-256 of the input files, of the methodology and of the
notebook, the kiprank and library versions, the language (and the report date when ``--date`` is
given), and the hashes of the published report files. Only hashes are computed
(:func:`current_fingerprint`; no validation, no scoring, no pandas), so a build with nothing changed
takes about as long as starting Python. Input files are compared by content: touching a file without
changing it rebuilds nothing.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..core.files import MANIFEST, read_json_object, sha256_file
from ..core.resources import methodology_location, notebook_path
from .plan import Job

INPUT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".yml", ".yaml")
REPORT_NOTEBOOK = "ranking_report.ipynb"


def is_input_name(name: str) -> bool:
    """Files that can be read as inputs (tables, region.yml, a workbook); others (README.md, notes)
    cannot change a report. Hidden files and Excel's ``~$`` lock files are ignored."""
    return not name.startswith((".", "~$")) and name.lower().endswith(INPUT_SUFFIXES)


@functools.lru_cache(maxsize=None)
def installed_version(name: str) -> str:
    """The installed version of a distribution, as :func:`kiprank.runs.manifest.library_versions` records it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def current_fingerprint(year: int | str, region: str, inputs_root: Path | str = "inputs", lang: str = "id",
                        report_date: str | None = None, notebook: Path | None = None,
                        pdf_standard: str | None = None) -> dict:
    """What a build of this region would be made from now, from file hashes only (no validation):
    every file of the region folder, the methodology file named in ``region.yml``, the notebook,
    kiprank's version and the hash of its files, and the parameters (``robustness``: whether the
    methodology asks for the robustness section). Fields that cannot be worked out (a broken
    ``region.yml``) are None, which never matches a manifest."""
    from ..core.version import __version__, code_sha256
    from ..core.yamlfile import load_yaml

    folder = Path(inputs_root) / str(year) / region
    files = {}
    if folder.is_dir():
        files = {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}
    methodology = robustness = None
    try:
        path = methodology_location(str(load_yaml(folder / "region.yml")["methodology"]), folder)
        methodology = {"path": str(path), "sha256": sha256_file(path)}
        robustness = bool(((load_yaml(path) or {}).get("robustness") or {}).get("report", False))
    except Exception:  # a broken region.yml or methodology: the build reports it properly
        pass
    notebook = Path(notebook) if notebook is not None else notebook_path(REPORT_NOTEBOOK)
    return {
        "kiprank_version": __version__,
        "code_sha256": code_sha256(),
        "inputs_folder": str(folder),
        "inputs": files,
        "methodology": methodology,
        "notebook": {"path": notebook.name, "sha256": sha256_file(notebook)},
        "parameters": {"lang": lang, "report_date": report_date, "pdf_standard": pdf_standard or "auto",
                       "robustness": robustness},
    }


def read_manifest(folder: Path) -> dict | None:
    """The manifest.json of an outputs folder, or None when there is none (or it is unreadable)."""
    return read_json_object(Path(folder) / MANIFEST)


def stale_reason(manifest: dict | None, current: dict, check_libraries: bool = True,
                 folder: Path | None = None) -> str | None:
    """Why a job must be built again (a short text), or None when its last build is up to date.

    Compares the manifest of the last build with :func:`current_fingerprint`: the report files it
    recorded (present, same hash), the kiprank version, the library versions (when given), the
    notebook, the methodology and every input file it recorded; an input-like file (``.csv``,
    ``.xlsx``, ``.yml``) that it did not record, the language, and the report date when one is
    asked for (without ``--date`` a report is not rebuilt just because the day changed).
    Each check is one ``if``, in the order a reason is most useful to read: a list, not logic
    to split (so its length, about 50 lines).
    """
    if manifest is None:
        return "not built yet"
    try:
        outputs = manifest.get("outputs") or {}
        if "report.pdf" not in outputs or "report.html" not in outputs:
            return "no report in the last run"
        if folder is not None:
            for name, digest in outputs.items():
                path = Path(folder) / name
                if not path.is_file() or sha256_file(path) != digest:
                    return f"output changed or missing: {name}"
        if manifest.get("kiprank_version") != current["kiprank_version"]:
            return f"kiprank version changed ({manifest.get('kiprank_version')} -> {current['kiprank_version']})"
        if manifest.get("code_sha256") != current["code_sha256"]:
            return "kiprank code changed (its files differ from those the last build was made with)"
        if check_libraries:
            changed = sorted(name for name, recorded in (manifest.get("libraries") or {}).items()
                             if installed_version(name) != recorded)
            if changed:
                return "library versions changed: " + ", ".join(changed)
        if (manifest.get("notebook") or {}).get("sha256") != current["notebook"]["sha256"]:
            return "notebook changed"
        if current["methodology"] is None:
            return "region.yml or methodology not readable"
        if manifest["methodology"]["sha256"] != current["methodology"]["sha256"]:
            return "methodology changed"
        recorded = manifest["inputs"]
        files = current["inputs"]
        for name, digest in sorted(recorded.items()):
            now = files.get(name)
            path = Path(name) if Path(name).is_absolute() else Path(current["inputs_folder"]) / name
            if now is None and path.is_file():  # a file the inputs name outside the folder's top level (a logo)
                now = sha256_file(path)
            if now is None:
                return f"input missing: {name}"
            if now != digest:
                return f"input changed: {name}"
        method_file = Path(str((current["methodology"] or {}).get("path") or ""))
        for name in sorted(files):
            if name not in recorded and is_input_name(name):
                if method_file.name == name and method_file.parent.resolve() == Path(current["inputs_folder"]).resolve():
                    continue  # the methodology file kept in the region folder: compared above
                return f"new input file: {name}"
        parameters = manifest.get("parameters") or {}
        wanted = current["parameters"]
        if parameters.get("lang") != wanted["lang"]:
            return f"language {parameters.get('lang')} -> {wanted['lang']}"
        if wanted.get("report_date") and str(parameters.get("report_date")) != str(wanted["report_date"]):
            return f"report date {parameters.get('report_date')} -> {wanted['report_date']}"
        if parameters.get("pdf_standard", "auto") != wanted.get("pdf_standard", "auto"):
            return f"--pdf-standard changed ({parameters.get('pdf_standard', 'auto')} -> {wanted['pdf_standard']})"
        if wanted.get("robustness") is not None and bool(parameters.get("robustness")) != wanted["robustness"]:
            return (f"robustness section {'wanted' if wanted['robustness'] else 'not wanted'} (the methodology's "
                    "robustness.report), the last build " + ("has it" if parameters.get("robustness") else "has not"))
    except (KeyError, TypeError, AttributeError) as exc:  # a manifest of another shape
        return f"manifest not understood ({type(exc).__name__}: {exc})"
    return None


def check_job(job: Job, notebook: Path | None = None) -> str | None:
    """:func:`stale_reason` of a job (None: up to date)."""
    current = current_fingerprint(job.year, job.region, job.inputs_root, job.lang, job.report_date, notebook,
                                  job.pdf_standard)
    manifest = read_manifest(job.output_folder)
    reason = stale_reason(manifest, current, True, job.output_folder)
    if reason is None and job.letters:
        settings = ((manifest.get("sections") or {}).get("letters") or {}).get("settings") or {}
        if settings.get("lang") != job.lang or settings.get("bodies") != "all":
            return "no letters yet"
        if settings.get("pdf_standard_asked", "auto") != (job.pdf_standard or "auto"):
            return f"letters: --pdf-standard changed ({settings.get('pdf_standard_asked', 'auto')} -> " \
                   f"{job.pdf_standard or 'auto'})"
    return reason


__all__ = ["current_fingerprint", "stale_reason", "check_job", "read_manifest", "is_input_name",
           "installed_version", "REPORT_NOTEBOOK"]
