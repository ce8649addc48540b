"""The one answer rule: what a typed answer means, for ``kiprank collect`` and for scoring alike.

Every answer, verdict and checklist mark goes through the functions here, whether it comes from a
cell of a returned workbook, a web-form export or a row of ``saq.csv``: so an answer ``collect``
accepts is scored, and one it refuses is refused by ``validate`` and ``score`` too.

Text is compared after trimming, lower-casing and collapsing runs of spaces (``" Tidak  Ada "`` is
``tidak ada``). Accepted spellings:

- yes/no questions and website checks: yes = ``ya``, ``iya``, ``y``, ``yes``, ``ada``, ``benar``,
  ``true``, ``1``; no = ``tidak``, ``tdk``, ``t``, ``no``, ``n``, ``tidak ada``, ``salah``,
  ``false``, ``0`` (a workbook's TRUE/FALSE cell, and the numbers 1 and 0, too);
- graded questions: an option label as the methodology writes it (any case);
- numeric questions: a plain decimal number from 0 to ``max``, with a point or a comma
  (``7``, ``7.5``, ``7,5``). Exponents (``1e1``), thousands separators, ``inf``/``nan`` and
  formulas (``=1``) are refused: nobody types a score that way, and a spreadsheet that computed it
  stores the number, which is used;
- verdicts: ``sesuai`` (also ``terverifikasi``, ``verified``, ``ya``, ``iya``), ``sebagian`` (also
  ``sebagian sesuai``, ``partial``), ``tidak sesuai`` (also ``tdk sesuai``, ``tidak terverifikasi``,
  ``unverified``, ``tidak``, ``tdk``).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .tables import recode

if TYPE_CHECKING:  # methodology imports YES/NO from here
    from .methodology import Methodology, Question

YES = frozenset({"ya", "iya", "y", "yes", "ada", "benar", "true", "1"})
NO = frozenset({"tidak", "tdk", "t", "no", "n", "tidak ada", "salah", "false", "0"})
#: a checklist mark (website.csv ``present``) -> 1.0 / 0.0
PRESENT = {**{k: 1.0 for k in YES}, **{k: 0.0 for k in NO}}
#: a verifier's verdict -> verified / partial / unverified
VERDICTS = {
    "sesuai": "verified", "terverifikasi": "verified", "verified": "verified", "ya": "verified", "iya": "verified",
    "sebagian": "partial", "partial": "partial", "sebagian sesuai": "partial",
    "tidak sesuai": "unverified", "tdk sesuai": "unverified", "tidak terverifikasi": "unverified",
    "unverified": "unverified", "tidak": "unverified", "tdk": "unverified",
}
CANONICAL_VERDICT = {"verified": "sesuai", "partial": "sebagian", "unverified": "tidak sesuai"}

_NUMBER = re.compile(r"[+-]?(\d+(?:[.,]\d*)?|[.,]\d+)")
_SPACES = re.compile(r"\s+")


def key(text: str) -> str:
    """Text as answers are compared: trimmed, lower-case, runs of spaces made one."""
    return _SPACES.sub(" ", str(text)).strip().lower()


def format_number(value: float) -> str:
    """A number as an input table writes it: ``7``, ``7.5`` (no ``7.0``, no exponent for usual values)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def parse_number(value) -> float | None:
    """A number typed or stored in a cell: an int or float (finite), or text that is a plain
    decimal (``7``, ``-1``, ``7.5``, ``7,5``); None otherwise (``1e1``, ``=1``, ``inf``, ``1.000,5``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            return float(text.replace(",", "."))
    return None


def cell_text(value) -> str | None:
    """What a cell holds as text (numbers written as an input table writes them); None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return format_number(value)
    text = str(value).strip()
    return text or None


def allowed_text(q: "Question") -> str:
    """What ``q`` accepts, for messages."""
    if q.type == "yesno":
        return "ya or tidak"
    if q.type == "graded":
        return "one of " + ", ".join(f"'{o}'" for o in q.options)
    return f"a number from 0 to {q.max:g}"


def canonical_answer(q: "Question", value) -> tuple[str | None, str | None]:
    """``(canonical answer, None)``, ``(None, why it is refused)``, or ``(None, None)`` for an empty
    cell. The canonical answer is ``ya``/``tidak``, the option label as the methodology writes it,
    or the number as an input table writes it."""
    if isinstance(value, (datetime, date, time)):
        return None, f"a date/time is not an answer to {q.id} (expected {allowed_text(q)})"
    text = cell_text(value)
    if text is None:
        return None, None
    refused = None, f"answer '{text}' to {q.id} is not allowed (expected {allowed_text(q)})"
    if q.type == "numeric":
        number = parse_number(value)
        if number is None or not 0 <= number <= q.max:
            return refused
        return format_number(number), None
    k = key(text)
    if q.type == "yesno":
        if k in YES:
            return "ya", None
        if k in NO:
            return "tidak", None
        return refused
    for option in q.options:
        if key(option) == k:
            return str(option), None
    return refused


def fraction(q: "Question", value) -> float:
    """The fraction (0-1) of ``q`` an answer earns; NaN when the answer is empty or not allowed."""
    answer, _ = canonical_answer(q, value)
    if answer is None:
        return float("nan")
    if q.type == "numeric":
        return float(answer) / q.max
    if q.type == "yesno":
        return 1.0 if answer == "ya" else 0.0
    best = max(q.options.values())
    return q.options[answer] / best


def canonical_verdict(value) -> tuple[str | None, str | None]:
    """``(sesuai | sebagian | tidak sesuai, None)``, ``(None, why)``, or ``(None, None)`` when empty."""
    text = cell_text(value)
    if text is None:
        return None, None
    meaning = VERDICTS.get(key(text))
    if meaning is None:
        return None, f"verdict '{text}' is not one of sesuai, sebagian, tidak sesuai"
    return CANONICAL_VERDICT[meaning], None


def canonical_present(value) -> tuple[str | None, str | None]:
    """``(ya | tidak, None)``, ``(None, why)``, or ``(None, None)`` when empty."""
    text = cell_text(value)
    if text is None:
        return None, None
    k = key(text)
    if k not in PRESENT:
        return None, f"value '{text}' is not ya/tidak"
    return ("ya" if PRESENT[k] else "tidak"), None


def answer_fractions(question_ids: pd.Series, answers: pd.Series, methodology: "Methodology") -> np.ndarray:
    """Fraction (0-1) of each question earned by each answer (:func:`fraction`); NaN where the
    answer is not allowed or the question is not in the methodology.

    Vectorised for millions of rows: :func:`fraction` is called once per distinct (question,
    answer) pair that occurs.
    """
    questions = methodology.questionnaire.questions
    known = pd.Index([q.id for q in questions])
    if isinstance(question_ids.dtype, pd.CategoricalDtype):  # look up each category once
        per_category = np.append(known.get_indexer(question_ids.cat.categories.astype(object)), -1)
        q_codes = per_category[question_ids.cat.codes.to_numpy()]
    else:
        q_codes = known.get_indexer(np.asarray(question_ids, dtype=object))
    if isinstance(answers.dtype, pd.CategoricalDtype):
        a_codes, uniques = answers.cat.codes.to_numpy(), answers.cat.categories.astype(object).to_numpy()
    else:
        a_codes, uniques = pd.factorize(np.asarray(answers, dtype=object))
    width = len(uniques) + 1  # codes of -1 (unknown question, no answer) land on a padding row/column
    pairs = (q_codes.astype(np.int64) % (len(questions) + 1)) * width + a_codes.astype(np.int64) % width
    size = (len(questions) + 1) * width
    if size <= 1 << 24:  # a (question x answer) table: count which pairs occur, look each up once
        distinct = np.flatnonzero(np.bincount(pairs, minlength=size))
        where = None
    else:
        distinct, where = np.unique(pairs, return_inverse=True)
    values = np.full(len(distinct), np.nan)
    for n, pair in enumerate(distinct.tolist()):
        qi, ai = divmod(pair, width)
        if qi < len(questions) and ai < len(uniques):
            values[n] = fraction(questions[qi], str(uniques[ai]))
    if where is not None:
        return values[where.reshape(-1)]
    table = np.full(size, np.nan)
    table[distinct] = values
    return table[pairs]


def verdict_codes(values: pd.Series) -> pd.Series:
    """verified / partial / unverified per cell of a categorical column ('' when not a verdict)."""
    return recode(values, lambda v: VERDICTS.get(key(v), ""))


def number_values(values: pd.Series) -> np.ndarray:
    """:func:`parse_number` per cell of a categorical column (NaN when not a plain number)."""
    table = np.array([parse_number(str(c)) for c in values.cat.categories] + [None], dtype=float)
    return table[values.cat.codes.to_numpy()]


def present_values(values: pd.Series) -> np.ndarray:
    """1.0 / 0.0 per cell of a categorical column (NaN when not a checklist mark)."""
    table = np.array([PRESENT.get(key(c), np.nan) for c in values.cat.categories] + [np.nan], dtype=float)
    return table[values.cat.codes.to_numpy()]
