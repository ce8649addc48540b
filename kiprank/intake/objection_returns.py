"""Reading the returns of the objection round (masa sanggah) for ``kiprank collect``:

- the objection forms (``sanggah/<body>.xlsx`` of :mod:`kiprank.intake.objection_forms`) and a
  Google Forms / KoboToolbox export with the same columns (one row per objection: the body, the
  question or item code, the value asked for, the reason, the new evidence, and the submission
  time); each objection becomes one return of kind ``sanggah <stage>/<code>``, received at the
  workbook's saved time or the submission's time;
- the verifiers' decision workbook (``sanggah-keputusan.xlsx``): each decision one return of kind
  ``sanggah-keputusan <stage>/<code>``.

A return per objection lets collect's one rule for returns apply to objections: a second return of
the same objection (from two workbooks, or two rows of an export) is refused, listing both, unless
``--latest`` takes the newest. Everything is checked against the preliminary results' tables (an
objection asks for more than the verified value and at most the SAQ answer, a decision's final
value lies in between: :mod:`kiprank.core.objections`); problems name the file and cell or row.
:func:`round_tables_of` writes ``objections.csv`` (late objections kept, flagged, and considered
only with ``--accept-late``) and ``objection_decisions.csv``.
"""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path

from ..core.answers import canonical_present
from ..core.errors import KiprankError
from ..core.export import csv_bytes
from ..core.objections import (CANONICAL_DECISION, DECISION_COLUMNS, OBJECTION_COLUMNS, canonical_decision,
                               check_claim, decided_value, targets)
from ..core.wording import LANGUAGES, words
from . import layout as L
from .exports import GFORMS_META, KOBO_GROUPS, KOBO_META, TIME_COLUMNS, day_first, is_google_forms, parse_time, read_table
from .objection_forms import (DECISION_COLUMNS as DECISION_SHEET, DECISION_KIND, DECISION_LOCKED, OBJECTION_COLUMNS as
                              OBJECTION_SHEET, OBJECTION_KIND, OBJECTION_LOCKED, RoundTables, considered_objections,
                              decision_row, expected_row, round_tables)
from .returns import FormReader, cell_text, cell_value, check_meta
from .sources import Read, Region, Return, SourceProblem
from .xlsxread import Book, Formula

OBJECTIONS_FILE = "objections.csv"
DECISIONS_FILE = "objection_decisions.csv"


def kind_of(kind: str, stage: str, code: str) -> str:
    """The kind of return of one objection (``sanggah verifikasi/A03``) or of its decision."""
    return f"{kind} {stage}/{code}"


def is_round_kind(kind: str) -> bool:
    return kind.split(" ", 1)[0] in (OBJECTION_KIND, DECISION_KIND)


def round_tables_of(region: Region) -> RoundTables:
    """The preliminary tables the round's returns are checked against, read once per collect."""
    if "round" not in region.cache:
        folder = Path(region.setup.folder)
        region.cache["round"] = round_tables(region.year, region.region, folder.parent.parent)
    return region.cache["round"]


def _no_round(region: Region, label: str) -> SourceProblem | None:
    if region.setup.config.objections is None:
        return SourceProblem(label, None, "an objection form or decision, but region.yml declares no objection round "
                                          "(objections: {until: YYYY-MM-DD})")
    return None


def _unsaved(value) -> str | None:
    if isinstance(value, Formula):
        return (f"a formula ({value.text[:40]}) without a saved value: open the workbook in Excel or LibreOffice and "
                "save it again, or type the value")
    return None


class ObjectionReader(FormReader):
    """The two kinds of workbook of the round (the objection form of one body, the decision workbook)."""

    def tables(self) -> RoundTables | None:
        try:
            return round_tables_of(self.region)
        except KiprankError as exc:
            self.problem(None, None, None, f"the preliminary results' tables cannot be read: {str(exc).splitlines()[0]}")
            return None

    def locked_value(self, sheet: str, rows: list[list], row: int, col: int, expected: str) -> bool:
        """A locked cell holding a value of the preliminary results (or of objections.csv)."""
        found = cell_value(rows, row, col)
        if (cell_text(found) if found is not None else "") == expected:
            return True
        self.problem(sheet, row, col, f"locked cell was edited, or the inputs changed since the form was made: "
                                      f"expected '{expected[:60]}', found '{cell_text(found)[:60]}' (make the form again)")
        return False

    def objections(self) -> None:
        """An objection form: one return per objection (``Keberatan`` = ya)."""
        tables = self.tables()
        sheet = self.meta.get("sheets", "")
        rows = self.sheet_rows(sheet)
        if tables is None or rows is None:
            return
        body = self.body_id
        if body not in tables.verified.returned:
            self.problem(None, None, None, f"body '{body}' did not return the SAQ: it has no verified result to object to")
            return
        ok = self.header(sheet, rows, [self.words[c] for c in OBJECTION_SHEET])
        keys = list(tables.targets)
        found = []
        for row, key in enumerate(keys, start=L.FIRST_ROW):
            for col, expected in enumerate(expected_row(tables, body, key), start=1):
                ok &= (self.locked if col <= 3 else self.locked_value)(sheet, rows, row, col, str(expected))
            filled = {col: cell_value(rows, row, col) for col in range(OBJECTION_LOCKED + 1, len(OBJECTION_SHEET) + 1)}
            unsaved = [(col, _unsaved(v)) for col, v in filled.items() if _unsaved(v)]
            if unsaved:
                self.problem(sheet, row, unsaved[0][0], unsaved[0][1])
                ok = False
                continue
            objection, claimed = filled[OBJECTION_LOCKED + 1], filled[OBJECTION_LOCKED + 2]
            flag, why = canonical_present(objection)
            if why:
                self.problem(sheet, row, OBJECTION_LOCKED + 1, why)
                ok = False
                continue
            if flag != "ya":
                if claimed is not None:
                    self.problem(sheet, row, 9, f"a value asked for, but the column {self.words['col_objection']} "
                                                "does not say ya: choose ya to object, or clear the value")
                    ok = False
                continue
            t = tables.targets[key]
            value, _, why = check_claim(t, tables.verified, body, claimed)
            if why:
                self.problem(sheet, row, 9, why)
                ok = False
                continue
            found.append(Return(kind_of(OBJECTION_KIND, *key), body, f"{self.label}, {L.cell_ref(sheet, row, 9)}",
                                self.book.modified, [{"stage": key[0], "code": key[1], "claimed": value,
                                                      "reason": cell_text(filled[OBJECTION_LOCKED + 3]),
                                                      "evidence": cell_text(filled[OBJECTION_LOCKED + 4]),
                                                      "file": self.label}]))
        self.extra_rows(sheet, rows, L.FIRST_ROW + len(keys) - 1, len(OBJECTION_SHEET))
        if ok:
            self.out.returns.extend(found)

    def decisions(self) -> None:
        """The decision workbook: one return per decided objection."""
        tables = self.tables()
        sheet = self.meta.get("sheets", "")
        rows = self.sheet_rows(sheet)
        if tables is None or rows is None:
            return
        try:
            objections = considered_objections(tables)
        except KiprankError as exc:
            self.problem(None, None, None, f"{OBJECTIONS_FILE} cannot be read: {str(exc).splitlines()[0]}")
            return
        ok = self.header(sheet, rows, [self.words[c] for c in DECISION_SHEET])
        names = self.region.names
        listed = list(objections.itertuples(index=False))
        known = {(o.body_id, o.code) for o in listed}
        again = "objections.csv changed since this workbook was made: make it again (kiprank forms --kind " \
                "sanggah-keputusan) and copy the decisions over"
        found = []
        for row in range(L.FIRST_ROW, len(rows) + 1):
            if all(cell_value(rows, row, c) is None for c in range(1, len(DECISION_SHEET) + 1)):
                continue
            body, code = cell_text(cell_value(rows, row, 1)), cell_text(cell_value(rows, row, 4))
            o = listed[row - L.FIRST_ROW] if row - L.FIRST_ROW < len(listed) else None
            if o is None or (body, code) != (o.body_id, o.code):
                self.problem(sheet, row, 1, (f"a decision for an objection that does not exist: {body} did not object to "
                                             f"{code} in objections.csv" if (body, code) not in known else
                                             f"the objection of {body} to {code} is on another row in objections.csv")
                             + f"; {again}", body if body in self.region.body_ids else None)
                ok = False
                continue
            same = True
            for col, expected in enumerate(decision_row(o, names, tables), start=1):
                same &= self.locked_value(sheet, rows, row, col, str(expected))
            if not same:
                ok = False
                continue
            got = self.decision(sheet, rows, row, o, tables)
            if got is False:
                ok = False
            elif got is not None:
                found.append(got)
        if ok:
            self.out.returns.extend(found)

    def decision(self, sheet: str, rows: list[list], row: int, o, tables: RoundTables):
        """The decision on objection ``o`` in ``row``: a Return, None (not decided yet) or False (refused)."""
        cells = [cell_value(rows, row, c) for c in range(DECISION_LOCKED + 1, len(DECISION_SHEET) + 1)]
        for offset, value in enumerate(cells):
            why = _unsaved(value)
            if why:
                self.problem(sheet, row, DECISION_LOCKED + 1 + offset, why, o.body_id)
                return False
        decision, final, note, verifier = (cell_text(v) for v in cells)
        meaning, why = canonical_decision(decision)
        if why:
            self.problem(sheet, row, DECISION_LOCKED + 1, why, o.body_id)
            return False
        if meaning is None:
            if final or verifier:
                self.problem(sheet, row, DECISION_LOCKED + 1, "a final value or verifier, but no decision (diterima, "
                                                             "diterima sebagian or ditolak)", o.body_id)
                return False
            return None
        if not verifier:
            self.problem(sheet, row, len(DECISION_SHEET), "the verifier who decided is not named", o.body_id)
            return False
        _, _, why = decided_value(tables.targets[(o.stage, o.code)], o, meaning, final)
        if why:
            self.problem(sheet, row, DECISION_LOCKED + 2, why, o.body_id)
            return False
        return Return(kind_of(DECISION_KIND, o.stage, o.code), o.body_id, f"{self.label}, {L.cell_ref(sheet, row, 11)}",
                      self.book.modified, [{"stage": o.stage, "code": o.code, "decision": CANONICAL_DECISION[meaning],
                                            "final_value": final, "note": note, "verifier": verifier,
                                            "file": self.label}])


def read_round_workbook(book: Book, label: str, region: Region, meta: dict[str, str]) -> Read:
    """The returns in an objection form or decision workbook (``meta``: its hidden sheet)."""
    out = Read()
    problem = _no_round(region, label) or (SourceProblem(label, None, check_meta(meta, region))
                                           if check_meta(meta, region) else None)
    if problem:
        out.problems.append(problem)
        return out
    reader = ObjectionReader(region, label, book, meta, out)
    (reader.objections if meta.get("kind") == OBJECTION_KIND else reader.decisions)()
    body = meta.get("body_id") or ""
    if meta.get("kind") == OBJECTION_KIND and body:
        from .workbook import file_names

        stem = file_names([str(b) for b in region.setup.bodies["body_id"]]).get(body, body)
        if Path(label).stem.lower() != stem.lower():
            out.warnings.append(f"{label}: the objection form of '{body}' ({region.names.get(body, '')}), under "
                                f"another file name: its objections are recorded as {body}'s")
    return out


# -- web-form exports of objections ----------------------------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _header_words() -> dict[str, set[str]]:
    """Export column -> the headers that name it (the forms' words in every language, and plain ids)."""
    names = {"body": ("body", "body_id", "col_name", "xlsform_body"), "stage": ("col_stage",), "code": ("col_code",),
             "objection": ("col_objection",), "claimed": ("col_claimed_value",), "reason": ("col_reason",),
             "evidence": ("col_new_evidence",)}
    out = {k: {_norm(words("forms", lang)[key]) for lang in LANGUAGES for key in keys} for k, keys in names.items()}
    for column, plain in (("body", "body_id"), ("stage", "stage"), ("code", "code"), ("claimed", "claimed"),
                          ("reason", "reason"), ("evidence", "evidence"), ("objection", "objection")):
        out[column].add(plain)
    return out


def is_objection_export(header: list[str]) -> bool:
    """Whether an export's header is one of objections: it names a code and a value asked for."""
    known = _header_words()
    names = {_norm(re.split(r"[/]", h)[-1]) for h in header}
    return bool(names & known["claimed"]) and bool(names & known["code"])


def objection_export(path: Path) -> bool:
    """Whether a CSV or workbook export holds objections (its header names a code and a value asked
    for); one that cannot be read is left to the export reader, which names why."""
    try:
        header, _ = read_table(path)
    except Exception:  # noqa: BLE001 - reported by the reader of exports
        return False
    return is_objection_export(header)


def read_objection_export(path: Path, label: str, region: Region) -> Read:
    """A Google Forms or KoboToolbox export of objections: one return per row."""
    out = Read()
    problem = _no_round(region, label)
    if problem:
        out.problems.append(problem)
        return out
    try:
        header, rows = read_table(path)
        tables = round_tables_of(region)
    except (ValueError, KiprankError) as exc:
        out.problems.append(SourceProblem(label, None, str(exc).splitlines()[0]))
        return out
    columns, time_col = _export_columns(header, label, out)
    if out.problems:
        return out
    dayfirst = day_first([r[time_col] for r in rows if time_col < len(r)])
    if dayfirst is None:
        dayfirst = not (is_google_forms(header) and _norm(header[time_col]) == "timestamp")
    for r, line in enumerate(rows, start=2):
        cells = line + [""] * (len(header) - len(line))
        if not any(c.strip() for c in cells):
            continue
        got = _export_row(cells, r, header, columns, time_col, dayfirst, tables, region, label, out)
        if got is not None:
            out.returns.append(got)
    return out


def _export_columns(header: list[str], label: str, out: Read) -> tuple[dict[str, int], int]:
    known = _header_words()
    columns: dict[str, int] = {}
    times: dict[str, int] = {}
    google = is_google_forms(header)
    for col, name in enumerate(header):
        key, last = _norm(name), _norm(re.split(r"[/]", name)[-1])
        hit = next((c for c, names in known.items() if key in names or last in names), None)
        if google and col == 0:
            continue
        if hit is not None and hit not in columns:
            columns[hit] = col
        elif hit is None and (key in TIME_COLUMNS or last in TIME_COLUMNS):
            times.setdefault(key if key in TIME_COLUMNS else last, col)
        elif hit is None and (key in GFORMS_META or name.startswith("_") or last in KOBO_META
                              or name.split("/")[0] in KOBO_GROUPS or not name.strip()):
            continue
        else:
            out.problems.append(SourceProblem(label, f"row 1, column '{name}'", "unknown column (an export of "
                                              "objections has the columns of the objection form)"))
    time_col = 0 if google else next((times[t] for t in TIME_COLUMNS if t in times), None)  # as read_export
    for need in ("body", "code", "claimed"):
        if need not in columns:
            out.problems.append(SourceProblem(label, "row 1", f"no column for the {need} of an objection"))
    if time_col is None:
        out.problems.append(SourceProblem(label, "row 1", "no submission time column: whether an objection came before "
                                                          "the deadline cannot be told"))
    return columns, time_col if time_col is not None else 0


def _find_body(text: str, region: Region) -> tuple[str | None, str | None]:
    raw = text.strip()
    for body in region.body_ids:
        if body.lower() == raw.lower():
            return body, None
    by_name = [b for b, n in region.names.items() if _norm(n) == _norm(raw)]
    if len(by_name) > 1:
        return None, f"body name '{raw}' matches several bodies ({', '.join(sorted(by_name))}): choose by id"
    return (by_name[0], None) if by_name else (None, f"body '{raw}' is not in bodies.csv")


def _find_target(text: str, stage: str, tables: RoundTables) -> tuple[tuple[str, str] | None, str | None]:
    """(stage, code) an export names: the code ('A03'), the code and text ('A03 - ...'), or the text."""
    raw = text.strip()
    keys = [k for k in tables.targets if not stage or _norm(k[0]) == _norm(stage)]
    if stage and not keys:
        return None, f"stage '{stage}' is not a verification or website stage of the methodology"
    hits = [k for k in keys if k[1] == raw] or \
        [k for k in keys if re.match(re.escape(k[1]) + r"(?:[.):]|\s+-|\s+\u2013|\s)", raw + " ")] or \
        [k for k in keys if _norm(tables.targets[k].label) == _norm(raw)]
    if len(hits) > 1:
        return None, f"'{raw}' names a question or item of several stages ({', '.join(k[0] for k in hits)}): add a stage column"
    return (hits[0], None) if hits else (None, f"'{raw}' is not a question or item code of the methodology")


def _export_row(cells, r, header, columns, time_col, dayfirst, tables, region, label, out) -> Return | None:
    def refuse(col: str, message: str, body: str | None = None) -> None:
        out.problems.append(SourceProblem(label, f"row {r}, column '{header[columns[col]] if col in columns else header[time_col]}'",
                                          message, body))

    if "objection" in columns:
        flag, why = canonical_present(cells[columns["objection"]])
        if why:
            refuse("objection", why)
            return None
        if flag == "tidak":
            return None
    body, why = _find_body(cells[columns["body"]], region)
    if why:
        refuse("body", why)
        return None
    key, why = _find_target(cells[columns["code"]], cells[columns["stage"]] if "stage" in columns else "", tables)
    if why:
        refuse("code", why, body)
        return None
    if body not in tables.verified.returned:
        refuse("body", f"body '{body}' did not return the SAQ: it has no verified result to object to", body)
        return None
    value, _, why = check_claim(tables.targets[key], tables.verified, body, cells[columns["claimed"]])
    if why:
        refuse("claimed", why, body)
        return None
    when = parse_time(cells[time_col], dayfirst)
    if when is None:
        refuse("time", f"'{cells[time_col]}' is not a submission time", body)
        return None
    return Return(kind_of(OBJECTION_KIND, *key), body, f"{label}, row {r}", when,
                  [{"stage": key[0], "code": key[1], "claimed": value,
                    "reason": cells[columns["reason"]].strip() if "reason" in columns else "",
                    "evidence": cells[columns["evidence"]].strip() if "evidence" in columns else "", "file": label}])


# -- the tables -------------------------------------------------------------------------------------

def round_tables_files(region: Region, chosen: dict[tuple[str, str], Return],
                       accept_late: bool) -> tuple[dict[str, bytes], list[str]]:
    """``objections.csv`` and ``objection_decisions.csv`` from the returns chosen (each only when its
    kind was collected), and the warnings to print (every late objection, named)."""
    window = region.setup.config.objections
    m = region.methodology
    order = {b: i for i, b in enumerate(region.setup.bodies["body_id"].astype(str))}
    position = {k: i for i, k in enumerate(targets(m))}

    def rows_of(kind: str) -> list[tuple[str, Return]]:
        found = [(body, ret) for (k, body), ret in chosen.items() if k.split(" ", 1)[0] == kind]
        return sorted(found, key=lambda x: (order.get(x[0], len(order)), position.get(
            (x[1].rows[0]["stage"], x[1].rows[0]["code"]), 0)))

    out, warnings = {}, []
    objections = rows_of(OBJECTION_KIND)
    if objections:
        lines = []
        for body, ret in objections:
            o = ret.rows[0]
            when = ret.timestamp.astimezone(timezone.utc) if ret.timestamp else None
            late = bool(when is not None and window.late(when))
            if late:
                warnings.append(f"{body}: the objection to {o['code']} ({ret.source}) was received "
                                f"{when.isoformat(timespec='minutes')}, after the deadline "
                                f"{window.last_day().isoformat()}: recorded as late, "
                                + ("considered (--accept-late)" if accept_late else
                                   "not considered (kiprank collect --accept-late considers it)"))
            lines.append([body, o["stage"], o["code"], o["claimed"], o["reason"], o["evidence"],
                          when.isoformat() if when else "", "ya" if late else "tidak",
                          "ya" if not late or accept_late else "tidak", ret.source])
        out[OBJECTIONS_FILE] = csv_bytes(OBJECTION_COLUMNS, lines, neutralise={"reason", "evidence", "source"})
    decisions = rows_of(DECISION_KIND)
    if decisions:
        lines = [[body, d["stage"], d["code"], d["decision"], d["final_value"], d["note"], d["verifier"], ret.source]
                 for body, ret in decisions for d in ret.rows]
        out[DECISIONS_FILE] = csv_bytes(DECISION_COLUMNS, lines, neutralise={"note", "verifier", "source",
                                                                             "final_value"})
    return out, warnings


__all__ = ["OBJECTIONS_FILE", "DECISIONS_FILE", "kind_of", "is_round_kind", "round_tables_of", "ObjectionReader",
           "read_round_workbook", "is_objection_export", "objection_export", "read_objection_export", "round_tables_files"]
