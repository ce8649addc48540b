"""What the site shows, collected from the folders published under an outputs root, as plain data.

Only published files are read: ``<root>/<year>/<region>/`` (``manifest.json``, ``ranking.csv``,
``indicators.csv``, the report and workbook to link to, and when present ``robustness.csv`` and
``letters/``) and ``<root>/compare/<name>/`` (``changes.csv``, ``decomposition.csv``, the
comparison PDF). The other sources are the files a run's manifest names and hashes: its
methodology (a built-in preset or the run's own file: stage labels, weights, band order) and its
``region.yml`` (the region's label, the issuer), each used only while its hash is the one the
manifest recorded; and the ``crosswalk.csv`` beside the inputs, which links a renamed body's
history across years as the comparison does.

Everything is read with the standard library (``csv``, ``json``) so that a site of 70 rankings is
collected in a fraction of a second. Text is kept exactly as published, except that the CSV's
formula guard (:func:`kiprank.core.formulas.unguard`) is taken off again: the page shows the name
as written.

(About 675 lines: the regions, the comparisons and the bodies' histories across years are read by
one set of checked readers, so that every page states facts read and checked the same way; the
pages themselves are in :mod:`kiprank.site.render`.)
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..core.files import MANIFEST, inputs_place, methodology_file, sha256_file
from ..core.files import read_json_object as read_json
from ..core.formulas import unguard
from ..core.methodology import short_label
from ..core.wording import words
# Files of a published region folder that the site links to, in the order they are listed.
REPORT_CONTENT = "report-content.json"
COMPARISON_CONTENT = "comparison-content.json"
# datapackage.json last: the open-data description of the tables before it (robustness.csv and
# sensitivity.csv when present), all of which the site then offers beside it
REGION_FILES = ("report.pdf", "ranking.csv", "ranking.xlsx", "indicators.csv", "robustness.csv", "sensitivity.csv",
                "agreement.csv", "disagreements.csv", "sanggah.pdf", "sanggah.csv", "corrections.pdf",
                "datapackage.json")
COMPARISON_FILES = ("comparison.pdf", "changes.csv", "decomposition.csv", "datapackage.json")
LETTERS = "letters"
ALL_LETTERS = "all.pdf"
_YEAR = re.compile(r"^[0-9]{4}$")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SLUG_BAD = re.compile(r"[^a-z0-9_-]+")


@dataclass
class Body:
    """One row of ``ranking.csv``; numbers kept as published text and as floats (None: empty)."""

    body_id: str
    name: str
    group: str
    rank: int | None
    status: str
    stages: dict[str, float | None]
    final: float | None
    band: str
    notes: str
    self_assessed: float | None = None
    slug: str = ""
    group_size: int = 0
    indicators: list[dict] = field(default_factory=list)
    robustness: dict | None = None
    letter: str | None = None  # path of the letter relative to the region folder
    history: list[dict] = field(default_factory=list)
    returned: bool = True  # False: did not return the SAQ (counted apart from the bands, as the report does)


@dataclass
class Region:
    """One published ranking: ``<root>/<year>/<region>/``."""

    year: int
    region: str
    folder: Path
    manifest: dict
    title: str
    decimals: int
    stage_ids: list[str]
    stage_labels: dict[str, str]
    stage_weights: dict[str, float]
    methodology: dict
    bands: list[str]
    groups: list[str]
    bodies: list[Body]
    files: list[str]
    letters_all: str | None
    robustness_bands: list[str]
    robustness_draws: int | None
    sources: list[str]
    content: dict | None = None  # report-content.json (the report's sections), when published
    label: str = ""  # the region as its region.yml names it ("Kabupaten Klaten"); else its id
    issuer: str = ""  # who publishes the ranking ("Dinas Komunikasi dan Informatika ..."), when known
    stage_short: dict[str, str] = field(default_factory=dict)  # stage id -> short label ("SAQ")
    agreement: tuple | None = None  # (agreement.csv, disagreements.csv) as DataFrames, when published
    objection_round: dict | None = None  # {"stage": preliminary | final, "until": date} of an objection round
    _details_loaded: bool = False

    @property
    def rel(self) -> str:
        return f"{self.year}/{self.region}"

    @property
    def returned(self) -> int:
        return sum(1 for b in self.bodies if b.final is not None)

    def load_details(self) -> "Region":
        """Read what only this region's own pages show: each body's score sheet
        (``indicators.csv``) and the report's content (``report-content.json``). Done when its
        pages are written (in parallel for large sites), not when the site is collected."""
        if self._details_loaded:
            return self
        self._details_loaded = True
        by_id = {b.body_id: b for b in self.bodies}
        indicators = self.folder / "indicators.csv"
        if indicators.is_file():
            for r in read_csv(indicators):
                body = by_id.get(unguard(r.get("body_id") or ""))
                if body is not None:
                    body.indicators.append({
                        "stage": r.get("stage") or "", "indicator": unguard(r.get("indicator") or ""),
                        "label": unguard(r.get("label") or ""), "weight": number(r.get("indicator_weight")),
                        "score": number(r.get("score")), "contribution": number(r.get("contribution"))})
        if self.content is None and (self.folder / REPORT_CONTENT).is_file():
            self.content = _content(self.folder / REPORT_CONTENT)
        return self

    def band_counts(self, group: str | None = None) -> list[tuple[str, int]]:
        """(band, count) in band order; bodies that did not return the SAQ are counted apart, under
        their status (e.g. "Tidak mengembalikan SAQ"), after the bands, as the report counts them."""
        counts: dict[str, int] = {}
        for b in self.bodies:
            if group is None or b.group == group:
                label = b.band if b.returned else (b.status or b.band)
                if label:
                    counts[label] = counts.get(label, 0) + 1
        order = self.bands + [b for b in counts if b not in self.bands]
        return [(label, counts.get(label, 0)) for label in order]


@dataclass
class Comparison:
    """One published comparison: ``<root>/compare/<name>/``."""

    name: str
    folder: Path
    region: str
    years: list[int]
    changes: list[dict]
    by_stage: list[dict]
    files: list[str]
    sources: list[str]
    content: dict | None = None  # comparison-content.json, when published
    stale: tuple[str, str] | None = None  # why it may no longer agree with the published years: (words key, years)
    label: str = ""  # the region's label (from a published year of the region), else its id
    issuer: str = ""


@dataclass
class SiteData:
    root: Path
    regions: list[Region]
    comparisons: list[Comparison]
    skipped: list[str] = field(default_factory=list)  # published-looking folders that could not be read

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.regions}, reverse=True)

    def sources(self) -> list[str]:
        """Every file the site was made from, relative to the outputs root, sorted."""
        out = [s for r in self.regions for s in r.sources] + [s for c in self.comparisons for s in c.sources]
        return sorted(set(out))


def number(text: str | None) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if value != value else value


def _int(text: str | None) -> int | None:
    value = number(text)
    return None if value is None else int(value)


def _decimals(values: list[str]) -> int:
    for text in values:
        text = text.strip()
        if text and number(text) is not None:
            return len(text.split(".", 1)[1]) if "." in text else 0
    return 1


def slug(body_id: str, taken: set[str]) -> str:
    """A file name for a body's page: the id itself when it is a plain name, else a cleaned prefix
    and a short hash of the id (so odd ids never make odd paths and two ids never share a page)."""
    if _SAFE.match(body_id) and len(body_id) <= 60 and body_id.lower() not in taken and body_id == body_id.lower():
        name = body_id
    else:
        clean = _SLUG_BAD.sub("-", body_id.lower()).strip("-")[:40] or "badan"
        name = f"{clean}-{hashlib.sha256(body_id.encode('utf-8')).hexdigest()[:10]}"
    taken.add(name.lower())
    return name


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=32)
def _yaml_if_unchanged(path: str, sha256: str) -> dict:
    """A YAML file the run was made from (a methodology, its region.yml), when it is still the file
    whose hash the manifest recorded; else nothing (the site then shows ids)."""
    from ..core.yamlfile import load_yaml

    file = Path(path)
    try:
        if not file.is_file() or sha256_file(file) != sha256:
            return {}
        data = load_yaml(file)
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def methodology_of(manifest: dict) -> dict:
    """The methodology a manifest names (a built-in preset, or the run's own file) while it is the
    file the run used (same SHA-256): stage labels, weights, band order."""
    try:
        m = manifest["methodology"]
        ref, digest = str(m["path"]), str(m["sha256"])
    except (KeyError, TypeError):
        return {}
    try:
        root = inputs_place(manifest)[0]
    except ValueError:
        root = None
    return _yaml_if_unchanged(str(methodology_file(ref, root)), digest)


def region_config_of(manifest: dict) -> dict:
    """The ``region.yml`` a run was made from (region label, issuer, group labels), while it is the
    file whose hash the manifest recorded."""
    hashes = manifest.get("inputs")
    if not isinstance(hashes, dict) or not isinstance(hashes.get("region.yml"), str):
        return {}
    try:
        _, folder = inputs_place(manifest)
    except ValueError:
        return {}
    return _yaml_if_unchanged(str(folder / "region.yml"), hashes["region.yml"])


def _title_of(folder: Path, manifest: dict) -> str:
    """The report's title: recorded by the report (``title`` in the manifest's parameters or the
    ``<title>`` of report.html); else empty (the page then shows the region and year)."""
    for key in ("title",):
        value = (manifest.get("parameters") or {}).get(key) or manifest.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    html = folder / "report.html"
    if html.is_file():
        with open(html, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
        match = re.search(r"<title>(.*?)</title>", head, re.S | re.I)
        if match:
            import html as htmllib

            return htmllib.unescape(" ".join(match.group(1).split()))
    return ""


def _content(path: Path) -> dict | None:
    """The report's content as its build published it (``meta`` and ``sections``), or None."""
    data = read_json(path) if path.is_file() else None
    if data is None or not isinstance(data.get("sections"), list):
        return None
    return data


def read_region(root: Path, year_dir: Path, folder: Path) -> Region | None:
    """A published ranking folder, or None when the folder holds no ranking."""
    ranking_path = folder / "ranking.csv"
    manifest = read_json(folder / MANIFEST)
    if manifest is None or not ranking_path.is_file():
        return None
    rows = read_csv(ranking_path)
    header, stage_ids = _ranking_columns(ranking_path, rows)
    m = methodology_of(manifest)
    stages_m = {str(s.get("id")): s for s in (m.get("stages") or []) if isinstance(s, dict)}
    stage_labels = {s: str(stages_m.get(s, {}).get("label") or s) for s in stage_ids}
    stage_short = {s: short_label(label, s) for s, label in stage_labels.items()}
    config = region_config_of(manifest)
    stage_weights = {s: float(stages_m[s]["weight"]) for s in stage_ids if s in stages_m and number(str(stages_m[s].get("weight"))) is not None}
    decimals = int(m["decimals"]) if isinstance(m.get("decimals"), int) else _decimals([r.get("final", "") for r in rows])
    bodies, groups = _bodies(rows, header, stage_ids, m)
    here = f"{year_dir.name}/{folder.name}"
    sources = [f"{here}/{n}" for n in (MANIFEST, "ranking.csv")]
    if (folder / "indicators.csv").is_file():  # read by Region.load_details(), when its pages are written
        sources.append(f"{here}/indicators.csv")
    robustness_bands, draws = _robustness(folder, manifest, {b.body_id: b for b in bodies})
    if (folder / "robustness.csv").is_file():
        sources.append(f"{here}/robustness.csv")
    letters_all, letter_files = _letters(folder, manifest, bodies)
    sources += [f"{here}/{name}" for name in letter_files]
    files = [n for n in REGION_FILES if (folder / n).is_file()]
    sources += [f"{here}/{n}" for n in files]
    content = None
    has_content = (folder / REPORT_CONTENT).is_file()
    if has_content:
        sources.append(f"{here}/{REPORT_CONTENT}")
    title = _title_of(folder, manifest)
    if not title and has_content:
        content = _content(folder / REPORT_CONTENT)
        title = str((content or {}).get("meta", {}).get("title") or "")
    return Region(
        year=int(year_dir.name), region=folder.name, folder=folder, manifest=manifest,
        title=title, content=content, decimals=decimals, stage_ids=stage_ids, stage_labels=stage_labels,
        stage_weights=stage_weights, methodology={"id": m.get("id"), "name": m.get("name")} if m else {},
        bands=_band_order(m, bodies), groups=groups, bodies=bodies, files=files, letters_all=letters_all,
        robustness_bands=robustness_bands, robustness_draws=draws, sources=sorted(set(sources)),
        label=str(config.get("region") or "") or folder.name, issuer=str(config.get("issuer") or ""),
        stage_short=stage_short, agreement=_read_agreement(folder, files),
        objection_round=objection_round_of(manifest))


def _ranking_columns(ranking_path: Path, rows: list[dict]) -> tuple[list[str], list[str]]:
    """The columns of ``ranking.csv`` (read from its first line when it has no rows) and its stage
    columns: those between ``self_assessed`` (or ``status``) and ``final``, else every column that
    is not one of the fixed ones."""
    header = list(rows[0].keys()) if rows else []
    if not header:
        with open(ranking_path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    fixed = {"group", "rank", "body_id", "name", "status", "self_assessed", "final", "band", "notes"}
    try:
        stage_ids = header[header.index("self_assessed" if "self_assessed" in header else "status") + 1:header.index("final")]
    except ValueError:
        stage_ids = [c for c in header if c not in fixed]
    return header, stage_ids


def _bodies(rows: list[dict], header: list[str], stage_ids: list[str], m: dict) -> tuple[list[Body], list[str]]:
    """The bodies of ``ranking.csv`` (text as written: the formula guard taken off), each with its
    group's number of ranked bodies, and the groups in the order they first appear."""
    bodies: list[Body] = []
    taken: set[str] = set()
    groups: list[str] = []
    default_status = words("methodology", "id")["not_returned_status"]  # a methodology's default, as it scores
    nr_status = str((m.get("not_returned") or {}).get("status") or default_status) \
        if isinstance(m.get("not_returned", {}), dict) else default_status
    for r in rows:
        group = unguard(r.get("group") or "")
        if group not in groups:
            groups.append(group)
        body_id = unguard(r.get("body_id") or "")
        bodies.append(Body(
            body_id=body_id, name=unguard(r.get("name") or ""), group=group, rank=_int(r.get("rank")),
            status=unguard(r.get("status") or ""), stages={s: number(r.get(s)) for s in stage_ids},
            final=number(r.get("final")), band=unguard(r.get("band") or ""), notes=unguard(r.get("notes") or ""),
            self_assessed=number(r.get("self_assessed")) if "self_assessed" in header else None,
            slug=slug(body_id, taken),
            returned=(r.get("returned") or "").strip().lower() not in ("false", "0") if "returned" in header
            else unguard(r.get("status") or "") != nr_status))
    for g in groups:
        size = sum(1 for b in bodies if b.group == g and b.rank is not None)
        for b in bodies:
            if b.group == g:
                b.group_size = size
    return bodies, groups


def _band_order(m: dict, bodies: list[Body]) -> list[str]:
    """The bands best first: the methodology's, else by the best score published in each band."""
    bands = [str(b.get("label")) for b in (m.get("bands") or []) if isinstance(b, dict)]
    if bands:
        return bands
    best: dict[str, float] = {}
    for b in bodies:
        if b.band:
            best[b.band] = max(best.get(b.band, -1.0), b.final if b.final is not None else -1.0)
    return sorted(best, key=lambda label: -best[label])


def _robustness(folder: Path, manifest: dict, by_id: dict[str, Body]) -> tuple[list[str], int | None]:
    """Each body's ranks, scores and band chances from ``robustness.csv`` (set on the bodies), with
    the bands it gives chances for and the number of draws the manifest records."""
    rob = folder / "robustness.csv"
    if not rob.is_file():
        return [], None
    rob_rows = read_csv(rob)
    bands = [c[2:] for c in rob_rows[0] if c.startswith("p_") and c != "p_top3"] if rob_rows else []
    settings = ((manifest.get("sections") or {}).get("robustness") or {}).get("settings") or {}
    draws = _int(str(settings.get("draws", ""))) if settings else None
    for r in rob_rows:
        body = by_id.get(unguard(r.get("body_id") or ""))
        if body is None:
            continue
        probs = [(label, number(r.get("p_" + label))) for label in bands]
        if all(p is None for _, p in probs):
            continue
        body.robustness = {
            "rank_p05": number(r.get("rank_p05")), "rank_median": number(r.get("rank_median")),
            "rank_p95": number(r.get("rank_p95")), "score_p05": number(r.get("score_p05")),
            "score_median": number(r.get("score_median")), "score_p95": number(r.get("score_p95")),
            "bands": probs, "p_top3": number(r.get("p_top3"))}
    return bands, draws


def _letters(folder: Path, manifest: dict, bodies: list[Body]) -> tuple[str | None, list[str]]:
    """Each body's letter (set on the body: the file ``kiprank letters`` recorded for it, or
    ``<body_id>.pdf`` for letters written before files were recorded), the file of all letters, and
    the files found (relative to the region folder)."""
    letters_dir = folder / LETTERS
    if not letters_dir.is_dir():
        return None, []
    found = []
    recorded = (((manifest.get("sections") or {}).get(LETTERS) or {}).get("settings") or {}).get("files")
    for body in bodies:
        if isinstance(recorded, dict):
            rel = recorded.get(body.body_id)
            name = rel[len(LETTERS) + 1:] if isinstance(rel, str) and rel.startswith(LETTERS + "/") else ""
        else:
            name = f"{body.body_id}.pdf"
        if _SAFE.match(name) and name.lower() != ALL_LETTERS and (letters_dir / name).is_file():
            body.letter = f"{LETTERS}/{name}"
            found.append(body.letter)
    letters_all = None
    if (letters_dir / ALL_LETTERS).is_file():
        letters_all = f"{LETTERS}/{ALL_LETTERS}"
        found.append(letters_all)
    return letters_all, found


def _read_agreement(folder: Path, files: list[str]) -> tuple | None:
    """``agreement.csv`` and ``disagreements.csv`` of a run verified by several verifiers (the line
    on the region page), or None."""
    if "agreement.csv" not in files:
        return None
    import pandas as pd

    return (pd.read_csv(folder / "agreement.csv", dtype={"verifier_a": str, "verifier_b": str}),
            pd.read_csv(folder / "disagreements.csv", dtype=str, keep_default_na=False)
            if "disagreements.csv" in files else None)


def objection_round_of(manifest: dict) -> dict | None:
    """The objection round a run belongs to, as its manifest records it: ``stage`` (preliminary or
    final) and ``until`` (the deadline, YYYY-MM-DD); None for a run without one."""
    params = manifest.get("parameters") if isinstance(manifest.get("parameters"), dict) else {}
    stage = params.get("round")
    if stage not in ("preliminary", "final"):
        return None
    return {"stage": stage, "until": str(params.get("objections_until") or "")[:10]}


def read_comparison(root: Path, folder: Path) -> Comparison | None:
    changes_path = folder / "changes.csv"
    if not changes_path.is_file():
        return None
    changes = []
    for r in read_csv(changes_path):
        changes.append({
            "year_1": _int(r.get("year_1")), "year_2": _int(r.get("year_2")), "match": r.get("match") or "",
            "name": unguard(r.get("name_2") or r.get("name") or r.get("name_1") or ""),
            "body_id": unguard(r.get("body_id_2") or r.get("body_id_1") or ""),
            "group": unguard(r.get("group") or ""),
            "rank_1": _int(r.get("rank_1")), "rank_2": _int(r.get("rank_2")), "rank_change": _int(r.get("rank_change")),
            "final_1": number(r.get("final_1")), "final_2": number(r.get("final_2")),
            "final_change": number(r.get("final_change")),
            "band_1": unguard(r.get("band_1") or ""), "band_2": unguard(r.get("band_2") or ""),
            "band_change": _int(r.get("band_change")),
            "body_id_1": unguard(r.get("body_id_1") or ""), "body_id_2": unguard(r.get("body_id_2") or ""),
            "decimals": _decimals([r.get("final_2") or "", r.get("final_1") or ""])})
    by_stage: dict[tuple, dict] = {}
    sources = [f"compare/{folder.name}/changes.csv"]
    decomposition = folder / "decomposition.csv"
    if decomposition.is_file():
        sources.append(f"compare/{folder.name}/decomposition.csv")
        for r in read_csv(decomposition):
            key = (_int(r.get("year_1")), _int(r.get("year_2")), unguard(r.get("stage") or ""))
            entry = by_stage.setdefault(key, {"year_1": key[0], "year_2": key[1], "stage": key[2],
                                              "label": unguard(r.get("stage_label") or key[2]), "change": 0.0,
                                              "bodies": set()})
            entry["change"] += number(r.get("change")) or 0.0
            entry["bodies"].add(r.get("key") or "")
    stages = []
    for entry in by_stage.values():
        stages.append({**entry, "bodies": len(entry["bodies"])})
    years = sorted({y for c in changes for y in (c["year_1"], c["year_2"]) if y is not None})
    match = re.match(r"^(.*)_([0-9]{4})-([0-9]{4})$", folder.name)
    region = match.group(1) if match else folder.name
    files = [n for n in COMPARISON_FILES if (folder / n).is_file()]
    sources += [f"compare/{folder.name}/{n}" for n in files]
    if (folder / MANIFEST).is_file():
        sources.append(f"compare/{folder.name}/{MANIFEST}")
    content = _content(folder / COMPARISON_CONTENT)
    if content is not None:
        sources.append(f"compare/{folder.name}/{COMPARISON_CONTENT}")
    manifest = read_json(folder / MANIFEST) if (folder / MANIFEST).is_file() else None
    recorded = (manifest or {}).get("years_inputs") or {}
    last = recorded.get(str(max(years))) if years and isinstance(recorded, dict) else None
    config = region_config_of(last) if isinstance(last, dict) else {}  # the last year's region.yml
    return Comparison(name=folder.name, folder=folder, region=region, years=years, changes=changes,
                      by_stage=stages, files=files, sources=sorted(set(sources)), content=content,
                      label=str(config.get("region") or ""), issuer=str(config.get("issuer") or ""))


def _subfolders(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def collect(outputs_root: Path | str, skip: Path | None = None, check=None, stale=None) -> SiteData:
    """Every published ranking and comparison under ``outputs_root`` (``skip``: the site folder).

    ``check(folder)``: why a published folder cannot be trusted (a file differs from its manifest),
    or None; such a folder, and one that cannot be read, is left off the site and named in
    ``skipped`` (the rest of the site is made). ``stale(folder, regions)``: why a comparison's
    numbers may no longer be those of the published years, as (words key, years), or None (shown
    on its page)."""
    root = Path(outputs_root)
    skip_resolved = skip.resolve() if skip is not None else None
    regions, skipped = [], []
    for year_dir in _subfolders(root):
        if not _YEAR.match(year_dir.name):
            continue
        for folder in _subfolders(year_dir):
            if skip_resolved is not None and folder.resolve() == skip_resolved:
                continue
            if not _SAFE.match(folder.name):
                continue
            why = check(folder) if check is not None and (folder / "ranking.csv").is_file() else None
            if why:
                skipped.append(f"{folder}: {why}, so it is not on the site (run kiprank verify on it, then kiprank "
                               "score or report again)")
                continue
            try:
                region = read_region(root, year_dir, folder)
            except Exception as exc:  # noqa: BLE001 - one damaged folder must not take the whole site down
                skipped.append(f"{folder}: cannot be read ({type(exc).__name__}: {str(exc)[:200]}), so it is not on "
                               "the site")
                continue
            if region is not None:
                regions.append(region)
            elif (folder / "ranking.csv").is_file():
                skipped.append(f"{folder}: its {MANIFEST} is missing or damaged, so it is not on the site "
                               "(run kiprank score or report for it again)")
    regions.sort(key=lambda r: (-r.year, r.region))
    comparisons = []
    for folder in _subfolders(root / "compare"):
        if _SAFE.match(folder.name):
            why = check(folder) if check is not None and (folder / "changes.csv").is_file() else None
            if why:
                skipped.append(f"{folder}: {why}, so it is not on the site")
                continue
            try:
                comp = read_comparison(root, folder)
            except Exception as exc:  # noqa: BLE001
                skipped.append(f"{folder}: cannot be read ({type(exc).__name__}), so it is not on the site")
                continue
            if comp is not None:
                comp.stale = stale(folder, regions) if stale is not None else None
                comparisons.append(comp)
    _link_histories(regions, comparisons, skipped)
    labels = {r.region: (r.label, r.issuer) for r in sorted(regions, key=lambda r: r.year)}
    for comp in comparisons:  # a published year's region.yml, else the comparison's own record, else the id
        comp.label, comp.issuer = labels.get(comp.region, (comp.label or comp.region, comp.issuer))
    return SiteData(root=root, regions=regions, comparisons=comparisons, skipped=skipped)


def _renames(regions: list[Region], comparisons: list[Comparison], warnings: list[str]) -> dict[str, set]:
    """Region id -> the (old id, new id) pairs that link a body across years: the bodies a published
    comparison matched under another id, and the rows of the ``crosswalk.csv`` next to the inputs
    the region's runs were made from (``<inputs root>/crosswalk.csv``, as the comparison and the
    letters read it)."""
    pairs: dict[str, set] = {}
    for comp in comparisons:
        for c in comp.changes:
            old, new = c.get("body_id_1") or "", c.get("body_id_2") or ""
            if old and new and old != new:
                pairs.setdefault(comp.region, set()).add((old, new))
    seen: set[Path] = set()
    for r in regions:
        try:
            root, _ = inputs_place(r.manifest)
        except ValueError:
            continue
        path = root / "crosswalk.csv"
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            rows = read_csv(path)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            warnings.append(f"{path}: not read ({exc}); bodies renamed there show no history before their new id")
            continue
        for row in rows:
            old, new = (row.get("old_id") or "").strip(), (row.get("new_id") or "").strip()
            if old and new and old != new:
                for other in regions:
                    if _inputs_root(other.manifest) == root:
                        pairs.setdefault(other.region, set()).add((old, new))
    return pairs


def _inputs_root(manifest: dict) -> Path | None:
    try:
        return inputs_place(manifest)[0]
    except ValueError:
        return None


def _link_histories(regions: list[Region], comparisons: list[Comparison] | None = None,
                    notes: list[str] | None = None) -> None:
    """Each body's score, band and rank in every year on disk of the same region: the same body_id,
    or an id the crosswalk (or a published comparison) links it to in the next year."""
    by_region: dict[str, list[Region]] = {}
    for r in regions:
        by_region.setdefault(r.region, []).append(r)
    renames = _renames(regions, comparisons or [], notes if notes is not None else [])
    for region_id, runs in by_region.items():
        runs = sorted(runs, key=lambda r: r.year)
        parent: dict[tuple, tuple] = {}

        def find(node):
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        def join(a, b):
            parent[find(a)] = find(b)

        index = {r.year: {b.body_id: b for b in r.bodies} for r in runs}
        for k, r in enumerate(runs):
            for body in r.bodies:
                find((r.year, body.body_id))
                for later in runs[k + 1:k + 2]:  # the next published year
                    if body.body_id in index[later.year]:
                        join((r.year, body.body_id), (later.year, body.body_id))
                    for old, new in renames.get(region_id, ()):
                        if old == body.body_id and new in index[later.year]:
                            join((r.year, old), (later.year, new))
        members: dict[tuple, list] = {}
        for r in runs:
            for body in r.bodies:
                members.setdefault(find((r.year, body.body_id)), []).append((r, body))
        for group in members.values():
            for r, body in group:
                body.history = [
                    {"year": other.year, "final": b.final, "band": b.band, "rank": b.rank, "name": b.name,
                     "group_size": b.group_size, "group": b.group, "decimals": other.decimals,
                     "href": f"{other.year}/{other.region}/badan/{b.slug}.html", "current": b is body}
                    for other, b in sorted(group, key=lambda ob: (ob[0].year, ob[1].body_id))
                    if other.year != r.year or b is body]


__all__ = ["Body", "Region", "Comparison", "SiteData", "collect", "read_region", "read_comparison", "unguard",
           "number", "slug", "REGION_FILES", "COMPARISON_FILES"]
