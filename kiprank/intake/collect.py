"""``kiprank collect``: returned forms and web-form exports -> the region's input tables.

Every source is read by the reader of its kind (:mod:`~kiprank.intake.returns` for the
workbooks of ``kiprank forms``, :mod:`~kiprank.intake.exports` for KoboToolbox/ODK and Google
Forms exports) and checked; two returns of one kind for one body are refused, listing both,
unless ``latest`` keeps the newest. If anything is refused, nothing is written
(:class:`~kiprank.intake.sources.CollectError`, exit 2).

Otherwise ``saq.csv``, ``verification.csv``, ``website.csv`` and ``<stage>.csv`` (each only when
its kind was collected) and ``collect-status.csv`` are written into ``inputs/<year>/<region>/``:
each through a temporary file renamed into place, under the lock of :mod:`kiprank.core.publish` on
the folder (two collects at once wait for each other). A file that exists with other content is only replaced with
``replace``; the previous one is then kept beside it, in the subfolder ``collect/``, as
``collect/<name>.replaced-<UTC time>.csv``. ``collect/collect-status.csv`` is written there too.
Neither is an input table: ``load_region`` reads tables by name, and a subfolder is not part of
what ``kiprank build`` compares to decide whether a region is up to date.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..core.errors import OutputError, UsageError
from ..core.export import csv_bytes
from ..core.formulas import is_formula
from ..core.files import sha256_file
from ..core.locks import FolderLock
from ..core.inputs import load_setup
from ..core.wording import words
from .exports import read_export
from .objection_forms import KINDS as ROUND_KINDS
from .objection_returns import (is_round_kind, objection_export, read_objection_export, read_round_workbook,
                                round_tables_files)
from .returns import read_meta, read_returned_workbook
from .sources import CollectError, Read, Region, Return, SourceProblem
from .status import STATUS_FILE, is_status_header, merge_previous, read_previous, status_table
from .xlsxread import WORKBOOK_SUFFIXES, Book, NotAWorkbook

COLLECT_DIR = "collect"  # subfolder of the region's inputs: status and kept previous tables
LOCK_WAIT = 60.0  # seconds a collect waits for another one writing into the same folder


@dataclass
class CollectResult:
    """``status``: the status table as written (:mod:`kiprank.intake.status`: a row per body and
    per file); ``written``: files replaced or created; ``unchanged``: files that already held
    exactly this; ``kept``: previous files kept beside their replacement; ``warnings``: what the
    user should know (empty returns, files not used)."""

    folder: Path
    status: pd.DataFrame
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SourceFile:
    """One file of the sources: ``path``, ``label`` (how problems and the status name it) and, when
    it is not read, ``skipped`` (the key of the reason in the forms words)."""

    path: Path
    label: str
    skipped: str | None = None


def expand_sources(sources: list[Path | str]) -> list[SourceFile]:
    """Every file of the sources, with the label problems use: folders are walked (sorted). Files
    that are not read (hidden files, Excel's ``~$`` lock files, files that are neither a workbook
    nor a CSV export) are listed with the reason, so the status accounts for every file."""
    out = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                rel = path.relative_to(source)
                if not path.is_file() or any(part.startswith(".") for part in rel.parts[:-1]):
                    continue
                label = f"{source.name}/{rel.as_posix()}"
                if rel.name.startswith("~$"):
                    out.append(SourceFile(path, label, "file_reason_lock"))
                elif rel.name.startswith("."):
                    out.append(SourceFile(path, label, "file_reason_hidden"))
                elif path.suffix.lower() not in (*WORKBOOK_SUFFIXES, ".csv"):
                    out.append(SourceFile(path, label, "file_reason_suffix"))
                else:
                    out.append(SourceFile(path, label))
        elif source.is_file():
            out.append(SourceFile(source, str(source)))
        elif source.exists():
            raise UsageError(f"source {source} is neither a file nor a folder")
        else:
            raise UsageError(f"source {source} does not exist")
    if not any(f.skipped is None for f in out):
        raise UsageError("no workbook (.xlsx, .xlsm, .xls, .ods) or .csv file among the sources")
    return out


def read_source(path: Path, label: str, region: Region) -> Read:
    """Dispatch on the kind of source: a kiprank form, or an export (CSV or a workbook without
    kiprank's hidden sheet)."""
    if path.suffix.lower() == ".csv":
        return read_objection_export(path, label, region) if objection_export(path) else read_export(path, label, region)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return Read(problems=[SourceProblem(label, None, "is not a workbook (.xlsx, .xlsm, .xls, .ods) or a CSV export")])
    try:
        book = Book(path)
    except NotAWorkbook as exc:
        return Read(problems=[SourceProblem(label, None, str(exc))])
    try:
        meta = read_meta(book)
        if meta is None:
            return read_objection_export(path, label, region) if objection_export(path) else \
                read_export(path, label, region)
        if meta.get("kind") in ROUND_KINDS:  # the objection round's forms (kiprank.intake.objection_returns)
            return read_round_workbook(book, label, region, meta)
        return read_returned_workbook(book, label, region, meta)
    except NotAWorkbook as exc:
        return Read(problems=[SourceProblem(label, None, str(exc))])
    finally:
        book.close()


def _pick(returns: list[Return], latest: bool, problems: list[SourceProblem]) -> dict[tuple[str, str], Return]:
    """One return per (kind, body); duplicates refused (or the newest kept with ``latest``). The
    verification returns of several verifiers (each named on its form) are one return per verifier
    and body, merged into one per body whose rows name their verifier."""
    groups: dict[tuple[str, str, str], list[Return]] = {}
    for ret in returns:
        groups.setdefault((ret.kind, ret.body_id, ret.verifier), []).append(ret)
    chosen = {}
    for (kind, body, verifier), rets in groups.items():
        whose = f"body '{body}'" + (f" by verifier '{verifier}'" if verifier else "")
        if len(rets) == 1:
            chosen[(kind, rets[0].body_id, verifier)] = rets[0]
            continue
        listing = "; ".join(f"{r.source} ({r.timestamp.isoformat() if r.timestamp else 'no time'})" for r in rets)
        if not latest:
            problems.append(SourceProblem(rets[0].source, None, f"{len(rets)} returns of {kind} for {whose}: "
                                          f"{listing}; keep one, or use --latest to take the newest", body))
            continue
        if any(r.timestamp is None for r in rets):
            problems.append(SourceProblem(rets[0].source, None, f"{len(rets)} returns of {kind} for {whose} "
                                          f"and not all have a time, so --latest cannot choose: {listing}", body))
            continue
        ordered = sorted(rets, key=lambda r: r.timestamp)
        other = sorted(rets, key=lambda r: r.timestamp_alt or r.timestamp)
        if other[-1] is not ordered[-1]:
            problems.append(SourceProblem(rets[0].source, None, f"{len(rets)} returns of {kind} for {whose} "
                                          "whose dates can be read day/month or month/day (no day above 12 in the "
                                          f"export), and the newest differs between the two: {listing}; keep one",
                                          body))
            continue
        if ordered[-1].timestamp == ordered[-2].timestamp:
            problems.append(SourceProblem(rets[0].source, None, f"{len(rets)} returns of {kind} for {whose} "
                                          f"with the same newest time, --latest cannot choose: {listing}", body))
            continue
        chosen[(kind, ordered[-1].body_id, verifier)] = ordered[-1]
    return _merge_verifiers(chosen, problems)


def _merge_verifiers(chosen: dict[tuple[str, str, str], Return], problems: list[SourceProblem]) -> dict:
    """Per (kind, body) one return; the verification returns of a body's verifiers as one, each row
    naming its verifier. Verification forms with and without a verifier's name in one collect are
    refused: the verdicts without a name could not be told apart from each other."""
    named = [r for (kind, _, who), r in chosen.items() if kind == "verification" and who]
    unnamed = [r for (kind, _, who), r in chosen.items() if kind == "verification" and not who]
    if named and unnamed:
        for ret in unnamed:
            problems.append(SourceProblem(ret.source, None, "the verifier's name is empty while other verification "
                                          "forms name theirs: write the verifier's name on the cover sheet of every "
                                          "verification form", ret.body_id))
    out: dict[tuple[str, str], Return] = {}
    for (kind, body, who), ret in sorted(chosen.items(), key=lambda kv: kv[0]):
        if not named or kind != "verification":
            out[(kind, body)] = ret
            continue
        rows = [{**row, "verifier": who} for row in ret.rows]
        if (kind, body) not in out:
            out[(kind, body)] = Return(kind, body, ret.source, ret.timestamp, rows, ret.unanswered, parts=[ret])
        else:
            merged = out[(kind, body)]
            merged.rows += rows
            merged.source += f"; {ret.source}"
            merged.parts.append(ret)
            stamps = [t for t in (merged.timestamp, ret.timestamp) if t is not None]
            merged.timestamp = max(stamps) if stamps else None
    return out


def _tables(region: Region, chosen: dict[tuple[str, str], Return]) -> dict[str, bytes]:
    """The input tables to write (name -> CSV bytes), bodies in bodies.csv order."""
    m = region.methodology
    order = [str(b) for b in region.setup.bodies["body_id"]]
    kinds = {kind for kind, _ in chosen}
    out = {}
    free_text = {"evidence", "note"}

    def rows_of(kind):
        for body in order:
            ret = chosen.get((kind, body))
            if ret is not None:
                for row in ret.rows:
                    yield body, row

    if "saq" in kinds:
        rows = list(rows_of("saq"))
        extra = [c for c in ("evidence", "note") if any(r[c] for _, r in rows)]
        header = ["body_id", "question_id", "answer", *extra]
        out["saq.csv"] = csv_bytes(header, ([b, r["question_id"], r["answer"], *[r[c] for c in extra]] for b, r in rows),
                                   neutralise=free_text)
    if "verification" in kinds:
        rows = list(rows_of("verification"))
        extra = ["note"] if any(r["note"] for _, r in rows) else []
        who = ["verifier"] if any(r.get("verifier") for _, r in rows) else []
        header = ["body_id", "question_id", *who, "verdict", "granted", *extra]
        out["verification.csv"] = csv_bytes(
            header, ([b, r["question_id"], *[r[c] for c in who], r["verdict"], r["granted"], *[r[c] for c in extra]]
                     for b, r in rows), neutralise=free_text | set(who))
    if "adjudication" in kinds:
        rows = list(rows_of("adjudication"))
        extra = ["note"] if any(r["note"] for _, r in rows) else []
        out["adjudication.csv"] = csv_bytes(
            ["body_id", "question_id", "verdict", "granted", *extra],
            ([b, r["question_id"], r["verdict"], r["granted"], *[r[c] for c in extra]] for b, r in rows),
            neutralise=free_text)
    if "website" in kinds:
        out["website.csv"] = csv_bytes(["body_id", "item_id", "present"],
                                       ([b, r["item_id"], r["present"]] for b, r in rows_of("website")), neutralise=set())
    for stage in m.stages_of("score"):
        if stage.id in kinds:
            out[f"{stage.id}.csv"] = csv_bytes(["body_id", "score"], ([b, r["score"]] for b, r in rows_of(stage.id)),
                                               neutralise=set())
    return out


def _formula_ids(region: Region) -> list[SourceProblem]:
    """Body ids that a spreadsheet would run as a formula cannot be written into an input table
    both safely and unchanged: refused, to be renamed in bodies.csv."""
    return [SourceProblem(str(region.setup.folder / "bodies.csv"), None,
                          f"body_id '{b}' starts with '{b.strip()[:1]}', which a spreadsheet runs as a formula: "
                          "give the body another id", b)
            for b in sorted(region.body_ids) if is_formula(b)]


def collect(year: int | str, region: str, sources: list[Path | str], inputs_root: Path | str = "inputs",
            latest: bool = False, replace: bool = False, lang: str = "id",
            now: datetime | None = None, accept_late: bool = False) -> CollectResult:
    """Check every source and write the region's input tables (see the module docstring).

    ``now`` (UTC) names the kept copies of replaced files (default: the current time);
    ``accept_late``: objections received after the round's deadline are considered (they are
    recorded as late either way: :mod:`kiprank.intake.objection_returns`)."""
    setup = load_setup(year, region, inputs_root, with_saq=False)
    ctx = Region(int(year), region, setup, sha256_file(setup.methodology_path))
    files = expand_sources(sources)
    problems = _formula_ids(ctx)
    returns: list[Return] = []
    noted: list[str] = []  # what readers name without refusing (a form under another body's file name)
    accounted = []
    for source in files:
        if source.skipped:
            accounted.append((source.label, source.skipped, [], None))
            continue
        got = read_source(source.path, source.label, ctx)
        problems += got.problems
        noted += got.warnings
        returns += got.returns
        accounted.append((source.label, None, got.returns, "; ".join(p.message for p in got.problems) or None))
    chosen = _pick(returns, latest, problems)
    kinds = {r.kind for r in returns}
    status = status_table(ctx, chosen, problems, kinds, accounted, lang)
    if problems:
        raise CollectError(problems, status[status["record"] == "body"].reset_index(drop=True))
    tables = _tables(ctx, chosen)
    result = CollectResult(setup.folder, status, warnings=noted)
    if any(is_round_kind(kind) for kind, _ in chosen):
        round_files, late = round_tables_files(ctx, chosen, accept_late)
        tables.update(round_files)
        result.warnings += late
    w = words("forms", lang)
    for (kind, body), ret in sorted(chosen.items()):
        if not ret.rows and kind in ("saq", "verification"):
            what = "SAQ" if kind == "saq" else "verification form"
            result.warnings.append(f"{body} returned an empty {what} ({ret.source}): "
                                   + ("it is ranked as a body that did not return the SAQ (there is no answer "
                                      "to score)" if kind == "saq" else "it gives no verdict"))
    for label, skipped, _, _ in accounted:
        if skipped:
            result.warnings.append(f"{label}: {w['file_ignored']} ({w[skipped]})")

    def status_bytes(previous: bytes | None) -> bytes:
        merged = merge_previous(status, read_previous(previous), kinds, ctx)
        result.status = merged
        return csv_bytes(list(merged.columns), merged.astype(str).replace({"nan": ""}).itertuples(index=False))

    _write(setup.folder, tables, status_bytes, replace, now or datetime.now(timezone.utc), result)
    return result


# -- writing ---------------------------------------------------------------------------------

def _is_status_file(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return is_status_header(handle.readline().rstrip("\r\n"))
    except (OSError, UnicodeDecodeError):
        return False


def kept_name(path: Path, now: datetime) -> Path:
    """``saq.csv`` -> ``collect/saq.replaced-20221215T103000Z.csv`` (a counter added if that exists)."""
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = path.parent / COLLECT_DIR
    candidate = folder / f"{path.stem}.replaced-{stamp}{path.suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{path.stem}.replaced-{stamp}-{n}{path.suffix}"
        n += 1
    return candidate


def _changed_tables(folder: Path, tables: dict[str, bytes], replace: bool, result: CollectResult) -> dict[str, bytes]:
    """The tables whose bytes differ from the files there (the same ones noted as unchanged);
    :class:`CollectError` without ``replace`` when one of them, or a status file kiprank did not
    write, would be replaced."""
    todo, refused = {}, []
    for name, data in tables.items():
        path = folder / name
        if path.is_file() and path.read_bytes() == data:
            result.unchanged.append(name)
        elif path.exists() and not replace:
            refused.append(SourceProblem(str(path), None, "exists with other content: use --replace to replace "
                                         "it (the previous file is kept beside it)"))
        else:
            todo[name] = data
    status_path = folder / COLLECT_DIR / STATUS_FILE
    if status_path.exists() and not _is_status_file(status_path) and not replace:
        refused.append(SourceProblem(str(status_path), None, "exists and was not written by kiprank collect: "
                                     "use --replace to replace it (the previous file is kept beside it)"))
    if refused:
        raise CollectError(refused)
    return todo


def _write(folder: Path, tables: dict[str, bytes], status, replace: bool, now: datetime,
           result: CollectResult) -> None:
    """Write ``tables`` and the status (``status(previous status bytes or None)`` gives its bytes,
    called under the lock so that a later collect of another kind keeps this one's columns)."""
    with FolderLock(folder, LOCK_WAIT, f"{folder}: another kiprank collect is writing here; try again later"):
        for leftover in folder.glob(".*.collect-*.tmp"):  # of a collect killed while writing (we hold the lock)
            with contextlib.suppress(OSError):
                leftover.unlink()
        todo = _changed_tables(folder, tables, replace, result)
        status_path = folder / COLLECT_DIR / STATUS_FILE
        keep = set(todo)
        if status_path.exists() and not _is_status_file(status_path):
            keep.add(f"{COLLECT_DIR}/{STATUS_FILE}")
        todo[f"{COLLECT_DIR}/{STATUS_FILE}"] = status(status_path.read_bytes() if _is_status_file(status_path) else None)
        temps: dict[str, Path] = {}
        try:
            (folder / COLLECT_DIR).mkdir(exist_ok=True)
            for name, data in todo.items():  # every file complete on disk before any is renamed
                tmp = folder / f".{name.replace('/', '-')}.collect-{os.getpid()}.tmp"
                temps[name] = tmp
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            for name, tmp in temps.items():
                path = folder / name
                if path.exists() and name in keep:
                    copy = kept_name(folder / Path(name).name, now)
                    try:
                        os.link(path, copy)
                    except OSError:
                        shutil.copy2(path, copy)
                    result.kept.append(f"{COLLECT_DIR}/{copy.name}")
                os.replace(tmp, path)
                if name in tables:
                    result.written.append(name)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)):  # a failed write: 3
                raise OutputError(f"writing into {folder} failed: {exc.strerror or exc}; every input table is as it "
                                  "was") from exc
            raise UsageError(f"cannot write into {folder}: {exc.strerror or exc}") from exc
        finally:
            for tmp in temps.values():
                with contextlib.suppress(OSError):
                    tmp.unlink()
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
