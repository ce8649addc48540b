"""Reading the workbooks made by ``kiprank forms`` when they come back filled in.

Each is checked against the region: the hidden sheet (sealed by its checksum) must name this
year, region, methodology (id and SHA-256), layout version and a body of ``bodies.csv``; the
locked cells (codes, indicators, questions, headers, body ids) must still say what the
methodology and the form say; every answer must be one the question allows. Problems name the
file, sheet and cell: ``saq/kec-ngawen.xlsx, SAQ!D14``.
"""

from __future__ import annotations

from ..core.answers import allowed_text
from ..core.formulas import is_formula
from ..core.verifiers import MAX_NAME
from ..core.wording import LANGUAGES, words
from . import layout as L
from .cells import clean
from .forms import score_sheet_names
from .sources import Read, Region, Return, SourceProblem
from .xlsxread import Book, Formula, NotAWorkbook


def _cell(rows: list[list], row: int, col: int):
    """Value at 1-based (row, col), None when outside what was read."""
    if row - 1 < len(rows):
        line = rows[row - 1]
        if col - 1 < len(line):
            value = line[col - 1]
            return None if value == "" else value
    return None


def _same(found, expected: str) -> bool:
    if found is None:
        return expected == ""
    return (found if isinstance(found, str) else L.format_number(found) if isinstance(found, (int, float))
            else str(found)) == expected


def _short(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Reader:
    def __init__(self, region: Region, label: str, book: Book, meta: dict, out: Read):
        self.region, self.label, self.book, self.meta, self.out = region, label, book, meta, out
        self.lang = meta.get("lang") if meta.get("lang") in LANGUAGES else "id"
        self.words = words("forms", self.lang)
        self.body_id = meta.get("body_id") or None

    def problem(self, sheet: str | None, row: int | None, col: int | None, message: str, body: str | None = None):
        where = L.cell_ref(sheet, row, col) if sheet and row and col else sheet
        self.out.problems.append(SourceProblem(self.label, where, message, body or self.body_id))

    def locked(self, sheet: str, rows: list[list], row: int, col: int, expected: str) -> bool:
        found = _cell(rows, row, col)
        if _same(found, expected):
            return True
        self.problem(sheet, row, col, f"locked cell was edited: expected '{_short(expected)}', found '{_short(found)}'")
        return False

    def header(self, sheet: str, rows: list[list], labels: list[str]) -> bool:
        ok = True
        for col, label in enumerate(labels, start=1):
            ok &= self.locked(sheet, rows, 1, col, clean(label))
        return ok

    def extra_rows(self, sheet: str, rows: list[list], last: int, width: int) -> None:
        """Anything written below the form's last row (rows added to the form) is refused."""
        for r in range(last + 1, len(rows) + 1):
            for c in range(1, width + 1):
                if _cell(rows, r, c) is not None:
                    self.problem(sheet, r, c, "is below the last row of the form: rows may not be added")
                    return

    def sheet_rows(self, sheet: str) -> list[list] | None:
        if sheet not in self.book.names:
            self.problem(None, None, None, f"sheet '{sheet}' is missing (sheets: {', '.join(self.book.names)})")
            return None
        return self.book.rows(sheet)

    # -- kinds ----------------------------------------------------------------------------
    def saq(self) -> None:
        sheet = L.SAQ_SHEET
        rows = self.sheet_rows(sheet)
        if rows is None:
            return
        m = self.region.methodology
        labels = {i.id: i.label for i in m.questionnaire.indicators}
        ok = self.header(sheet, rows, [self.words[c] for c in L.SAQ_COLUMNS])
        answers, unanswered = [], 0
        for row, q in enumerate(m.questionnaire.questions, start=L.FIRST_ROW):
            ok &= self.locked(sheet, rows, row, 1, clean(q.id))
            ok &= self.locked(sheet, rows, row, 2, clean(labels[q.indicator]))
            ok &= self.locked(sheet, rows, row, 3, clean(q.text))
            checked = L.check_answer(q, _cell(rows, row, 4))
            if checked.error:
                self.problem(sheet, row, 4, checked.error)
                ok = False
            elif checked.value is None:
                unanswered += 1
            else:
                answers.append({"question_id": q.id, "answer": checked.value,
                                "evidence": _text(_cell(rows, row, 5)), "note": _text(_cell(rows, row, 6))})
        self.extra_rows(sheet, rows, L.FIRST_ROW + len(m.questionnaire.questions) - 1, 6)
        if ok:  # an empty form is a return too ("dikembalikan kosong"), not a non-return
            self.out.returns.append(Return("saq", self.body_id, self.label, self.book.modified, answers, unanswered))

    def verification(self) -> None:
        sheet = self.meta.get("sheets", "")
        rows = self.sheet_rows(sheet)
        if rows is None:
            return
        m = self.region.methodology
        ok = self.header(sheet, rows, [self.words[c] for c in L.VERIFICATION_COLUMNS])
        verdicts = []
        for row, q in enumerate(m.questionnaire.questions, start=L.FIRST_ROW):
            ok &= self.locked(sheet, rows, row, 1, clean(q.id))
            ok &= self.locked(sheet, rows, row, 2, clean(q.text))
            verdict = L.check_verdict(_cell(rows, row, 4))
            granted = L.check_answer(q, _cell(rows, row, 5))
            if verdict.error:
                self.problem(sheet, row, 4, verdict.error)
                ok = False
                continue
            if verdict.value == "sebagian":
                if granted.error or granted.value is None:
                    self.problem(sheet, row, 5, granted.error or f"verdict 'sebagian' needs the accepted answer "
                                 f"(expected {allowed_text(q)})")
                    ok = False
                    continue
            if verdict.value is not None:
                verdicts.append({"question_id": q.id, "verdict": verdict.value,
                                 "granted": granted.value if verdict.value == "sebagian" else "",
                                 "note": _text(_cell(rows, row, 6))})
        self.extra_rows(sheet, rows, L.FIRST_ROW + len(m.questionnaire.questions) - 1, 6)
        verifier = self.verifier_name()
        if ok and verifier is not None:
            self.out.returns.append(Return("verification", self.body_id, self.label, self.book.modified, verdicts,
                                           len(m.questionnaire.questions) - len(verdicts), verifier=verifier))

    def verifier_name(self) -> str | None:
        """The name written in the cover sheet's Verifikator cell (``""``: none, or a form made
        before the cell existed); None when it is refused (a formula, a control character)."""
        cover = self.book.names[0] if self.book.names else None
        rows = self.book.rows(cover) if cover else []
        label = clean(self.words["verifier"])
        for r, line in enumerate(rows, start=1):
            if line and line[0] == label:
                value = _cell(rows, r, 2)
                if isinstance(value, Formula):
                    self.problem(cover, r, 2, "a formula in the verifier cell: type the verifier's name")
                    return None
                name = " ".join(_text(value).split())
                if is_formula(name) or len(name) > MAX_NAME:
                    self.problem(cover, r, 2, f"verifier name '{_short(name)}' is not a plain name (it starts like a "
                                 f"formula, or is longer than {MAX_NAME} characters)")
                    return None
                return name
        return ""

    def adjudikasi(self) -> None:
        """The lead verifier's decisions: one return per body (rows question_id, verdict, granted,
        note), the locked cells unchanged. Whether each decided answer is still in disagreement is
        checked where the verdicts are combined (``kiprank validate``/``score``: an adjudication of an
        answer that is not is refused there, by row), so that one collect may bring the verification
        forms and the adjudication together."""
        sheet = self.meta.get("sheets", "")
        rows = self.sheet_rows(sheet)
        if rows is None:
            return
        m = self.region.methodology
        questions = {q.id: q for q in m.questionnaire.questions}
        ok = self.header(sheet, rows, [self.words[c] for c in L.ADJUDICATION_COLUMNS])
        found: dict[str, list[dict]] = {}
        seen: dict[tuple[str, str], int] = {}
        last = L.FIRST_ROW - 1
        for row in range(L.FIRST_ROW, len(rows) + 1):
            values = [_cell(rows, row, c) for c in range(1, 10)]
            if all(v is None for v in values):
                continue
            last = row
            body, qid = _text(values[0]), _text(values[2])
            q = questions.get(qid)
            if body not in self.region.body_ids or q is None or not self.locked(sheet, rows, row, 4, clean(q.text)):
                if body not in self.region.body_ids or q is None:
                    self.problem(sheet, row, 1 if body not in self.region.body_ids else 3,
                                 f"'{_short(body if body not in self.region.body_ids else qid)}' is not a body of "
                                 "bodies.csv or a question of the methodology (a locked cell edited)")
                ok = False
                continue
            if (body, qid) in seen:
                self.problem(sheet, row, 3, f"appears twice (also on row {seen[(body, qid)]})", body)
                ok = False
                continue
            seen[(body, qid)] = row
            verdict = L.check_verdict(values[6])
            granted = L.check_answer(q, values[7])
            if verdict.error:
                self.problem(sheet, row, 7, verdict.error, body)
                ok = False
                continue
            if verdict.value == "sebagian" and (granted.error or granted.value is None):
                self.problem(sheet, row, 8, granted.error or f"decision 'sebagian' needs the accepted answer "
                             f"(expected {allowed_text(q)})", body)
                ok = False
                continue
            if verdict.value is not None:
                found.setdefault(body, []).append({"question_id": qid, "verdict": verdict.value,
                                                   "granted": granted.value if verdict.value == "sebagian" else "",
                                                   "note": _text(values[8])})
        self.extra_rows(sheet, rows, last, 9)
        if ok:
            for body, decisions in found.items():
                self.out.returns.append(Return("adjudication", body, self.label, self.book.modified, decisions))

    def _body_table(self, sheet: str, rows: list[list], extra: list[str], width: int):
        """Yield (row, body_id) for each body row of a website or score sheet."""
        if not self.header(sheet, rows, [self.words[c] for c in L.BODY_COLUMNS] + extra):
            self._ok = False
        seen: dict[str, int] = {}
        for row in range(L.FIRST_ROW, len(rows) + 1):
            values = [_cell(rows, row, c) for c in range(1, width + 1)]
            if all(v is None for v in values):
                continue
            body = _text(values[0])
            if body not in self.region.body_ids:
                self.problem(sheet, row, 1, f"body '{_short(body)}' is not in bodies.csv (a locked cell edited, "
                             "or bodies.csv changed since the forms were made)")
                self._ok = False
                continue
            if body in seen:
                self.problem(sheet, row, 1, f"body '{body}' appears twice (also on row {seen[body]})", body)
                self._ok = False
                continue
            seen[body] = row
            yield row, body, values

    def website(self) -> None:
        sheet = self.meta.get("sheets", "")
        rows = self.sheet_rows(sheet)
        if rows is None:
            return
        items = self.region.methodology.stages_of("checklist")[0].items
        found, self._ok = [], True
        for row, body, values in self._body_table(sheet, rows, [i.label for i in items], 3 + len(items)):
            checks, bad = [], False
            for k, item in enumerate(items):
                checked = L.check_present(values[3 + k])
                if checked.error:
                    self.problem(sheet, row, 4 + k, checked.error, body)
                    bad = True
                elif checked.value is not None:
                    checks.append({"item_id": item.id, "present": checked.value})
            if not bad:
                found.append(Return("website", body, f"{self.label}, {L.cell_ref(sheet, row, 1)}",
                                    self.book.modified, checks, len(items) - len(checks)))
            self._ok &= not bad
        if self._ok:
            self.out.returns.extend(found)

    def scores(self) -> None:
        names = score_sheet_names(self.region.methodology)
        recorded = self.meta.get("sheets", "").split(",")
        if recorded != list(names.values()):
            self.problem(L.META_SHEET, None, None, f"the form has the stage sheets {', '.join(recorded)}, the "
                         f"methodology has {', '.join(names.values())}")
            return
        found, ok = [], True
        for stage in self.region.methodology.stages_of("score"):
            sheet = names[stage.id]
            self._ok = True
            rows = self.sheet_rows(sheet)
            if rows is None:
                ok = False
                continue
            for row, body, values in self._body_table(sheet, rows, [f"{self.words['col_score']} {stage.label}"], 4):
                checked = L.check_score(values[3])
                if checked.error:
                    self.problem(sheet, row, 4, checked.error, body)
                    self._ok = False
                else:
                    found.append(Return(stage.id, body, f"{self.label}, {L.cell_ref(sheet, row, 1)}",
                                        self.book.modified, [{"score": checked.value}] if checked.value else [],
                                        0 if checked.value else 1))
            ok &= self._ok
        if ok:
            self.out.returns.extend(found)


def _text(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else L.format_number(value) if isinstance(value, (int, float)) else str(value)
    return clean(text).strip()


def read_meta(book: Book) -> dict[str, str] | None:
    if L.META_SHEET not in book.names:
        return None
    meta = {}
    for line in book.rows(L.META_SHEET):
        if len(line) >= 2 and isinstance(line[0], str) and line[0]:
            value = line[1]
            meta[line[0]] = value if isinstance(value, str) else L.format_number(value) \
                if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return meta


def check_meta(meta: dict[str, str], region: Region) -> str | None:
    """Why this form cannot be collected for ``region`` (None: it can)."""
    if meta.get("checksum") != L.meta_checksum(meta):
        return f"the hidden sheet '{L.META_SHEET}' was edited (its checksum does not match): use the form as sent"
    if meta.get("form_version") != L.FORM_VERSION:
        return (f"form layout version {meta.get('form_version')!r}, this kiprank reads version {L.FORM_VERSION}: "
                "make the forms again with this kiprank")
    if (meta.get("year"), meta.get("region")) != (str(region.year), region.region):
        return f"a form of {meta.get('region')} {meta.get('year')}, not of {region.region} {region.year}"
    m = region.methodology
    if meta.get("methodology_id") != m.id or meta.get("methodology_sha256") != region.sha256:
        return (f"a form of methodology {meta.get('methodology_id')} (sha256 {str(meta.get('methodology_sha256'))[:12]}), "
                f"but the region is scored with {m.id} (sha256 {region.sha256[:12]}): the questions may differ; "
                "send the current forms (kiprank forms)")
    kind = meta.get("kind")
    if kind in ("saq", "verification", "sanggah") and meta.get("body_id") not in region.body_ids:
        return f"body '{_short(meta.get('body_id'))}' is not in bodies.csv"
    if kind not in ("saq", "verification", "website", "scores", "adjudikasi", "sanggah", "sanggah-keputusan"):
        return f"unknown kind of form {kind!r}"
    return None


def read_returned_workbook(book: Book, label: str, region: Region, meta: dict[str, str]) -> Read:
    """The returns in one kiprank form (``meta``: its hidden sheet, see :func:`read_meta`)."""
    out = Read()
    why = check_meta(meta, region)
    body = meta.get("body_id") if meta.get("body_id") in region.body_ids else None
    if why:
        out.problems.append(SourceProblem(label, None, why, body))
        return out
    reader = _Reader(region, label, book, meta, out)
    try:
        getattr(reader, meta["kind"])()
    except NotAWorkbook as exc:
        out.problems.append(SourceProblem(label, None, str(exc), body))
    return out


# Public names for the readers of the objection round's forms (kiprank.intake.objection_returns).
FormReader = _Reader
cell_value = _cell
cell_text = _text
