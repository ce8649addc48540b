"""The named steps of a run, in their one direction: inputs -> validated tables -> scores ->
ranking -> published files. Each step is a plain function; the CLI and the notebooks call these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import KiprankError, UsageError
from ..core.export import write_csv, write_table_csv, write_xlsx
from ..core.inputs import RegionInputs, check_name, load_region
from .manifest import (MANIFEST, VerificationError, add_outputs, build_manifest, check_outputs, changed_inputs, read_manifest, sha256_file, write_manifest)
from .publish import check_separate, manifest_kind, staged_folder
from ..core.scoring import ScoreResult, score

TABLE_FILES = ("ranking.csv", "ranking.xlsx", "indicators.csv")


def output_folder(outputs_root: Path | str, year: int | str, region: str) -> Path:
    """``<outputs_root>/<year>/<region>``, refusing names that would leave ``outputs_root``."""
    return Path(outputs_root) / check_name(str(year), "year") / check_name(region, "region")


def score_region(year: int | str, region: str, inputs_root: Path | str = "inputs") -> tuple[RegionInputs, ScoreResult]:
    """Validate a region's inputs and score them."""
    inputs = load_region(year, region, inputs_root)
    return inputs, score(inputs)


def write_tables(inputs: RegionInputs, result: ScoreResult, folder: Path) -> list[Path]:
    """Write ``ranking.csv``, ``ranking.xlsx`` and ``indicators.csv`` into ``folder``."""
    m = result.methodology
    stage_ids = [s.id for s in m.stages]
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(result.ranking, stage_ids, m.decimals, folder / "ranking.csv")
    write_xlsx(result.ranking, stage_ids, m.decimals, folder / "ranking.xlsx")
    write_table_csv(result.indicators, folder / "indicators.csv", float_format="%.6f")
    return [folder / name for name in TABLE_FILES]


def run_score(year: int | str, region: str, inputs_root: Path | str = "inputs",
              outputs_root: Path | str = "outputs") -> tuple[Path, ScoreResult]:
    """Score a region and publish its tables and manifest atomically as a new run of
    ``<outputs_root>/<year>/<region>/`` (see :func:`publish_score` for what is kept)."""
    target = output_folder(outputs_root, year, region)
    check_separate(inputs_root, outputs_root)
    inputs, result = score_region(year, region, inputs_root)
    publish_score(inputs, result, target)
    return target, result


def publish_score(inputs: RegionInputs, result: ScoreResult, target: Path) -> None:
    """Publish a region's scored tables and manifest in ``target`` atomically, as a new run.

    Files of an earlier run there (a report) are stale and go; nested publications (``forms/``) are
    kept. Files that later steps added (``robustness``, ``letters`` ... listed under ``sections`` in
    its manifest) are kept when the ranking was made from the same inputs, methodology and kiprank
    version; otherwise they describe another ranking and go too (kiprank made them)."""
    import shutil

    from .evidence_section import unchanged_own_inputs  # sections made from inputs of their own (evidence)

    manifest = build_manifest(inputs, "score", {"year": inputs.year, "region": inputs.region_id})
    try:
        old = read_manifest(target) if (target / MANIFEST).is_file() else {}
    except KiprankError:
        old = {}  # a damaged manifest: staged_folder refuses the folder with its reason
    same = all(old.get(k) == manifest.get(k) for k in ("inputs", "methodology", "kiprank_version"))
    sections = (old.get("sections") or {}) if same else {
        name: section for name, section in (old.get("sections") or {}).items() if unchanged_own_inputs(section)}
    with staged_folder(target, kind="run") as stage:
        written = write_tables(inputs, result, stage)
        manifest = add_outputs(manifest, stage, [p.name for p in written])
        kept = {}
        for name, section in sections.items():
            files = [f for f in section.get("files", []) if (target / f).is_file() and not (stage / f).exists()]
            for rel in files:
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target / rel, stage / rel)
            kept[name] = {**section, "files": files}
        if kept:
            manifest["sections"] = kept
        write_manifest(manifest, stage)


def run_robustness(year: int | str, region: str, inputs_root: Path | str = "inputs",
                   outputs_root: Path | str = "outputs", draws: int | None = None, seed: int | None = None):
    """Uncertainty and sensitivity of a region's ranks and bands, added to its published folder
    (``robustness.csv``, ``sensitivity.csv``, listed in the manifest with the settings).

    A region not yet published is scored and published first. A folder published from other inputs
    or another methodology file is refused (its ranking would not be the one analysed): run
    ``kiprank score`` (or ``kiprank report``) again first. Returns (folder, result, scored_first).
    """
    from ..analysis.robustness import analyse_robustness, robustness_settings, write_robustness
    from .publish import add_to_published

    target = output_folder(outputs_root, year, region)
    check_separate(inputs_root, outputs_root)
    inputs, result = score_region(year, region, inputs_root)
    settings = robustness_settings(inputs.methodology, draws, seed)
    scored_first = not (target / MANIFEST).is_file()
    if scored_first:
        publish_score(inputs, result, target)
    else:
        try:
            manifest = read_manifest(target)
        except VerificationError as exc:  # damaged: the folder cannot be added to (exit 2, as score says)
            raise UsageError(f"{exc}; run `kiprank score --year {year} --region {region}` (or `kiprank report`) "
                             "again first (move the folder away if kiprank refuses it)") from None
        methodology = manifest.get("methodology")
        recorded = (manifest.get("inputs"), (methodology if isinstance(methodology, dict) else {}).get("sha256"))
        if recorded != (inputs.file_hashes(), sha256_file(inputs.methodology_path)):
            raise UsageError(f"{target} was published from other inputs or another methodology file than "
                             f"{inputs.folder} has now: run `kiprank score --year {year} --region {region}` "
                             "(or `kiprank report`) first, then `kiprank robustness`")
    res = analyse_robustness(inputs, result, settings=settings)
    add_to_published(target, lambda stage: write_robustness(res, stage), "robustness", res.settings)
    return target, res, scored_first


def _check_not_part_of_published(folder: Path) -> None:
    """A sub-folder of a published folder (``letters/``) has no manifest of its own: name the
    folder to verify instead of calling it a folder kiprank did not write (exit 2)."""
    import json


    if (folder / MANIFEST).is_file():
        return
    absolute = folder.resolve()
    for parent in absolute.parents:
        path = parent / MANIFEST
        if not path.is_file():
            continue
        try:
            listed = json.loads(path.read_text(encoding="utf-8")).get("outputs") or {}
        except (OSError, ValueError, AttributeError):
            return
        rel = absolute.relative_to(parent).as_posix() + "/"
        if any(str(name).startswith(rel) for name in listed):
            raise UsageError(f"{folder} is part of the published folder {parent} (listed in its {MANIFEST}): "
                             f"run `kiprank verify {parent}`")
        return


@dataclass
class Verification:
    """What ``kiprank verify`` found: files whose content differs from the manifest (or from a
    re-run, for the tables), and files present that the manifest does not list."""

    folder: Path
    fingerprint: str
    kind: str
    differ: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    rerun: bool = False

    @property
    def ok(self) -> bool:
        return not self.differ and not self.unlisted


def verify_outputs(folder: Path) -> Verification:
    """Check a published folder: every file its manifest lists (hash), files it does not list,
    and, for a score/report run, re-score it from its recorded inputs and compare the tables byte
    for byte. Raises VerificationError, naming the files, when an input changed since the run was
    published (or the manifest is missing or damaged)."""
    import tempfile

    from .publish import locked, recover

    folder = Path(folder)
    if not folder.exists() and folder.parent.is_dir() and any(
            p.name.startswith(f".{folder.name}.old-") for p in folder.parent.iterdir()):
        with locked(folder):
            recover(folder)  # a publish was interrupted: put the published folder back first
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    _check_not_part_of_published(folder)
    manifest = read_manifest(folder)
    kind = manifest_kind(manifest)
    check = Verification(folder, str(manifest.get("fingerprint", "")), kind)
    check.differ, check.unlisted = check_outputs(folder, manifest)
    if kind != "run":
        return check
    from .evidence_section import check_evidence_section

    check.differ += check_evidence_section(folder)
    if "ranking.csv" not in (manifest.get("outputs") or {}) and manifest.get("command") == "evidence":
        return check  # a region checked for evidence before it could be scored: no ranking to re-run
    changed = changed_inputs(manifest)
    for name, section in sorted((manifest.get("sections") or {}).items()):
        previous = ((section or {}).get("settings") or {}).get("previous_inputs") if isinstance(section, dict) else None
        if isinstance(previous, dict):  # e.g. the letters' comparison with last year
            changed += [f"{path} (last year's input, compared with in {name}/)" for path in changed_inputs(previous)]
    if changed:
        raise VerificationError(
            f"{folder}: input changed since this ranking was published (manifest {check.fingerprint}): "
            + ", ".join(changed))
    inputs_root = Path(manifest["inputs_folder"]).parent.parent
    inputs, result = score_region(manifest["year"], manifest["region"], inputs_root)
    recorded = manifest.get("outputs", {})
    check.rerun = True
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(inputs, result, Path(tmp))
        for name in TABLE_FILES:
            fresh = sha256_file(Path(tmp) / name)
            published = folder / name
            already = any(d == name or d.startswith(name + " ") for d in check.differ)
            same = recorded.get(name) == fresh and published.is_file() and sha256_file(published) == fresh
            if not same and not already:
                check.differ.append(f"{name} (re-run differs)")
    return check


__all__ = ["output_folder", "check_separate", "score_region", "write_tables", "run_score", "verify_outputs",
           "Verification", "MANIFEST"]
