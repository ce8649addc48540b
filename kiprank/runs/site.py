"""``kiprank site``: build the static site of an outputs root, publish it atomically with its own
manifest, and check a published site (``kiprank verify``).

The site folder (default ``<outputs root>/site``) is written in a hidden staging folder next to it
and renamed into place when every page is written. Its ``manifest.json`` has ``"kind": "site"``
and records the SHA-256 of every file the site was made from (relative to the outputs root, which
is recorded relative to the site folder) and of every file of the site. kiprank only replaces a
folder it made: an ``--out`` folder that holds anything but an earlier site is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..core.version import __version__
from ..core.errors import UsageError
from ..core.files import MANIFEST, read_json_object, read_kind_manifest, sha256_file
from ..core.publish import check_owned
from .manifest import VerificationError, write_manifest

KIND = "site"
SITE_DIR = "site"


@dataclass
class SiteBuild:
    folder: Path
    files: int
    pages: int
    regions: int
    comparisons: int
    fingerprint: str
    warnings: list[str] = field(default_factory=list)


def read_site_manifest(folder: Path | str) -> dict | None:
    """The manifest of a site folder, or None when ``folder`` holds no site manifest."""
    return read_kind_manifest(folder, KIND)


def is_site(folder: Path | str) -> bool:
    return read_site_manifest(folder) is not None


def code_hash() -> str:
    """One hash over what draws the pages: templates, stylesheet, script, the site's words and the
    modules of this package (a change of any of them changes the site)."""
    from ..core.resources import SITE_TEMPLATES_DIR, WORDS_DIR

    here = SITE_TEMPLATES_DIR.parent
    files = sorted([*here.glob("*.py"), *here.glob("*.yml"), *(here / "templates").glob("*"), *(here / "static").glob("*"),
                    *WORDS_DIR.glob("site.*.yml")], key=lambda p: p.relative_to(here.parent).as_posix())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(here.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def check_out(out: Path, outputs_root: Path) -> None:
    """Refuse a site folder that kiprank did not make, or one that would overlap the published results."""
    out_r, root_r = out.resolve(), outputs_root.resolve()
    if out_r == root_r or root_r.is_relative_to(out_r):
        raise UsageError(f"--out {out}: the site folder cannot be the outputs root {outputs_root} or hold it")
    for parent in [out_r, *out_r.parents]:
        if parent == root_r:
            break
        manifest = parent / MANIFEST
        if parent != out_r and manifest.is_file():
            raise UsageError(f"--out {out}: {parent} is a published folder ({manifest}); "
                             "put the site beside it, not inside it")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: this is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_site(out):
        raise UsageError(f"--out {out}: this folder was not made by `kiprank site` (no site manifest.json); "
                         "kiprank does not replace folders it did not create. Choose another --out, or empty it")
    check_owned(out, KIND)  # a site folder holding a file its manifest does not list is refused too


def _check_not_inputs(out: Path, data) -> None:
    """Refuse a site folder that is, lies inside or holds an inputs root a published run was made
    from (its manifest's ``inputs_root``), as every command
    refuses an outputs folder overlapping the inputs."""
    from ..core.publish import check_separate

    from .manifest import VerificationError, recorded_folder

    roots = set()
    for r in data.regions:
        try:
            roots.add(recorded_folder(r.manifest)[0])
        except VerificationError:
            continue
    for root in sorted(roots):
        check_separate(root, out, "the inputs root", "--out")


def _manifest(data, out: Path, written: dict[str, str], lang: str, hashes: dict[Path, str]) -> dict:
    root = Path(data.root)
    sources = {}
    for rel in data.sources():
        path = (root / rel).resolve()
        if path not in hashes:
            hashes[path] = sha256_file(path)
        sources[rel] = hashes[path]
    code = code_hash()
    keyed = {"kiprank_version": __version__, "lang": lang, "sources": sources, "code": code}
    fingerprint = hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "kind": KIND,
        "kiprank_version": __version__,
        "lang": lang,
        "outputs_root": Path(os.path.relpath(root.resolve(), out.resolve())).as_posix(),
        "code": code,
        "sources": sources,
        "outputs": dict(sorted(written.items())),
        "fingerprint": fingerprint,
    }


def untrusted(folder: Path) -> str | None:
    """Why a published folder cannot be put on the site: a file differs from its manifest (edited
    by hand), is missing or is not listed; None when every file is the one its manifest lists."""
    from .manifest import check_outputs

    manifest = read_json_object(folder / MANIFEST)
    if manifest is None or (folder / MANIFEST).is_symlink():
        return None  # named by the site's reader (missing or damaged manifest)
    differ, unlisted = check_outputs(folder, manifest)
    if differ:
        return "files differ from its manifest (" + ", ".join(differ[:5]) + (" ..." if len(differ) > 5 else "") + ")"
    if unlisted:
        return "files its manifest does not list (" + ", ".join(unlisted[:5]) + (" ..." if len(unlisted) > 5 else "") + ")"
    return None


def comparison_stale(folder: Path, regions) -> tuple[str, str] | None:
    """Why a comparison may no longer agree with the published years, as (key of the site's words,
    years): its manifest does not record its inputs, or a year it compared was published since from
    other inputs or another methodology; None when it agrees."""
    manifest = read_json_object(folder / MANIFEST) or {}
    years = manifest.get("years_inputs")
    if not isinstance(years, dict) or not years:
        return ("stale_unrecorded", "")
    published = {(r.year, r.region): r.manifest for r in regions}
    changed = []
    for year, recorded in sorted(years.items()):
        now = published.get((int(year), str(manifest.get("region"))))
        if now is None or not isinstance(recorded, dict):
            continue
        same = now.get("inputs") == recorded.get("inputs") and \
            (now.get("methodology") or {}).get("sha256") == (recorded.get("methodology") or {}).get("sha256")
        if not same:
            changed.append(str(year))
    if changed:
        return ("stale_years", ", ".join(changed))
    return None


def build_site(outputs_root: Path | str = "outputs", out: Path | str | None = None, lang: str = "id") -> SiteBuild:
    """Write the site of everything published under ``outputs_root`` into ``out`` (default
    ``<outputs_root>/site``), atomically; the previous site stays until the new one is complete."""
    from ..core.formatting import check_lang
    from ..core.publish import staged_folder
    from ..site.pages import collect
    from ..site.render import write_site

    try:
        check_lang(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from exc
    root = Path(outputs_root)
    if not root.is_dir():
        raise UsageError(f"--outputs-root {root}: no such folder (build the reports first: kiprank build / report)")
    out = Path(out) if out is not None else root / SITE_DIR
    check_out(out, root)
    data = collect(root, skip=out, check=untrusted, stale=comparison_stale)
    _check_not_inputs(out, data)
    if not data.regions and not data.comparisons:
        raise UsageError(f"--outputs-root {root}: nothing is published there yet (no <year>/<region>/ranking.csv "
                         "with its manifest.json); run kiprank score, report or build first"
                         + "".join(f"; {note}" for note in data.skipped))
    hashes: dict[Path, str] = {}
    with staged_folder(out, kind="site") as stage:
        written = write_site(data, stage, lang=lang, version=__version__, hashes=hashes)
        manifest = _manifest(data, out, written, lang, hashes)
        write_manifest(manifest, stage)
    pages = sum(1 for rel in written if rel.endswith(".html"))
    stale = [f"{c.folder}: out of date, marked so on the site ("
             + ("its manifest does not record its inputs" if c.stale[0] == "stale_unrecorded"
                else f"{c.stale[1]} published again from other inputs") + "): run kiprank compare again"
             for c in data.comparisons if c.stale]
    return SiteBuild(folder=out, files=len(written) + 1, pages=pages, regions=len(data.regions),
                     comparisons=len(data.comparisons), fingerprint=manifest["fingerprint"],
                     warnings=list(data.skipped) + stale)


def verify_site(folder: Path | str) -> list[str]:
    """Check a published site: every file its manifest lists is there with the same bytes, no other
    file is there, the published results it was made from are unchanged, and building it again
    from them gives the same bytes. Returns what differs (empty: verified). Raises
    VerificationError when a result it was made from changed since (the site is stale)."""
    from ..site.pages import collect
    from ..site.render import write_site

    folder = Path(folder)
    manifest = read_site_manifest(folder)
    if manifest is None:
        raise VerificationError(f"{folder}/{MANIFEST} is missing or is not a site manifest")
    recorded = manifest.get("outputs") or {}
    problems = []
    for rel, digest in sorted(recorded.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(f"{rel} (missing)")
        elif sha256_file(path) != digest:
            problems.append(f"{rel} (changed)")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != MANIFEST and rel not in recorded:
            problems.append(f"{rel} (not listed in the manifest)")
    root = (folder / manifest.get("outputs_root", "..")).resolve()
    stale = []
    for rel, digest in sorted((manifest.get("sources") or {}).items()):
        path = root / rel
        if not path.is_file():
            stale.append(f"{path} (missing)")
        elif sha256_file(path) != digest:
            stale.append(str(path))
    if stale:
        raise VerificationError(f"{folder}: a published result changed since this site was built "
                                f"(manifest {manifest.get('fingerprint')}): " + ", ".join(stale)
                                + "; run kiprank site again")
    data = collect(root, skip=folder, check=untrusted, stale=comparison_stale)
    now = sorted(data.sources())
    if now != sorted(manifest.get("sources") or {}):
        added = sorted(set(now) - set(manifest.get("sources") or {}))
        raise VerificationError(f"{folder}: results were published since this site was built: "
                                + ", ".join(added[:10]) + ("..." if len(added) > 10 else "") + "; run kiprank site again")
    try:  # beside the site (published files are hard-linked, not copied) ...
        scratch = tempfile.TemporaryDirectory(prefix=".site-verify-", dir=folder.parent)
    except OSError:  # ... or, where that cannot be written (a read-only copy), in the temp folder
        scratch = tempfile.TemporaryDirectory(prefix="kiprank-site-verify-")
    with scratch as tmp:
        fresh = write_site(data, Path(tmp), lang=manifest.get("lang", "id"), version=__version__)
    for rel in sorted(set(fresh) | set(recorded)):
        if fresh.get(rel) != recorded.get(rel):
            problems.append(f"{rel} (a new build differs)")
    return sorted(set(problems))


__all__ = ["build_site", "verify_site", "check_out", "is_site", "read_site_manifest", "SiteBuild", "KIND"]
