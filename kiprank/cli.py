"""The ``kiprank`` command line. Each command is a thin wrapper over a package function;
a :class:`~kiprank.errors.KiprankError` becomes a message on stderr and its exit code."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
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
            err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
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
@_handled
def report(year, region, inputs_root, outputs_root, lang, report_date, pdf_standard, timings):
    """Build the published report: report.pdf, report.html, report.ipynb, ranking.csv/.xlsx.

    Runs notebooks/ranking_report.ipynb with papermill, exports it to HTML with the project's
    nbconvert template and typesets the PDF with Typst. All files are published together in
    <outputs-root>/<year>/<region>/; if any step fails, the previous outputs stay as they were.
    """
    from .report.build import REPORT_FILES, build_report

    build = build_report(year, region, inputs_root, outputs_root, lang=lang, report_date=report_date,
                         pdf_standard=pdf_standard)
    _warn_messages(build.renderer_messages)
    out.print(f"written: {build.folder}/ " + ", ".join(REPORT_FILES), highlight=False, soft_wrap=True)
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
    from .site.build import is_site, verify_site

    if is_site(folder):  # a site made by `kiprank site`
        problems = verify_site(folder)
        fingerprint = read_manifest(folder).get("fingerprint")
        if problems:
            raise VerificationError(f"{folder}: the site differs from its manifest or from a new build "
                                    f"(manifest {fingerprint}): {', '.join(problems[:20])}"
                                    + (f" and {len(problems) - 20} more" if len(problems) > 20 else ""))
        out.print(f"OK: {folder} is the site of the published results, built again byte for byte "
                  f"(manifest {fingerprint})", highlight=False, soft_wrap=True)
        return
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
@click.option("--site", "site_too", is_flag=True,
              help="Then write the static web site of everything under <outputs-root> (see kiprank site).")
@_handled
def build(years, regions, inputs_root, outputs_root, lang, report_date, jobs, force, scheduler, cell_timeout,
          pdf_standard, site_too):
    """Build the reports of every region of one or more years, in parallel and incrementally.

    A region whose inputs, methodology, notebook and kiprank version are unchanged since its last
    successful build is skipped (--force rebuilds). One failing region does not stop the others;
    the summary gives its reason and the exit code is 1. Writes <outputs-root>/index.html.
    """
    from .batch import run_build

    code = run_build(years, regions, inputs_root, outputs_root, lang=lang, report_date=report_date, jobs=jobs,
                     force=force, scheduler=scheduler, cell_timeout=cell_timeout, console=out, err_console=err,
                     pdf_standard=pdf_standard, site=site_too)
    sys.exit(code)


@main.command()
@click.option("--outputs-root", type=click.Path(path_type=Path), default=Path("outputs"), show_default=True,
              help="Folder holding the published <year>/<region>/ and compare/ folders.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of the site [default: <outputs-root>/site]; only a folder made by kiprank site is replaced.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of the site: id (Bahasa Indonesia) or en (English).")
@_handled
def site(outputs_root, out_dir, lang):
    """Write a static web site of every published ranking: a home page, a page per region and
    year (sortable, filterable ranking table, charts, downloads), per body and per comparison.

    Works offline from the file system and on any plain web server (copy the folder); no request
    to another host. Listed in its own manifest.json; `kiprank verify <site folder>` checks it.
    """
    from .site.build import build_site

    result = build_site(outputs_root, out_dir, lang=lang)
    out.print(f"written: {result.folder}/index.html ({result.pages} pages: {result.regions} rankings, "
              f"{result.comparisons} comparisons; manifest {result.fingerprint})", highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()
