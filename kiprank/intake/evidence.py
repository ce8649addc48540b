"""The evidence check (``kiprank evidence``): every link and file a body cites, checked before the
verifiers start, as one table.

What is read (all from ``inputs/<year>/<region>/``):

- ``saq``: the ``evidence`` column (also ``bukti``), one cell per answer, possibly several
  references (:func:`kiprank.intake.evidence_refs.split_cell`); an answer that earns something
  (``ya``, a graded option above nothing, a number above 0) with an empty cell is ``missing``;
- ``verification``: links written in the ``note`` (``catatan``) column;
- ``website``: the ``url`` column (also ``evidence``, ``bukti``), when there is one;
- ``bodies``: each body's ``website``;
- files named by a reference are looked for in ``evidence/`` of the region's inputs.

The expected type of a SAQ question's evidence is its ``evidence`` in the methodology (``pdf``, the
default, as the national e-Monev portal asks for, or ``any``); links of the website check and the
bodies' websites may be of any type.

:func:`check_evidence` returns an :class:`EvidenceCheck` whose ``table`` has one row per cited item
(:data:`COLUMNS`): ``body_id``, ``name``, ``group`` (label), ``question_id`` (the question, the
checklist item, or ``website`` for the body's own site), ``cited_in`` (saq, verification, website,
bodies), ``evidence`` (as cited; a password in a link is masked), ``kind`` (url, file, text, none),
``status`` (:data:`STATUSES`), ``detail`` (why, in English), ``http_status``, ``content_type``,
``size`` (bytes), ``sha256``, ``archived`` (``evidence/archive/<file>`` or ""), ``checked_at``
(UTC). Links are asked for only when ``offline`` is false, each distinct URL once.

``duplicate``: a document (same SHA-256) that checked ``ok`` and is cited by two bodies, or by one
body for questions of different indicators, is ``duplicate`` on every row citing it (the detail
names the others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..core.errors import InputProblem, InputValidationError
from ..core.files import MANIFEST, read_json_object, sha256_file
from ..core.formulas import unguard
from ..core.inputs import RegionSetup, load_setup
from ..core.missing import region_tables, stray_files
from ..core.snapshot import Snapshot
from ..core.tables import TableReader
from .evidence_fetch import Archive, FetchOptions, fetch_all
from .evidence_files import check_file, pdf_problem
from .evidence_refs import MAX_KEPT, Ref, classify, short, split_cell

#: Every status, in the order summaries list them (problems first, worst first).
STATUSES = ("missing", "unreachable", "not_found", "server_error", "timeout", "redirect_loop", "login_required",
            "too_large", "not_pdf", "broken_pdf", "password_protected", "file_missing", "unreadable",
            "duplicate", "private_address", "unsafe_url", "unsafe_path", "invalid_url", "unrecognised",
            "not_checked", "ok")
#: Statuses that are not a problem of the body's evidence.
FINE = ("ok", "not_checked")
COLUMNS = ["body_id", "name", "group", "question_id", "cited_in", "evidence", "kind", "status", "detail",
           "http_status", "content_type", "size", "sha256", "archived", "checked_at"]
SOURCES = ("saq", "verification", "website", "bodies")
FILES_FOLDER = "evidence"         # the evidence files sent with the returns, in the region's inputs
ARCHIVE = "evidence/archive"      # the content-addressed archive, in the published region folder
EVIDENCE_COLUMNS = {"saq": ("evidence", "bukti"), "verification": ("note", "catatan"),
                    "website": ("url", "evidence", "bukti", "link")}
_LINK_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


@dataclass
class EvidenceOptions(FetchOptions):
    """:class:`FetchOptions` plus ``offline`` (links only classified by form, nothing asked for),
    ``archive`` (keep each document read, content-addressed) and ``archive_cap`` (bytes, in all)."""

    offline: bool = False
    archive: bool = False
    archive_cap: int = 2 * 1024 ** 3

    def settings(self) -> dict:
        return {"offline": self.offline, "timeout": self.timeout, "concurrency": self.concurrency,
                "per_host": self.per_host, "max_mb": round(self.max_bytes / 1048576, 3),
                "max_redirects": self.max_redirects, "allow_private": self.allow_private,
                "archive": self.archive, "archive_cap_mb": round(self.archive_cap / 1048576, 3)}


@dataclass
class EvidenceCheck:
    """The table of a check (see the module docstring), the region it is of, the input files it was
    made from (relative to the region's inputs folder -> SHA-256) and when it ran. ``snapshot``: the
    snapshot the tables were read from (``setup.folder`` lies in it), if any."""

    table: pd.DataFrame
    setup: RegionSetup
    year: int
    region: str
    files: dict[str, str] = field(default_factory=dict)
    started: str = ""
    notes: list[str] = field(default_factory=list)
    snapshot: Snapshot | None = None

    @property
    def origin(self) -> Path:
        """The real region folder."""
        return self.snapshot.real(self.setup.folder) if self.snapshot else Path(self.setup.folder)

    @property
    def methodology_origin(self) -> Path:
        """The real methodology file."""
        return self.snapshot.real(self.setup.methodology_path) if self.snapshot else Path(self.setup.methodology_path)

    def counts(self) -> dict[str, int]:
        found = self.table["status"].value_counts()
        return {s: int(found[s]) for s in STATUSES if s in found.index}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional(reader, name: str, folder: Path, problems: list) -> pd.DataFrame | None:
    """A table that may be absent (verification and website before they are done)."""
    if not (folder / f"{name}.csv").exists() and not (folder / "inputs.xlsx").is_file():
        return None
    found: list[InputProblem] = []
    table = reader.read(name, found)
    for p in found:
        if "is missing" not in p.message:
            problems.append(p)
    return table


def _column(table: pd.DataFrame | None, names: tuple[str, ...]) -> str | None:
    if table is None:
        return None
    return next((c for c in names if c in table.columns), None)


def cited(setup: RegionSetup, folder: Path, reader) -> tuple[pd.DataFrame, list[str]]:
    """One row per cited reference and per claimed answer without evidence: body_id, question_id,
    cited_in, text (one reference, "" for a missing one), expected (pdf/any), and sort keys; plus
    notes on what was not there to read."""
    m = setup.methodology
    problems: list[InputProblem] = []
    notes: list[str] = []
    questions = {q.id: q for q in m.questionnaire.questions} if m.questionnaire else {}
    q_order = {q: i for i, q in enumerate(questions)}
    body_order = {str(b): i for i, b in enumerate(setup.bodies["body_id"])}
    rows: list[dict] = []

    unknown: dict[str, int] = {}

    def add(body, qid, source, text, expected, n):
        if str(body) not in body_order:  # a row of a table not yet validated (verification, website)
            unknown[source] = unknown.get(source, 0) + 1
            return
        rows.append({"body_id": str(body), "question_id": str(qid), "cited_in": source, "text": text,
                     "expected": expected, "_body": body_order.get(str(body), len(body_order)),
                     "_source": SOURCES.index(source), "_q": q_order.get(str(qid), len(q_order)), "_n": n})

    if setup.saq is not None:
        _cite_saq(setup, reader, questions, problems, notes, add)
    else:
        notes.append("no SAQ answers yet (saq.csv): only the websites were checked")
    verification = _optional(reader, "verification", setup.folder, problems)
    col = _column(verification, EVIDENCE_COLUMNS["verification"])
    if col is not None:
        for body, qid, note in verification[["body_id", "question_id", col]].astype(str).itertuples(index=False):
            for n, text in enumerate(_LINK_IN_TEXT.findall(note)):
                q = questions.get(qid)
                add(body, qid, "verification", text.rstrip(".,;:)"), getattr(q, "evidence", "pdf") or "pdf", n)
    website = _optional(reader, "website", setup.folder, problems)
    col = _column(website, EVIDENCE_COLUMNS["website"])
    if col is not None:
        items = {i.id: k for s in m.stages_of("checklist") for k, i in enumerate(s.items)}
        for body, item, cell in website[["body_id", "item_id", col]].astype(str).itertuples(index=False):
            for n, text in enumerate(split_cell(cell)):
                add(body, item, "website", text, "any", items.get(item, 0) * 1000 + n)
    for body, site in setup.bodies[["body_id", "website"]].astype(str).itertuples(index=False):
        for n, text in enumerate(split_cell(site)):
            add(body, "website", "bodies", text, "any", n)
    if problems:
        raise InputValidationError(problems)
    for source, n in unknown.items():
        notes.append(f"{n} reference(s) in {source} of bodies not in bodies.csv: not checked")
    table = pd.DataFrame(rows, columns=["body_id", "question_id", "cited_in", "text", "expected",
                                        "_body", "_source", "_q", "_n"])
    table = table.sort_values(["_body", "_source", "_q", "_n"], kind="stable").reset_index(drop=True)
    return table, notes


def _cite_saq(setup: RegionSetup, reader, questions: dict, problems: list[InputProblem], notes: list[str], add) -> None:
    """The references of the SAQ's evidence column (``add``-ed one by one), and each answer that
    earns something with none."""
    raw = reader.read("saq", problems)
    col = _column(raw, EVIDENCE_COLUMNS["saq"])
    if raw is not None and col is None:
        notes.append("saq has no evidence (Bukti) column: every answer that earns something is listed as missing")
    cells = {} if col is None else {(str(b), str(q)): str(e) for b, q, e in
                                    raw[["body_id", "question_id", col]].astype(str).itertuples(index=False)}
    for body, qid, earned in setup.saq[["body_id", "question_id", "earned"]].itertuples(index=False):
        q = questions.get(str(qid))
        expected = getattr(q, "evidence", "pdf") or "pdf"
        refs = split_cell(cells.get((str(body), str(qid)), ""))
        for n, text in enumerate(refs):
            add(body, qid, "saq", text, expected, n)
        if not refs and float(earned) > 0:
            add(body, qid, "saq", "", expected, 0)


def _indicator_of(setup: RegionSetup) -> dict[str, str]:
    m = setup.methodology
    return {q.id: q.indicator for q in m.questionnaire.questions} if m.questionnaire else {}


def mark_duplicates(table: pd.DataFrame, indicator: dict[str, str]) -> pd.DataFrame:
    """Rows whose ``ok`` document is also cited by another body, or by the same body for a question
    of another indicator, become ``duplicate`` (see the module docstring)."""
    docs = table[(table["status"] == "ok") & (table["sha256"] != "") & table["cited_in"].isin(["saq", "verification"])]
    for digest, rows in docs.groupby("sha256", sort=False):
        bodies = set(rows["body_id"])
        groups = {indicator.get(q, q) for q in rows["question_id"]}
        if len(bodies) < 2 and len(groups) < 2:
            continue
        for i in rows.index:
            others = [f"{b} {q}" for j, b, q in zip(rows.index, rows["body_id"], rows["question_id"]) if j != i]
            why = "the same document is cited by another body" if len(bodies) > 1 else \
                "the same document is cited for questions of different indicators"
            table.at[i, "status"] = "duplicate"
            table.at[i, "detail"] = f"{why}: {', '.join(dict.fromkeys(others[:5]))}" + (" ..." if len(others) > 5 else "")
    return table


def check_evidence(year: int | str, region: str, inputs_root: Path | str = "inputs",
                   options: EvidenceOptions | None = None, archive_folder: Path | None = None,
                   on_progress=None, snapshot: Snapshot | None = None) -> EvidenceCheck:
    """Check every cited link and file of a region (see the module docstring). With
    ``options.archive``, each document read is kept in ``archive_folder`` by its SHA-256.

    With ``snapshot`` (:mod:`kiprank.core.snapshot`), the tables, ``region.yml`` and the methodology
    are read from it, so that a ``kiprank collect`` meanwhile cannot mix two versions of them; the
    evidence files (``evidence/`` of the region's inputs, possibly many large documents) are read
    where they are, each hashed as it is checked."""
    o = options or EvidenceOptions()
    started = _now()
    setup = load_setup(year, region, snapshot.root if snapshot else inputs_root)
    reader = TableReader(setup.folder)
    items, notes = cited(setup, setup.folder, reader)
    archive = Archive(archive_folder, o.archive_cap) if (o.archive and archive_folder is not None) else None
    files_folder = (snapshot.real(setup.folder) if snapshot else setup.folder) / FILES_FOLDER
    refs = [classify(t, o.allow_private) if t else Ref("", "none", "", "missing", "an answer that earns points "
                                                                                   "with no evidence") for t in items["text"]]
    jobs: dict[str, str] = {}
    for ref, expected in zip(refs, items["expected"]):
        if ref.kind == "url" and ref.target and not ref.status and not o.offline:
            jobs[ref.target] = "pdf" if expected == "pdf" or jobs.get(ref.target) == "pdf" else "any"
    fetched = fetch_all(jobs, o, archive, on_progress)
    out, used_files = _results(items, refs, fetched, setup, files_folder, o, archive, started)
    table = pd.DataFrame(out, columns=COLUMNS)
    if archive is not None:
        _check_archived_pdfs(table, archive)
    table = mark_duplicates(table, _indicator_of(setup))
    table["http_status"] = table["http_status"].astype("Int64")
    table["size"] = table["size"].astype("Int64")
    if archive is not None and archive.refused:
        notes.append(f"{archive.refused} document(s) were not archived: the archive reached its cap "
                     f"({o.archive_cap / 1048576:.0f} MB)")
    reader.read("bodies", [])  # its websites were read: recorded with the other input files
    notes += stray_files(setup.folder, reader.used.values(), setup.config.logo, setup.methodology_path,
                         region_tables(setup.methodology, setup.config))  # its other tables: not for this check
    paths = {Path(p) for p in reader.used.values()} | {setup.folder / "region.yml"}
    files = {_rel(path, setup.folder): sha256_file(path) for path in paths if path.is_file()}
    files.update(used_files)
    return EvidenceCheck(table, setup, int(year), region, dict(sorted(files.items())), started, notes, snapshot)


def _results(items: pd.DataFrame, refs: list[Ref], fetched: dict, setup: RegionSetup, files_folder: Path,
             o: EvidenceOptions, archive: Archive | None, started: str) -> tuple[list[dict], dict[str, str]]:
    """One row of :data:`COLUMNS` per cited reference (a link as fetched, a file as checked, each
    file once per expected type), and the evidence files read (``evidence/<name>`` -> SHA-256)."""
    file_results: dict[tuple[str, str], dict] = {}
    used_files: dict[str, str] = {}
    names = dict(zip(setup.bodies["body_id"].astype(str), setup.bodies["name"].astype(str)))
    groups = dict(zip(setup.bodies["body_id"].astype(str), setup.bodies["group"].astype(str)))
    labels = setup.config.groups
    out = []
    for (_, item), ref in zip(items.iterrows(), refs):
        row = {"body_id": item["body_id"], "name": names.get(item["body_id"], ""),
               "group": labels.get(groups.get(item["body_id"], ""), groups.get(item["body_id"], "")),
               "question_id": item["question_id"], "cited_in": item["cited_in"], "evidence": short(ref.shown, MAX_KEPT),
               "kind": ref.kind, "status": ref.status, "detail": ref.detail, "http_status": None, "content_type": "",
               "size": None, "sha256": "", "archived": "", "checked_at": ""}
        if not ref.status and ref.kind == "url":
            if o.offline:
                row.update(status="not_checked", detail=("; ".join(x for x in (ref.detail, "offline: the link was not asked for") if x)))
            else:
                got = fetched[ref.target]
                if got.status == "not_pdf" and item["expected"] != "pdf":  # also cited where any type will do
                    got = replace(got, status="ok", detail="")
                row.update(status=got.status, detail="; ".join(x for x in (got.detail, ref.detail if got.status != "ok" else "") if x),
                           http_status=got.http_status, content_type=got.content_type, size=got.size,
                           sha256=got.sha256, archived=f"{ARCHIVE}/{got.kept}" if got.kept else "",
                           checked_at=got.checked_at)
        elif not ref.status and ref.kind == "file":
            key = (ref.target, item["expected"])
            if key not in file_results:
                file_results[key] = check_file(files_folder, ref.target, item["expected"], o.max_bytes, archive)
                file_results[key]["checked_at"] = _now()
            got = file_results[key]
            row.update(status=got["status"], detail=got["detail"], content_type=got["content_type"], size=got["size"],
                       sha256=got["sha256"], archived=f"{ARCHIVE}/{got['kept']}" if got["kept"] else "",
                       checked_at=got["checked_at"])
            path = files_folder / ref.target
            if got["sha256"] and path.is_file():
                used_files[f"{FILES_FOLDER}/{ref.target}"] = got["sha256"]
        if not row["checked_at"]:
            row["checked_at"] = started
        out.append(row)
    return out, used_files


def _rel(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _check_archived_pdfs(table: pd.DataFrame, archive: Archive) -> None:
    """A web document kept in the archive as a PDF is opened like a local file (password, damage)."""
    verdicts: dict[str, tuple[str, str] | None] = {}
    for i, (status, kind, archived) in enumerate(zip(table["status"], table["kind"], table["archived"])):
        if status != "ok" or kind != "url" or not archived.endswith(".pdf"):
            continue
        name = archived.rsplit("/", 1)[1]
        if name not in verdicts:
            verdicts[name] = pdf_problem(archive.folder / name)
        if verdicts[name]:
            table.iat[i, table.columns.get_loc("status")] = verdicts[name][0]
            table.iat[i, table.columns.get_loc("detail")] = verdicts[name][1]


def read_published(folder: Path | str) -> pd.DataFrame | None:
    """``evidence.csv`` of a published region folder, when its manifest lists it (else None): the
    table of the last ``kiprank evidence`` run there, all text."""
    folder = Path(folder)
    manifest = read_json_object(folder / MANIFEST) or {}
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or "evidence.csv" not in outputs or not (folder / "evidence.csv").is_file():
        return None
    table = pd.read_csv(folder / "evidence.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    for col in ("body_id", "question_id", "evidence", "detail", "name", "group"):
        if col in table.columns:  # written with formulas neutralised: shown as the body wrote it
            table[col] = table[col].map(unguard)
    return table


def check_archive(folder: Path | str) -> list[str]:
    """What does not agree between ``evidence.csv`` and ``evidence/archive/`` of a published folder:
    a row naming an archived file that is missing, a file whose SHA-256 is not its name, a file no row
    names. Empty when they agree (or there is no archive)."""
    folder = Path(folder)
    table = read_published(folder)
    archive = folder / ARCHIVE
    if table is None:
        return []
    named = {a for a in table.get("archived", pd.Series(dtype=str)) if a}
    problems = []
    rows = table[table["archived"] != ""] if "archived" in table.columns else table.iloc[0:0]
    for archived, digest in zip(rows["archived"], rows["sha256"]):
        path = folder / archived
        if not path.is_file():
            problems.append(f"{archived} (named in evidence.csv, missing)")
        elif not Path(archived).name.startswith(digest):
            problems.append(f"{archived} (evidence.csv gives it SHA-256 {digest})")
    if archive.is_dir():
        for path in sorted(archive.iterdir()):
            rel = f"{ARCHIVE}/{path.name}"
            if not path.is_file():
                problems.append(f"{rel} (not a file)")
                continue
            if sha256_file(path) != path.name.split(".", 1)[0]:
                problems.append(f"{rel} (its content does not have the SHA-256 of its name)")
            if rel not in named:
                problems.append(f"{rel} (archived, but no row of evidence.csv names it)")
    return sorted(dict.fromkeys(problems))


__all__ = ["check_evidence", "EvidenceCheck", "EvidenceOptions", "STATUSES", "FINE", "COLUMNS", "read_published",
           "check_archive", "mark_duplicates", "cited", "ARCHIVE", "FILES_FOLDER"]
