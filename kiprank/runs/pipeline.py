"""The named steps of a run, in their one direction: inputs -> validated tables -> scores ->
ranking -> published files. Each step is a plain function; the CLI and the notebooks call these."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import KiprankError, UsageError
from ..core.export import write_csv, write_table_csv, write_xlsx
from ..core.inputs import RegionInputs, load_region
from ..core.region import check_name
from ..core.snapshot import Snapshot, input_snapshot
from ..core.publish import check_separate, manifest_kind, nested_folders, staged_folder
from .manifest import (MANIFEST, VerificationError, add_outputs, build_manifest, check_outputs, changed_inputs,
                       read_manifest, recorded_folder, sha256_file, write_manifest)
from .datapackage import FILE as DATAPACKAGE, write_run_datapackage
from ..core.scoring import ScoreResult, score

TABLE_FILES = ("ranking.csv", "ranking.xlsx", "indicators.csv")


def output_folder(outputs_root: Path | str, year: int | str, region: str) -> Path:
    """``<outputs_root>/<year>/<region>``, refusing names that would leave ``outputs_root``."""
    return Path(outputs_root) / check_name(str(year), "year") / check_name(region, "region")


def score_region(year: int | str, region: str, inputs_root: Path | str = "inputs",
                 snapshot: Snapshot | None = None, preliminary: bool = False) -> tuple[RegionInputs, ScoreResult]:
    """Validate a region's inputs and score them (from ``snapshot`` when given: see
    :mod:`kiprank.core.snapshot`; ``inputs_root`` is then the real one, for messages).
    ``preliminary``: the results before the objection round (:mod:`kiprank.core.objections`)."""
    if snapshot is None:
        inputs = load_region(year, region, inputs_root, preliminary=preliminary)
    else:
        inputs = load_region(year, region, snapshot.root, preliminary=preliminary)
        inputs.snapshot = snapshot
    return inputs, score(inputs)


def write_tables(inputs: RegionInputs, result: ScoreResult, folder: Path) -> list[Path]:
    """Write ``ranking.csv``, ``ranking.xlsx`` and ``indicators.csv`` into ``folder``, and, for a
    region verified with a ``verifier`` column, ``agreement.csv`` and ``disagreements.csv``
    (:mod:`kiprank.analysis.agreement`)."""
    m = result.methodology
    stage_ids = [s.id for s in m.stages]
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(result.ranking, stage_ids, m.decimals, folder / "ranking.csv")
    write_xlsx(result.ranking, stage_ids, m.decimals, folder / "ranking.xlsx")
    write_table_csv(result.indicators, folder / "indicators.csv", float_format="%.6f")
    extra = []
    if inputs.panel is not None:
        from ..analysis.agreement import analyse_agreement, write_agreement

        extra = write_agreement(analyse_agreement(inputs), folder)
    return [folder / name for name in (*TABLE_FILES, *extra)]


def run_score(year: int | str, region: str, inputs_root: Path | str = "inputs",
              outputs_root: Path | str = "outputs", preliminary: bool = False) -> tuple[Path, ScoreResult]:
    """Score a region and publish its tables and manifest atomically as a new run of
    ``<outputs_root>/<year>/<region>/`` (see :func:`publish_score` for what is kept);
    ``preliminary``: the preliminary results of an objection round."""
    target = output_folder(outputs_root, year, region)
    check_separate(inputs_root, outputs_root)
    with input_snapshot(inputs_root, [(year, region)]) as snap:
        inputs, result = score_region(year, region, inputs_root, snap, preliminary=preliminary)
        publish_score(inputs, result, target)
    return target, result


def with_warnings(manifest: dict, inputs: RegionInputs, result: ScoreResult) -> dict:
    """The manifest with ``warnings``: what the run names about its inputs (values missing and
    scored by the methodology's rule, rows and files not read; :mod:`kiprank.core.missing`), kept
    with the publication and printed by the command."""
    from ..core.missing import coverage_warnings

    notes = coverage_warnings(inputs, result)
    return {**manifest, "warnings": notes} if notes else manifest


def publish_score(inputs: RegionInputs, result: ScoreResult, target: Path) -> None:
    """Publish a region's scored tables and manifest in ``target`` atomically, as a new run.

    Files of an earlier run there (a report) are stale and go; nested publications (``forms/``) are
    kept. Files that later steps added (``robustness``, ``letters`` ... listed under ``sections`` in
    its manifest) are kept when the ranking was made from the same inputs, methodology and kiprank
    version; otherwise they describe another ranking and go too (kiprank made them)."""
    import shutil

    from .evidence_section import unchanged_own_inputs  # sections made from inputs of their own (evidence)
    from .objection_round import check_window_closed, find_preliminary, is_final, round_parameters, write_round

    check_window_closed(inputs)
    prelim = find_preliminary(target, inputs) if is_final(inputs) else None
    manifest = with_warnings(build_manifest(inputs, "score", {"year": inputs.year, "region": inputs.region_id,
                                                              **round_parameters(inputs)}), inputs, result)
    if prelim is not None and prelim.warnings:
        manifest["warnings"] = [*manifest.get("warnings", []), *prelim.warnings]
    try:
        old = read_manifest(target) if (target / MANIFEST).is_file() else {}
    except KiprankError:
        old = {}  # a damaged manifest: staged_folder refuses the folder with its reason
    same = all(old.get(k) == manifest.get(k) for k in ("inputs", "kiprank_version", "code_sha256")) and \
        (old.get("methodology") or {}).get("sha256") == manifest["methodology"]["sha256"]
    sections = (old.get("sections") or {}) if same else {
        name: section for name, section in (old.get("sections") or {}).items() if unchanged_own_inputs(section)}
    with staged_folder(target, kind="run") as stage:
        written = [p.name for p in write_tables(inputs, result, stage)]
        if prelim is not None:  # the final results of an objection round: the preliminary, minutes, corrections
            written += write_round(stage, inputs, result, manifest, prelim)[0]
        manifest = add_outputs(manifest, stage, written)
        kept = {}
        for name, section in sections.items():
            files = [f for f in section.get("files", []) if (target / f).is_file() and not (stage / f).exists()]
            for rel in files:
                (stage / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target / rel, stage / rel)
            kept[name] = {**section, "files": files}
        if kept:
            manifest["sections"] = kept
        package = write_run_datapackage(stage, inputs)  # describes the kept robustness tables too
        manifest["outputs"] = {**manifest["outputs"], package: sha256_file(stage / package)}
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
    with input_snapshot(inputs_root, [(year, region)]) as snap:
        inputs, result = score_region(year, region, inputs_root, snap, preliminary=published_round(target))
        settings = robustness_settings(inputs.methodology, draws, seed)
        scored_first = not (target / MANIFEST).is_file()
        if scored_first:
            publish_score(inputs, result, target)
        manifest = published_from(target, inputs, "kiprank robustness")
        res = analyse_robustness(inputs, result, settings=settings)

        def write(stage):
            same_run(stage, manifest)
            written = write_robustness(res, stage)
            write_run_datapackage(stage, inputs)  # now describing robustness.csv and sensitivity.csv too
            return written

        add_to_published(target, write, "robustness", res.settings, rewrites=(DATAPACKAGE,))
    return target, res, scored_first


def published_round(target: Path) -> bool:
    """Whether the run published in ``target`` is the preliminary results of an objection round (a
    later step added to it is computed as it was: before the round)."""
    from ..core.files import read_json_object
    from .objection_round import recorded_round

    return recorded_round(read_json_object(target / MANIFEST) or {}) == "preliminary"


def published_from(target: Path, inputs: RegionInputs, command: str) -> dict:
    """The manifest of the run published in ``target``, refused (exit 2) unless it was made from
    exactly ``inputs`` (the same files, methodology and kiprank): a section computed from other
    inputs must never land in it."""
    try:
        manifest = read_manifest(target)
    except VerificationError as exc:  # damaged: the folder cannot be added to (exit 2, as score says)
        raise UsageError(f"{exc}; run `kiprank score --year {inputs.year} --region {inputs.region_id}` (or "
                         "`kiprank report`) again first (move the folder away if kiprank refuses it)") from None
    methodology = manifest.get("methodology")
    recorded = (manifest.get("inputs"), (methodology if isinstance(methodology, dict) else {}).get("sha256"))
    if recorded != (inputs.file_hashes(), sha256_file(inputs.methodology_path)):
        raise UsageError(f"{target} was published from other inputs or another methodology file than "
                         f"{inputs.origin} has now: run `kiprank score --year {inputs.year} --region "
                         f"{inputs.region_id}` (or `kiprank report`) first, then `{command}`")
    return manifest


def same_run(stage: Path, manifest: dict) -> bool:
    """In the staged copy a section is added to: is it still the run the section was computed for?
    (A ``kiprank score`` may have published a new run meanwhile.)"""
    from ..core.errors import OutputError

    try:
        now = read_manifest(stage)
    except VerificationError:
        now = {}
    if now.get("fingerprint") != manifest.get("fingerprint") or now.get("inputs") != manifest.get("inputs"):
        raise OutputError(f"{stage.name.split('.staging-')[0].lstrip('.')} was published again by another kiprank run "
                          "while this one was computing from the previous run: nothing was added; run this command "
                          "again")
    return True


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


def verify_outputs(folder: Path, inputs_root: Path | str | None = None) -> Verification:
    """Check a published folder: every file its manifest lists (hash), files it does not list,
    and, for a score/report run, re-score it from its recorded inputs (under ``inputs_root`` when
    given: inputs that moved) and compare the tables byte for byte. Raises VerificationError,
    naming the files, when an input changed since the run was published (or the manifest is
    missing or damaged)."""
    from ..core.publish import locked, recover, recover_within

    folder = Path(folder)
    if not folder.exists() and folder.parent.is_dir() and any(
            p.name.startswith(f".{folder.name}.old-") for p in folder.parent.iterdir()):
        with locked(folder):
            recover(folder)  # a publish was interrupted: put the published folder back first
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    _check_not_part_of_published(folder)
    from . import verify as rederive

    if (folder / MANIFEST).is_symlink():
        raise VerificationError(f"{folder / MANIFEST} is a symbolic link, not the manifest kiprank wrote")
    manifest = read_manifest(folder)
    recover_within(folder)  # what a killed publish of a nested folder (forms/) left: put back or removed
    kind = manifest_kind(manifest)
    # a run's fingerprint; a manifest without one (forms) is named by its own hash
    check = Verification(folder, str(manifest.get("fingerprint") or sha256_file(folder / MANIFEST)[:12]), kind)
    check.differ, check.unlisted = check_outputs(folder, manifest)
    check.differ += _nested_differences(folder, inputs_root)
    check.rerun = kind in ("forms", "comparison", "corrections")
    if kind == "forms":
        check.differ += rederive.verify_forms(folder, manifest, inputs_root)
    elif kind == "comparison":
        check.differ += rederive.verify_comparison(folder, manifest, inputs_root)
    elif kind == "corrections":
        check.differ += rederive.verify_corrections(folder, manifest)
    if kind != "run":
        return check
    from .evidence_section import check_evidence_section

    check.differ += check_evidence_section(folder, inputs_root)
    if "ranking.csv" not in (manifest.get("outputs") or {}) and manifest.get("command") == "evidence":
        return check  # a region checked for evidence before it could be scored: no ranking to re-run
    _refuse_changed_inputs(folder, manifest, inputs_root, check.fingerprint)
    _rerun(check, folder, manifest, inputs_root)
    return check


def _nested_differences(folder: Path, inputs_root) -> list[str]:
    """What differs in the folders nested in a published folder: kiprank nests only forms (``kiprank
    forms``) there, each re-made and compared; a nested publication of another kind is named."""
    from . import verify as rederive

    differ = []
    for sub in nested_folders(folder):
        try:
            inner = read_manifest(folder / sub)
        except VerificationError:  # named by check_outputs
            continue
        if manifest_kind(inner) != "forms":
            differ.append(f"{sub}/ (a nested folder of kind '{manifest_kind(inner)}': kiprank nests only "
                          "forms in a published folder)")
        else:
            differ += [f"{sub}/{d}" for d in rederive.verify_forms(folder / sub, inner, inputs_root)]
    return differ


def _refuse_changed_inputs(folder: Path, manifest: dict, inputs_root, fingerprint: str) -> None:
    """:class:`VerificationError` naming every input (and every previous year's input a section
    compared with) that changed since the run was published."""
    changed = changed_inputs(manifest, inputs_root)
    for name, section in sorted((manifest.get("sections") or {}).items()):
        previous = ((section or {}).get("settings") or {}).get("previous_inputs") if isinstance(section, dict) else None
        if isinstance(previous, dict):  # e.g. the letters' comparison with last year
            changed += [f"{path} (last year's input, compared with in {name}/)"
                        for path in changed_inputs(previous, inputs_root)]
    if changed:
        raise VerificationError(
            f"{folder}: input changed since this ranking was published (manifest {fingerprint}): " + ", ".join(changed))


def _rerun(check: Verification, folder: Path, manifest: dict, inputs_root) -> None:
    """Score the run again from its recorded inputs and name each table (and robustness result) whose
    bytes differ from the published one."""
    import tempfile

    from . import verify as rederive
    from .objection_round import recorded_round, verify_round

    root, _ = recorded_folder(manifest, inputs_root)
    with input_snapshot(root, [(manifest["year"], manifest["region"])]) as snap:
        inputs, result = score_region(manifest["year"], manifest["region"], root, snap,
                                      preliminary=recorded_round(manifest) == "preliminary")
        check.differ += verify_round(folder, manifest, inputs, result, write_tables)
    recorded = manifest.get("outputs", {})
    check.rerun = True
    with tempfile.TemporaryDirectory() as tmp:
        made = [path.name for path in write_tables(inputs, result, Path(tmp))]
        gone = [n for n in ("agreement.csv", "disagreements.csv") if n in recorded and n not in made]
        for name in made + gone:  # a verifier column removed since: its tables are no longer made
            fresh = sha256_file(Path(tmp) / name) if (Path(tmp) / name).is_file() else None
            published = folder / name
            already = any(d == name or d.startswith(name + " ") for d in check.differ)
            same = recorded.get(name) == fresh and published.is_file() and sha256_file(published) == fresh
            if not same and not already:
                check.differ.append(f"{name} (re-run differs)")
    check.differ += [d for d in rederive.verify_robustness(folder, manifest, inputs, result)
                     if not any(d.split(" ")[0] == x.split(" ")[0] for x in check.differ)]


__all__ = ["output_folder", "check_separate", "score_region", "write_tables", "run_score", "verify_outputs",
           "Verification", "MANIFEST"]
