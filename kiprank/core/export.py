"""Writing result tables as CSV and XLSX, byte-identical for the same inputs: the one place
where kiprank writes spreadsheets (``ranking``, ``indicators``, ``changes``, ``decomposition``,
``corrections``, collect status ...).

Cells that a spreadsheet would run as a formula (:mod:`kiprank.core.formulas`) are neutralised:
prefixed with ``'`` in a CSV (:func:`write_table_csv`) and stored as plain text in a workbook
(:func:`write_table_xlsx`). Column names are treated the same way.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .formatting import source_date_epoch
from .formulas import safe_text
EPOCH_DEFAULT = 946684800  # 2000-01-01, used when SOURCE_DATE_EPOCH is not set
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")  # "-1.50" is a number, not a formula


def build_timestamp() -> int:
    """Timestamp recorded in generated files: ``SOURCE_DATE_EPOCH`` if set, else a fixed date,
    so that the same inputs give the same bytes."""
    value = source_date_epoch()
    return EPOCH_DEFAULT if value is None else value


def _number_or_safe(value):
    """For a column of numbers written as text (``-1.50``): numbers stay, anything else is neutralised."""
    return value if isinstance(value, str) and _NUMBER.match(value) else safe_text(value)


def neutralised(table: pd.DataFrame, numbers: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``table`` whose text cells and column names cannot run as formulas. Columns in
    ``numbers`` hold numbers written as text: a plain number there (``-1.50``) is kept as it is."""
    names = list(table.columns)
    table = table.copy()
    table.columns = [safe_text(str(c)) for c in names]
    for col, name in enumerate(names):
        series = table.iloc[:, col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            table.isetitem(col, series.map(_number_or_safe if name in numbers else safe_text))
    return table


def write_table_csv(table: pd.DataFrame, path: Path, float_format: str | None = None,
                    numbers: tuple[str, ...] = ()) -> Path:
    """Write a table as UTF-8 CSV (``\\n`` line ends, no index), formulas neutralised
    (:func:`neutralised`; ``numbers``: columns of numbers already written as text)."""
    neutralised(table, tuple(numbers)).to_csv(path, index=False, float_format=float_format, lineterminator="\n",
                                              encoding="utf-8")
    return Path(path)


def write_table_xlsx(sheets: dict[str, pd.DataFrame], path: Path, decimals: int = 2) -> Path:
    """Write one or more tables as a workbook (one sheet each), text stored as text (never a
    formula), with fixed timestamps so that the same tables give the same bytes."""
    wb = Workbook(write_only=True)
    for name, table in sheets.items():
        _fill_sheet(wb, wb.create_sheet(str(name)[:31]), table, decimals)
    _save(wb, Path(path))
    return Path(path)


def export_columns(ranking: pd.DataFrame, stage_ids: list[str]) -> list[str]:
    """Columns of the published table, in order."""
    cols = ["group_label", "rank", "body_id", "name", "status"]
    if "self_assessed" in ranking.columns:
        cols.append("self_assessed")
    return cols + stage_ids + ["final", "band", "notes"]


def _published(ranking: pd.DataFrame, stage_ids: list[str]) -> pd.DataFrame:
    table = ranking[export_columns(ranking, stage_ids)].rename(columns={"group_label": "group"})
    return table


def write_csv(ranking: pd.DataFrame, stage_ids: list[str], decimals: int, path: Path) -> None:
    """The published ranking as ``ranking.csv``."""
    write_table_csv(_published(ranking, stage_ids), path, float_format=f"%.{decimals}f")


def write_xlsx(ranking: pd.DataFrame, stage_ids: list[str], decimals: int, path: Path) -> None:
    """The published ranking as a workbook (streamed: fast for tens of thousands of rows),
    with fixed timestamps so the same inputs give the same bytes."""
    write_table_xlsx({"ranking": _published(ranking, stage_ids)}, path, decimals)


def _save(wb, path: Path) -> None:
    stamp = datetime.fromtimestamp(build_timestamp(), tz=timezone.utc).replace(tzinfo=None)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "kiprank"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(normalise_zip(buffer.getvalue(), stamp))


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_HEADER_ALIGNMENT = Alignment(vertical="center")


def _fill_sheet(wb, ws, table: pd.DataFrame, decimals: int) -> None:
    """One sheet: a styled header, text as text, floats with ``decimals``, widths from the first
    500 rows. The table is read once as Python lists: with pandas per cell, a workbook of a few
    rows costs more in pandas than in openpyxl (1,000 per-body workbooks of ``kiprank evidence``)."""
    number_format = "0" if decimals == 0 else "0." + "0" * decimals
    floats = [pd.api.types.is_float_dtype(dtype) for dtype in table.dtypes]
    names = [str(name) for name in table.columns]
    rows = table.to_numpy(dtype=object).tolist()
    for col_idx, name in enumerate(names):
        width = max([len(name)] + [len(str(row[col_idx])) for row in rows[:500]]) + 2
        ws.column_dimensions[get_column_letter(col_idx + 1)].width = min(width, 60)
    ws.freeze_panes = "A2"
    header = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.data_type = "s"
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for value, is_float in zip(row, floats):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                cells.append(None)
                continue
            cell = WriteOnlyCell(ws, value=value.item() if hasattr(value, "item") else value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif is_float:
                cell.number_format = number_format
            cells.append(cell)
        ws.append(cells)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{len(table) + 1}"


def normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite an xlsx (zip) with fixed member dates and core properties, for identical bytes."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = time.gmtime(min(max(build_timestamp(), 315532800), 4354819198))[:6]  # zip dates: 1980-2107
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), content)
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, content)
    return out.getvalue()


def csv_bytes(header: list[str], rows, neutralise: set[str] | None = None) -> bytes:
    """A UTF-8 CSV table (``\\n`` line ends) with formula-like text neutralised in the columns
    ``neutralise`` (default: every column). Columns holding ids that other tables must match
    exactly are left out of ``neutralise`` by callers that have refused formula-like ids."""
    import csv

    columns = set(header) if neutralise is None else neutralise
    guard = [name in columns for name in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_text(h) for h in header])
    for row in rows:
        writer.writerow([safe_text(v) if g else v for v, g in zip(row, guard)])
    return buffer.getvalue().encode("utf-8")
