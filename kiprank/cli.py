"""The ``kiprank`` command line. Each command is a thin wrapper over a package function;
a :class:`~kiprank.errors.KiprankError` becomes a message on stderr and its exit code."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .errors import KiprankError

err = Console(stderr=True)
out = Console()


def _handled(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KiprankError as exc:
            err.print("[bold red]error:[/] " + escape(str(exc)), markup=True, highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
    return wrapper


def _region_options(func):
    func = click.option("--outputs-root", type=click.Path(path_type=Path), default=Path("outputs"),
                        show_default=True, help="Folder where outputs/<year>/<region>/ is written.")(func)
    func = click.option("--inputs-root", type=click.Path(path_type=Path), default=Path("inputs"),
                        show_default=True, help="Folder holding <year>/<region>/ input folders.")(func)
    func = click.option("--region", required=True, help="Region folder name, e.g. klaten.")(func)
    func = click.option("--year", required=True, type=int, help="Year of the ranking, e.g. 2022.")(func)
    return func


@click.group()
@click.version_option(__version__, prog_name="kiprank")
def main():
    """kiprank: openness (KIP) rankings of public bodies, from inputs to a published report."""


def _warn(inputs) -> None:
    from .inputs import coverage_warnings

    from rich.markup import escape

    from .glyphs import font_warnings

    notes = coverage_warnings(inputs) + [escape(n) for n in font_warnings(inputs.bodies, "bodies.csv")]
    for note in notes[:50]:
        err.print(f"[yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
    if len(notes) > 50:
        err.print(f"[yellow]warning:[/] ... and {len(notes) - 50} more", highlight=False)


@main.command()
@_region_options
@_handled
def validate(year, region, inputs_root, outputs_root):
    """Check a region's inputs; list every problem (file, row, column). Writes nothing."""
    from .inputs import load_region

    inputs = load_region(year, region, inputs_root)
    _warn(inputs)
    n_saq = inputs.saq["body_id"].nunique()
    out.print(f"OK: {inputs.folder}: {len(inputs.bodies)} bodies, {n_saq} returned the SAQ, "
              f"{len(inputs.saq)} answers; methodology {inputs.methodology.id}")


@main.command()
@_region_options
@_handled
def score(year, region, inputs_root, outputs_root):
    """Validate, score and rank a region; write ranking.csv, ranking.xlsx, indicators.csv."""
    from .pipeline import run_score

    folder, result = run_score(year, region, inputs_root, outputs_root)
    ranking = result.ranking
    table = Table(title=f"{region} {year}: top 3 per group")
    for col in ("group", "rank", "name", "final", "band"):
        table.add_column(col)
    for _, grp in ranking.groupby("group_label", sort=False):
        for row in grp[grp["rank"].notna()].head(3).itertuples():
            table.add_row(row.group_label, str(row.rank), row.name, f"{row.final:.{result.methodology.decimals}f}", row.band)
    out.print(table)
    out.print(f"written: {folder}/ranking.csv, ranking.xlsx, indicators.csv")


@main.command()
@_region_options
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the report: id (Bahasa Indonesia) or en (English).")
@click.option("--date", "report_date", default=None, metavar="YYYY-MM-DD",
              help="Date printed on the report [default: SOURCE_DATE_EPOCH if set, else today].")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF/A-2b (archivable) or plain PDF 1.7 [default: a-2b, or 1.7 with a warning when the "
                   "bundled fonts cannot draw a character of the text].")
@click.option("--timings", is_flag=True, help="Print how long each step took.")
@click.option("--robustness", is_flag=True,
              help="Add the section 'Ketahanan peringkat' (how sure each rank and band is) and publish "
                   "robustness.csv and sensitivity.csv [default: as the methodology's robustness.report says].")
@_handled
def report(year, region, inputs_root, outputs_root, lang, report_date, pdf_standard, timings, robustness):
    """Build the published report: report.pdf, report.html, report.ipynb, ranking.csv/.xlsx.

    Runs notebooks/ranking_report.ipynb with papermill, exports it to HTML with the project's
    nbconvert template and typesets the PDF with Typst. All files are published together in
    <outputs-root>/<year>/<region>/; if any step fails, the previous outputs stay as they were.
    """
    from .report.build import REPORT_FILES, build_report

    build = build_report(year, region, inputs_root, outputs_root, lang=lang, report_date=report_date,
                         pdf_standard=pdf_standard, robustness=robustness)
    _warn_messages(build.renderer_messages)
    extra = ["robustness.csv", "sensitivity.csv"] if robustness or (build.folder / "robustness.csv").is_file() else []
    out.print(f"written: {build.folder}/ " + ", ".join([*REPORT_FILES, *extra]), highlight=False, soft_wrap=True)
    if timings:
        out.print("  ".join(f"{step} {secs:.2f}s" for step, secs in build.timings.items())
                  + f"  total {sum(build.timings.values()):.2f}s", highlight=False)
    import atexit
    import gc

    # Spare the interpreter's shutdown a last walk through the large heap left by the build (~1 s).
    atexit.register(gc.freeze)


@main.command()
@click.option("--region", required=True, help="Region folder name, e.g. jateng.")
@click.option("--years", "years_opt", required=True, multiple=True, metavar="YEAR [YEAR ...]",
              help="Two or more years to compare, e.g. --years 2018 2019 (or 2018,2019).")
@click.argument("more_years", nargs=-1, type=int, metavar="")
@click.option("--focus", default=None, help="A body to explain in detail: its body_id or name (case-insensitive), e.g. kudus.")
@click.option("--inputs-root", type=click.Path(path_type=Path), default=Path("inputs"), show_default=True,
              help="Folder holding <year>/<region>/ input folders (and crosswalk.csv).")
@click.option("--outputs-root", type=click.Path(path_type=Path), default=Path("outputs"), show_default=True,
              help="Folder where compare/<region>_<first>-<last>/ is written.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the report: id (Bahasa Indonesia) or en (English).")
@click.option("--date", "report_date", default=None, metavar="YYYY-MM-DD",
              help="Date printed on the report [default: SOURCE_DATE_EPOCH if set, else today].")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF/A-2b (archivable) or plain PDF 1.7 [default: a-2b, or 1.7 with a warning when the "
                   "bundled fonts cannot draw a character of the text].")
@_handled
def compare(region, years_opt, more_years, focus, inputs_root, outputs_root, lang, report_date, pdf_standard):
    """Compare a region's rankings between years: comparison.pdf/.html/.ipynb, changes.csv.

    Rank and band changes, bodies that entered or left (matched by body_id and
    <inputs-root>/crosswalk.csv), and each body's change of final score broken down by stage and
    indicator, with the methodology changes. Runs notebooks/year_comparison.ipynb and publishes
    <outputs-root>/compare/<region>_<first>-<last>/ atomically.
    """
    from .report.comparison_build import COMPARISON_FILES, build_comparison
    from .errors import UsageError

    years = []
    for value in [*years_opt, *map(str, more_years)]:
        for part in str(value).replace(",", " ").split():
            if not part.isdigit():
                raise UsageError(f"--years: '{part}' is not a year")
            years.append(int(part))
    build = build_comparison(region, years, focus, inputs_root, outputs_root, lang=lang, report_date=report_date,
                             pdf_standard=pdf_standard)
    _warn_messages(build.renderer_messages)
    out.print(f"written: {build.folder}/ " + ", ".join(COMPARISON_FILES), highlight=False, soft_wrap=True)


@main.command()
def methodologies():
    """List the built-in methodology presets."""
    from .methodology import list_presets

    table = Table(title="kiprank methodology presets")
    for col in ("id", "name", "years", "stages (weight)", "bands"):
        table.add_column(col)
    for m in list_presets():
        stages = ", ".join(f"{s.id} {s.weight:g}" for s in m.stages)
        bands = " / ".join(f"{b.min:g}" for b in m.bands)
        table.add_row(m.id, m.name, m.years, stages, bands)
    out.print(table)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@_handled
def verify(folder):
    """Re-run a published ranking from its recorded inputs (manifest.json) and check that it is
    identical. Exit 3 when an input changed since publication or the result differs."""
    from .manifest import VerificationError, read_manifest, verify_outputs

    differ = verify_outputs(folder)
    fingerprint = read_manifest(folder)["fingerprint"]
    if differ:
        raise VerificationError(f"{folder}: re-run from the same inputs differs in {', '.join(differ)} "
                                f"(manifest {fingerprint}); see `kiprank diff`")
    out.print(f"OK: {folder} is reproduced exactly from its inputs (manifest {fingerprint})")


@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Folder for corrections.csv/.html/.pdf [default: outputs/corrections/<new folder name>].")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF/A-2b (archivable) or plain PDF 1.7 [default: a-2b, or 1.7 with a warning when the "
                   "bundled fonts cannot draw a character of the text].")
@_handled
def diff(old, new, output, pdf_standard):
    """List every body whose score, band or rank differs between two outputs folders (e.g. a
    published decree and its correction), as a table and a short PDF/HTML page."""
    from .corrections import diff_rankings
    from .inputs import check_name
    from .report.corrections import write_diff

    table = diff_rankings(old, new)
    target = output or Path("outputs") / "corrections" / check_name(Path(new).name, "folder name")
    _warn_messages(write_diff(table, old, new, target, pdf_standard=pdf_standard))
    if table.empty:
        out.print("No body changed score, band or rank.")
    else:
        view = Table(title=f"{len(table)} bodies changed")
        for col in ("group", "name", "final_old", "final_new", "band_old", "band_new", "rank_old", "rank_new"):
            view.add_column(col)
        for row in table.itertuples(index=False):
            view.add_row(*[("" if pd_isna(v) else str(v)) for v in (row.group, row.name, row.final_old, row.final_new,
                                                                     row.band_old, row.band_new, row.rank_old, row.rank_new)])
        out.print(view)
    out.print(f"written: {target}/corrections.csv, corrections.html, corrections.pdf")


def _warn_messages(messages) -> None:
    """Warnings of a build (e.g. the PDF standard fallback), literal on stderr."""
    from rich.markup import escape

    for message in messages or ():
        err.print(f"warning: {escape(str(message))}", highlight=False, soft_wrap=True)


@main.command()
@_region_options
@click.option("--bodies", multiple=True, metavar="ID [ID ...]",
              help="Only the letters of these bodies (body_id) [default: every body].")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the letters: id (Bahasa Indonesia) or en (English).")
@click.option("--certificates", is_flag=True, help="Add a certificate page for each body rated in the top band.")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF/A-2b or plain PDF 1.7 [default: PDF/A-2b; PDF 1.7, with a warning, for a letter "
                   "holding a character that the bundled fonts cannot show].")
@_handled
def letters(year, region, inputs_root, outputs_root, bodies, lang, certificates, pdf_standard):
    """Write a result letter to every body: letters/<body_id>.pdf and letters/all.pdf.

    Each letter gives the body's score, band, rank and stage scores, what did not earn full marks
    (with advice), last year's result when <inputs-root>/<year-1>/<region>/ exists, and for a body
    that did not return the SAQ what that meant and what to do. The region must be published first
    (kiprank score or kiprank report); the letters are added to its folder and manifest.
    """
    from rich.markup import escape

    from .letters.build import build_letters

    ids = [part for value in bodies for part in value.replace(",", " ").split()]
    run = build_letters(year, region, inputs_root, outputs_root, bodies=ids or None, lang=lang,
                        certificates=certificates, pdf_standard=pdf_standard)
    for warning in run.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    extra = f", {run.certificates} certificate(s)" if certificates else ""
    since = f", compared with {run.previous_year}" if run.previous_year else ""
    out.print(escape(f"written: {run.folder}/letters/ ({run.letters} letter(s){extra}{since}, "
                     f"PDF {run.pdf_standard}), listed in manifest.json"), highlight=False, soft_wrap=True)


def pd_isna(value) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


from .batch import BuildCommand  # noqa: E402  (light: click and the standard library only)


@main.command(cls=BuildCommand)
@click.option("--year", "--years", "years", type=int, multiple=True, required=True, metavar="YEAR [YEAR ...]",
              help="Year(s) to build: --year 2022, --years 2018 2019 (or 2018,2019).")
@click.option("--regions", "--region", "regions", multiple=True, metavar="REGION [REGION ...]",
              help="Only these regions [default: every folder under <inputs-root>/<year>/].")
@click.option("--inputs-root", type=click.Path(path_type=Path), default=Path("inputs"), show_default=True,
              help="Folder holding <year>/<region>/ input folders.")
@click.option("--outputs-root", type=click.Path(path_type=Path), default=Path("outputs"), show_default=True,
              help="Folder where <year>/<region>/ and index.html are written.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the reports: id (Bahasa Indonesia) or en (English).")
@click.option("--date", "report_date", default=None, metavar="YYYY-MM-DD",
              help="Date printed on the reports [default: SOURCE_DATE_EPOCH if set, else today].")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Reports built at once in local processes [default: number of cores].")
@click.option("--force", is_flag=True, help="Rebuild every report, even those that are up to date.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Run the jobs on this Dask distributed scheduler instead of local processes.")
@click.option("--cell-timeout", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds allowed for one notebook cell before the job fails.")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF/A-2b (archivable) or plain PDF 1.7 [default: a-2b, or 1.7 with a warning when the "
                   "bundled fonts cannot draw a character of the text].")
@click.option("--letters", is_flag=True,
              help="Also write the result letters of every region (as kiprank letters does).")
@_handled
def build(years, regions, inputs_root, outputs_root, lang, report_date, jobs, force, scheduler, cell_timeout,
          pdf_standard, letters):
    """Build the reports of every region of one or more years, in parallel and incrementally.

    A region whose inputs, methodology, notebook and kiprank version are unchanged since its last
    successful build is skipped (--force rebuilds). One failing region does not stop the others;
    the summary gives its reason and the exit code is 1. Writes <outputs-root>/index.html.
    """
    from .batch import run_build

    code = run_build(years, regions, inputs_root, outputs_root, lang=lang, report_date=report_date, jobs=jobs,
                     force=force, scheduler=scheduler, cell_timeout=cell_timeout, console=out, err_console=err,
                     pdf_standard=pdf_standard, letters=letters)
    sys.exit(code)


# -- intake: forms out, returns in --------------------------------------------------------------

@main.command()
@_region_options
@click.option("--kind", "kinds", type=click.Choice(["saq", "verification", "website", "scores", "xlsform", "all"]),
              multiple=True, default=("all",), show_default=True,
              help="Which forms (repeat for several): saq, verification, website, scores, xlsform, all.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the forms [default: <outputs-root>/<year>/<region>/forms]; refused if it holds "
                   "files kiprank did not write.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the forms: id (Bahasa Indonesia) or en (English).")
@_handled
def forms(year, region, inputs_root, outputs_root, kinds, out_dir, lang):
    """Write the questionnaires of a region from its methodology and bodies: one SAQ and one
    verification workbook per body, the website checklist, the stage score sheets and the SAQ as
    an XLSForm (KoboToolbox / ODK). Written atomically with a forms manifest.json."""
    from .intake.forms import build_forms

    result = build_forms(year, region, inputs_root, outputs_root, kinds=kinds, out=out_dir, lang=lang)
    counts = {}
    for rel in result.files:
        key = rel.split("/")[0] if "/" in rel else rel
        counts[key] = counts.get(key, 0) + 1
    out.print(escape(f"written: {result.folder}/ ") + ", ".join(
        escape(f"{k}/ ({n} workbooks)" if n > 1 or k in ("saq", "verifikasi") else k) for k, n in counts.items()),
              highlight=False, soft_wrap=True)


@main.command()
@_region_options
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="Replace input tables that exist with other content (the previous file is kept in collect/).")
@click.option("--latest", is_flag=True, help="When a body returned a form twice, take the newest instead of refusing.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the status labels.")
@_handled
def collect(year, region, inputs_root, outputs_root, sources, replace, latest, lang):
    """Read returned forms (workbooks or folders of them) and KoboToolbox/ODK or Google Forms
    exports, check them, and write saq.csv, verification.csv, website.csv and <stage>.csv into
    <inputs-root>/<year>/<region>/, with collect/collect-status.csv (every body: returned, N
    unanswered, not returned). Nothing is written if anything is refused (exit 2).
    --outputs-root is not used."""
    from .intake.collect import collect as run_collect
    from .intake.sources import CollectError

    try:
        result = run_collect(year, region, list(sources), inputs_root, latest=latest, replace=replace, lang=lang)
    except CollectError as exc:
        if exc.status is not None:  # only the bodies whose returns were refused
            _print_status(exc.status, f"{region} {year}: not collected", rejected_only=True)
        raise
    _print_status(result.status, f"{region} {year}: collected")
    if not result.written and not result.unchanged:
        err.print("[yellow]warning:[/] no answers in the sources: only the status was written", highlight=False)
    for label, names in (("written", result.written), ("unchanged", result.unchanged), ("kept", result.kept)):
        if names:
            out.print(escape(f"{label}: {result.folder}/ " + ", ".join(names)), highlight=False, soft_wrap=True)
    out.print(escape(f"status: {result.folder / 'collect' / 'collect-status.csv'}"), highlight=False, soft_wrap=True)


def _print_status(status, title: str, rejected_only: bool = False) -> None:
    rows = status[status["reason"] != ""] if rejected_only else status
    if len(rows):
        table = Table(title=escape(title))
        for col in ("body_id", "name", "status", *(["reason"] if rejected_only else [])):
            table.add_column(col)
        for row in rows.itertuples(index=False):
            table.add_row(escape(row.body_id), escape(row.name), escape(str(row.status)),
                          *([escape(row.reason)] if rejected_only else []))
        out.print(table)
    if rejected_only:
        return
    counts = status["status"].value_counts(sort=False)
    out.print(escape(", ".join(f"{n} {label}" for label, n in counts.items())), highlight=False, soft_wrap=True)

@main.command()
@_region_options
@click.option("--draws", type=int, default=None,
              help="Number of random variants of the ranking [default: the methodology's robustness.draws, else 1000].")
@click.option("--seed", type=int, default=None,
              help="Seed of the random draws, 0 to 4294967295 [default: the methodology's robustness.seed, else 1].")
@_handled
def robustness(year, region, inputs_root, outputs_root, draws, seed):
    """How sure is a rank? Write robustness.csv and sensitivity.csv in the published region folder.

    Scores the ranking many times with the weights and the verifier's calls on partly verified
    answers varied as the methodology's robustness section says; per body the 5-95 % rank and score
    intervals, the share of draws in each band and in the top 3, and which input drives the spread
    (Sobol' indices). A region not yet published is scored first.
    """
    from rich.markup import escape

    from .pipeline import run_robustness

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
        table.add_row(escape(str(row.group_label)), str(row.rank), f"{row.rank_p05}-{row.rank_p95}", escape(str(row.name)),
                      escape(str(row.band)), f"{uncertain.get(row.body_id, 1.0):.3f}")
    out.print(table)
    out.print(f"{len(res.uncertain)} bodies whose band is not certain; written: {escape(str(folder))}/robustness.csv, "
              "sensitivity.csv", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()
