"""``datapackage.json``: the published tables of a folder as a Frictionless Data Package (what
open-data portals such as CKAN and Satu Data Indonesia ingest).

Written into every published run (``ranking.csv``, ``indicators.csv`` and, once ``kiprank
robustness`` added them, ``robustness.csv`` and ``sensitivity.csv``), comparison (``changes.csv``,
``decomposition.csv``) and corrections folder (``corrections.csv``), and listed in its manifest.
Each field's type, unit, constraints and description (Indonesian in ``title``/``description``,
English in ``title_en``/``description_en``), the primary and foreign keys, the methodology and the
licence come from the field table ``kiprank/schemas/tables.yml`` (data, not code) and from the
tables' own header rows: a column the field table does not describe is an error, so the package
cannot fall behind the tables. Each resource records its size and SHA-256; the same tables give
the same bytes.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ..core.export import safe_text
from ..core.resources import SCHEMAS_DIR
from ..core.yamlfile import load_yaml

FILE = "datapackage.json"
LICENSES = {  # SPDX id -> what the package says about it
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("CC0 1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "ODC-By-1.0": ("Open Data Commons Attribution License 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication and License 1.0", "https://opendatacommons.org/licenses/pddl/1-0/"),
}


@functools.lru_cache(maxsize=1)
def field_table() -> dict:
    """``kiprank/schemas/tables.yml``, read once."""
    return load_yaml(SCHEMAS_DIR / "tables.yml")


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        return next(csv.reader(f), [])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _texts(entry: dict, key: str, values: dict) -> dict[str, str]:
    """``{key: id text, key_en: en text}`` with ``{placeholders}`` filled."""
    text = entry.get(key) or {}
    return {key: text.get("id", "").format(**values), f"{key}_en": text.get("en", "").format(**values)}


def _expanded(table: dict, methodology: dict | None) -> dict[str, dict]:
    """The table's fields by column name, ``per: stage`` / ``per: band`` fields expanded over the
    methodology's stages and bands."""
    out: dict[str, dict] = {}
    for spec in table["fields"]:
        per = spec.get("per")
        if per is None:
            out[spec["name"]] = {**spec, "_values": {}}
            continue
        if methodology is None:
            continue
        for item in methodology["stages" if per == "stage" else "bands"]:
            values = ({"stage": item["id"], "label": item["label"], "weight": f"{item['weight']:g}"} if per == "stage"
                      else {"band": item})
            out[spec["name"].format(**values)] = {**spec, "_values": values}
    return out


def _field(spec: dict, units: dict, methodology: dict | None) -> dict:
    field: dict[str, Any] = {"name": None, "type": spec["type"]}
    field.update(_texts(spec, "title", spec["_values"]))
    field.update(_texts(spec, "description", spec["_values"]))
    if "unit" in spec:
        field["unit"] = units[spec["unit"]]["en"]
        field["unit_id"] = units[spec["unit"]]["id"]
    constraints = dict(spec.get("constraints") or {})
    if spec.get("required"):
        constraints["required"] = True
    enum = spec.get("enum")
    if isinstance(enum, str):  # a list of the methodology: its bands or stages
        enum = None if methodology is None else [safe_text(v) for v in (
            methodology["bands"] if enum == "bands" else [s["id"] for s in methodology["stages"]])]
    if enum:
        constraints["enum"] = list(enum)
    if constraints:
        field["constraints"] = constraints
    return field


def _resource(folder: Path, name: str, table: dict, units: dict, methodology: dict | None,
              present: set[str]) -> dict:
    header = _header(folder / name)
    fields = _expanded(table, methodology)
    unknown = [c for c in header if c not in fields]
    if unknown:
        raise ValueError(f"{name}: column(s) {', '.join(unknown)} not described in kiprank/schemas/tables.yml")
    schema: dict[str, Any] = {"fields": [{**_field(fields[c], units, methodology), "name": c} for c in header],
                              "missingValues": [""]}
    if table.get("primary_key"):
        schema["primaryKey"] = list(table["primary_key"])
    foreign = [fk for fk in table.get("foreign_keys") or [] if f"{fk['resource']}.csv" in present]
    if foreign:
        schema["foreignKeys"] = [{"fields": list(fk["fields"]),
                                  "reference": {"resource": fk["resource"], "fields": list(fk["reference"])}}
                                 for fk in foreign]
    path = folder / name
    resource = {"name": table["name"], "path": name, "profile": "tabular-data-resource", "format": "csv",
                "mediatype": "text/csv", "encoding": "utf-8", "bytes": path.stat().st_size,
                "hash": f"sha256:{_sha256(path)}"}
    resource.update(_texts(table, "title", {}))
    resource.update(_texts(table, "description", {}))
    resource["schema"] = schema
    return resource


def methodology_about(methodology, ref: str | None = None, sha256: str | None = None) -> dict:
    """What a package says about a methodology (its id, name, stages and weights, bands, sources)."""
    out = {"id": methodology.id, "name": methodology.name}
    if ref:
        out["file"] = ref
    if sha256:
        out["sha256"] = sha256
    out.update({
        "stages": [{"id": s.id, "label": s.label, "weight": s.weight} for s in methodology.stages],
        "bands": methodology.band_labels,
        "band_bounds": [{"label": b.label, "min": b.min} for b in methodology.bands],
        "decimals": methodology.decimals,
        "sources": list(methodology.sources),
    })
    return out


def _license(value: str) -> dict:
    if value in LICENSES:
        title, path = LICENSES[value]
        return {"name": value, "title": title, "path": path}
    if re.match(r"^https?://", value):
        return {"path": value, "title": value}
    return {"name": value, "title": value}


def _slug(*parts) -> str:
    text = "-".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "kiprank"


def datapackage(folder: Path, kind: str, *, region: str = "", year: int | None = None,
                years: list[int] | None = None, issuer: str = "", license: str | None = None,
                methodologies: list[dict] = (), created: str | None = None) -> dict:
    """The data package of the tables in ``folder`` (a ``run``, ``comparison`` or ``corrections``
    folder); ``methodologies`` as :func:`methodology_about` gives them (a run has one)."""
    folder = Path(folder)
    spec = field_table()
    units = spec["units"]
    present = {name for name in spec["tables"] if (folder / name).is_file()}
    method = methodologies[0] if kind == "run" and methodologies else None
    values = {"region": region, "year": year if year is not None else "", "issuer": issuer,
              "years": "-".join(str(y) for y in (years or []))}
    pkg: dict[str, Any] = {"profile": "tabular-data-package",
                           "name": _slug("kiprank", kind if kind != "run" else "", region, year, values["years"])}
    pkg.update(_texts({"title": spec["package"]["title"][kind]}, "title", values))
    pkg.update(_texts({"description": spec["package"]["description"][kind]}, "description", values))
    pkg["keywords"] = list(spec["package"]["keywords"])
    if created:
        pkg["created"] = created
    if license:
        pkg["licenses"] = [_license(license)]
    if issuer:
        pkg["contributors"] = [{"title": issuer, "role": "publisher"}]
    sources = [s for m in methodologies for s in m.get("sources", [])]
    if sources:
        pkg["sources"] = [{"title": s} for s in dict.fromkeys(sources)]
    if methodologies:
        pkg["methodology" if len(methodologies) == 1 else "methodologies"] = (
            methodologies[0] if len(methodologies) == 1 else list(methodologies))
    pkg["resources"] = [_resource(folder, name, table, units, method, present)
                        for name, table in spec["tables"].items() if name in present]
    return pkg


def write_datapackage(folder: Path, kind: str, **about) -> str:
    """Write ``datapackage.json`` into ``folder`` (see :func:`datapackage`); returns its name."""
    pkg = datapackage(folder, kind, **about)
    (Path(folder) / FILE).write_text(json.dumps(pkg, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return FILE


def run_about(inputs, methodology_ref: str | None = None) -> dict:
    """The package facts of a region's run, from its inputs (``RegionInputs``)."""
    cfg = inputs.config
    from ..core.files import sha256_file

    return {"region": cfg.region, "year": int(inputs.year), "issuer": cfg.issuer, "license": cfg.license,
            "created": f"{cfg.report_date.isoformat()}T00:00:00Z" if cfg.report_date else None,
            "methodologies": [methodology_about(inputs.methodology, methodology_ref,
                                                sha256_file(inputs.methodology_path))]}


def write_run_datapackage(folder: Path, inputs) -> str:
    """``datapackage.json`` of a published run (``outputs/<year>/<region>/``) from its inputs."""
    from ..core.files import methodology_reference

    ref = methodology_reference(inputs.methodology_origin)  # a preset's id; of a file of one's own only its name
    return write_datapackage(folder, "run", **run_about(inputs, ref if ref.startswith("preset:") else Path(ref).name))


def comparison_about(comp, day=None) -> dict:
    """The package facts of a comparison (``kiprank.analysis.compare.Comparison``): the later
    year's publisher and licence, each year's methodology."""
    from ..core.files import sha256_file
    from ..core.files import methodology_reference

    cfg = comp.runs[-1].inputs.config
    methods = []
    for run in comp.runs:
        ref = methodology_reference(run.inputs.methodology_origin)
        about = methodology_about(run.inputs.methodology, ref if ref.startswith("preset:") else Path(ref).name,
                                  sha256_file(run.inputs.methodology_path))
        methods.append({"year": int(run.year), **about})
    return {"region": cfg.region, "years": [int(r.year) for r in comp.runs], "issuer": cfg.issuer,
            "license": cfg.license, "methodologies": methods,
            "created": f"{day.isoformat()}T00:00:00Z" if day else None}


def corrections_about(new_folder: Path, day=None) -> dict:
    """The package facts of a corrections folder: the publisher, licence and methodology that the
    corrected (new) folder's own data package names."""
    try:
        new = json.loads((Path(new_folder) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        new = {}
    license = ((new.get("licenses") or [{}])[0]).get("name") or ((new.get("licenses") or [{}])[0]).get("path")
    issuer = ((new.get("contributors") or [{}])[0]).get("title", "")
    method = new.get("methodology")
    return {"issuer": issuer, "license": license, "methodologies": [method] if isinstance(method, dict) else [],
            "created": f"{day.isoformat()}T00:00:00Z" if day else None}
