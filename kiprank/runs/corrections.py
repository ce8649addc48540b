"""``kiprank diff``: the corrections list published as CSV, HTML and PDF in a folder of its own
(kind ``corrections``); its content and HTML are :mod:`kiprank.report.corrections`."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..analysis.corrections import published_facts
from ..core.export import write_table_csv
from ..core.errors import OutputError
from ..core.files import MANIFEST, read_json_object, sha256_file, write_manifest
from ..core.publish import check_owned, check_separate, staged_folder
from .datapackage import corrections_about, write_datapackage
from ..report.corrections import corrections_content, corrections_html
from ..report.pdf import typeset_document


def check_diff_output(target: Path, old_folder: Path, new_folder: Path) -> None:
    """Refuse (exit 2) an output folder that is, holds or lies inside a folder compared, or that
    kiprank did not create as a corrections folder (checked again when publishing)."""
    for option, folder in (("OLD", old_folder), ("NEW", new_folder)):
        check_separate(folder, target, inputs_option=option, outputs_option="--output")
    check_owned(Path(target), "corrections")


def default_output(outputs_root: Path, new_folder: Path) -> Path:
    """``<outputs_root>/corrections/<region>_<year>`` for a corrections list of the published
    ranking ``new_folder`` (``outputs/<year>/<region>``): named with its region and year."""
    from ..core.region import check_name

    facts = published_facts(new_folder)
    region = facts.region_id or Path(new_folder).resolve().name
    year = facts.year or Path(new_folder).resolve().parent.name
    return Path(outputs_root) / "corrections" / check_name(f"{region}_{year}", "folder name")


def compared_state(folder: Path, target: Path) -> dict:
    """What a corrections folder records of a folder it compared: its path relative to the
    corrections folder (so that the two travel together), the SHA-256 of its ``manifest.json`` and
    ``ranking.csv`` and its fingerprint."""
    folder = Path(folder)
    manifest = read_json_object(folder / MANIFEST) or {}
    digest = lambda name: sha256_file(folder / name) if (folder / name).is_file() else None  # noqa: E731
    return {"path": Path(os.path.relpath(os.path.realpath(folder), os.path.realpath(target))).as_posix(),
            "manifest_sha256": digest(MANIFEST), "ranking_sha256": digest("ranking.csv"),
            "fingerprint": manifest.get("fingerprint")}


def corrections_manifest(old_folder: Path, new_folder: Path, target: Path, parameters: dict) -> dict:
    """The manifest of a corrections folder: the two folders compared (:func:`compared_state`), the
    parameters and kiprank's version, code hash and libraries."""
    from ..core.version import __version__, code_sha256
    from .manifest import git_commit, library_versions

    manifest = {"kind": "corrections", "kiprank_version": __version__, "git_commit": git_commit(),
                "code_sha256": code_sha256(), "command": "diff", "parameters": parameters,
                "compared": {"old": compared_state(old_folder, target), "new": compared_state(new_folder, target)},
                "libraries": library_versions()}
    keyed = {k: manifest[k] for k in ("kiprank_version", "code_sha256", "parameters", "libraries")}
    keyed["compared"] = {k: (v["manifest_sha256"], v["ranking_sha256"]) for k, v in manifest["compared"].items()}
    manifest["fingerprint"] = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:12]
    return manifest


def write_corrections_csv(table: pd.DataFrame, path: Path) -> None:
    """``corrections.csv``: the table with its scores at the precision the rankings were published
    at (``table.attrs["decimals"]``), as ``kiprank diff`` writes it and ``kiprank verify`` makes it again."""
    write_table_csv(table, path, float_format=f"%.{table.attrs.get('decimals', 2)}f")


def write_diff(table: pd.DataFrame, old_folder: Path, new_folder: Path, target: Path, *, lang: str = "id",
               pdf_standard: str | None = None, day: date | None = None,
               before: dict | None = None) -> list[str]:
    """Publish ``corrections.csv``, ``corrections.html`` and ``corrections.pdf`` in ``target``
    (atomically) with a manifest recording the folders compared; return warnings (PDF standard
    fallback). The documents name the region, year, issuer and both decrees (date and manifest
    fingerprint), never a path of this machine; the PDF is dated with the new decree's date.
    ``before``: :func:`corrections_manifest` taken before ``table`` was computed; a folder that
    changed since is refused (the table would describe neither state)."""
    check_diff_output(target, old_folder, new_folder)
    decimals = table.attrs.get("decimals", 2)
    old, new = published_facts(old_folder, decimals), published_facts(new_folder, decimals)
    day = day or new.date
    parameters = {"lang": lang, "pdf_standard": pdf_standard or "auto", "date": day.isoformat() if day else None}
    manifest = corrections_manifest(old_folder, new_folder, target, parameters)
    if before is not None and before["compared"] != manifest["compared"]:
        raise OutputError("a folder compared was published again while kiprank diff ran: nothing was written; "
                          "run kiprank diff again")
    documents = corrections_documents(table, old, new, lang, day, pdf_standard)
    with staged_folder(target, kind="corrections") as stage:
        write_corrections_csv(table, stage / "corrections.csv")
        write_datapackage(stage, "corrections", **corrections_about(new_folder, day))
        for name, data in documents.files.items():
            (stage / name).write_bytes(data)
        write_manifest(manifest, stage)
    return documents.messages


@dataclass
class CorrectionDocuments:
    """The corrections list as ``corrections.html`` and ``corrections.pdf`` (``files``: name -> bytes)
    and the warnings of the PDF standard's choice."""

    files: dict[str, bytes]
    messages: list[str]


def corrections_documents(table: pd.DataFrame, old, new, lang: str = "id", day: date | None = None,
                          pdf_standard: str | None = None) -> CorrectionDocuments:
    """The HTML and PDF of a corrections list (``old`` and ``new``:
    :class:`kiprank.analysis.corrections.Published`), as ``kiprank diff`` publishes them and as the
    final results of an objection round hold them."""
    data = corrections_content(table, old, new, lang)
    pdf, messages = typeset_document(data, day, pdf_standard)
    return CorrectionDocuments({"corrections.html": corrections_html(data, lang).encode("utf-8"),
                                "corrections.pdf": pdf}, messages)


__all__ = ["check_diff_output", "write_diff", "write_corrections_csv", "default_output", "corrections_manifest",
           "CorrectionDocuments", "corrections_documents"]
