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
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from typing import TYPE_CHECKING

from . import __version__
from .errors import KiprankError

if TYPE_CHECKING:  # kept light: kiprank.batch checks whole years of manifests without pandas
    from .inputs import RegionInputs

# The presets folder of kiprank.methodology, named here without importing pydantic and numpy.
PRESET_DIR = Path(__file__).resolve().parent / "methodologies"

MANIFEST = "manifest.json"
RESULT_LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "pydantic", "pyyaml", "openpyxl",
                    "matplotlib", "papermill", "nbconvert", "typst")


class VerificationError(KiprankError):
    """A published run cannot be reproduced (an input changed, or the ranking differs)."""

    exit_code = 3


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "kiprank", "notebooks"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def build_manifest(inputs: RegionInputs, command: str, parameters: dict,
                   notebook: Path | None = None) -> dict:
    """The manifest of a run, before its outputs are known (see :func:`add_outputs`)."""
    files = inputs.file_hashes()
    methodology = {
        "id": inputs.methodology.id,
        "path": _methodology_ref(inputs.methodology_path),
        "sha256": sha256_file(inputs.methodology_path),
    }
    manifest = {
        "kiprank_version": __version__,
        "git_commit": git_commit(),
        "command": command,
        "parameters": parameters,
        "year": inputs.year,
        "region": inputs.region_id,
        "inputs_folder": str(Path(inputs.folder).resolve()),
        "inputs": files,
        "methodology": methodology,
        "notebook": None if notebook is None else {"path": notebook.name, "sha256": sha256_file(notebook)},
        "libraries": library_versions(),
    }
    manifest["fingerprint"] = fingerprint(manifest)
    return manifest


def fingerprint(manifest: dict) -> str:
    """12 hex digits over what determines the results: inputs, methodology, code and parameters."""
    keyed = {k: manifest.get(k) for k in ("kiprank_version", "parameters", "inputs", "notebook")}
    keyed["methodology"] = manifest["methodology"]["sha256"]
    keyed["libraries"] = manifest.get("libraries")
    text = json.dumps(keyed, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def add_outputs(manifest: dict, folder: Path, names: list[str] | None = None) -> dict:
    """Record the hash of the files this run wrote (``names``; default: every file in
    ``folder`` but the manifest itself)."""
    manifest = dict(manifest)
    paths = [folder / n for n in names] if names is not None else [
        p for p in folder.iterdir() if p.is_file() and p.name != MANIFEST]
    manifest["outputs"] = {p.name: sha256_file(p) for p in sorted(paths)}
    return manifest


def _methodology_ref(path: Path) -> str:
    """A preset is recorded as ``preset:<id>`` (its absolute path differs between machines)."""
    path = Path(path).resolve()
    if path.parent == PRESET_DIR.resolve():
        return f"preset:{path.stem}"
    return str(path)


def methodology_file(ref: str) -> Path:
    """The file behind a recorded methodology reference (``preset:<id>`` or a path)."""
    return PRESET_DIR / f"{ref[7:]}.yml" if ref.startswith("preset:") else Path(ref)


def write_manifest(manifest: dict, folder: Path) -> Path:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise VerificationError(f"{path} is missing: this folder was not written by a kiprank run")
    return json.loads(path.read_text(encoding="utf-8"))


def changed_inputs(manifest: dict) -> list[str]:
    """Input files whose content differs from what the manifest recorded (or that are gone)."""
    folder = Path(manifest["inputs_folder"])
    changed = []
    for name, digest in manifest["inputs"].items():
        path = folder / name
        if not path.is_file():
            changed.append(f"{path} (missing)")
        elif sha256_file(path) != digest:
            changed.append(str(path))
    methodology = methodology_file(manifest["methodology"]["path"])
    if not methodology.is_file() or sha256_file(methodology) != manifest["methodology"]["sha256"]:
        changed.append(f"{methodology} (methodology)")
    return changed


def verify_outputs(folder: Path) -> list[str]:
    """Re-score a published run from its recorded inputs and compare the tables with what was
    published. Returns the files that differ (empty: reproduced byte for byte). Raises
    VerificationError, naming the files, when an input changed since the run was published."""
    import tempfile

    from .pipeline import score_region, write_tables

    folder = Path(folder)
    manifest = read_manifest(folder)
    changed = changed_inputs(manifest)
    if changed:
        raise VerificationError(
            f"{folder}: input changed since this ranking was published (manifest {manifest['fingerprint']}): "
            + ", ".join(changed))
    inputs_root = Path(manifest["inputs_folder"]).parent.parent
    inputs, result = score_region(manifest["year"], manifest["region"], inputs_root)
    recorded = manifest.get("outputs", {})
    differ = []
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(inputs, result, Path(tmp))
        for name in ("ranking.csv", "ranking.xlsx", "indicators.csv"):
            fresh = sha256_file(Path(tmp) / name)
            published = folder / name
            if not published.is_file() or sha256_file(published) != fresh or recorded.get(name) != fresh:
                differ.append(name)
    return differ
