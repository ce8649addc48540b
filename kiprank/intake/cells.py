"""Writing workbook cells safely: text stays text (never a formula), control characters are
dropped, and the placeholders of per-body values (:func:`slot`) are marked with a private-use
character that user text cannot carry."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

MARK = "\ue000"  # private-use character around the placeholders of per-body values


def clean(text) -> str:
    """Text a workbook can hold (control characters dropped), at most Excel's 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", "" if text is None else str(text)).replace(MARK, "")[:32767]


def slot(key: str) -> str:
    """The placeholder of a per-body value in a :class:`Template`."""
    return f"{MARK}{key}{MARK}"


def put(ws, row: int, col: int, value, **style):
    """Write a cell; text is always stored as text, never run as a formula."""
    cell = ws.cell(row=row, column=col)
    is_slot = isinstance(value, str) and value.startswith(MARK) and value.endswith(MARK)
    cell.value = clean(value) if isinstance(value, str) and not is_slot else value  # also None: clears the cell
    if isinstance(value, str):
        cell.data_type = "s"
    for key, val in style.items():
        setattr(cell, key, val)
    return cell


def formula(ws, row: int, col: int, text: str):
    """A formula kiprank wrote itself (never user text)."""
    cell = ws.cell(row=row, column=col)
    cell.value = text
    return cell
