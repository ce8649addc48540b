"""Reading web-form exports: one row per submission.

- KoboToolbox / ODK (CSV or XLSX): one column per question, named by the question code of the
  XLSForm, possibly prefixed by a group path (``pengumuman/A01``, ``pengumuman-A01``); the body in
  column ``body_id``; metadata columns (``_id``, ``_submission_time``, ``meta/instanceID``,
  ``SubmissionDate``, ``KEY`` ...) are known and ignored; the hidden ``kiprank_form`` field, when
  present, must name this year, region and methodology.
- Google Forms (CSV): a timestamp column first (``Timestamp``, ``Stempel waktu``, ``Cap waktu``),
  one column per question whose header is the question code, starts with it (``A01. ...``) or is
  the question text, and the body chosen by name in a column ``Badan publik`` / ``Public body``.

An export with a verifier column (``verifier`` / ``Verifikator``) holds verdicts, not answers: one
row per verifier and body, each question column a verdict (sesuai, sebagian, tidak sesuai) and,
for ``sebagian``, the accepted answer in a column ``<code> diterima`` (or ``<code>_granted``);
read as verification returns naming their verifier.

Any other column is refused (``export.csv, row 1, column 'X': unknown column``), so that a
misnamed question is never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..core.files import NotUtf8Error, utf8_text
from ..core.formulas import is_formula
from ..core.verifiers import MAX_NAME
from ..core.wording import LANGUAGES, words
from . import layout as L
from .sources import Read, Region, Return, SourceProblem
from .xlsform import BODY_FIELD, STAMP_FIELD
from .xlsxread import WORKBOOK_SUFFIXES, Book, Formula, check_size

KOBO_META = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "audit",
    "instanceid", "instancename", "deprecatedid", "rootuuid", "uuid", "submissiondate", "key", "submitterid",
    "submittername", "attachmentspresent", "attachmentsexpected", "status", "reviewstate", "deviceid",
    "edits", "formversion", "parent_key",
}
KOBO_GROUPS = {"meta", "formhub", "__system"}
TIME_COLUMNS = ("_submission_time", "submissiondate", "end", "start", "timestamp")
GFORMS_TIME = {"timestamp", "stempel waktu", "cap waktu", "waktu", "tanda waktu"}
GFORMS_META = {"email address", "alamat email", "email", "score", "skor", "nilai"}
SEPARATORS = "/-.:"
VERIFIER_HEADERS = {"verifier", "verifikator"}
_GRANTED = re.compile(r"^(.*?)[\s_/.:-]*(diterima|granted|accepted)$", re.IGNORECASE)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows (as text) of a CSV (UTF-8, ``,`` ``;`` or tab) or the first sheet of a workbook."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        book = Book(path)
        rows = book.rows(book.names[0]) if book.names else []
        book.close()
        for r, line in enumerate(rows, start=1):
            for c, value in enumerate(line, start=1):
                if isinstance(value, Formula):
                    raise ValueError(f"row {r}, column {L.column_letter(c)}: a formula ({value.text[:40]}) without a "
                                     "saved value: open the export in Excel or LibreOffice and save it again")
        text_rows = [[_cell_text(v) for v in r] for r in rows]
    else:
        check_size(path, ValueError)
        raw = path.read_bytes()
        try:
            text = utf8_text(raw)
        except NotUtf8Error as exc:
            raise ValueError(f"row {exc.line}: {exc}; export as CSV UTF-8") from exc
        first = text.split("\n", 1)[0]
        sep = max([",", ";", "\t"], key=first.count)
        text_rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    while text_rows and not any(c.strip() for c in text_rows[-1]):
        text_rows.pop()
    if not text_rows:
        raise ValueError("is empty (expected a header row and one row per submission)")
    return [c.strip() for c in text_rows[0]], text_rows[1:]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return L.format_number(value)
    return str(value)


def is_google_forms(header: list[str]) -> bool:
    return bool(header) and _norm(header[0]) in GFORMS_TIME


_SLASHED = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}")


def day_first(texts: list[str]) -> bool | None:
    """Whether ``a/b/yyyy`` dates of one export are day/month (Indonesian locale) or month/day (US):
    decided by a day above 12 anywhere in the column, else by the time written the Indonesian way
    (``10.03.05``: day first) or with AM/PM (US: month first); None when nothing tells."""
    for text in texts:
        match = _SLASHED.match(text)
        if match and int(match.group(2)) > 12:
            return False
        if match and int(match.group(1)) > 12:
            return True
    for text in texts:
        if _SLASHED.match(text) and re.search(r"\s\d{1,2}\.\d{2}(\.\d{2})?\b", text):
            return True
        if _SLASHED.match(text) and re.search(r"\b(AM|PM|am|pm)\b", text):
            return False
    return None


def ambiguous_date(text: str) -> bool:
    """``a/b/yyyy`` with both a and b at most 12 and different: 3/4/2022 is 3 April or March 4."""
    match = _SLASHED.match(text)
    return bool(match) and int(match.group(1)) <= 12 and int(match.group(2)) <= 12 and \
        int(match.group(1)) != int(match.group(2))


def parse_time(text: str, dayfirst: bool = True) -> datetime | None:
    """A submission time: ISO (``2022-08-01T10:03:05.123+07:00``), ``2022/08/01 10:03:05 AM GMT+7``
    or ``01/08/2022 10:03:05`` (day first, as the Indonesian locale writes it, unless ``dayfirst``
    is False: ``8/1/2022``, as a US locale writes 1 August)."""
    text = text.strip()
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*"
                         r"(AM|PM|am|pm)?\s*(?:GMT|UTC)?([+-]\d{1,2}(?::?\d{2})?)?", text)
    if not match:
        return None
    a, b, c, hh, mm, ss, ampm, tz = match.groups()
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    else:
        day, month, year = (int(a), int(b), int(c)) if dayfirst else (int(b), int(a), int(c))
    hour = int(hh) % 12 + (12 if ampm and ampm.lower() == "pm" else 0) if ampm else int(hh)
    offset = timezone.utc
    if tz:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, int(mm), int(ss or 0), tzinfo=offset)
    except ValueError:
        return None


class _Questions:
    """Maps export headers to question ids and answer texts to canonical answers."""

    def __init__(self, region: Region):
        m = region.methodology
        self.questions = {q.id: q for q in m.questionnaire.questions}
        names = L.xml_names(list(self.questions))
        self.by_name = {**{q: q for q in self.questions}, **{n: q for q, n in names.items()}}
        self.by_text = {_norm(q.text): q.id for q in m.questionnaire.questions if q.text}
        self.option_names = {q.id: {L.option_choice(str(o), i).lower(): str(o) for i, o in enumerate(q.options)}
                             for q in m.questionnaire.questions if q.type == "graded"}

    def by_header(self, header: str) -> str | None:
        if header in self.by_name:
            return self.by_name[header]
        best = None
        for name, qid in self.by_name.items():  # a group path before the code
            if len(header) > len(name) and header.endswith(name) and header[-len(name) - 1] in SEPARATORS:
                if best is None or len(name) > len(best[0]):
                    best = (name, qid)
        if best:
            return best[1]
        for name, qid in self.by_name.items():  # "A01. question text" (a label, Google Forms)
            if re.match(re.escape(name) + r"(?:[.):]|\s+-|\s)", header + " ") and len(header) > len(name):
                if best is None or len(name) > len(best[0]):
                    best = (name, qid)
        if best:
            return best[1]
        return self.by_text.get(_norm(header))

    def answer(self, qid: str, text: str) -> L.Checked:
        q = self.questions[qid]
        if q.type == "graded":
            text = self.option_names[qid].get(text.strip().lower(), text)
        return L.check_answer(q, text)


def _bodies_by(region: Region) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Lookups for a body written as its id, XLSForm choice name or name (case-insensitive)."""
    by_id = {}
    for body in region.body_ids:
        by_id[body.lower()] = body
        by_id[L.body_choice(body).lower()] = body
    by_name: dict[str, list[str]] = {}
    for body, name in region.names.items():
        by_name.setdefault(_norm(name), []).append(body)
    return by_id, by_name


@dataclass
class _Columns:
    """What an export's header says: the column of each question, of the body, of the submission
    time and of the form's stamp (column indexes)."""

    questions: dict[int, str] = field(default_factory=dict)
    body: int | None = None
    time: int | None = None
    stamp: int | None = None
    verdicts: "_VerdictColumns" = field(default_factory=lambda: _VerdictColumns())  # of a verification export


def read_export(path: Path, label: str, region: Region) -> Read:
    """A KoboToolbox/ODK or Google Forms export (decided by its header)."""
    out = Read()
    try:
        header, rows = read_table(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a refused source
        out.problems.append(SourceProblem(label, None, str(exc)))
        return out
    if {"type", "name", "label"} <= {_norm(h) for h in header}:
        out.problems.append(SourceProblem(label, None, "is an XLSForm (the form itself), not an export of its "
                                          "submissions"))
        return out
    google = is_google_forms(header)
    questions = _Questions(region)
    cols = _read_header(header, rows, google, questions, region, label, out)
    if out.problems:
        return out
    stamp = L.form_stamp(region.year, region.region, region.methodology.id, region.sha256)
    bodies = _bodies_by(region)
    time_col = cols.time
    dayfirst = day_first([r[time_col] for r in rows if time_col is not None and time_col < len(r)])
    undecided = dayfirst is None
    if undecided:  # nothing in the column tells: Google Forms in English writes the US order (month first)
        dayfirst = not (google and time_col is not None and _norm(header[time_col]) == "timestamp")
    for r, line in enumerate(rows, start=2):
        cells = line + [""] * (len(header) - len(line))
        if not any(c.strip() for c in cells):
            continue
        if len(line) > len(header) and any(c.strip() for c in line[len(header):]):
            out.problems.append(SourceProblem(label, f"row {r}", "has more fields than the header"))
            continue
        body = _row_body(cells, r, header, cols.body, bodies, label, out)
        if body is None:
            continue
        if cols.stamp is not None and cells[cols.stamp].strip() not in ("", stamp):
            out.problems.append(SourceProblem(
                label, f"row {r}, column '{header[cols.stamp]}'",
                f"a submission of form '{cells[cols.stamp].strip()}', not of this region's current SAQ ({stamp})", body))
            continue
        if cols.verdicts.verifier is not None:  # a verification export: one verifier's verdicts on the body
            cols.verdicts.read_row(out, questions, header, cells, cols.questions, label, r, body,
                                   parse_time(cells[time_col], dayfirst) if time_col is not None else None)
            continue
        answers = _answers(cells, r, header, cols.questions, questions, label, body, out)
        if not answers:
            continue
        when = parse_time(cells[time_col], dayfirst) if time_col is not None else None
        other = parse_time(cells[time_col], not dayfirst) if time_col is not None and undecided and \
            ambiguous_date(cells[time_col]) else None
        out.returns.append(Return("saq", body, f"{label}, row {r}", when, answers,
                                  len(questions.questions) - len(answers), timestamp_alt=other))
    return out


def _read_header(header: list[str], rows: list[list[str]], google: bool, questions: _Questions, region: Region,
                 label: str, out: Read) -> _Columns:
    """The columns of an export's header (:class:`_Columns`); problems (an unknown column, a second
    column for a question, no body column, no question) are added to ``out``."""
    body_headers = {_norm(BODY_FIELD)} | {_norm(words("forms", lang)[k]) for lang in LANGUAGES
                                          for k in ("body", "body_id", "col_name", "xlsform_body")}
    cols = _Columns()
    times: dict[str, int] = {}
    for col, name in enumerate(header):
        key = _norm(name)
        last = re.split(r"[/]", name)[-1]
        if not name.strip():
            if any(col < len(r) and r[col].strip() for r in rows):
                out.problems.append(SourceProblem(label, f"row 1, column {L.column_letter(col + 1)}",
                                                  "a column without a header holds answers"))
            continue
        if google and col == 0:
            cols.time = col
            continue
        if key in body_headers or _norm(last) in body_headers:
            cols.body = col if cols.body is None else cols.body
            continue
        if cols.verdicts.take(col, name, questions):
            continue
        if last == STAMP_FIELD or name.endswith(STAMP_FIELD):
            cols.stamp = col
            continue
        qid = questions.by_header(name)
        if qid is not None:
            if qid in cols.questions.values():
                out.problems.append(SourceProblem(label, f"row 1, column '{name}'", f"a second column for question {qid}"))
            cols.questions[col] = qid
            continue
        if key in TIME_COLUMNS or _norm(last) in TIME_COLUMNS:
            times.setdefault(key if key in TIME_COLUMNS else _norm(last), col)
            continue
        if not _metadata(name, key, last, google):
            out.problems.append(SourceProblem(label, f"row 1, column '{name}'",
                                              f"unknown column: not a question of methodology {region.methodology.id}"))
    if cols.time is None:
        cols.time = next((times[t] for t in TIME_COLUMNS if t in times), None)
    if cols.body is None:
        out.problems.append(SourceProblem(label, "row 1", "no column names the body (expected 'body_id' or "
                                          "'Badan publik')"))
    if not cols.questions:
        out.problems.append(SourceProblem(label, "row 1", "no column is a question of methodology "
                                          f"{region.methodology.id}"))
    return cols


def _metadata(name: str, key: str, last: str, google: bool) -> bool:
    """Whether a column is one the form tool adds (Google Forms' e-mail or score; Kobo's ``_id``,
    ``meta/...``, groups), which an export may hold and kiprank does not use."""
    if google:
        return key in GFORMS_META
    return name.startswith("_") or _norm(last) in KOBO_META or name.split("/")[0] in KOBO_GROUPS \
        or name.split("-")[0] in KOBO_GROUPS or _norm(name.split("-")[-1]) in KOBO_META


def _row_body(cells: list[str], r: int, header: list[str], body_col: int,
              bodies: tuple[dict[str, str], dict[str, list[str]]], label: str, out: Read) -> str | None:
    """The body a row is of, chosen by id, XLSForm choice name or name; None (with the problem in
    ``out``) when it is unknown or its name matches several bodies."""
    by_id, by_name = bodies
    where = f"row {r}, column '{header[body_col]}'"
    raw_body = cells[body_col].strip()
    body = by_id.get(raw_body.lower())
    if body is None:
        matches = by_name.get(_norm(raw_body), [])
        if len(matches) > 1:
            out.problems.append(SourceProblem(label, where, f"body name '{raw_body}' matches several bodies "
                                              f"({', '.join(sorted(matches))}): choose by id"))
            return None
        body = matches[0] if matches else None
    if body is None:
        out.problems.append(SourceProblem(label, where, f"body '{raw_body}' is not in bodies.csv"))
    return body


def _answers(cells: list[str], r: int, header: list[str], columns: dict[int, str], questions: _Questions,
             label: str, body: str, out: Read) -> list[dict]:
    """A row's answers in the questionnaire's order; none when any answer is refused (each refused
    answer named in ``out``, by row and column)."""
    answers, bad = [], False
    for col, qid in columns.items():
        checked = questions.answer(qid, cells[col])
        if checked.error:
            out.problems.append(SourceProblem(label, f"row {r}, column '{header[col]}'", checked.error, body))
            bad = True
        elif checked.value is not None:
            answers.append({"question_id": qid, "answer": checked.value, "evidence": "", "note": ""})
    if bad:
        return []
    order = list(questions.questions)
    return sorted(answers, key=lambda a: order.index(a["question_id"]))

@dataclass
class _VerdictColumns:
    """The columns that make an export one of verdicts: the verifier's name (``verifier`` /
    ``Verifikator``) and, per question, the accepted answer of a ``sebagian`` (``<code> diterima``)."""

    verifier: int | None = None
    granted: dict[str, int] = field(default_factory=dict)

    def take(self, col: int, name: str, questions: _Questions) -> bool:
        """Whether header ``name`` (column ``col``) is one of these columns (and remember it)."""
        if _norm(name) in VERIFIER_HEADERS or _norm(re.split(r"[/]", name)[-1]) in VERIFIER_HEADERS:
            self.verifier = col if self.verifier is None else self.verifier
            return True
        accepted = _GRANTED.match(name.strip())
        qid = questions.by_header(accepted.group(1)) if accepted else None
        if qid is not None:
            self.granted[qid] = col
            return True
        return False

    def read_row(self, out: Read, questions: _Questions, header: list[str], cells: list[str],
                 columns: dict[int, str], label: str, r: int, body: str, when) -> None:
        """One row of a verification export: a verifier's verdicts on one body's answers."""
        name = " ".join(cells[self.verifier].split())
        where = f"row {r}, column '{header[self.verifier]}'"
        if not name:
            out.problems.append(SourceProblem(label, where, "the verifier is empty: name the verifier in every row",
                                              body))
            return
        if is_formula(name) or len(name) > MAX_NAME:
            out.problems.append(SourceProblem(label, where, f"verifier name '{name[:60]}' is not a plain name (it "
                                              f"starts like a formula, or is longer than {MAX_NAME} characters)", body))
            return
        verdicts, bad = [], False
        for col, qid in columns.items():
            verdict = L.check_verdict(cells[col])
            accepted = questions.answer(qid, cells[self.granted[qid]]) if qid in self.granted else L.Checked()
            if verdict.error:
                out.problems.append(SourceProblem(label, f"row {r}, column '{header[col]}'", verdict.error, body))
                bad = True
            elif verdict.value == "sebagian" and (accepted.error or accepted.value is None):
                column = header[self.granted[qid]] if qid in self.granted else f"{qid} diterima"
                out.problems.append(SourceProblem(label, f"row {r}, column '{column}'", accepted.error or
                                                  "verdict 'sebagian' needs the accepted answer", body))
                bad = True
            elif verdict.value is not None:
                verdicts.append({"question_id": qid, "verdict": verdict.value,
                                 "granted": accepted.value if verdict.value == "sebagian" else "", "note": ""})
        if not bad and verdicts:
            verdicts.sort(key=lambda v: list(questions.questions).index(v["question_id"]))
            out.returns.append(Return("verification", body, f"{label}, row {r}", when, verdicts,
                                      len(questions.questions) - len(verdicts), verifier=name))
