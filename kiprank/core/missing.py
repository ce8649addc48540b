"""What ``kiprank validate`` says about gaps the methodology allows: rows kiprank ignores, and the
values that were missing and what the methodology's ``missing:`` made of them (counted as 0, or
not assessed). Gaps the methodology does not allow are input errors raised by scoring
(:func:`kiprank.core.scoring.score`)."""

from __future__ import annotations

from pathlib import Path

from .inputs import RegionInputs
from .objections import ROUND_FILES
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
    of a stage the methodology does not have), each named with the tables that are read; the
    objection round's tables of a preliminary run, with why."""
    known = tuple(f"{name}.csv" for name in inputs.files)
    out = []
    if inputs.objections is not None and inputs.objections.preliminary:
        out = [f"{name}: not read: the preliminary results are those before the objection round"
               for name in ROUND_FILES if (Path(inputs.folder) / name).is_file()]
        known += ROUND_FILES
    return out + stray_files(inputs.folder, inputs.files.values(), inputs.config.logo, inputs.methodology_path,
                             known)


def region_tables(methodology, config) -> tuple[str, ...]:
    """The files a region folder may hold as tables of this methodology and ``region.yml``: bodies,
    the stages' tables (SAQ, verification with its adjudication, website, each directly scored
    stage), ``inputs.xlsx`` (the tables as sheets) and, when a round is declared, the objection
    round's. A command that reads only some of them passes these as ``known`` to :func:`stray_files`."""
    names = ["bodies.csv", "inputs.xlsx", *(f"{s.id}.csv" for s in methodology.stages_of("score"))]
    names += [name for name, has in (("saq.csv", methodology.questionnaire is not None),
                                     ("verification.csv", bool(methodology.stages_of("verification"))),
                                     ("adjudication.csv", bool(methodology.stages_of("verification"))),
                                     ("website.csv", bool(methodology.stages_of("checklist")))) if has]
    return tuple(names) + (ROUND_FILES if config.objections is not None else ())


def stray_files(folder: Path | str, read, logo: str | None, methodology_path: Path | str,
                known: tuple[str, ...] = ()) -> list[str]:
    """Files of a region folder that look like inputs (:data:`INPUT_LIKE`) but are none of the files
    ``read`` (paths), ``region.yml``, the methodology file, the logo or the ``known`` names (inputs
    of the region the command has no use for), each named as not read, with the files that are."""
    folder = Path(folder)
    read = {Path(p).name for p in read} | {"region.yml", Path(methodology_path).name}
    if logo:
        read.add(Path(logo).name)
    tables = sorted(read | set(known))
    out = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and not path.name.startswith((".", "~$")) and path.suffix.lower() in INPUT_LIKE \
                and path.name not in tables:
            out.append(f"{path.name}: not read (this region's inputs are {', '.join(tables)})")
    return out
