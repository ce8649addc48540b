"""Numbers, percentages and dates written the way a reader of the report expects.

Indonesian (``id``): decimal comma and a dot between thousands (``1.234,56``; ``94,84``);
English (``en``): ``1,234.56``. Rounding is half-up (as a person would round), like scoring.
A negative number has a true minus sign (U+2212: ``−0,02``), never a hyphen. Missing values
(None, NaN) are written as an em dash.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

MISSING = "\u2014"  # em dash
MINUS = "\u2212"  # the minus sign of a negative number
LANGS = ("id", "en")

_SEPARATORS = {"id": (",", "."), "en": (".", ",")}  # (decimal mark, thousands separator)

MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language '{lang}' is not supported (use one of: {', '.join(LANGS)})")
    return lang


def _missing(value) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA / NaT, without pandas
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def format_number(value, decimals: int = 2, lang: str = "id", missing: str = MISSING) -> str:
    """``94.84`` -> ``'94,84'`` (id) or ``'94.84'`` (en); ``1234.5`` -> ``'1.234,50'`` (id);
    ``-0.02`` -> ``'\u22120,02'``.

    Always shows ``decimals`` digits after the mark (scores are published at a fixed precision).
    """
    if _missing(value):
        return missing
    dec_mark, thousands = _SEPARATORS[check_lang(lang)]
    quant = Decimal(1).scaleb(-decimals)
    number = Decimal(repr(float(value))).quantize(quant, rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # no '-0,0'
    text = f"{number:,.{decimals}f}"  # '1,234.50' (Decimal formats exactly)
    return text.translate(str.maketrans({",": thousands, ".": dec_mark, "-": MINUS}))


def format_int(value, lang: str = "id", missing: str = MISSING) -> str:
    """``12345`` -> ``'12.345'`` (id) or ``'12,345'`` (en)."""
    return format_number(value, 0, lang, missing)


def format_percent(part, whole, decimals: int = 1, lang: str = "id", missing: str = MISSING) -> str:
    """``part`` of ``whole`` as a percentage: ``(20, 26)`` -> ``'76,9%'`` (id)."""
    if _missing(part) or _missing(whole) or float(whole) == 0:
        return missing
    return format_number(100.0 * float(part) / float(whole), decimals, lang, missing) + "%"


def format_date(day: date, lang: str = "id") -> str:
    """``date(2022, 12, 31)`` -> ``'31 Desember 2022'`` (id) or ``'31 December 2022'`` (en)."""
    return f"{day.day} {MONTHS[check_lang(lang)][day.month - 1]} {day.year}"


def format_weight(value, lang: str = "id") -> str:
    """A weight without useless decimals: ``30.0`` -> ``'30'``, ``12.5`` -> ``'12,5'`` (id)."""
    if _missing(value):
        return MISSING
    value = float(value)
    if value == int(value):
        return format_int(value, lang)
    text = format_number(value, 4, lang).rstrip("0")
    return text


def resolve_report_date(report_date: str | date | None = None) -> date:
    """The date printed on a report: the one given (``YYYY-MM-DD``), else the UTC date of
    ``SOURCE_DATE_EPOCH`` if that is set (reproducible builds), else today's date."""
    if isinstance(report_date, date):
        return report_date
    if report_date:
        try:
            return date.fromisoformat(str(report_date))
        except ValueError as exc:
            raise ValueError(f"report_date '{report_date}' is not a date like 2022-12-31") from exc
    epoch = source_date_epoch()
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=timezone.utc).date()
    return date.today()


EPOCH_MAX = 253402300799  # 9999-12-31T23:59:59Z


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, None when unset; :class:`~kiprank.core.errors.UsageError`
    (exit 2) when it is not a whole number of seconds from 1970 to the end of the year 9999."""
    from .errors import UsageError

    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 12 or int(value) > EPOCH_MAX:
        raise UsageError(f"SOURCE_DATE_EPOCH='{value[:40]}' is not a time in seconds since 1970 "
                         f"(0 to {EPOCH_MAX}, before the year 10000)")
    return int(value)


__all__ = ["resolve_report_date", "format_number", "format_int", "format_percent", "format_date", "format_weight",
           "check_lang", "MISSING", "LANGS"]
