"""Reproducibility manifest: what a run was made from, written as ``manifest.json`` next to its outputs.

It records the SHA-256 of every input file and of the methodology, the kiprank version and git
commit, the notebook's hash, the run's parameters and the versions of the libraries that affect
results, and the hash of every output. Its ``fingerprint`` (12 hex digits) identifies the
inputs + method + code of a run; it is printed in the PDF footer and metadata.

The manifest holds no clock time, so the same run gives the same manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from typing import TYPE_CHECKING

from ..core.version import __version__, code_sha256
from ..core.errors import KiprankError
from ..core.files import MANIFEST, PRESET_DIR, methodology_file, methodology_reference, sha256_file, write_manifest  # noqa: F401
from ..core.resources import PACKAGE_DIR

if TYPE_CHECKING:  # kept light: kiprank.runs.batch checks whole years of manifests without pandas
    from ..core.inputs import RegionInputs

RESULT_LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "pydantic", "pyyaml", "openpyxl",
                    "matplotlib", "papermill", "nbconvert", "typst")


class VerificationError(KiprankError):
    """A published run cannot be reproduced (an input changed, or the ranking differs)."""

    exit_code = 3


def library_versions() -> dict[str, str]:
    out = {}
    for name in RESULT_LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The commit of the kiprank source tree, with ``-dirty`` if it has local changes; None
    when kiprank is not run from a git checkout."""
    root = PACKAGE_DIR.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "kiprank", "notebooks"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def build_manifest(inputs: RegionInputs, command: str, parameters: dict,
                   notebook: Path | None = None, kind: str = "run") -> dict:
    """The manifest of a run, before its outputs are known (see :func:`add_outputs`). ``kind``
    says what the folder is (:mod:`kiprank.core.publish`: ``run`` for ``outputs/<year>/<region>/``).

    Input paths are relative to the inputs root (``inputs_folder``: ``2022/klaten``; files relative
    to that folder; the methodology relative to the inputs root when it lies inside it), so that
    ``kiprank verify --inputs-root DIR`` checks a publication against inputs that moved;
    ``inputs_root`` records where they were (the default of verify)."""
    manifest = {
        "kind": kind,
        "kiprank_version": __version__,
        "git_commit": git_commit(),
        "code_sha256": code_sha256(),
        "command": command,
        "parameters": parameters,
        "year": inputs.year,
        "region": inputs.region_id,
        **recorded_inputs(inputs),
        "notebook": None if notebook is None else {"path": notebook.name, "sha256": sha256_file(notebook)},
        "libraries": library_versions(),
    }
    manifest["fingerprint"] = fingerprint(manifest)
    return manifest


def recorded_inputs(inputs: RegionInputs) -> dict:
    """What a manifest records of a region's inputs (:func:`inputs_record` of every file read)."""
    return inputs_record(inputs.origin, inputs.methodology_origin, inputs.methodology_path, inputs.file_hashes(),
                         inputs.methodology.id)


def inputs_record(origin: Path, methodology_origin: Path, methodology_path: Path, files: dict[str, str],
                  methodology_id: str | None = None) -> dict:
    """How a manifest (or a section made from inputs of its own) records the inputs read:
    ``inputs_root`` (absolute, where they were), ``inputs_folder`` (relative to it), ``inputs``
    (``files``: SHA-256 by path relative to the folder) and ``methodology`` (id when given, reference
    relative to the inputs root, SHA-256 of the copy read), so that ``verify --inputs-root`` checks
    them where they moved."""
    origin = Path(os.path.realpath(origin))
    root = origin.parent.parent
    methodology = {"path": methodology_reference(methodology_origin, root), "sha256": sha256_file(methodology_path)}
    if methodology_id is not None:
        methodology = {"id": methodology_id, **methodology}
    return {"inputs_root": str(root), "inputs_folder": origin.relative_to(root).as_posix(), "inputs": dict(files),
            "methodology": methodology}


def fingerprint(manifest: dict) -> str:
    """12 hex digits over what determines the results: inputs, methodology, code (version and the
    hash of kiprank's files), libraries and parameters."""
    keyed = {k: manifest.get(k) for k in ("kiprank_version", "code_sha256", "parameters", "inputs", "notebook")}
    keyed["methodology"] = manifest["methodology"]["sha256"]
    keyed["libraries"] = manifest.get("libraries")
    text = json.dumps(keyed, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def add_outputs(manifest: dict, folder: Path, names: list[str] | None = None) -> dict:
    """Record the hash of the files this run wrote (``names``, relative posix paths; default:
    every file under ``folder`` but the manifest and nested publications), keyed by relative path."""
    from ..core.publish import folder_files

    manifest = dict(manifest)
    rels = sorted(names) if names is not None else folder_files(folder)
    manifest["outputs"] = {rel: sha256_file(Path(folder) / rel) for rel in rels}
    return manifest


def recorded_folder(manifest: dict, inputs_root: Path | str | None = None) -> tuple[Path, Path]:
    """(inputs root, region folder) a manifest's inputs are checked in
    (:func:`kiprank.core.files.inputs_place`); a :class:`VerificationError` when it does not tell."""
    from ..core.files import inputs_place

    try:
        return inputs_place(manifest, inputs_root)
    except ValueError as exc:
        raise VerificationError(str(exc)) from None


def read_manifest(folder: Path) -> dict:
    """The manifest of a published folder; :class:`VerificationError` (exit 3) naming the file
    when it is missing, empty or damaged."""
    from ..core.publish import load_manifest

    try:
        return load_manifest(folder)
    except KiprankError as exc:
        raise VerificationError(str(exc)) from None


def check_outputs(folder: Path, manifest: dict) -> tuple[list[str], list[str]]:
    """Compare a published folder with its manifest: (listed files that are missing or whose
    content differs, files present that the manifest does not list). Files of nested publications
    (sub-folders with their own manifest) are checked against their own manifest."""
    from ..core.publish import folder_files, listed_outputs, load_manifest, nested_folders, safe_relpath

    folder = Path(folder)
    listed = listed_outputs(manifest)
    differ = []
    for rel, digest in sorted(listed.items()):
        try:
            path = folder / safe_relpath(rel)
        except ValueError:
            differ.append(f"{rel} (not a path inside the folder)")
            continue
        parts = Path(safe_relpath(rel)).parts
        if any((folder.joinpath(*parts[:i])).is_symlink() for i in range(1, len(parts) + 1)):
            differ.append(f"{rel} (a symbolic link, not a file kiprank wrote)")
        elif not path.is_file():
            differ.append(f"{rel} (missing)")
        elif sha256_file(path) != digest:
            differ.append(rel)
    unlisted = [rel for rel in folder_files(folder) if rel not in listed]
    for sub in nested_folders(folder):
        try:
            inner = load_manifest(folder / sub)
        except KiprankError as exc:
            differ.append(f"{sub}/{MANIFEST} ({exc})")
            continue
        d, u = check_outputs(folder / sub, inner)
        differ += [f"{sub}/{x}" for x in d]
        unlisted += [f"{sub}/{x}" for x in u]
    return differ, unlisted


def changed_inputs(manifest: dict, inputs_root: Path | str | None = None) -> list[str]:
    """Input files whose content differs from what the manifest recorded (or that are gone),
    looked for under ``inputs_root`` when given (inputs that moved), else where they were."""
    root, folder = recorded_folder(manifest, inputs_root)
    try:
        recorded = dict(manifest["inputs"])
        ref, digest = manifest["methodology"]["path"], manifest["methodology"]["sha256"]
    except (KeyError, TypeError, ValueError):
        raise VerificationError("the manifest does not record the run's inputs (inputs_folder, inputs, "
                                "methodology): it is damaged or not a manifest of a score/report run") from None
    changed = []
    for name, digest_ in recorded.items():
        path = folder / name
        if not path.is_file():
            changed.append(f"{path} (missing)")
        elif sha256_file(path) != digest_:
            changed.append(str(path))
    methodology = methodology_file(str(ref), root)
    if not methodology.is_file() or sha256_file(methodology) != digest:
        changed.append(f"{methodology} (methodology{', missing' if not methodology.is_file() else ''})")
    return changed
