"""The objection round (masa sanggah) in a publication: preliminary results, then final results
that hold the preliminary ones, the minutes and the corrections list.

- **Preliminary results** (``kiprank score/report --preliminary``): a run like any other, whose
  manifest records ``parameters.round: preliminary`` and ``parameters.objections_until``, and whose
  documents say "HASIL SEMENTARA" (:mod:`kiprank.report.objections_content`). It is read from the
  input tables as they are: ``objections.csv`` and ``objection_decisions.csv`` are not among its
  inputs, so collecting them does not make it out of date.
- **Final results** (without ``--preliminary``, once the window has closed): the decisions are
  applied over the verified tables (:func:`kiprank.core.objections.apply_decisions`) and the
  published folder gets, besides the run's files:

  - ``sementara/``: the preliminary publication exactly as it was published (its report, tables
    and letters; its manifest is kept in the final manifest under ``objection_round.preliminary``),
    taken from the published folder (the preliminary run, or the ``sementara/`` of an earlier final
    run); its recorded input tables and methodology must be those of the final run;
  - ``sanggah.csv`` and ``sanggah.pdf``: the minutes (:mod:`kiprank.analysis.objections`);
  - ``corrections.csv``, ``corrections.html``, ``corrections.pdf``: the corrections list between
    the preliminary and the final ranking (:mod:`kiprank.runs.corrections`).

``kiprank verify`` of a final publication re-scores the preliminary inputs (``sementara/``'s
tables), the final ranking from them plus the decisions, and the minutes and corrections list
(:func:`verify_round`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.errors import UsageError
from ..core.export import write_table_csv
from ..core.files import MANIFEST, sha256_file
from ..core.formatting import format_date, resolve_report_date
from ..core.inputs import RegionInputs
from ..core.objections import DECISIONS, OBJECTIONS, window_open
from ..core.publish import load_manifest, safe_relpath
from ..core.scoring import ScoreResult

ROUND_DIR = "sementara"
MINUTES_CSV = "sanggah.csv"
MINUTES_PDF = "sanggah.pdf"
CORRECTION_FILES = ("corrections.csv", "corrections.html", "corrections.pdf")
ROUND_INPUTS = {f"{OBJECTIONS}.csv", f"{DECISIONS}.csv"}


def is_final(inputs: RegionInputs) -> bool:
    return inputs.objections is not None and not inputs.objections.preliminary


def round_parameters(inputs: RegionInputs) -> dict:
    """What a run's manifest records of its round (``round``, ``objections_until``); {} without one."""
    rnd = inputs.objections
    if rnd is None:
        return {}
    until = rnd.window.until
    return {"round": rnd.stage, "objections_until": until.isoformat() if isinstance(until, date) else str(until)}


def recorded_round(manifest: dict) -> str | None:
    """``preliminary`` / ``final`` for a run of an objection round (its manifest), else None."""
    value = (manifest.get("parameters") or {}).get("round") if isinstance(manifest.get("parameters"), dict) else None
    return value if value in ("preliminary", "final") else None


def check_window_closed(inputs: RegionInputs) -> None:
    """Refuse (exit 2) final results while objections are still being received."""
    rnd = inputs.objections
    if rnd is not None and not rnd.preliminary and window_open(rnd.window):
        raise UsageError(f"the objection round of {inputs.region_id} {inputs.year} is open until "
                         f"{rnd.window.last_day().isoformat()} ({inputs.origin / 'region.yml'}): publish preliminary "
                         "results (--preliminary) now and the final results once it has closed")


@dataclass
class Preliminary:
    """The published preliminary results a final run holds: their ``manifest`` and files (bytes,
    by path relative to the preliminary folder), and ``warnings`` to show."""

    manifest: dict
    files: dict[str, bytes]
    warnings: list[str] = field(default_factory=list)


def find_preliminary(target: Path, inputs: RegionInputs) -> Preliminary:
    """The preliminary results published in ``target`` (a preliminary run, or the ``sementara/`` of
    a final run), checked against their manifest and against ``inputs``: the final results must be
    made from the same tables and methodology (exit 2 naming what differs)."""
    command = f"kiprank report --year {inputs.year} --region {inputs.region_id} --preliminary"
    if not (target / MANIFEST).is_file():
        raise UsageError(f"no preliminary results are published in {target}: publish them first ({command}), "
                         "then the final results after the objection round")
    manifest = load_manifest(target)
    stage = recorded_round(manifest)
    if stage == "preliminary":
        prelim, folder = manifest, target
    elif stage == "final" and isinstance((manifest.get("objection_round") or {}).get("preliminary"), dict):
        prelim, folder = manifest["objection_round"]["preliminary"], target / ROUND_DIR
    else:
        raise UsageError(f"{target} holds results that are not the preliminary results of an objection round: "
                         f"publish the preliminary results first ({command})")
    files = {}
    for rel, digest in sorted((prelim.get("outputs") or {}).items()):
        path = folder / safe_relpath(rel)
        data = path.read_bytes() if path.is_file() else None
        if data is None or sha256_file(path) != digest:
            raise UsageError(f"{path}: {'missing' if data is None else 'changed'} since the preliminary results were "
                             f"published: publish them again ({command})")
        files[rel] = data
    warnings = []
    recorded = dict(prelim.get("inputs") or {})
    now = {k: v for k, v in inputs.file_hashes().items() if k not in ROUND_INPUTS}
    differ = sorted(k for k in set(recorded) | set(now) if k != "region.yml" and recorded.get(k) != now.get(k))
    if (prelim.get("methodology") or {}).get("sha256") != sha256_file(inputs.methodology_path):
        differ.append("the methodology file")
    if differ:
        raise UsageError(f"the preliminary results published in {target} were made from other inputs than "
                         f"{inputs.origin} has now ({', '.join(differ)}): the final results must apply the decisions "
                         f"to the very results the bodies objected to; restore those inputs, or publish the "
                         f"preliminary results again ({command}) and hold the objection round on them")
    if recorded.get("region.yml") != now.get("region.yml"):
        warnings.append(f"{inputs.origin / 'region.yml'} changed since the preliminary results were published "
                        "(e.g. a new report date or deadline): the final results use it as it is now")
    return Preliminary(prelim, files, warnings)


def report_day(inputs: RegionInputs, manifest: dict) -> date:
    """The date of a run: its report date, else region.yml's, else SOURCE_DATE_EPOCH or today."""
    day = (manifest.get("parameters") or {}).get("report_date")
    return resolve_report_date(day or inputs.config.report_date)


def write_round(stage: Path, inputs: RegionInputs, result: ScoreResult, manifest: dict, prelim: Preliminary,
                lang: str = "id", pdf_standard: str | None = None) -> tuple[list[str], list[str]]:
    """Write the round's files of a final run into its staging folder (the run's tables are there
    already) and record the round in ``manifest`` (``objection_round``); returns (files written,
    warnings of the PDF standard's choice)."""
    from ..analysis.corrections import diff_rankings, manifest_facts
    from ..report.objections_content import Decree, minutes_content, round_view
    from ..report.pdf import typeset_document
    from .corrections import corrections_documents, write_corrections_csv

    written = []
    for rel, data in prelim.files.items():
        path = stage / ROUND_DIR / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(f"{ROUND_DIR}/{rel}")
    view = round_view(inputs, result)
    write_minutes_csv(view.minutes, stage / MINUTES_CSV, inputs.methodology.decimals)
    day = report_day(inputs, manifest)
    p_day = report_day(inputs, prelim.manifest)
    data = minutes_content(view, inputs, lang, Decree(p_day, str(prelim.manifest.get("fingerprint") or "")),
                           Decree(day, str(manifest.get("fingerprint") or "")))
    pdf, messages = typeset_document(data, day, pdf_standard)
    (stage / MINUTES_PDF).write_bytes(pdf)
    table = diff_rankings(stage / ROUND_DIR, stage)
    write_corrections_csv(table, stage / "corrections.csv")
    decimals = table.attrs.get("decimals", 2)
    old, new = manifest_facts(prelim.manifest, decimals=decimals), manifest_facts(manifest, decimals=decimals)
    old.date, new.date = p_day, day
    documents = corrections_documents(table, old, new, lang, day, pdf_standard)
    for name, content in documents.files.items():
        (stage / name).write_bytes(content)
    written += [MINUTES_CSV, MINUTES_PDF, *CORRECTION_FILES]
    window = inputs.objections.window
    manifest["objection_round"] = {
        "until": window.until.isoformat(), "utc_offset": window.utc_offset,
        "deadline": format_date(window.last_day(), "en"), "lang": lang,
        "totals": view.totals or {}, "preliminary": prelim.manifest, "files": sorted(written)}
    return written, messages + documents.messages


def write_minutes_csv(minutes, path: Path, decimals: int) -> None:
    """``sanggah.csv``: the minutes, scores at the methodology's precision."""
    write_table_csv(minutes, path, float_format=f"%.{decimals}f")


def verify_round(folder: Path, manifest: dict, inputs: RegionInputs, result: ScoreResult,
                 write_tables) -> list[str]:
    """What differs when a final publication's round is made again from its recorded inputs: the
    preliminary tables in ``sementara/`` (re-scored without the decisions, written by
    ``write_tables(inputs, result, folder)``, which returns their paths), ``sanggah.csv`` and
    ``corrections.csv``."""
    from ..analysis.corrections import diff_rankings
    from ..core.objections import preliminary_inputs
    from ..core.scoring import score
    from ..report.objections_content import round_view
    from .corrections import write_corrections_csv

    if not is_final(inputs):
        return []
    if not isinstance(manifest.get("objection_round"), dict):
        return [f"{MANIFEST} (a final run of an objection round that does not record it)"]
    differ = []
    before = score(preliminary_inputs(inputs))
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        tables = write_tables(preliminary_inputs(inputs), before, fresh / ROUND_DIR)
        write_minutes_csv(round_view(inputs, result).minutes, fresh / MINUTES_CSV, inputs.methodology.decimals)
        write_corrections_csv(diff_rankings(folder / ROUND_DIR, folder), fresh / "corrections.csv")
        for rel in [*(f"{ROUND_DIR}/{Path(p).name}" for p in tables), MINUTES_CSV, "corrections.csv"]:
            published = folder / rel
            if not published.is_file() or sha256_file(published) != sha256_file(fresh / rel):
                what = "re-scored from the preliminary inputs" if rel.startswith(ROUND_DIR) else "made again"
                differ.append(f"{rel} ({what}, differs)")
    return differ


__all__ = ["ROUND_DIR", "MINUTES_CSV", "MINUTES_PDF", "CORRECTION_FILES", "is_final", "round_parameters",
           "recorded_round", "check_window_closed", "Preliminary", "find_preliminary", "report_day", "write_round",
           "write_minutes_csv", "verify_round"]
