"""Commands that publish documents over several regions, years or bodies: ``compare``, ``letters``,
``build`` (a whole year, locally or on a Dask cluster) and ``site``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from ..core.errors import UsageError
from .app import (cells, check_date, date_option, err, handled, lang_option, limit_options, main, out, pdf_standard_option,
                  plain, region_options, root_option, say, warn_messages)


@main.command()
@click.option("--region", required=True, help="Region folder name, e.g. jateng.")
@click.option("--years", "years_opt", required=True, multiple=True, metavar="YEAR [YEAR ...]",
              help="Two or more years to compare, e.g. --years 2018 2019 (or 2018,2019).")
@click.argument("more_years", nargs=-1, type=int, metavar="")
@click.option("--focus", default=None, help="A body to explain in detail: its body_id or name (case-insensitive), e.g. kudus.")
@root_option("--inputs-root", "inputs", "Folder holding <year>/<region>/ input folders (and crosswalk.csv).")
@root_option("--outputs-root", "outputs", "Folder where compare/<region>_<first>-<last>/ is written.")
@lang_option("the report")
@date_option("the report", "the latest report_date of the years compared (region.yml)")
@pdf_standard_option()
@limit_options
@handled
def compare(region, years_opt, more_years, focus, inputs_root, outputs_root, lang, report_date, pdf_standard):
    """Compare a region's rankings between years: comparison.pdf/.html/.ipynb, changes.csv.

    Rank and band changes, bodies that entered or left (matched by body_id and
    <inputs-root>/crosswalk.csv), and each body's change of final score broken down by stage and
    indicator, with the methodology changes. Runs notebooks/year_comparison.ipynb and publishes
    <outputs-root>/compare/<region>_<first>-<last>/ atomically.
    """
    from ..core.publish import check_separate
    from ..runs.comparison import COMPARISON_FILES, build_comparison

    report_date = check_date(report_date)
    check_separate(inputs_root, outputs_root)
    years = []
    for value in [*years_opt, *map(str, more_years)]:
        for part in str(value).replace(",", " ").split():
            if not part.isdigit():
                raise UsageError(f"--years: '{part}' is not a year")
            years.append(int(part))
    from ..analysis.compare import crosswalk_warnings, load_comparison

    comp = load_comparison(region, years, inputs_root)
    if (Path(inputs_root) / "crosswalk.csv").is_file():
        warn_messages(crosswalk_warnings(comp))
    from ..core.missing import coverage_warnings

    warn_messages([f"{run.year}: {note}" for run in comp.runs for note in coverage_warnings(run.inputs, run.result)])
    build = build_comparison(region, years, focus, inputs_root, outputs_root, lang=lang, report_date=report_date,
                             pdf_standard=pdf_standard)
    warn_messages(build.renderer_messages)
    out.print(Text(f"written: {build.folder}/ " + ", ".join(COMPARISON_FILES)), highlight=False, soft_wrap=True)

class BuildCommand(click.Command):
    """Lets ``--years`` / ``--regions`` take several values after one flag (``--years 2018 2019``),
    as well as repeated flags and comma-separated lists."""

    greedy = ("--year", "--years", "--region", "--regions")

    def parse_args(self, ctx, args):
        out, flag = [], None
        for i, arg in enumerate(args):
            if arg == "--":
                out.extend(args[i:])
                break
            if arg.startswith("-"):
                name, eq, value = arg.partition("=")
                flag = name if name in self.greedy else None
                if flag is None:
                    out.append(arg)
                elif eq:
                    out.extend(spread(flag, value))
                continue
            out.extend(spread(flag, arg) if flag else [arg])
        return super().parse_args(ctx, out)

def spread(flag: str, text: str) -> list[str]:
    """``--years 2018,2019`` -> ``--years 2018 --years 2019``."""
    values = [v for v in text.replace(",", " ").split() if v] or [text]
    return [v for value in values for v in (flag, value)]

class LettersCommand(BuildCommand):
    """``--bodies a b`` (several ids after one flag, as the README shows), repeated flags or commas."""

    greedy = ("--bodies",)

@main.command(cls=LettersCommand)
@region_options
@click.option("--bodies", multiple=True, metavar="ID [ID ...]",
              help="Only the letters of these bodies (body_id) [default: every body].")
@lang_option("the letters")
@click.option("--certificates", is_flag=True, help="Add a certificate page for each body rated in the top band.")
@pdf_standard_option("PDF/A-2b or plain PDF 1.7 [default: PDF/A-2b; PDF 1.7, with a warning, for a letter "
                      "holding a character that the bundled fonts cannot show].")
@handled
def letters(year, region, inputs_root, outputs_root, bodies, lang, certificates, pdf_standard):
    """Write a result letter to every body: letters/<body_id>.pdf and letters/all.pdf.

    Each letter gives the body's score, band, rank and stage scores, what did not earn full marks
    (with advice), last year's result when <inputs-root>/<year-1>/<region>/ exists, and for a body
    that did not return the SAQ what that meant and what to do. The region must be published first
    (kiprank score or kiprank report); the letters are added to its folder and manifest.
    """
    from rich.markup import escape

    from ..runs.letters import build_letters

    ids = [part for value in bodies for part in value.replace(",", " ").split()]
    run = build_letters(year, region, inputs_root, outputs_root, bodies=ids or None, lang=lang,
                        certificates=certificates, pdf_standard=pdf_standard)
    warn_messages(run.warnings)
    extra = f", {run.certificates} certificate(s)" if certificates else ""
    since = f", compared with {run.previous_year}" if run.previous_year else ""
    out.print(escape(f"written: {run.folder}/letters/ ({run.letters} letter(s){extra}{since}, "
                     f"PDF {run.pdf_standard}), listed in manifest.json"), highlight=False, soft_wrap=True)

@main.command(cls=BuildCommand)
@click.option("--year", "--years", "years", type=int, multiple=True, required=True, metavar="YEAR [YEAR ...]",
              help="Year(s) to build: --year 2022, --years 2018 2019 (or 2018,2019).")
@click.option("--regions", "--region", "regions", multiple=True, metavar="REGION [REGION ...]",
              help="Only these regions [default: every folder under <inputs-root>/<year>/].")
@root_option("--inputs-root", "inputs", "Folder holding <year>/<region>/ input folders.")
@root_option("--outputs-root", "outputs", "Folder where <year>/<region>/ and index.html are written.")
@lang_option("the reports")
@date_option("the reports")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Reports built at once in local processes [default: number of cores].")
@click.option("--force", is_flag=True, help="Rebuild every report, even those that are up to date.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Run the jobs on this Dask distributed scheduler instead of local processes.")
@click.option("--cell-timeout", type=click.FloatRange(min=1), default=600, show_default=True,
              help="Seconds allowed for one notebook cell before the job fails.")
@pdf_standard_option()
@click.option("--letters", is_flag=True,
              help="Also write the result letters of every region (as kiprank letters does).")
@click.option("--site", "site_too", is_flag=True,
              help="Then write the static web site of everything under <outputs-root> (see kiprank site).")
@limit_options
@handled
def build(years, regions, inputs_root, outputs_root, lang, report_date, jobs, force, scheduler, cell_timeout,
          pdf_standard, letters, site_too):
    """Build the reports of every region of one or more years, in parallel and incrementally.

    A region whose inputs, methodology, notebook and kiprank version are unchanged since its last
    successful build is skipped (--force rebuilds). One failing region does not stop the others;
    the summary gives its reason and the exit code is 1. Writes <outputs-root>/index.html.
    """
    from ..runs.plan import plan_jobs
    from ..core.publish import check_separate

    report_date = check_date(report_date)
    check_separate(inputs_root, outputs_root)
    planned = plan_jobs(years, regions, inputs_root, outputs_root, lang, report_date, cell_timeout, pdf_standard,
                        letters)
    batch = build_with_progress(planned, jobs, force, scheduler)
    if site_too:
        from ..runs.site import build_site

        made = build_site(outputs_root, lang=lang)
        out.print(Text(f"site: {made.folder}/index.html ({made.pages} pages; manifest {made.fingerprint})"),
                  highlight=False, soft_wrap=True)
        warn_messages(made.warnings)
    sys.exit(batch.exit_code)

def build_with_progress(planned, jobs, force, scheduler):
    """``kiprank build``'s run: a progress bar while the jobs are checked and built (each failure
    printed as it comes), then the summary table; returns the :class:`~kiprank.runs.batch.BatchResult`."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..runs.batch import build_all
    from ..runs.plan import STATUS_BUILT, STATUS_FAILED, STATUS_SKIPPED

    where = f"on {scheduler}" if scheduler else f"{jobs or os.cpu_count() or 1} local processes"
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=False)
    task = progress.add_task("checking", total=len(planned))

    def on_planned(n_build, n_skip):
        progress.update(task, description=f"building {n_build} report(s) ({where}), {n_skip} up to date")

    def on_result(result):
        progress.advance(task)
        if result.status == STATUS_FAILED:
            progress.console.print(Text.assemble(("failed", "red"), f" {result.year}/{plain(result.region)}: "
                                                 f"{plain(result.reason)}"), highlight=False, soft_wrap=True)

    with progress:
        batch = build_all(planned, workers=jobs, force=force, scheduler=scheduler, on_planned=on_planned,
                          on_result=on_result)
    table = Table(title=f"kiprank build: {len(planned)} report(s) in {batch.seconds:.1f} s")
    for column in ("region", "year", "bodies", "status", "time", "output"):
        table.add_column(column, justify="right" if column in ("bodies", "time") else "left")
    style = {STATUS_BUILT: "green", STATUS_SKIPPED: "dim", STATUS_FAILED: "bold red"}
    for r in batch.results:
        output = str(Path(r.folder) / "report.pdf") if r.ok else r.reason
        status = r.status + (f" (try {r.attempts})" if r.attempts > 1 else "")
        table.add_row(*cells(r.region, r.year, r.bodies, Text(status, style=style[r.status]), f"{r.seconds:.1f}s",
                              output))
    out.print(table, soft_wrap=True)
    counts = {s: sum(r.status == s for r in batch.results) for s in (STATUS_BUILT, STATUS_SKIPPED, STATUS_FAILED)}
    out.print(Text(f"{counts[STATUS_BUILT]} built, {counts[STATUS_SKIPPED]} up to date, "
                   f"{counts[STATUS_FAILED]} failed; index: {batch.index or 'not written'}"), highlight=False,
              soft_wrap=True)
    if batch.index_problem:
        warn_messages([batch.index_problem])
    return batch

@main.command()
@root_option("--outputs-root", "outputs", "Folder holding the published <year>/<region>/ and compare/ folders.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of the site [default: <outputs-root>/site]; only a folder made by kiprank site is replaced.")
@lang_option("the site")
@handled
def site(outputs_root, out_dir, lang):
    """Write a static web site of every published ranking: a home page, a page per region and
    year (sortable, filterable ranking table, charts, downloads), per body and per comparison.

    Works offline from the file system and on any plain web server (copy the folder); no request
    to another host. Listed in its own manifest.json; `kiprank verify <site folder>` checks it.
    """
    from ..runs.site import build_site

    result = build_site(outputs_root, out_dir, lang=lang)
    for warning in result.warnings:
        say(err, "warning:", "yellow", warning)
    out.print(Text(f"written: {result.folder}/index.html ({result.pages} pages: {result.regions} rankings, "
                   f"{result.comparisons} comparisons; manifest {result.fingerprint})"), highlight=False, soft_wrap=True)
