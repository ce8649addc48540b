"""File primitives every layer shares: the SHA-256 of a file, UTF-8 text with the place it is not,
a JSON object read leniently, the name of a published folder's manifest and the folder of the
built-in methodologies.

Core layer, standard library only: the intake layer (forms), the site's pages and the runs layer
(manifest, publish) all use these, so none of them keeps a copy.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"
# The built-in methodologies (kiprank/methodologies), named without importing kiprank.core.methodology
# (pydantic, numpy).
from .resources import PRESET_DIR  # noqa: E402 (kept importable from here)


def sha256_file(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits (read in blocks of 1 MiB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class NotUtf8Error(ValueError):
    """Bytes that are not UTF-8: ``line`` (1-based) and ``byte`` (the first bad byte) say where."""

    def __init__(self, line: int, byte: int):
        self.line, self.byte = line, byte
        super().__init__(f"not UTF-8 text (byte 0x{byte:02x})")


def utf8_text(raw: bytes) -> str:
    """``raw`` decoded as UTF-8 (a byte-order mark dropped); :class:`NotUtf8Error` naming the line
    and the byte where it is not."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(raw[: exc.start].count(b"\n") + 1, raw[exc.start]) from None


def read_json_object(path: Path | str) -> dict | None:
    """The JSON object in ``path``, or None when the file is missing, unreadable, not UTF-8 JSON or
    not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_kind_manifest(folder: Path | str, kind: str) -> dict | None:
    """The manifest of ``folder`` when it is a manifest of ``kind`` (``"kind": kind``), else None."""
    data = read_json_object(Path(folder) / MANIFEST)
    return data if data is not None and data.get("kind") == kind else None


__all__ = ["MANIFEST", "PRESET_DIR", "sha256_file", "NotUtf8Error", "utf8_text", "read_json_object",
           "read_kind_manifest"]


def write_manifest(manifest: dict, folder: Path) -> Path:
    """Write ``manifest.json`` in ``folder`` (sorted keys, UTF-8, one trailing newline)."""
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def methodology_reference(path: Path, inputs_root: Path | None = None) -> str:
    """How a manifest records a methodology file: ``preset:<id>`` for a preset (its absolute path
    differs between machines), the path relative to the inputs root for a file inside it (so that
    the record travels with the inputs), else the absolute path."""
    import os

    path = Path(os.path.realpath(path))
    if path.parent == PRESET_DIR.resolve():
        return f"preset:{path.stem}"
    if inputs_root is not None:
        try:
            return path.relative_to(Path(os.path.realpath(inputs_root))).as_posix()
        except ValueError:
            pass
    return str(path)


def methodology_file(ref: str, inputs_root: Path | str | None = None) -> Path:
    """The file behind a recorded methodology reference (:func:`methodology_reference`):
    ``preset:<id>``, a path relative to the inputs root, or an absolute path."""
    if ref.startswith("preset:"):
        return PRESET_DIR / f"{ref[7:]}.yml"
    path = Path(ref)
    return path if path.is_absolute() or inputs_root is None else Path(inputs_root) / path


def inputs_place(manifest: dict, inputs_root: Path | str | None = None) -> tuple[Path, Path]:
    """(inputs root, region folder) of the inputs a run's manifest records: ``inputs_root`` when
    given (the inputs moved), else the root recorded at build time (``inputs_folder`` is relative to
    it). Manifests written before paths were relative record an absolute ``inputs_folder``: its last
    two parts are the region's place. A ValueError says why a manifest does not tell."""
    folder = manifest.get("inputs_folder") if isinstance(manifest, dict) else None
    if not isinstance(folder, str) or not folder:
        raise ValueError("the manifest does not record the run's inputs (inputs_folder, inputs, methodology): it is "
                         "damaged or not a manifest of a score/report run")
    folder = Path(folder)
    if folder.is_absolute():
        root = Path(inputs_root) if inputs_root is not None else folder.parent.parent
        return root, root / Path(*folder.parts[-2:])
    if ".." in folder.parts:
        raise ValueError(f"the manifest's inputs_folder '{folder}' leaves the inputs root: it is damaged")
    recorded = manifest.get("inputs_root")
    if inputs_root is None and not (isinstance(recorded, str) and recorded):
        raise ValueError("the manifest does not say where its inputs were: give --inputs-root")
    root = Path(inputs_root if inputs_root is not None else recorded)
    return root, root / folder
