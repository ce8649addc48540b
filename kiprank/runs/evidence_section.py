"""The evidence section of a published region folder as the other runs see it: ``kiprank verify``
checks it (:func:`check_evidence_section`) and ``kiprank score`` keeps it while the inputs it was
made from are unchanged (:func:`unchanged_own_inputs`). Apart from :mod:`kiprank.runs.evidence`, which
writes it, so that the pipeline can use these without importing the run that writes it."""

from __future__ import annotations

from pathlib import Path

from ..core.files import MANIFEST, read_json_object

SECTION = "evidence"


def check_evidence_section(folder: Path, inputs_root: Path | str | None = None) -> list[str]:
    """For ``kiprank verify``: what no longer agrees in a published folder's evidence section (the
    archive against ``evidence.csv``; input files the check read that changed since, looked for in
    ``inputs_root`` when given (the inputs moved), else where they were)."""
    from ..intake.evidence import check_archive
    from .manifest import VerificationError, changed_inputs

    manifest = read_json_object(Path(folder) / MANIFEST) or {}
    try:
        settings = ((manifest.get("sections") or {}).get(SECTION) or {}).get("settings") or {}
    except AttributeError:  # a section or its settings that is not an object: nothing to check here
        return []
    if not isinstance(settings, dict) or not settings:
        return []
    problems = [f"{p} (evidence archive)" for p in check_archive(folder)]
    recorded = settings.get("inputs")
    if isinstance(recorded, dict):
        try:
            problems += [f"{p} (read by the evidence check, changed since: run kiprank evidence again)"
                         for p in changed_inputs(recorded, inputs_root)]
        except VerificationError as exc:
            problems.append(f"evidence section: {exc}")
    return problems


def unchanged_own_inputs(section: dict) -> bool:
    """True when a section records the input files it was made from (``settings.inputs``) and none
    changed: such a section stays valid when the ranking is scored again from other inputs."""
    from .manifest import VerificationError, changed_inputs

    recorded = ((section or {}).get("settings") or {}).get("inputs") if isinstance(section, dict) else None
    if not isinstance(recorded, dict):
        return False
    try:
        return not changed_inputs(recorded)
    except VerificationError:
        return False


__all__ = ["SECTION", "check_evidence_section", "unchanged_own_inputs"]
