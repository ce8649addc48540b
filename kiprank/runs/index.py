"""``<outputs_root>/index.html``: every report on disk with its band counts and links, written after
every batch build (:func:`write_index`) from what is published, not from what the batch built."""

from __future__ import annotations

import csv
import functools
import os
import tempfile
from pathlib import Path

from ..core.errors import UsageError
from ..core.resources import TEMPLATES_DIR
from .manifest import methodology_file as recorded_methodology_file, recorded_folder
from .staleness import read_manifest

INDEX = "index.html"


def _yaml(path: Path):
    from ..core.yamlfile import load_yaml

    return load_yaml(path)


@functools.lru_cache(maxsize=64)
def _bands_of(ref: str, root: str | None) -> tuple[str, ...] | None:
    """Band labels of a methodology (``preset:<id>`` or a path), highest first; read once per batch."""
    try:
        path = recorded_methodology_file(ref, Path(root) if root else None)
        return tuple(str(b["label"]) for b in _yaml(path)["bands"])
    except Exception:
        return None


def _band_order(manifest: dict | None) -> list[str] | None:
    """Band labels from the highest down, from the methodology the manifest recorded."""
    try:
        root = manifest.get("inputs_root")
        bands = _bands_of(str(manifest["methodology"]["path"]), str(root) if root else None)
    except (KeyError, TypeError, AttributeError):
        return None
    return list(bands) if bands else None


def _region_title(manifest: dict | None) -> str:
    if not manifest or not manifest.get("inputs_folder"):
        return ""
    try:
        data = _yaml(recorded_folder(manifest)[1] / "region.yml")
        return str(data.get("title") or data.get("region") or "")
    except Exception:
        return ""


def _band_counts(ranking: Path) -> tuple[int | None, dict[str, int], dict[str, float]]:
    """(bodies, bodies per band, best score per band) of a published ``ranking.csv``; (None, {}, {})
    when it is missing, not UTF-8 or not a CSV table."""
    bands: dict[str, int] = {}
    best: dict[str, float] = {}
    bodies = 0
    try:
        with open(ranking, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                bodies += 1
                band = (row.get("band") or "").strip()
                if not band:
                    continue
                bands[band] = bands.get(band, 0) + 1
                try:
                    best[band] = max(best.get(band, float("-inf")), float(row.get("final") or "nan"))
                except ValueError:
                    pass
    except (OSError, UnicodeDecodeError, csv.Error):
        return None, {}, {}
    return bodies, bands, best


def index_entries(outputs_root: Path | str) -> list[dict]:
    """One entry per ``<outputs_root>/<year>/<region>/`` holding a report or a ranking."""
    from urllib.parse import quote

    root = Path(outputs_root)
    entries = []
    years = sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: -int(p.name)) \
        if root.is_dir() else []
    for year_dir in years:
        for folder in sorted(p for p in year_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            files = {n: (folder / n).is_file() for n in ("report.pdf", "report.html", "ranking.csv", "ranking.xlsx")}
            if not any(files.values()):
                continue
            bodies, bands, best = _band_counts(folder / "ranking.csv")
            manifest = read_manifest(folder)
            order = _band_order(manifest)
            if order is None:  # by the best score in each band
                order = sorted(bands, key=lambda b: -best.get(b, float("-inf")))
            base = f"{quote(year_dir.name)}/{quote(folder.name)}/"
            entries.append({
                "year": year_dir.name,
                "region": folder.name,
                "title": _region_title(manifest),
                "bodies": bodies,
                "bands": [(label, bands.get(label, 0)) for label in order]
                + [(label, n) for label, n in bands.items() if label not in order],
                "links": {name: base + quote(name) for name, present in files.items() if present},
                "fingerprint": (manifest or {}).get("fingerprint", ""),
                "version": (manifest or {}).get("kiprank_version", ""),
            })
    return entries


GENERATOR = '<meta name="generator" content="kiprank'  # in the head of every index kiprank writes


def foreign_index(path: Path) -> str | None:
    """Why ``path`` may not be replaced by the index (a file kiprank did not write, a link, a
    folder), or None (absent, or an index kiprank wrote: its head names kiprank as generator)."""
    if path.is_symlink():
        return "a symbolic link"
    if not path.exists():
        return None
    if not path.is_file():
        return "not a regular file"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError as exc:
        return f"not readable ({exc.strerror or exc})"
    return None if GENERATOR in head else "not an index written by kiprank"


def write_index(outputs_root: Path | str) -> Path:
    """Write ``<outputs_root>/index.html``: every report on disk with its band counts and links
    (all text escaped by Jinja2's autoescape). Replaced atomically, and only when it is absent or an
    index kiprank wrote (:func:`foreign_index`; else :class:`UsageError` saying why)."""
    from jinja2 import Environment, FileSystemLoader

    from ..core.version import __version__

    root = Path(outputs_root)
    root.mkdir(parents=True, exist_ok=True)
    why = foreign_index(root / INDEX)
    if why:
        raise UsageError(f"{root / INDEX} is {why}: the index of the reports was not written "
                         "(kiprank never overwrites a file it did not create; move it away)")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                      keep_trailing_newline=True)
    html = env.get_template("index.html.j2").render(entries=index_entries(root), version=__version__)
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / INDEX)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return root / INDEX


__all__ = ["index_entries", "write_index", "foreign_index", "INDEX"]
