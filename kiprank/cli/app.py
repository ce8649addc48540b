"""What every command of the ``kiprank`` command line shares: the consoles (user text printed
literally), the one error handler (a :class:`~kiprank.core.errors.KiprankError` becomes a message
on stderr and its exit code; anything else a short message and a log file, never a traceback), the
command group ``main`` and the options several commands take. The commands are in
:mod:`kiprank.cli.ranking`, :mod:`kiprank.cli.documents` and :mod:`kiprank.cli.intake`."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from ..core.version import __version__
from ..core.errors import KiprankError, UsageError

err = Console(stderr=True)
out = Console()

EXIT_UNEXPECTED = 1


# Characters that would change how the rest of a console line reads (bidirectional overrides such
# as U+202E, isolates, marks) or move the cursor (control characters): shown as \\uXXXX.
_INVISIBLE = {c: f"\\u{c:04x}" for c in [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, 0x061C, 0x200E, 0x200F,
                                          *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}



def plain(text) -> str:
    """User text as it may go to a terminal: literal, with direction overrides and control
    characters made visible (a body named ``abc\u202edef`` cannot reverse the rest of a message)."""
    return str(text).translate(_INVISIBLE)

def say(console: Console, label: str, style: str, text: str) -> None:
    """Print ``label text`` with ``text`` literal: user text (names, paths, messages holding them)
    is never read as rich markup."""
    console.print(Text.assemble((label, style), " ", plain(text)), highlight=False, soft_wrap=True)

def cells(*values) -> list[Text]:
    """Table cells shown literally (a body named ``[red]x[/red]`` is printed as written)."""
    return [v if isinstance(v, Text) else Text("" if v is None else plain(v)) for v in values]

def command_name() -> str:
    ctx = click.get_current_context(silent=True)
    return f"kiprank {ctx.info_name}" if ctx is not None and ctx.parent is not None else "kiprank"

def fail(exc: BaseException) -> int:
    """The exit code for an exception escaping a command, after a short message (never a traceback)."""
    import errno

    if isinstance(exc, KiprankError):
        say(err, "error:", "bold red", exc)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        say(err, "interrupted:", "bold red", "stopped by the user; the previous outputs are unchanged")
        return 130
    if isinstance(exc, OSError) and exc.errno is not None:
        where = exc.filename or "a file"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.ENOENT, errno.EEXIST):
            say(err, "error:", "bold red", f"{where}: {exc.strerror} (check the paths given)")
            return 2
        say(err, "error:", "bold red", f"{where}: {exc.strerror}; the previous outputs are unchanged")
        return 3
    if isinstance(exc, MemoryError):
        say(err, "error:", "bold red", "out of memory; the inputs may be larger than this machine can score "
             "(see the size limits in the README); the previous outputs are unchanged")
        return 3
    log = write_log(exc)
    where = f"details in {log}" if log else "no log could be written"
    say(err, "error:", "bold red",
         f"{command_name()} failed unexpectedly (kiprank {__version__}): {type(exc).__name__}: "
         f"{first_line(exc)}; {where}. Please report it with that file.")
    return EXIT_UNEXPECTED

def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return line[:200] + ("..." if len(line) > 200 else "")

def log_dir() -> Path:
    """Where the traceback of an unexpected failure is written: ``KIPRANK_LOG_DIR``, else
    ``<temporary folder>/kiprank-logs``."""
    import os
    import tempfile

    return Path(os.environ.get("KIPRANK_LOG_DIR") or Path(tempfile.gettempdir()) / "kiprank-logs")

def write_log(exc: BaseException) -> Path | None:
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

def handled(func):
    """Turn a failure of a command into a message and an exit code (see :func:`fail`)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 (the last resort)
            sys.exit(fail(exc))
    return wrapper

class KiprankGroup(click.Group):
    """The command group: whatever escapes a command (even one without ``handled``) ends as a
    short message and an exit code, never a traceback."""

    def invoke(self, ctx):
        tolerant_streams()
        try:
            check_environment()
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            sys.exit(fail(exc))

def tolerant_streams() -> None:
    """A console that cannot show a character (a Windows cp1252 console and an emoji in a body's
    name) gets it as ``\\U0001f600`` instead of failing the command after its work is done."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text stream that can be reconfigured
            pass

def check_environment() -> None:
    """Settings read from the environment are checked before a command starts (exit 2)."""
    from ..core.formatting import source_date_epoch
    from ..core.limits import DEFAULT_LIMITS, limit

    source_date_epoch()
    for name in DEFAULT_LIMITS:
        limit(name)

def set_limit(ctx, param, value):
    import os

    if value is not None:
        os.environ[f"KIPRANK_{param.name.upper()}"] = str(value)  # read by kiprank.core.tables, here and in kernels
    return value

def limit_options(func, names=None):
    """Options raising size limits (README: "Limits"; the table is :data:`kiprank.core.limits.LIMITS`):
    those of the inputs by default."""
    from ..core.limits import INPUT_LIMITS, LIMITS

    for name in reversed(names or INPUT_LIMITS):
        default = LIMITS[name].default
        shown = default if isinstance(default, int) else f"{default:g}"
        func = click.option(f"--{name.replace('_', '-')}", name, type=click.FloatRange(min=1) if name.endswith("mb")
                            else click.IntRange(min=1), default=None, expose_value=False, is_eager=True,
                            callback=set_limit, help=f"{LIMITS[name].help} [default: {shown}].")(func)
    return func

def form_limit_options(func):
    """Options raising the limits on returned forms and exports (``kiprank collect``)."""
    from ..core.limits import FORM_LIMITS

    return limit_options(func, FORM_LIMITS)

def check_date(value):
    """``--date``: a real calendar date (exit 2 otherwise, before anything starts)."""
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise UsageError(f"--date '{value}' is not a date like 2022-12-31") from None

def lang_option(what: str, help_text: str | None = None):
    """``--lang id|en`` (Indonesian by default) for ``what`` (e.g. "the report")."""
    return click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
                        help=help_text or f"Language of {what}: id (Bahasa Indonesia) or en (English).")

def date_option(what: str, default: str = "SOURCE_DATE_EPOCH if set, else today"):
    """``--date YYYY-MM-DD``: the date printed on ``what``."""
    return click.option("--date", "report_date", default=None, metavar="YYYY-MM-DD",
                        help=f"Date printed on {what} [default: {default}].")

def pdf_standard_option(help_text: str = "PDF/A-2b (archivable) or plain PDF 1.7 [default: a-2b, or 1.7 with a "
                                          "warning when the bundled fonts cannot draw a character of the text]."):
    """``--pdf-standard a-2b|1.7``."""
    return click.option("--pdf-standard", type=click.Choice(["a-2b", "1.7"]), default=None, help=help_text)

def root_option(name: str, default: str, help_text: str):
    """``--inputs-root`` / ``--outputs-root``: a folder, ``default`` when not given."""
    return click.option(name, type=click.Path(path_type=Path), default=Path(default), show_default=True, help=help_text)

def region_options(func):
    func = root_option("--outputs-root", "outputs", "Folder where outputs/<year>/<region>/ is written.")(func)
    func = root_option("--inputs-root", "inputs", "Folder holding <year>/<region>/ input folders.")(func)
    func = click.option("--region", required=True, help="Region folder name, e.g. klaten.")(func)
    func = click.option("--year", required=True, type=int, help="Year of the ranking, e.g. 2022.")(func)
    return limit_options(func)

@click.group(cls=KiprankGroup)
@click.version_option(__version__, prog_name="kiprank")
def main():
    """kiprank: openness (KIP) rankings of public bodies, from inputs to a published report."""

def warn_coverage(inputs, result) -> None:
    from ..core.glyphs import font_warnings
    from ..core.missing import coverage_warnings

    notes = coverage_warnings(inputs, result) + font_warnings(inputs.bodies, "bodies.csv")
    warn_messages(notes[:50] + ([f"... and {len(notes) - 50} more"] if len(notes) > 50 else []))

def warn_recorded(folder: Path) -> None:
    """The warnings a published run recorded about its inputs (values scored by a missing: rule,
    rows and files not read)."""
    from ..core.files import MANIFEST, read_json_object

    notes = (read_json_object(Path(folder) / MANIFEST) or {}).get("warnings") or []
    warn_messages(notes[:50] + ([f"... and {len(notes) - 50} more (see {folder}/{MANIFEST})"] if len(notes) > 50
                                 else []))

def warn_messages(messages) -> None:
    """Warnings (input coverage, the PDF standard fallback ...), each ``warning: <text>`` on stderr,
    the text literal."""
    for message in messages or ():
        say(err, "warning:", "yellow", str(message))

def pd_isna(value) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
