"""What ``kiprank validate`` says about gaps the methodology allows: rows kiprank ignores, and the
values that were missing and what the methodology's ``missing:`` made of them (counted as 0, or
not assessed). Gaps the methodology does not allow are input errors raised by scoring
(:func:`kiprank.core.scoring.score`)."""

from __future__ import annotations

from pathlib import Path

from .inputs import RegionInputs
from .scoring import ScoreResult

RULE_TEXT = {"zero": "counted as 0", "not-assessed": "not assessed (the other weights rescaled)"}


def coverage_warnings(inputs: RegionInputs, result: ScoreResult) -> list[str]:
    """One line per body and stage with missing values (as the methodology's ``missing:`` rule
    scored them), and per body whose verification rows are ignored because it did not return the SAQ."""
    out = []
    for row in result.missing.itertuples(index=False):
        items = row.items.split("; ") if row.items != row.stage else []
        what = f"{len(items)} value(s) missing ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''})" \
            if items else "no score"
        out.append(f"{row.body_id}: {row.stage}: {what}, {RULE_TEXT[row.rule]} as the methodology says "
                   f"(missing: {row.rule})")
    out += unread_files(inputs)
    m = inputs.methodology
    if m.questionnaire is None:
        return out
    returned = set(inputs.saq["body_id"].astype(str))
    tables = []  # website and score rows of non-returners are usual (checked before the SAQ came back)
    if m.stages_of("verification"):
        tables.append(("verification", inputs.verification))
    for name, table in tables:
        for body in sorted(set(table["body_id"].astype(str)) - returned):
            out.append(f"{body}: has {name} rows but did not return the SAQ (ignored)")
    return out


INPUT_LIKE = (".csv", ".xlsx", ".xlsm", ".xls", ".ods", ".yml", ".yaml")


def unread_files(inputs: RegionInputs) -> list[str]:
    """Files of the region folder that look like inputs but are not read (``saq (1).csv``, a table
    of a stage the methodology does not have), each named with the tables that are read."""
    folder = Path(inputs.folder)
    read = {Path(p).name for p in inputs.files.values()} | {"region.yml", inputs.methodology_path.name}
    logo = inputs.config.logo
    if logo:
        read.add(Path(logo).name)
    tables = sorted({*read, *(f"{name}.csv" for name in inputs.files)})
    out = []
    round_files = {"objections.csv", "objection_decisions.csv"}
    preliminary = inputs.objections is not None and inputs.objections.preliminary
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and not path.name.startswith((".", "~$")) and path.suffix.lower() in INPUT_LIKE \
                and path.name not in read:
            if preliminary and path.name in round_files:
                out.append(f"{path.name}: not read: the preliminary results are those before the objection round")
                continue
            out.append(f"{path.name}: not read (this region's inputs are {', '.join(tables)})")
    return out
