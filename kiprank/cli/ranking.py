"""Commands over one region's ranking: ``validate``, ``score``, ``report``, ``robustness``, ``verify``,
``diff`` and ``methodologies``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from .app import (cells, check_date, date_option, handled, lang_option, main, out, pd_isna, pdf_standard_option,
                  region_options, warn_coverage, warn_messages, warn_recorded)


PRELIMINARY_HELP = ("The preliminary results of the objection round region.yml declares (objections: {until: ...}): "
                    "marked HASIL SEMENTARA, read without objections.csv and objection_decisions.csv.")


def preliminary_option(func):
    return click.option("--preliminary", is_flag=True, help=PRELIMINARY_HELP)(func)


@main.command()
@region_options
@preliminary_option
@handled
def validate(year, region, inputs_root, outputs_root, preliminary):
    """Check a region's inputs; list every problem (file, row, column), including values missing where
    the methodology has no missing: rule, and warn about those it scores by its rule. With an
    objection round, also objections.csv and objection_decisions.csv (unless --preliminary): every
    objection needs a decision. Writes nothing."""
    from ..core.inputs import load_region
    from ..core.scoring import score

    inputs = load_region(year, region, inputs_root, preliminary=preliminary)
    warn_coverage(inputs, score(inputs))  # scoring names the values missing where the methodology has no rule
    n_saq = inputs.saq["body_id"].nunique()
    out.print(Text(f"OK: {inputs.folder}: {len(inputs.bodies)} bodies, {n_saq} returned the SAQ, "
                   f"{len(inputs.saq)} answers; methodology {inputs.methodology.id}"), highlight=False, soft_wrap=True)

@main.command()
@region_options
@preliminary_option
@handled
def score(year, region, inputs_root, outputs_root, preliminary):
    """Validate, score and rank a region; write ranking.csv, ranking.xlsx, indicators.csv (and, for
    the final results of an objection round, sementara/, sanggah.csv/.pdf and corrections.*)."""
    from ..runs.pipeline import run_score

    folder, result = run_score(year, region, inputs_root, outputs_root, preliminary=preliminary)
    warn_recorded(folder)
    ranking = result.ranking
    table = Table(title=Text(f"{region} {year}: top 3 per group"))
    for col in ("group", "rank", "name", "final", "band"):
        table.add_column(col)
    for _, grp in ranking.groupby("group_label", sort=False):
        for row in grp[grp["rank"].notna()].head(3).itertuples():
            table.add_row(*cells(row.group_label, row.rank, row.name,
                                  f"{row.final:.{result.methodology.decimals}f}", row.band))
    out.print(table)
    agreement = "".join(f", {name}" for name in ("agreement.csv", "disagreements.csv") if (folder / name).is_file())
    out.print(Text(f"written: {folder}/ranking.csv, ranking.xlsx, indicators.csv{agreement}, datapackage.json"),
              highlight=False, soft_wrap=True)
    say_round(folder)


def say_round(folder: Path) -> None:
    """One line on the objection round of a published run (preliminary, or final with its minutes)."""
    from ..core.files import read_json_object
    from ..runs.objection_round import CORRECTION_FILES, MINUTES_CSV, MINUTES_PDF, ROUND_DIR, recorded_round

    manifest = read_json_object(folder / "manifest.json") or {}
    stage = recorded_round(manifest)
    if stage == "preliminary":
        until = (manifest.get("parameters") or {}).get("objections_until")
        out.print(Text(f"preliminary results (HASIL SEMENTARA): objections until {until}"), highlight=False)
    elif stage == "final":
        totals = (manifest.get("objection_round") or {}).get("totals") or {}
        counts = ", ".join(f"{totals.get(k, 0)} {k}" for k in ("received", "accepted", "partial", "rejected", "late"))
        out.print(Text(f"final results after the objection round ({counts}): {folder}/{MINUTES_PDF}, {MINUTES_CSV}, "
                       f"{', '.join(CORRECTION_FILES)}, {ROUND_DIR}/ (the preliminary results)"), highlight=False,
                  soft_wrap=True)

@main.command()
@region_options
@lang_option("the report")
@date_option("the report")
@pdf_standard_option()
@click.option("--timings", is_flag=True, help="Print how long each step took.")
@click.option("--robustness", is_flag=True,
              help="Add the section 'Ketahanan peringkat' (how sure each rank and band is) and publish "
                   "robustness.csv and sensitivity.csv [default: as the methodology's robustness.report says].")
@preliminary_option
@handled
def report(year, region, inputs_root, outputs_root, lang, report_date, pdf_standard, timings, robustness,
           preliminary):
    """Build the published report: report.pdf, report.html, report.ipynb, ranking.csv/.xlsx.

    Runs notebooks/ranking_report.ipynb with papermill, exports it to HTML with the project's
    nbconvert template and typesets the PDF with Typst. All files are published together in
    <outputs-root>/<year>/<region>/; if any step fails, the previous outputs stay as they were.
    """
    from ..core.publish import check_separate
    from ..runs.report import REPORT_FILES, build_report

    report_date = check_date(report_date)
    check_separate(inputs_root, outputs_root)
    build = build_report(year, region, inputs_root, outputs_root, lang=lang, report_date=report_date,
                         pdf_standard=pdf_standard, robustness=robustness, preliminary=preliminary)
    warn_messages(build.renderer_messages)
    warn_recorded(build.folder)
    extra = ["robustness.csv", "sensitivity.csv"] if robustness or (build.folder / "robustness.csv").is_file() else []
    extra += [name for name in ("agreement.csv", "disagreements.csv") if (build.folder / name).is_file()]
    out.print(Text(f"written: {build.folder}/ " + ", ".join([*REPORT_FILES, *extra])), highlight=False, soft_wrap=True)
    say_round(build.folder)
    if timings:
        out.print("  ".join(f"{step} {secs:.2f}s" for step, secs in build.timings.items())
                  + f"  total {sum(build.timings.values()):.2f}s", highlight=False)
    import atexit
    import gc

    # Spare the interpreter's shutdown a last walk through the large heap left by the build (~1 s).
    atexit.register(gc.freeze)

@main.command()
@handled
def methodologies():
    """List the built-in methodology presets."""
    from ..core.methodology import list_presets

    table = Table(title="kiprank methodology presets")
    for col in ("id", "name", "years", "stages (weight)", "bands"):
        table.add_column(col)
    for m in list_presets():
        stages = ", ".join(f"{s.id} {s.weight:g}" for s in m.stages)
        bands = " / ".join(f"{b.min:g}" for b in m.bands)
        table.add_row(*cells(m.id, m.name, m.years, stages, bands))
    out.print(table)

@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--inputs-root", type=click.Path(path_type=Path), default=None,
              help="Where the inputs are now, when they moved since the build (a USB stick, another machine) "
                   "[default: where they were, as the manifest records].")
@handled
def verify(folder, inputs_root):
    """Check a published folder: every file its manifest.json lists (content hash), files it does
    not list, and what kiprank can make again from the recorded inputs, compared byte for byte (a
    ranking's tables and robustness, forms, a comparison's and a corrections list's tables; for a
    site, a new build of it). Exit 3 when an input changed since publication (named), a file
    differs or is missing, a file is not listed, or the result differs."""
    from ..runs.manifest import VerificationError, read_manifest
    from ..runs.pipeline import verify_outputs
    from ..runs.site import is_site, verify_site

    if is_site(folder):  # a site made by `kiprank site`
        problems = verify_site(folder)
        fingerprint = read_manifest(folder).get("fingerprint")
        if problems:
            raise VerificationError(f"{folder}: the site differs from its manifest or from a new build "
                                    f"(manifest {fingerprint}): {', '.join(problems[:20])}"
                                    + (f" and {len(problems) - 20} more" if len(problems) > 20 else ""))
        out.print(Text(f"OK: {folder} is the site of the published results, built again byte for byte "
                       f"(manifest {fingerprint})"), highlight=False, soft_wrap=True)
        return

    check = verify_outputs(folder, inputs_root)
    problems = []
    if check.differ:
        problems.append("differs from its manifest or a re-run from the same inputs: " + ", ".join(check.differ))
    if check.unlisted:
        problems.append("files not listed in its manifest (not part of this run): " + ", ".join(check.unlisted))
    if problems:
        raise VerificationError(f"{folder} (manifest {check.fingerprint}) " + "; ".join(problems)
                                + ("; see `kiprank diff`" if check.rerun else ""))
    if check.rerun:
        out.print(Text(f"OK: {folder} ({check.kind}) is reproduced exactly from its inputs and every file matches "
                       f"its manifest (manifest {check.fingerprint})"), highlight=False, soft_wrap=True)
    else:
        out.print(Text(f"OK: every file of {folder} ({check.kind}) matches its manifest"), highlight=False, soft_wrap=True)

@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Folder for corrections.csv/.html/.pdf [default: outputs/corrections/<region>_<year> of NEW].")
@pdf_standard_option()
@handled
def diff(old, new, output, pdf_standard):
    """List every body whose score, band or rank differs between two outputs folders (e.g. a
    published decree and its correction), as a table and a short PDF/HTML page."""
    from ..analysis.corrections import diff_rankings
    from ..runs.corrections import check_diff_output, corrections_manifest, default_output, write_diff

    target = output or default_output(Path("outputs"), new)
    check_diff_output(target, old, new)
    before = corrections_manifest(old, new, target, {})
    table = diff_rankings(old, new)
    warn_messages(write_diff(table, old, new, target, pdf_standard=pdf_standard, before=before))
    if table.empty:
        out.print("No body changed score, band or rank.")
    else:
        view = Table(title=f"{len(table)} bodies changed")
        for col in ("group", "name", "final_old", "final_new", "band_old", "band_new", "rank_old", "rank_new"):
            view.add_column(col)
        for row in table.itertuples(index=False):
            view.add_row(*cells(*[("" if pd_isna(v) else str(v)) for v in (
                row.group, row.name, row.final_old, row.final_new, row.band_old, row.band_new, row.rank_old, row.rank_new)]))
        out.print(view)
    out.print(Text(f"written: {target}/corrections.csv, corrections.html, corrections.pdf, datapackage.json"), highlight=False, soft_wrap=True)

@main.command()
@region_options
@click.option("--draws", type=int, default=None,
              help="Number of random variants of the ranking [default: the methodology's robustness.draws, else 1000].")
@click.option("--seed", type=int, default=None,
              help="Seed of the random draws, 0 to 4294967295 [default: the methodology's robustness.seed, else 1].")
@handled
def robustness(year, region, inputs_root, outputs_root, draws, seed):
    """How sure is a rank? Write robustness.csv and sensitivity.csv in the published region folder.

    Scores the ranking many times with the weights and the verifier's calls on partly verified
    answers varied as the methodology's robustness section says; per body the 5-95 % rank and score
    intervals, the share of draws in each band and in the top 3, and which input drives the spread
    (Sobol' indices). A region not yet published is scored first.
    """
    from rich.markup import escape

    from ..runs.pipeline import run_robustness

    folder, res, scored_first = run_robustness(year, region, inputs_root, outputs_root, draws=draws, seed=seed)
    if scored_first:
        out.print(f"scored first: {escape(str(folder))}/ranking.csv, ranking.xlsx, indicators.csv", highlight=False)
    uncertain = res.uncertain.set_index("body_id")["p_band"]
    table = Table(title=f"{escape(region)} {year}: {res.settings['draws']} draws, seed {res.settings['seed']} "
                        "(top 3 per group and bodies whose band is not certain)")
    for col in ("group", "rank", "5-95 % rank", "name", "band", "p(band)"):
        table.add_column(col)
    view = res.ranking.merge(res.table[["body_id", "rank_p05", "rank_p95"]], on="body_id")
    for row in view[view["rank_p05"].notna()].itertuples(index=False):
        if row.rank > 3 and row.body_id not in uncertain.index:
            continue
        table.add_row(*cells(row.group_label, row.rank, f"{row.rank_p05}-{row.rank_p95}", row.name, row.band,
                              f"{uncertain.get(row.body_id, 1.0):.3f}"))
    out.print(table)
    out.print(f"{len(res.uncertain)} bodies whose band is not certain; written: {escape(str(folder))}/robustness.csv, "
              "sensitivity.csv", highlight=False, soft_wrap=True)
