"""Adding the files of a later step (``kiprank robustness``, ``kiprank letters`` ...) to a published
run folder, as a named section of its manifest. Publishing itself (staged folder, lock, atomic
exchange, recovery, ownership) is :mod:`kiprank.core.publish`."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import UsageError
from ..core.files import MANIFEST, sha256_file, write_manifest
from ..core.publish import load_manifest, safe_relpath, staged_folder


def add_to_published(target: Path, write, section: str, settings: dict | None = None,
                     rewrites: tuple[str, ...] = ()) -> list[str]:
    """Add the files of one later step (``robustness``, ``letters`` ...) to a published run folder,
    atomically, and list them in its manifest so that ``kiprank verify`` checks them.

    ``write(stage)`` writes into a staged copy of ``target`` and returns the paths it wrote,
    relative to the folder (``"robustness.csv"``, ``"letters/kec-ngawen.pdf"``). Files that an
    earlier run of the same ``section`` listed and this one did not write are removed (kiprank made
    them). ``settings`` (e.g. draws and seed) are recorded under ``manifest["sections"][section]``.
    A section cannot replace the manifest, a file of the run or of another section, except the run
    files named in ``rewrites`` that describe the whole folder (``datapackage.json``, which ``write``
    writes again with the section's tables): their new hashes are recorded. Returns the relative
    paths written.
    """
    target = Path(target)
    if not target.is_dir():
        raise UsageError(f"{target} is not a published folder (run `kiprank score` or `kiprank report` first)")
    with staged_folder(target, keep_existing=True) as stage:
        manifest = load_manifest(stage)
        sections = dict(manifest.get("sections") or {})
        previous = set((sections.get(section) or {}).get("files", []))
        others = {f for name, sec in sections.items() if name != section for f in (sec or {}).get("files", [])}
        run_files = set(manifest.get("outputs") or {}) - previous - others
        written = sorted({safe_relpath(Path(p).as_posix(), f"file of section '{section}'") for p in write(stage)})
        outputs = dict(manifest.get("outputs") or {})
        for rel in written:
            if rel == MANIFEST:
                raise ValueError("a section cannot write the manifest")
            if rel in run_files or rel in others:
                raise ValueError(f"section '{section}' cannot replace {rel}, a file of the run or of another section")
            if not (stage / rel).is_file():
                raise ValueError(f"section '{section}' listed {rel} but did not write it")
        for stale in sorted(previous - set(written)):
            path = stage / safe_relpath(stale)
            path.unlink(missing_ok=True)
            outputs.pop(stale, None)
            for parent in path.parents:  # folders the section made and emptied
                if parent == stage or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()
        for rel in written:
            outputs[rel] = sha256_file(stage / rel)
        for rel in rewrites:  # (a run published before there was such a file gets it listed now)
            if (stage / rel).is_file():
                outputs[rel] = sha256_file(stage / rel)
        sections[section] = {"files": written, "settings": settings or {}}
        write_manifest({**manifest, "outputs": dict(sorted(outputs.items())), "sections": sections}, stage)
    return written


__all__ = ["add_to_published"]
