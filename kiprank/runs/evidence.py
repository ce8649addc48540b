"""The ``kiprank evidence`` run: check every cited link and file of a region and add the result to
its published folder (section ``evidence`` of the manifest), atomically.

Written (relative to ``<outputs>/<year>/<region>/``): ``evidence.csv`` (one row per cited item,
:data:`kiprank.intake.evidence.COLUMNS`), ``evidence.html`` and ``evidence.pdf`` (the region summary),
``evidence/bodies/<body>.xlsx`` (each body's rows, to send it) and, with ``--archive``,
``evidence/archive/<sha256>.<ext>`` (each document read, once). The section's settings record the
options, the counts per status and the input files the check read (``inputs``, as a run manifest
records its own), so that ``kiprank verify`` names an input changed since, and ``kiprank score`` keeps
the section when those files are unchanged.

The check runs before verification, when the ranking cannot be scored yet: a region not yet
published gets a run folder holding only the evidence section (``kiprank score`` or ``kiprank
report`` replace it later; ``score`` keeps the section as said above, ``report`` publishes a new run
without it: run ``kiprank evidence`` again after a report).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.export import write_table_csv, write_table_xlsx
from ..core.files import MANIFEST, write_manifest
from ..core.formatting import check_lang
from ..core.inputs import load_setup
from ..core.snapshot import input_snapshot
from ..core.tables import TableReader
from ..intake.evidence import ARCHIVE, EvidenceCheck, EvidenceOptions, check_evidence, cited
from ..intake.forms import file_names
from ..report.evidence import body_sheet, evidence_content, evidence_html
from ..report.pdf import typeset_document
from ..core.publish import check_separate, staged_folder
from .evidence_section import SECTION
from .pipeline import output_folder
from .publish import add_to_published

BODIES = "evidence/bodies"


@dataclass
class EvidenceRun:
    """What a run wrote (``files`` relative to ``folder``), the check itself, whether the region
    folder was created for it, and warnings (PDF standard fallback)."""

    folder: Path
    check: EvidenceCheck | None = None
    files: list[str] = field(default_factory=list)
    created: bool = False
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: check (links and files), outputs


def recorded_inputs(check: EvidenceCheck) -> dict:
    """The files the check read, recorded as a run manifest records its inputs
    (:func:`kiprank.runs.manifest.inputs_record`)."""
    from .manifest import inputs_record

    return inputs_record(check.origin, check.methodology_origin, check.setup.methodology_path, check.files)


def _ensure_published(target: Path, year: int, region: str) -> bool:
    """A region not yet published gets a run folder of its own (no ranking yet); True when made."""
    if (target / MANIFEST).is_file():
        return False
    with staged_folder(target, kind="run") as stage:
        write_manifest({"kind": "run", "command": "evidence", "year": int(year), "region": region,
                        "parameters": {"year": int(year), "region": region}, "outputs": {}}, stage)
    return True


def run_evidence(year: int | str, region: str, inputs_root: Path | str = "inputs", outputs_root: Path | str = "outputs",
                 options: EvidenceOptions | None = None, lang: str = "id", pdf_standard: str | None = None,
                 on_progress=None) -> EvidenceRun:
    """Check the region's evidence and publish the result (see the module docstring)."""
    check_lang(lang)
    options = options or EvidenceOptions()
    year = int(year)
    target = output_folder(outputs_root, year, region)
    check_separate(inputs_root, outputs_root)
    with input_snapshot(inputs_root, [(year, region)]) as snap:  # one version of the tables, as every run reads
        setup = load_setup(year, region, snap.root)
        cited(setup, setup.folder, TableReader(setup.folder))  # bad inputs stop here (exit 2), before anything is written
        return _publish_check(year, region, target, snap, options, lang, pdf_standard, on_progress)


def _publish_check(year: int, region: str, target: Path, snap, options: EvidenceOptions, lang: str,
                   pdf_standard: str | None, on_progress) -> EvidenceRun:
    """Check the evidence (tables read from ``snap``) and add the section to ``target``."""
    run = EvidenceRun(target)
    run.created = _ensure_published(target, year, region)
    settings: dict = {}  # filled by write() once the check is done; add_to_published records it after

    def write(stage: Path) -> list[str]:
        started = time.perf_counter()
        check = check_evidence(year, region, snap.source, options, stage / ARCHIVE, on_progress, snapshot=snap)
        run.check = check
        run.timings["check"] = time.perf_counter() - started
        table = check.table
        write_table_csv(table, stage / "evidence.csv", numbers=("http_status", "size"))
        written = ["evidence.csv", "evidence.html", "evidence.pdf"]
        data = evidence_content(table, region=check.setup.config.region, year=year, issuer=check.setup.config.issuer,
                                settings=options.settings(), started=check.started, notes=check.notes, lang=lang)
        (stage / "evidence.html").write_text(evidence_html(data, lang), encoding="utf-8")
        day = date.fromisoformat(check.started[:10])
        pdf, run.warnings = typeset_document(data, day, pdf_standard)
        (stage / "evidence.pdf").write_bytes(pdf)
        bodies = list(dict.fromkeys(table["body_id"].astype(str)))
        stems = file_names([str(b) for b in check.setup.bodies["body_id"]])
        (stage / BODIES).mkdir(parents=True, exist_ok=True)
        t_sheet = body_sheet(table, lang)
        for body in bodies:
            rel = f"{BODIES}/{stems[body]}.xlsx"
            write_table_xlsx({_sheet_name(lang): t_sheet[(table["body_id"].astype(str) == body).to_numpy()]}, stage / rel)
            written.append(rel)
        written += sorted({a for a in table["archived"] if a})
        run.timings["outputs"] = time.perf_counter() - started - run.timings["check"]
        settings.update(options.settings())
        settings.update({"lang": lang, "started": check.started, "counts": check.counts(),
                         "bodies": {b: f"{BODIES}/{stems[b]}.xlsx" for b in bodies},
                         "inputs": recorded_inputs(check)})
        return written

    run.files = add_to_published(target, write, SECTION, settings)
    return run


def _sheet_name(lang: str) -> str:
    from ..core.wording import words

    return str(words("evidence", lang)["sheet"])[:31]


__all__ = ["run_evidence", "EvidenceRun", "SECTION", "recorded_inputs"]
