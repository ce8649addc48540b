"""The named steps of a run, in their one direction: inputs -> validated tables -> scores ->
ranking -> published files. Each step is a plain function; the CLI and the notebooks call these."""

from __future__ import annotations

from pathlib import Path

from .export import write_csv, write_xlsx
from .inputs import RegionInputs, check_name, load_region
from .manifest import add_outputs, build_manifest, write_manifest
from .publish import staged_folder
from .scoring import ScoreResult, score


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
    result.indicators.to_csv(folder / "indicators.csv", index=False, float_format="%.6f", lineterminator="\n")
    return [folder / "ranking.csv", folder / "ranking.xlsx", folder / "indicators.csv"]


def run_score(year: int | str, region: str, inputs_root: Path | str = "inputs",
              outputs_root: Path | str = "outputs") -> tuple[Path, ScoreResult]:
    """Score a region and publish its tables and manifest atomically; other files in the folder are kept."""
    target = output_folder(outputs_root, year, region)
    inputs, result = score_region(year, region, inputs_root)
    publish_score(inputs, result, target)
    return target, result


def publish_score(inputs: RegionInputs, result: ScoreResult, target: Path) -> None:
    """Publish a region's scored tables and manifest in ``target`` atomically (other files are kept).

    Files that later steps added to the folder (``robustness``, ``letters`` ... listed under
    ``sections`` in its manifest) are kept and listed again when the ranking was made from the same
    inputs, methodology and kiprank version; otherwise they describe another ranking and are removed
    (kiprank made them)."""
    from .manifest import MANIFEST, read_manifest

    manifest = build_manifest(inputs, "score", {"year": inputs.year, "region": inputs.region_id})
    old = read_manifest(target) if (target / MANIFEST).is_file() else {}
    same = all(old.get(k) == manifest.get(k) for k in ("inputs", "methodology", "kiprank_version"))
    sections = old.get("sections") or {}
    with staged_folder(target, keep_existing=True) as stage:
        written = write_tables(inputs, result, stage)
        manifest = add_outputs(manifest, stage, [p.name for p in written])
        if same and sections:
            kept = {f: old["outputs"][f] for sec in sections.values() for f in sec.get("files", [])
                    if f in old.get("outputs", {}) and (stage / f).is_file()}
            manifest["outputs"] = dict(sorted({**manifest["outputs"], **kept}.items()))
            manifest["sections"] = sections
        else:
            for sec in sections.values():
                for name in sec.get("files", []):
                    (stage / name).unlink(missing_ok=True)
        write_manifest(manifest, stage)


def run_robustness(year: int | str, region: str, inputs_root: Path | str = "inputs",
                   outputs_root: Path | str = "outputs", draws: int | None = None, seed: int | None = None):
    """Uncertainty and sensitivity of a region's ranks and bands, added to its published folder
    (``robustness.csv``, ``sensitivity.csv``, listed in the manifest with the settings).

    A region not yet published is scored and published first. A folder published from other inputs
    or another methodology file is refused (its ranking would not be the one analysed): run
    ``kiprank score`` (or ``kiprank report``) again first. Returns (folder, result, scored_first).
    """
    from .analysis.robustness import analyse_robustness, robustness_settings, write_robustness
    from .errors import UsageError
    from .manifest import MANIFEST, read_manifest, sha256_file
    from .publish import add_to_published

    target = output_folder(outputs_root, year, region)
    inputs, result = score_region(year, region, inputs_root)
    settings = robustness_settings(inputs.methodology, draws, seed)
    scored_first = not (target / MANIFEST).is_file()
    if scored_first:
        publish_score(inputs, result, target)
    else:
        manifest = read_manifest(target)
        recorded = (manifest.get("inputs"), (manifest.get("methodology") or {}).get("sha256"))
        if recorded != (inputs.file_hashes(), sha256_file(inputs.methodology_path)):
            raise UsageError(f"{target} was published from other inputs or another methodology file than "
                             f"{inputs.folder} has now: run `kiprank score --year {year} --region {region}` "
                             "(or `kiprank report`) first, then `kiprank robustness`")
    res = analyse_robustness(inputs, result, settings=settings)
    add_to_published(target, lambda stage: write_robustness(res, stage), "robustness", res.settings)
    return target, res, scored_first
