"""Reading a region's tables: ``<name>.csv``, or the sheet ``<name>`` of ``inputs.xlsx``, as
DataFrames of stripped strings whose index is the row number a person sees (header on row 1).

CSV files may come from Excel in an Indonesian locale: a BOM, ``;`` as separator and a decimal
comma are read as meant. Files that are not UTF-8 are refused (names would be garbled otherwise).
Every problem (file, row, column) is appended to the caller's problem list; nothing is raised.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv as pa_csv

from .errors import InputProblem
from .limits import OPTIONS, limit, megabytes


class TableReader:
    """Reads ``<name>.csv`` or sheet ``<name>`` of ``inputs.xlsx`` as a table of stripped strings.

    The DataFrame index is the row number a person sees (header on row 1).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.xlsx = folder / "inputs.xlsx"
        self.used: dict[str, Path] = {}
        self._sheets: list[str] | None = None

    def label(self, name: str) -> str:
        csv_path = self.folder / f"{name}.csv"
        if csv_path.is_file() or not self.xlsx.is_file():
            return str(csv_path)
        return f"{self.xlsx} [sheet '{name}']"

    def read(self, name: str, problems: list[InputProblem]) -> pd.DataFrame | None:
        csv_path = self.folder / f"{name}.csv"
        if csv_path.is_file():
            self.used[name] = csv_path
            return read_csv_table(csv_path, problems)
        if csv_path.exists():
            problems.append(InputProblem(str(csv_path), None, None, "is not a regular file"))
            return None
        if self.xlsx.is_file():
            self.used[name] = self.xlsx
            return self._read_sheet(name, problems)
        problems.append(InputProblem(str(csv_path), None, None,
                                     f"file is missing (and there is no {self.xlsx.name} with a sheet '{name}')"))
        return None

    def _workbook(self, problems: list[InputProblem]):
        """The workbook's sheets, read once: ``{name: rows of values}``, plus the formula cells
        without a cached value; None (with a problem) when it cannot be read or is too large."""
        if hasattr(self, "_book"):
            return self._book
        self._book = None
        label = str(self.xlsx)
        if not size_ok(self.xlsx, problems):
            return None
        try:
            self._book = _read_workbook(self.xlsx, problems)
        except _TooLarge as exc:
            problems.append(InputProblem(label, None, None, str(exc)))
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
            problems.append(InputProblem(label, None, None,
                                         f"cannot be read as an Excel workbook: {type(exc).__name__}: {one_line(exc)}"))
        return self._book

    def _read_sheet(self, name: str, problems: list[InputProblem]) -> pd.DataFrame | None:
        label = self.label(name)
        book = self._workbook(problems)
        if book is None:
            return None
        sheets, formulas = book
        if name not in sheets:
            problems.append(InputProblem(str(self.xlsx), None, None,
                                         f"sheet '{name}' is missing (sheets: {', '.join(sheets) or 'none'})"))
            return None
        rows = sheets[name]
        while rows and not any(v.strip() for v in rows[-1]):
            rows.pop()
        if not rows or not any(v.strip() for v in rows[0]):
            problems.append(InputProblem(label, 1 if rows else None, None,
                                         "sheet is empty (expected a header row and data)" if not rows
                                         else "the first row (the header) is empty"))
            return None
        header = rows[0]
        while header and not header[-1].strip():
            header = header[:-1]
        if not header_ok(header, label, problems):
            return None
        bad = False
        for row_no, (r, c) in enumerate(formulas.get(name, [])):
            if row_no >= 20:
                problems.count_more(len(formulas[name]) - 20) if hasattr(problems, "count_more") else None
                break
            column = header[c] if c < len(header) else None
            problems.append(InputProblem(label, r, column.strip().lower() if column else None,
                                         "formula without a saved value (open the workbook in Excel and save it, "
                                         "or type the value)"))
            bad = True
        width = len(header)
        for r, row in enumerate(rows[1:], start=2):
            if len(row) > width and any(v.strip() for v in row[width:]):
                problems.append(InputProblem(label, r, None, f"row has a value beyond the last column of the header "
                                                             f"(column {len(row)}, the header has {width})"))
                bad = True
        if bad:
            return None
        data = [(row + [""] * width)[:width] for row in rows[1:]]
        df = pd.DataFrame(data, columns=header, dtype=object)
        return tidy(df, label, problems)


class _TooLarge(Exception):
    pass


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:200] if text else "")


def size_ok(path: Path, problems: list[InputProblem]) -> bool:
    size = path.stat().st_size
    most = limit("max_file_mb") * 1e6
    if size > most:
        problems.append(InputProblem(str(path), None, None,
                                     f"file is {megabytes(size)}, above the limit of {megabytes(most)} "
                                     f"(raise it with {OPTIONS['max_file_mb']})"))
        return False
    return True


def _read_workbook(path: Path, problems: list[InputProblem]):
    """Every sheet of a workbook as rows of stripped-or-not strings (formatted as the cell shows a
    number: ``7`` not ``7.0``), and per sheet the (row, column index) of formula cells that have no
    saved value. The uncompressed size is checked before anything is parsed."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        most = limit("max_xlsx_mb") * 1e6
        if total > most or len(infos) > 10000:
            raise _TooLarge(f"the workbook expands to {megabytes(total)} of content ({len(infos)} parts), above the "
                            f"limit of {megabytes(most)} (raise it with {OPTIONS['max_xlsx_mb']}; or save the "
                            f"tables as CSV files)")
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets: dict[str, list[list[str]]] = {}
    missing: dict[str, list[tuple[int, int]]] = {}
    max_cols = int(limit("max_columns"))
    try:
        for ws in values.worksheets:
            rows = []
            holes = []
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if len(row) > max_cols * 4 and any(v is not None for v in row[max_cols * 4:]):
                    raise _TooLarge(f"sheet '{ws.title}', row {r}: more than {max_cols * 4} columns "
                                    f"(raise it with {OPTIONS['max_columns']})")
                cells = []
                for c, v in enumerate(row):
                    if v is None:
                        holes.append((r, c))
                    cells.append(_cell_text(v))
                rows.append(cells)
            sheets[ws.title] = rows
            if holes:
                missing[ws.title] = holes
    finally:
        values.close()
    formulas: dict[str, list[tuple[int, int]]] = {}
    if missing:  # empty cells: are some of them formulas whose value was never computed?
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            for title, holes in missing.items():
                wanted = set(holes)
                found = []
                for r, row in enumerate(book[title].iter_rows(values_only=True), start=1):
                    for c, v in enumerate(row):
                        if isinstance(v, str) and v.startswith("=") and (r, c) in wanted:
                            found.append((r, c))
                if found:
                    formulas[title] = found
        finally:
            book.close()
    return sheets, formulas


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def header_ok(header: list[str], label: str, problems: list[InputProblem]) -> bool:
    """The header has at most ``--max-columns`` columns and no name twice (after trimming and
    lower-casing, as the columns are matched)."""
    most = int(limit("max_columns"))
    if not any(str(name).strip() for name in header):
        problems.append(InputProblem(label, 1, None, "the header row has no column names"))
        return False
    if len(header) > most:
        problems.append(InputProblem(label, 1, None, f"the header has {len(header):,} columns, above the limit of "
                                                     f"{most} (raise it with {OPTIONS['max_columns']})"))
        return False
    seen: dict[str, int] = {}
    ok = True
    for i, name in enumerate(header):
        key = str(name).strip().lower()
        if not key:
            continue
        if key in seen:
            problems.append(InputProblem(label, 1, key, f"column '{key}' appears twice in the header "
                                                        f"(columns {seen[key] + 1} and {i + 1})"))
            ok = False
        else:
            seen[key] = i
    return ok


CHUNK = 1 << 22


def read_csv_table(path: Path, problems: list[InputProblem]) -> pd.DataFrame | None:
    """Read a CSV table (size checked first; UTF-8 checked in chunks; header checked before the
    rows are parsed; rows with more or fewer fields than the header refused with their line)."""
    if not size_ok(path, problems):
        return None
    label = str(path)
    plain = True
    decoder = __import__("codecs").getincrementaldecoder("utf-8")()
    line, head, last = 1, b"", b""
    with open(path, "rb") as handle:
        first = True
        while True:
            chunk = handle.read(CHUNK)
            if first:
                if chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                head = chunk[:1 << 20]
                first = False
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                line += chunk[: max(exc.start, 0)].count(b"\n")
                bad = chunk[exc.start] if 0 <= exc.start < len(chunk) else 0
                problems.append(InputProblem(label, line, None,
                                             f"not UTF-8 text (byte 0x{bad:02x}); save it as 'CSV UTF-8'"))
                return None
            if not chunk:
                break
            both = last + chunk
            if plain and (b'"' in chunk or b"\n\n" in both or b"\n\r\n" in both):
                plain = False
            line += chunk.count(b"\n")
            last = chunk[-2:]
    text_head = head.decode("utf-8", errors="replace")
    if not re.search(r"\S", text_head):
        problems.append(InputProblem(label, None, None, "file is empty (expected a header row and data)"))
        return None
    header_line = re.split(r"\r\n|\r|\n", text_head, maxsplit=1)[0]  # old Mac files end lines with CR only
    if len(head) >= (1 << 20) and not re.search(r"[\r\n]", text_head):
        problems.append(InputProblem(label, 1, None, "the header row is longer than 1 MB: not a kiprank input table"))
        return None
    sep = max([",", ";", "\t"], key=header_line.count)
    try:
        header = next(csv.reader([header_line], delimiter=sep, strict=True))
    except csv.Error as exc:
        problems.append(InputProblem(label, 1, None, f"the header row is not well-formed CSV: {exc}"))
        return None
    if not header_ok(header, label, problems):
        return None
    try:
        if plain:
            df = _parse_plain(path, sep, header, label, problems)
        else:
            df = _parse_quoted(path, sep, header, label, problems)
    except (pd.errors.ParserError, ValueError, pyarrow.ArrowInvalid, csv.Error) as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.append(InputProblem(label, int(match.group(1)) if match else None, None,
                                     f"not a well-formed CSV table: {one_line(exc)}"))
        return None
    if df is None:
        return None
    return tidy(df, label, problems)


def _field_problem(label: str, line: int | None, got: int, expected: int) -> InputProblem:
    what = "more" if got > expected else "fewer"
    hint = " (a comma in a text? put the text in double quotes)" if got > expected else ""
    return InputProblem(label, line, None, f"row has {got} fields, {what} than the {expected} columns of the header{hint}")


def _parse_plain(path: Path, sep: str, header: list[str], label: str, problems) -> pd.DataFrame | None:
    """A file without quotes or blank lines: pyarrow's parser; rows with the wrong number of fields
    are collected (with their line) and the table is refused."""
    bad: list[InputProblem] = []

    def invalid(row) -> str:
        bad.append(_field_problem(label, None if row.number is None else row.number, row.actual_columns,
                                  row.expected_columns))
        return "skip"

    as_text = pyarrow.dictionary(pyarrow.int32(), pyarrow.string())
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=1 << 26, use_threads=False,
                                        skip_rows=0),  # one dictionary per column: cheap to convert
        parse_options=pa_csv.ParseOptions(delimiter=sep, invalid_row_handler=invalid),
        convert_options=pa_csv.ConvertOptions(strings_can_be_null=False,
                                              column_types={n: as_text for n in header}),
    )
    if bad:
        for problem in bad:
            problems.append(problem)
        return None
    return table.to_pandas()


def _parse_quoted(path: Path, sep: str, header: list[str], label: str, problems) -> pd.DataFrame | None:
    """A file with quotes or blank lines: Python's csv reader (exact line numbers for quoted line
    breaks and blank lines); an unterminated quote and rows with the wrong number of fields are
    refused with their line."""
    rows: list[list[str]] = []
    lines: list[int] = []
    bad = False
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep, strict=True)
        try:
            next(reader)
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) != len(header) and any(v.strip() for v in row):
                    problems.append(_field_problem(label, start, len(row), len(header)))
                    bad = True
                rows.append(row if len(row) == len(header) else [""] * len(header))
                lines.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            problems.append(InputProblem(label, reader.line_num, None,
                                         f"not a well-formed CSV table: {exc} (a quote that is never closed?)"))
            return None
    if bad:
        return None
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df.index = pd.Index(lines)
    df.attrs["lines"] = True
    return df


def tidy(df: pd.DataFrame, label: str, problems: list[InputProblem]) -> pd.DataFrame | None:
    """Lower-case headers, strip cells, drop blank rows; cells become categoricals (fast for
    millions of repeated ids and answers); index = the line/row number a person sees."""
    df.columns = [str(c).strip().lower() for c in df.columns]
    if not df.attrs.pop("lines", False):
        df.index = pd.RangeIndex(2, len(df) + 2)
    unnamed = [i for i, c in enumerate(df.columns) if c == "" or c.startswith("unnamed:")]
    if unnamed:  # Excel leaves empty columns at the right: harmless when they are empty
        keep = []
        for i in range(df.shape[1]):
            if i in unnamed:
                values = df.iloc[:, i].astype(object).fillna("").astype(str).str.strip()
                if (values != "").any():
                    row = int(df.index[(values != "").to_numpy().argmax()])
                    problems.append(InputProblem(label, row, None, f"column {i + 1} has values but no name in the header"))
                    return None
            else:
                keep.append(i)
        df = df.iloc[:, keep]
    for col in df.columns:
        df[col] = _stripped_category(df[col])
    blank = np.logical_and.reduce([df[c].cat.codes.to_numpy() == _code_of(df[c], "") for c in df.columns])
    df = df[~blank]
    if df.empty:
        problems.append(InputProblem(label, None, None, "has a header but no data rows"))
        return None
    return df


def _stripped_category(col: pd.Series) -> pd.Series:
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.fillna("").astype("category")
    return recode(col, str.strip)


def recode(col: pd.Series, func) -> pd.Series:
    """Apply ``func`` to the categories of a categorical column (not to each of its millions
    of cells); categories that become equal are merged."""
    before = col.cat.categories.astype(object)
    after = pd.Index([func(c) for c in before.to_numpy()], dtype=object)
    if after.equals(before):
        return col
    codes, uniques = pd.factorize(after)
    new_codes = np.append(codes, -1)[col.cat.codes.to_numpy()]
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=pd.Index(uniques, dtype=object)),
                     index=col.index, name=col.name)


def lookup(col: pd.Series, mapping: dict, default=np.nan) -> np.ndarray:
    """``mapping[cell]`` for each cell of a categorical column, computed once per category."""
    table = np.array([mapping.get(c, default) for c in col.cat.categories] + [default], dtype=object)
    return table[col.cat.codes.to_numpy()]


def _code_of(col: pd.Series, value: str) -> int:
    cats = col.cat.categories
    return int(cats.get_loc(value)) if value in cats else -2


def empty_table(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

