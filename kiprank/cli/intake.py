"""Commands of the questionnaires and the evidence: ``forms`` (out), ``collect`` (returns in) and
``evidence`` (the links and files bodies cite)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .app import (cells, err, form_limit_options, handled, lang_option, main, out, pdf_standard_option,
                  region_options, say, warn_messages)


@main.command()
@region_options
@click.option("--kind", "kinds", type=click.Choice(["saq", "verification", "website", "scores", "xlsform", "all",
                                                   "adjudikasi", "sanggah", "sanggah-keputusan"]),
              multiple=True, default=("all",), show_default=True,
              help="Which forms (repeat for several): saq, verification, website, scores, xlsform, all; only by "
                   "name: adjudikasi (several verifiers: the answers they disagree on, for the lead verifier), and "
                   "for the objection round sanggah (an objection form per assessed body) and sanggah-keputusan "
                   "(the verifiers' decisions on objections.csv).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the forms [default: <outputs-root>/<year>/<region>/forms]; refused if it holds "
                   "files kiprank did not write.")
@lang_option("the forms")
@handled
def forms(year, region, inputs_root, outputs_root, kinds, out_dir, lang):
    """Write the questionnaires of a region from its methodology and bodies: one SAQ and one
    verification workbook per body, the website checklist, the stage score sheets and the SAQ as
    an XLSForm (KoboToolbox / ODK); for an objection round, the objection forms and the decision
    workbook. Written atomically with a forms manifest.json."""
    from ..intake.forms import build_forms

    result = build_forms(year, region, inputs_root, outputs_root, kinds=kinds, out=out_dir, lang=lang)
    counts = {}
    for rel in result.files:
        key = rel.split("/")[0] if "/" in rel else rel
        counts[key] = counts.get(key, 0) + 1
    out.print(escape(f"written: {result.folder}/ ") + ", ".join(
        escape(f"{k}/ ({n} workbooks)" if n > 1 or k in ("saq", "verifikasi", "sanggah") else k)
        for k, n in counts.items()), highlight=False, soft_wrap=True)
    if result.unread:
        warn_messages(result.unread)
    if result.skipped:
        warn_messages([f"no objection form for {len(result.skipped)} bodies that did not return the SAQ (nothing was "
                       f"verified to object to): {', '.join(result.skipped[:10])}"
                       + (" ..." if len(result.skipped) > 10 else "")])

@main.command()
@region_options
@form_limit_options
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace input tables that exist with other content (the previous file is kept in collect/).")
@click.option("--latest", is_flag=True, help="When a body returned a form twice, take the newest instead of refusing.")
@click.option("--accept-late", is_flag=True,
              help="Consider objections received after the deadline of the objection round (they are recorded as "
                   "late either way; without this option they are not considered).")
@lang_option("the status labels", "Language of the status labels.")
@handled
def collect(year, region, inputs_root, outputs_root, sources, replace, latest, accept_late, lang):
    """Read returned forms (workbooks or folders of them) and KoboToolbox/ODK or Google Forms
    exports, check them, and write saq.csv, verification.csv, website.csv and <stage>.csv (and, for an
    objection round, objections.csv from the objection forms or a web-form export of them, and
    objection_decisions.csv from the decision workbook) into
    <inputs-root>/<year>/<region>/, with collect/collect-status.csv (every body and kind: returned,
    N unanswered, returned empty, not returned; every file: used or not, and why). Nothing is
    written if anything is refused (exit 2). --outputs-root is not used."""
    from ..intake.collect import collect as run_collect
    from ..intake.sources import CollectError

    try:
        result = run_collect(year, region, list(sources), inputs_root, latest=latest, replace=replace, lang=lang,
                             accept_late=accept_late)
    except CollectError as exc:
        if exc.status is not None:  # only the bodies whose returns were refused
            _print_status(exc.status, f"{region} {year}: not collected", rejected_only=True)
        raise
    _print_status(result.status, f"{region} {year}: collected")
    warn_messages(result.warnings)
    if not result.written and not result.unchanged:
        warn_messages(["no answers in the sources: only the status was written"])
    for label, names in (("written", result.written), ("unchanged", result.unchanged), ("kept", result.kept)):
        if names:
            out.print(escape(f"{label}: {result.folder}/ " + ", ".join(names)), highlight=False, soft_wrap=True)
    out.print(escape(f"status: {result.folder / 'collect' / 'collect-status.csv'}"), highlight=False, soft_wrap=True)

def _print_status(status, title: str, rejected_only: bool = False) -> None:
    files = status[status["record"] == "file"] if "record" in status.columns else status.iloc[:0]
    status = status[status["record"] == "body"] if "record" in status.columns else status
    rows = status[status["reason"] != ""] if rejected_only else status
    if len(rows):
        table = Table(title=escape(title))
        for col in ("body_id", "name", "status", *(["reason"] if rejected_only else [])):
            table.add_column(col)
        for row in rows.itertuples(index=False):
            table.add_row(*cells(row.body_id, row.name, row.status, *([row.reason] if rejected_only else [])))
        out.print(table)
    if rejected_only:
        return
    counts = status.loc[status["status"] != "", "status"].value_counts(sort=False)
    out.print(escape(", ".join(f"{n} {label}" for label, n in counts.items())), highlight=False, soft_wrap=True)
    if len(files):
        used = files["used"].value_counts(sort=False)
        out.print(escape("files: " + ", ".join(f"{n} {label}" for label, n in used.items())), highlight=False,
                  soft_wrap=True)

@main.command()
@region_options
@click.option("--offline", is_flag=True, help="Check only the files and the form of the links; open no link.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=20, show_default=True,
              help="Seconds for one link, everything included (redirects, the whole document).")
@click.option("--concurrency", type=click.IntRange(min=1, max=500), default=10, show_default=True,
              help="Links asked for at once.")
@click.option("--per-host", type=click.IntRange(min=1, max=100), default=2, show_default=True,
              help="Links asked for at once from one server (politeness).")
@click.option("--max-mb", type=click.FloatRange(min=0.001, max=100000), default=2, show_default=True,
              help="Largest document, in MB (the national portal takes one PDF of at most 2 MB per question).")
@click.option("--archive", is_flag=True, help="Keep every document read in evidence/archive/, named by its SHA-256.")
@click.option("--archive-max-mb", type=click.FloatRange(min=1), default=2048, show_default=True,
              help="Most MB the archive holds; documents beyond are checked but not kept.")
@click.option("--allow-private", is_flag=True,
              help="Also open links to private, loopback and link-local addresses (refused by default).")
@lang_option("evidence.html, evidence.pdf and the workbooks")
@pdf_standard_option("PDF standard of evidence.pdf [default: a-2b, or 1.7 with a warning when a character has no "
                      "glyph].")
@handled
def evidence(year, region, inputs_root, outputs_root, offline, timeout, concurrency, per_host, max_mb, archive,
             archive_max_mb, allow_private, lang, pdf_standard):
    """Check the evidence bodies cite (SAQ Bukti, verification notes, website check links, the
    bodies' websites) before verification: every link opened (unless --offline) and every file
    sent with the returns (inputs/<year>/<region>/evidence/) checked. Adds evidence.csv,
    evidence.html, evidence.pdf and a workbook per body (evidence/bodies/) to the published
    region folder; with --archive, the documents read (evidence/archive/).
    """
    from ..core.wording import words
    from ..intake.evidence import EvidenceOptions
    from ..report.evidence import body_summary, status_order
    from ..runs.evidence import run_evidence

    options = EvidenceOptions(timeout=timeout, concurrency=concurrency, per_host=per_host,
                              max_bytes=int(max_mb * 1024 * 1024), allow_private=allow_private, offline=offline,
                              archive=archive, archive_cap=int(archive_max_mb * 1024 * 1024))
    shown = {"n": -1}

    def progress(done, total):
        step = max(1, total // 10)
        if done == total or done // step != shown["n"]:
            shown["n"] = done // step
            err.print(f"links: {done}/{total}", highlight=False)

    run = run_evidence(year, region, inputs_root, outputs_root, options, lang=lang, pdf_standard=pdf_standard,
                       on_progress=progress)
    for warning in run.warnings:
        say(err, "warning:", "yellow", warning)
    for note in run.check.notes:
        say(err, "note:", "cyan", note)
    t = words("evidence", lang)
    table = run.check.table
    counts = table["status"].value_counts()
    summary = Table(title=f"{escape(region)} {year}: {len(table)} evidence items"
                          + (" (offline)" if offline else ""))
    for col in ("status", "code", "count"):
        summary.add_column(col)
    for code in status_order(counts.index):
        summary.add_row(*cells(t["status"].get(code, code), code, int(counts[code])))
    out.print(summary)
    worst = body_summary(table)
    worst = worst[worst["problems"] > 0].head(10)
    if len(worst):
        bodies = Table(title="most problems first (top 10)")
        for col in ("body", "items", "problems", "most frequent"):
            bodies.add_column(col)
        for row in worst.itertuples(index=False):
            bodies.add_row(*cells(row.name, row.items, row.problems, t["status"].get(row.worst, row.worst)))
        out.print(bodies)
    if run.created:
        out.print(Text(f"no ranking published yet: {run.folder} holds the evidence check only"), highlight=False)
    out.print(Text(f"written: {run.folder}/evidence.csv, evidence.html, evidence.pdf, "
                   f"{sum(1 for f in run.files if f.startswith('evidence/bodies/'))} workbooks in evidence/bodies/"
                   + (f", {sum(1 for f in run.files if f.startswith('evidence/archive/'))} documents in evidence/archive/"
                      if archive else "")), highlight=False, soft_wrap=True)
