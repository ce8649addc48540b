"""What ``kiprank verify`` re-derives beyond the hashes of a manifest: a hash only says a file is
the one the manifest lists, and a manifest can be rewritten with the file. So verify makes again
what kiprank can make again from the recorded inputs and compares bytes:

- a run's ``robustness.csv`` and ``sensitivity.csv`` (from the settings recorded with them);
- a forms folder (nested in a run, or on its own): the forms of each kind, from the inputs recorded
  for that kind;
- a comparison's ``changes.csv`` and ``decomposition.csv``, from every year's recorded inputs and
  the crosswalk;
- a corrections folder's ``corrections.csv``, from the two folders it compared (which must be the
  ones it recorded).

An input that changed since is named (:class:`~kiprank.runs.manifest.VerificationError`, exit 3);
a file that differs from its re-made copy is returned in the list of differences.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..core.files import MANIFEST, read_json_object
from .manifest import VerificationError, changed_inputs, methodology_file, recorded_folder, sha256_file


def _compare(folder: Path, fresh: Path, names: list[str], what: str) -> list[str]:
    out = []
    for name in names:
        made = fresh / name
        if not made.is_file() or not (folder / name).is_file() or sha256_file(made) != sha256_file(folder / name):
            out.append(f"{name} ({what} differs)")
    return out


def verify_robustness(folder: Path, manifest: dict, inputs, result) -> list[str]:
    """Re-run the robustness analysis recorded under ``sections.robustness`` and compare its files."""
    from ..analysis.robustness import analyse_robustness, write_robustness

    section = (manifest.get("sections") or {}).get("robustness")
    if not isinstance(section, dict):
        return []
    settings = section.get("settings") or {}
    try:
        draws, seed = int(settings["draws"]), int(settings["seed"])
    except (KeyError, TypeError, ValueError):
        return [f"{name} (its settings are not recorded: it cannot be made again)" for name in section.get("files", [])]
    res = analyse_robustness(inputs, result, draws=draws, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        written = write_robustness(res, Path(tmp))
        return _compare(folder, Path(tmp), sorted(set(written) | set(section.get("files", []))), "a re-run")


def verify_forms(folder: Path, manifest: dict, inputs_root: Path | str | None = None) -> list[str]:
    """Make the forms of every kind listed again from the inputs recorded for it and compare them."""
    from ..core.snapshot import input_snapshot
    from ..intake.forms import build_forms

    kinds = manifest.get("kinds")
    if not isinstance(kinds, dict) or not kinds or not all(
            isinstance(k, dict) and isinstance(k.get("inputs"), dict) for k in kinds.values()) \
            or not manifest.get("inputs_folder"):
        raise VerificationError(f"{folder}: its {MANIFEST} does not record what the forms were made from (kinds "
                                "with their inputs): it was not written by this kiprank's `kiprank forms`; make "
                                "the forms again")
    root, region = recorded_folder(manifest, inputs_root)
    changed = []
    for kind, entry in sorted(kinds.items()):
        for name, digest in sorted(entry["inputs"].items()):
            path = region / name
            if not path.is_file() or sha256_file(path) != digest:
                changed.append(f"{path} ({kind} forms{', missing' if not path.is_file() else ''})")
    method = manifest.get("methodology") or {}
    path = methodology_file(str(method.get("path", "")), root)
    if not path.is_file() or sha256_file(path) != method.get("sha256"):
        changed.append(f"{path} (methodology of the forms)")
    if changed:
        raise VerificationError(f"{folder}: input changed since these forms were made: " + ", ".join(changed))
    listed = sorted(manifest.get("outputs") or {})
    year, name = manifest.get("year"), str(manifest.get("region"))
    out, made_files = [], set()
    for kind, entry in sorted(kinds.items()):  # each kind from exactly the files it was made from
        with input_snapshot(root, [(year, name)], only=set(entry["inputs"])) as snap, \
                tempfile.TemporaryDirectory() as tmp:
            made = build_forms(year, name, snap.root, kinds=[kind], out=Path(tmp) / "forms",
                               lang=str(manifest.get("lang", "id")))
            mine = [f for f in entry.get("files", []) if f in listed]
            out += _compare(folder, made.folder, mine, "the forms made again")
            made_files |= set(made.files)
    out += [f"{f} (listed, but no kind of form makes it)" for f in listed if f not in made_files]
    return out


def verify_comparison(folder: Path, manifest: dict, inputs_root: Path | str | None = None) -> list[str]:
    """Check every year's inputs and the crosswalk recorded by a comparison, then make its tables
    again and compare them."""
    from ..analysis import compare as cmp
    from ..core.snapshot import input_snapshot
    from .comparison import write_tables

    years = manifest.get("years_inputs")
    if not isinstance(years, dict) or not years or not manifest.get("region"):
        raise VerificationError(f"{folder}: its {MANIFEST} does not record the inputs it was made from (made by an "
                                "older kiprank): run `kiprank compare` again")
    root = Path(inputs_root) if inputs_root is not None else Path(str(manifest.get("inputs_root", "")))
    changed = []
    for year, recorded in sorted(years.items()):
        changed += [f"{path} ({year})" for path in changed_inputs(recorded, root)]
    crosswalk = manifest.get("crosswalk") or {}
    path = root / cmp.CROSSWALK_FILE
    now = sha256_file(path) if path.is_file() else None
    if now != crosswalk.get("sha256"):
        changed.append(f"{path} (crosswalk{', missing' if now is None and crosswalk.get('sha256') else ''})")
    if changed:
        raise VerificationError(f"{folder}: input changed since this comparison was published (manifest "
                                f"{manifest.get('fingerprint')}): " + ", ".join(changed)
                                + "; run `kiprank compare` again")
    ys = sorted(int(y) for y in years)
    with input_snapshot(root, [(y, str(manifest["region"])) for y in ys], extra=(cmp.CROSSWALK_FILE,)) as snap:
        comp = cmp.load_comparison(str(manifest["region"]), ys, snap.root)
    with tempfile.TemporaryDirectory() as tmp:
        write_tables(comp, Path(tmp))
        return _compare(folder, Path(tmp), ["changes.csv", "decomposition.csv"], "a re-run")


def verify_corrections(folder: Path, manifest: dict) -> list[str]:
    """The two folders a corrections folder compared must be as they were; then the corrections
    table is made again and compared."""
    from ..analysis.corrections import diff_rankings
    from .corrections import write_corrections_csv

    compared = manifest.get("compared")
    if not isinstance(compared, dict) or set(compared) != {"old", "new"}:
        raise VerificationError(f"{folder}: its {MANIFEST} does not record the folders it compared (made by an "
                                "older kiprank): run `kiprank diff` again")
    places = {}
    changed = []
    for side in ("old", "new"):
        state = compared[side] or {}
        place = (folder / str(state.get("path", ""))).resolve()
        places[side] = place
        for name, key in ((MANIFEST, "manifest_sha256"), ("ranking.csv", "ranking_sha256")):
            path = place / name
            now = sha256_file(path) if path.is_file() else None
            if now != state.get(key):
                fingerprint = (read_json_object(place / MANIFEST) or {}).get("fingerprint") if now else None
                changed.append(f"{path} ({side} folder compared{', missing' if now is None else ''}"
                               + (f"; manifest {state.get('fingerprint')} -> {fingerprint}" if fingerprint else "")
                               + ")")
    if changed:
        raise VerificationError(f"{folder}: a folder it compared changed since these corrections were published: "
                                + ", ".join(changed) + "; run `kiprank diff` again")
    table = diff_rankings(places["old"], places["new"])
    with tempfile.TemporaryDirectory() as tmp:
        write_corrections_csv(table, Path(tmp) / "corrections.csv")
        return _compare(folder, Path(tmp), ["corrections.csv"], "a re-run")


__all__ = ["verify_robustness", "verify_forms", "verify_comparison", "verify_corrections"]
