"""The ``kiprank`` command line. Each command is a thin wrapper over a package function;
a :class:`~kiprank.core.errors.KiprankError` becomes a message on stderr and its exit code."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .core.version import __version__
from .core.errors import KiprankError, UsageError

err = Console(stderr=True)
out = Console()

EXIT_UNEXPECTED = 1


# Characters that would change how the rest of a console line reads (bidirectional overrides such
# as U+202E, isolates, marks) or move the cursor (control characters): shown as \\uXXXX.
_INVISIBLE = {c: f"\\u{c:04x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0x061C, 0x200E, 0x200F,
                                          *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def _plain(text) -> str:
    """User text as it may go to a terminal: literal, with direction overrides and control
    characters made visible (a body named ``abc\u202edef`` cannot reverse the rest of a message)."""
    return str(text).translate(_INVISIBLE)


def _say(console: Console, label: str, style: str, text: str) -> None:
    """Print ``label text`` with ``text`` literal: user text (names, paths, messages holding them)
    is never read as rich markup."""
    console.print(Text.assemble((label, style), " ", _plain(text)), highlight=False, soft_wrap=True)


def _cells(*values) -> list[Text]:
    """Table cells shown literally (a body named ``[red]x[/red]`` is printed as written)."""
    return [v if isinstance(v, Text) else Text("" if v is None else _plain(v)) for v in values]


def _command_name() -> str:
    ctx = click.get_current_context(silent=True)
    return f"kiprank {ctx.info_name}" if ctx is not None and ctx.parent is not None else "kiprank"


def _fail(exc: BaseException) -> int:
    """The exit code for an exception escaping a command, after a short message (never a traceback)."""
    import errno

    if isinstance(exc, KiprankError):
        _say(err, "error:", "bold red", exc)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        _say(err, "interrupted:", "bold red", "stopped by the user; the previous outputs are unchanged")
        return 130
    if isinstance(exc, OSError) and exc.errno is not None:
        where = exc.filename or "a file"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENOENT, errno.EEXIST):
            _say(err, "error:", "bold red", f"{where}: {exc.strerror} (check the paths given)")
            return 2
        _say(err, "error:", "bold red", f"{where}: {exc.strerror}; the previous outputs are unchanged")
        return 3
    if isinstance(exc, MemoryError):
        _say(err, "error:", "bold red", "out of memory; the inputs may be larger than this machine can score "
             "(see the size limits in the README); the previous outputs are unchanged")
        return 3
    log = _write_log(exc)
    where = f"details in {log}" if log else "no log could be written"
    _say(err, "error:", "bold red",
         f"{_command_name()} failed unexpectedly (kiprank {__version__}): {type(exc).__name__}: "
         f"{_first_line(exc)}; {where}. Please report it with that file.")
    return EXIT_UNEXPECTED


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return line[:200] + ("..." if len(line) > 200 else "")


def log_dir() -> Path:
    """Where the traceback of an unexpected failure is written: ``KIPRANK_LOG_DIR``, else
    ``<temporary folder>/kiprank-logs``."""
    import os
    import tempfile

    return Path(os.environ.get("KIPRANK_LOG_DIR") or Path(tempfile.gettempdir()) / "kiprank-logs")


def _write_log(exc: BaseException) -> Path | None:
    import os
    import time
    import traceback

    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"kiprank-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"kiprank {__version__}\ncommand: {' '.join(map(str, sys.argv))}\n"
                         f"python: {sys.version}\n\n")
            handle.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return path
    except Exception:
        return None


def _handled(func):
    """Turn a failure of a command into a message and an exit code (see :func:`_fail`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 (the last resort)
            sys.exit(_fail(exc))
    return wrapper


class KiprankGroup(click.Group):
    """The command group: whatever escapes a command (even one without ``_handled``) ends as a
    short message and an exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            _check_environment()
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            sys.exit(_fail(exc))


def _check_environment() -> None:
    """Settings read from the environment are checked before a command starts (exit 2)."""
    from .core.formatting import source_date_epoch
    from .core.limits import DEFAULT_LIMITS, limit

    source_date_epoch()
    for name in DEFAULT_LIMITS:
        limit(name)


def _set_limit(ctx, param, value):
    import os

    if value is not None:
        os.environ[f"KIPRANK_{param.name.upper()}"] = str(value)  # read by kiprank.core.inputs, here and in kernels
    return value


def _limit_options(func):
    """Options raising the size limits of the inputs (README: "Limits")."""
    from .core.limits import DEFAULT_LIMITS

    helps = {
        "max_file_mb": "Largest input file (CSV or workbook) read, in MB",
        "max_xlsx_mb": "Largest uncompressed content of inputs.xlsx, in MB",
        "max_columns": "Most columns in a table's header",
        "max_problems": "Most problems collected before validation only counts the rest",
    }
    for name in reversed(list(helps)):
        func = click.option(f"--{name.replace('_', '-')}", name, type=click.FloatRange(min=1) if name.endswith("mb")
                            else click.IntRange(min=1), default=None, expose_value=False, is_eager=True,
                            callback=_set_limit, help=f"{helps[name]} [default: {DEFAULT_LIMITS[name]:g}].")(func)
    return func


def _check_date(value):
    """``--date``: a real calendar date (exit 2 otherwise, before anything starts)."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UsageError(f"--date '{value}' is not a date like 2022-12-31") from None


def _region_options(func):
    func = click.option("--outputs-root", type=click.Path(path_type=Path), default=Path("outputs"),
                        show_default=True, help="Folder where outputs/<year>/<region>/ is written.")(func)
    func = click.option("--inputs-root", type=click.Path(path_type=Path), default=Path("inputs"),
                        show_default=True, help="Folder holding <year>/<region>/ input folders.")(func)
    func = click.option("--region", required=True, help="Region folder name, e.g. klaten.")(func)
    func = click.option("--year", required=True, type=int, help="Year of the ranking, e.g. 2022.")(func)
    return _limit_options(func)


@click.group(cls=KiprankGroup)
@click.version_option(__version__, prog_name="kiprank")
def main():
    """kiprank: openness (KIP) rankings of public bodies, from inputs to a published report."""


def _warn(inputs) -> None:
    from .core.glyphs import font_warnings
    from .core.inputs import coverage_warnings

    notes = coverage_warnings(inputs) + font_warnings(inputs.bodies, "bodies.csv")
    _warn_messages(notes[:50] + ([f"... and {len(notes) - 50} more"] if len(notes) > 50 else []))


@main.command()
@_region_options
@_handled
def validate(year, region, inputs_root, outputs_root):
    """Check a region's inputs; list every problem (file, row, column). Writes nothing."""
    from .core.inputs import load_region

    inputs = load_region(year, region, inputs_root)
    _warn(inputs)
    n_saq = inputs.saq["body_id"].nunique()
    out.print(Text(f"OK: {inputs.folder}: {len(inputs.bodies)} bodies, {n_saq} returned the SAQ, "
                   f"{len(inputs.saq)} answers; methodology {inputs.methodology.id}"), highlight=False, soft_wrap=True)


@main.command()
@_region_options
@_handled
def score(year, region, inputs_root, outputs_root):
    """Validate, score and rank a region; write ranking.csv, ranking.xlsx, indicators.csv."""
    from .runs.pipeline import run_score

    folder, result = run_score(year, region, inputs_root, outputs_root)
    ranking = result.ranking
    table = Table(title=Text(f"{region} {year}: top 3 per group"))
    for col in ("group", "rank", "name", "final", "band"):
        table.add_column(col)
    for _, grp in ranking.groupby("group_label", sort=False):
        for row in grp[grp["rank"].notna()].head(3).itertuples():
            table.add_row(*_cells(row.group_label, row.rank, row.name,
                                  f"{row.final:.{result.methodology.decimals}f}", row.band))
    out.print(table)
    out.print(Text(f"written: {folder}/ranking.csv, ranking.xlsx, indicators.csv"), highlight=False, soft_wrap=True)


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
    from .runs.publish import check_separate
    from .runs.report import REPORT_FILES, build_report

    report_date = _check_date(report_date)
    check_separate(inputs_root, outputs_root)
    build = build_report(year, region, inputs_root, outputs_root, lang=lang, report_date=report_date,
                         pdf_standard=pdf_standard, robustness=robustness)
    _warn_messages(build.renderer_messages)
    extra = ["robustness.csv", "sensitivity.csv"] if robustness or (build.folder / "robustness.csv").is_file() else []
    out.print(Text(f"written: {build.folder}/ " + ", ".join([*REPORT_FILES, *extra])), highlight=False, soft_wrap=True)
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
@_limit_options
@_handled
def compare(region, years_opt, more_years, focus, inputs_root, outputs_root, lang, report_date, pdf_standard):
    """Compare a region's rankings between years: comparison.pdf/.html/.ipynb, changes.csv.

    Rank and band changes, bodies that entered or left (matched by body_id and
    <inputs-root>/crosswalk.csv), and each body's change of final score broken down by stage and
    indicator, with the methodology changes. Runs notebooks/year_comparison.ipynb and publishes
    <outputs-root>/compare/<region>_<first>-<last>/ atomically.
    """
    from .runs.publish import check_separate
    from .runs.comparison import COMPARISON_FILES, build_comparison

    report_date = _check_date(report_date)
    check_separate(inputs_root, outputs_root)
    years = []
    for value in [*years_opt, *map(str, more_years)]:
        for part in str(value).replace(",", " ").split():
            if not part.isdigit():
                raise UsageError(f"--years: '{part}' is not a year")
            years.append(int(part))
    from .analysis.compare import crosswalk_warnings, load_comparison

    if (Path(inputs_root) / "crosswalk.csv").is_file():
        _warn_messages(crosswalk_warnings(load_comparison(region, years, inputs_root)))
    build = build_comparison(region, years, focus, inputs_root, outputs_root, lang=lang, report_date=report_date,
                             pdf_standard=pdf_standard)
    _warn_messages(build.renderer_messages)
    out.print(Text(f"written: {build.folder}/ " + ", ".join(COMPARISON_FILES)), highlight=False, soft_wrap=True)


@main.command()
@_handled
def methodologies():
    """List the built-in methodology presets."""
    from .core.methodology import list_presets

    table = Table(title="kiprank methodology presets")
    for col in ("id", "name", "years", "stages (weight)", "bands"):
        table.add_column(col)
    for m in list_presets():
        stages = ", ".join(f"{s.id} {s.weight:g}" for s in m.stages)
        bands = " / ".join(f"{b.min:g}" for b in m.bands)
        table.add_row(*_cells(m.id, m.name, m.years, stages, bands))
    out.print(table)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@_handled
def verify(folder):
    """Check a published folder: every file its manifest.json lists (content hash), files it does
    not list, and for a ranking, a re-run from the recorded inputs (for a site, a new build of it).
    Exit 3 when an input changed since publication, a file differs or is missing, a file is not
    listed, or the result differs."""
    from .runs.manifest import VerificationError, read_manifest
    from .runs.pipeline import verify_outputs
    from .runs.site import is_site, verify_site

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

    check = verify_outputs(folder)
    problems = []
    if check.differ:
        problems.append("differs from its manifest or a re-run from the same inputs: " + ", ".join(check.differ))
    if check.unlisted:
        problems.append("files not listed in its manifest (not part of this run): " + ", ".join(check.unlisted))
    if problems:
        raise VerificationError(f"{folder} (manifest {check.fingerprint}) " + "; ".join(problems)
                                + ("; see `kiprank diff`" if check.rerun else ""))
    if check.rerun:
        out.print(Text(f"OK: {folder} is reproduced exactly from its inputs and every file matches its "
                       f"manifest (manifest {check.fingerprint})"), highlight=False, soft_wrap=True)
    else:
        out.print(Text(f"OK: every file of {folder} ({check.kind}) matches its manifest"), highlight=False, soft_wrap=True)


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
    from .analysis.corrections import diff_rankings
    from .core.inputs import check_name
    from .runs.corrections import check_diff_output, write_diff

    target = output or Path("outputs") / "corrections" / check_name(Path(new).resolve().name, "folder name")
    check_diff_output(target, old, new)
    table = diff_rankings(old, new)
    _warn_messages(write_diff(table, old, new, target, pdf_standard=pdf_standard))
    if table.empty:
        out.print("No body changed score, band or rank.")
    else:
        view = Table(title=f"{len(table)} bodies changed")
        for col in ("group", "name", "final_old", "final_new", "band_old", "band_new", "rank_old", "rank_new"):
            view.add_column(col)
        for row in table.itertuples(index=False):
            view.add_row(*_cells(*[("" if pd_isna(v) else str(v)) for v in (
                row.group, row.name, row.final_old, row.final_new, row.band_old, row.band_new, row.rank_old, row.rank_new)]))
        out.print(view)
    out.print(Text(f"written: {target}/corrections.csv, corrections.html, corrections.pdf"), highlight=False, soft_wrap=True)


def _warn_messages(messages) -> None:
    """Warnings (input coverage, the PDF standard fallback ...), each ``warning: <text>`` on stderr,
    the text literal."""
    for message in messages or ():
        _say(err, "warning:", "yellow", str(message))


from .runs.batch import BuildCommand  # noqa: E402  (light: click and the standard library only)


class LettersCommand(BuildCommand):
    """``--bodies a b`` (several ids after one flag, as the README shows), repeated flags or commas."""

    greedy = ("--bodies",)


@main.command(cls=LettersCommand)
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

    from .runs.letters import build_letters

    ids = [part for value in bodies for part in value.replace(",", " ").split()]
    run = build_letters(year, region, inputs_root, outputs_root, bodies=ids or None, lang=lang,
                        certificates=certificates, pdf_standard=pdf_standard)
    _warn_messages(run.warnings)
    extra = f", {run.certificates} certificate(s)" if certificates else ""
    since = f", compared with {run.previous_year}" if run.previous_year else ""
    out.print(escape(f"written: {run.folder}/letters/ ({run.letters} letter(s){extra}{since}, "
                     f"PDF {run.pdf_standard}), listed in manifest.json"), highlight=False, soft_wrap=True)


def pd_isna(value) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))




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
@click.option("--site", "site_too", is_flag=True,
              help="Then write the static web site of everything under <outputs-root> (see kiprank site).")
@_limit_options
@_handled
def build(years, regions, inputs_root, outputs_root, lang, report_date, jobs, force, scheduler, cell_timeout,
          pdf_standard, letters, site_too):
    """Build the reports of every region of one or more years, in parallel and incrementally.

    A region whose inputs, methodology, notebook and kiprank version are unchanged since its last
    successful build is skipped (--force rebuilds). One failing region does not stop the others;
    the summary gives its reason and the exit code is 1. Writes <outputs-root>/index.html.
    """
    from .runs.batch import run_build
    from .runs.publish import check_separate

    report_date = _check_date(report_date)
    check_separate(inputs_root, outputs_root)
    code = run_build(years, regions, inputs_root, outputs_root, lang=lang, report_date=report_date, jobs=jobs,
                     force=force, scheduler=scheduler, cell_timeout=cell_timeout, console=out, err_console=err,
                     pdf_standard=pdf_standard, letters=letters, site=site_too)
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
        _warn_messages(["no answers in the sources: only the status was written"])
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
            table.add_row(*_cells(row.body_id, row.name, row.status, *([row.reason] if rejected_only else [])))
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

    from .runs.pipeline import run_robustness

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
        table.add_row(*_cells(row.group_label, row.rank, f"{row.rank_p05}-{row.rank_p95}", row.name, row.band,
                              f"{uncertain.get(row.body_id, 1.0):.3f}"))
    out.print(table)
    out.print(f"{len(res.uncertain)} bodies whose band is not certain; written: {escape(str(folder))}/robustness.csv, "
              "sensitivity.csv", highlight=False, soft_wrap=True)


@main.command()
@_region_options
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
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Language of evidence.html, evidence.pdf and the workbooks.")
@click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None,
              help="PDF standard of evidence.pdf [default: a-2b, or 1.7 with a warning when a character has no glyph].")
@_handled
def evidence(year, region, inputs_root, outputs_root, offline, timeout, concurrency, per_host, max_mb, archive,
             archive_max_mb, allow_private, lang, pdf_standard):
    """Check the evidence bodies cite (SAQ Bukti, verification notes, website check links, the
    bodies' websites) before verification: every link opened (unless --offline) and every file
    sent with the returns (inputs/<year>/<region>/evidence/) checked. Adds evidence.csv,
    evidence.html, evidence.pdf and a workbook per body (evidence/bodies/) to the published
    region folder; with --archive, the documents read (evidence/archive/).
    """
    from .core.wording import words
    from .intake.evidence import EvidenceOptions
    from .report.evidence import body_summary, status_order
    from .runs.evidence import run_evidence

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
        _say(err, "warning:", "yellow", warning)
    for note in run.check.notes:
        _say(err, "note:", "cyan", note)
    t = words("evidence", lang)
    table = run.check.table
    counts = table["status"].value_counts()
    summary = Table(title=f"{escape(region)} {year}: {len(table)} evidence items"
                          + (" (offline)" if offline else ""))
    for col in ("status", "code", "count"):
        summary.add_column(col)
    for code in status_order(counts.index):
        summary.add_row(*_cells(t["status"].get(code, code), code, int(counts[code])))
    out.print(summary)
    worst = body_summary(table)
    worst = worst[worst["problems"] > 0].head(10)
    if len(worst):
        bodies = Table(title="most problems first (top 10)")
        for col in ("body", "items", "problems", "most frequent"):
            bodies.add_column(col)
        for row in worst.itertuples(index=False):
            bodies.add_row(*_cells(row.name, row.items, row.problems, t["status"].get(row.worst, row.worst)))
        out.print(bodies)
    if run.created:
        out.print(Text(f"no ranking published yet: {run.folder} holds the evidence check only"), highlight=False)
    out.print(Text(f"written: {run.folder}/evidence.csv, evidence.html, evidence.pdf, "
                   f"{sum(1 for f in run.files if f.startswith('evidence/bodies/'))} workbooks in evidence/bodies/"
                   + (f", {sum(1 for f in run.files if f.startswith('evidence/archive/'))} documents in evidence/archive/"
                      if archive else "")), highlight=False, soft_wrap=True)


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
    from .runs.site import build_site

    result = build_site(outputs_root, out_dir, lang=lang)
    for warning in result.warnings:
        _say(err, "warning:", "yellow", warning)
    out.print(Text(f"written: {result.folder}/index.html ({result.pages} pages: {result.regions} rankings, "
                   f"{result.comparisons} comparisons; manifest {result.fingerprint})"), highlight=False, soft_wrap=True)


if __name__ == "__main__":
    main()
