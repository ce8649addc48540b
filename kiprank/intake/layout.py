"""What the forms and collect agree on: sheet names, column positions, the hidden sheet and how
an answer typed in a cell becomes the canonical text of an input table."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..core.answers import (canonical_answer, canonical_present, canonical_verdict, cell_text, format_number,
                            parse_number)
from ..core.methodology import Question
from .xlsxread import Formula

#: Layout version of the workbooks; collect refuses a form of another layout version.
FORM_VERSION = "1"
META_SHEET = "kiprank"       # very hidden: key / value rows describing the form
LISTS_SHEET = "pilihan"      # very hidden: the lists the drop-downs offer
SAQ_SHEET = "SAQ"
FIRST_ROW = 2                # data rows start under a one-row header

# Columns (1-based) of each kind of sheet.
SAQ_COLUMNS = ("col_code", "col_indicator", "col_question", "col_answer", "col_evidence", "col_note")
VERIFICATION_COLUMNS = ("col_code", "col_question", "col_claimed", "col_verdict", "col_granted", "col_note")
BODY_COLUMNS = ("body_id", "col_name", "group")  # first columns of the website and score sheets
ADJUDICATION_COLUMNS = ("body_id", "col_name", "col_code", "col_question", "col_claimed", "col_verdicts", "col_decision",
                        "col_granted", "col_note")

META_KEYS = ("kind", "form_version", "year", "region", "methodology_id", "methodology_sha256",
             "body_id", "lang", "sheets")


def meta_checksum(meta: dict[str, str]) -> str:
    """Seal over the hidden sheet's values: an edit of one value by hand breaks it."""
    text = "kiprank-form\n" + "".join(f"{k}={meta.get(k, '')}\n" for k in META_KEYS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Checked:
    """An answer read from a cell: ``value`` (canonical text) or ``error`` (why it is refused);
    both None for an empty cell."""

    value: str | None = None
    error: str | None = None


def _unsaved(value) -> Checked | None:
    """A formula cell without a saved value is named, never taken as an empty cell."""
    if isinstance(value, Formula):
        return Checked(error=f"a formula ({_short(value.text)}) without a saved value: open the workbook in Excel or "
                             "LibreOffice and save it again, or type the value")
    return None


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def check_answer(q: Question, value) -> Checked:
    """The canonical answer to ``q`` for what a cell holds (:func:`kiprank.core.answers.canonical_answer`,
    the rule scoring uses too)."""
    return _unsaved(value) or Checked(*canonical_answer(q, value))


def check_verdict(value) -> Checked:
    return _unsaved(value) or Checked(*canonical_verdict(value))


def check_present(value) -> Checked:
    return _unsaved(value) or Checked(*canonical_present(value))


def check_score(value) -> Checked:
    if isinstance(value, Formula):
        return _unsaved(value)
    text = cell_text(value)
    if text is None or isinstance(value, bool):
        return Checked() if text is None else Checked(error=f"score '{text}' is not a number from 0 to 100")
    number = parse_number(value)
    if number is None or not 0 <= number <= 100:
        return Checked(error=f"score '{text}' is not a number from 0 to 100")
    return Checked(format_number(number))


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(sheet: str, row: int, col: int) -> str:
    """``SAQ!D14`` (the sheet quoted when it holds spaces or punctuation)."""
    name = sheet if re.fullmatch(r"[A-Za-z0-9_]+", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{column_letter(col)}{row}"


# -- names in the XLSForm (XML names) ---------------------------------------------------------

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]+$")


def xml_names(ids: list[str], prefix: str = "q_") -> dict[str, str]:
    """An XML name per id (the id itself when it is one), unique; collect maps back with the same."""
    out, used = {}, set()
    for ident in ids:
        name = ident if _XML_NAME.match(ident) else prefix + re.sub(r"[^A-Za-z0-9_.-]", "_", ident)
        if name in used or name != ident and not _XML_NAME.match(name):
            name = f"{prefix}{hashlib.sha256(ident.encode()).hexdigest()[:10]}"
        used.add(name)
        out[ident] = name
    return out


def choice_name(value: str, fallback: str) -> str:
    """A select choice name: the value itself when it is one token, else ``fallback``."""
    return value if _TOKEN.match(value) else fallback


def body_choice(body_id: str) -> str:
    return choice_name(body_id, "b_" + hashlib.sha256(body_id.encode()).hexdigest()[:10])


def option_choice(option: str, index: int) -> str:
    return choice_name(option, f"o{index + 1}")


def form_stamp(year, region: str, methodology_id: str, sha256: str) -> str:
    """What the XLSForm's hidden field ``kiprank_form`` holds (the export carries it back)."""
    return f"saq|{year}|{region}|{methodology_id}|{sha256[:12]}|{FORM_VERSION}"
