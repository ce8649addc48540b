"""Reading and validating a region's inputs: ``inputs/<year>/<region>/``.

The folder holds ``region.yml`` and the tables ``bodies``, ``saq``, ``verification``, ``website``
and one per ``score`` stage (named after the stage id). Each table is read from ``<name>.csv``
or, when that file is absent, from the sheet ``<name>`` of ``inputs.xlsx``.

CSV files may come from Excel in an Indonesian locale: a BOM, ``;`` as separator and a decimal
comma are read as meant. Files that are not UTF-8 are refused (names would be garbled otherwise).

Validation uses pandera schemas; every problem is collected (file, row, column, what was
expected) and raised together as :class:`~kiprank.core.errors.InputValidationError`.
"""

from __future__ import annotations

import csv
import hashlib
import re
import string
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.csv as pa_csv
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import (InputProblem, InputValidationError, KiprankError, MethodologyError, ProblemList, UsageError)
from .limits import OPTIONS, limit, megabytes
from .methodology import Methodology, load_methodology, resolve_methodology_path

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # whole name (fullmatch: no trailing newline)
VERDICTS = {
    "sesuai": "verified", "terverifikasi": "verified", "verified": "verified", "ya": "verified",
    "sebagian": "partial", "partial": "partial", "sebagian sesuai": "partial",
    "tidak sesuai": "unverified", "tidak terverifikasi": "unverified", "unverified": "unverified",
    "tidak": "unverified",
}
PRESENT = {"ya": 1.0, "yes": 1.0, "1": 1.0, "ada": 1.0, "true": 1.0,
           "tidak": 0.0, "no": 0.0, "0": 0.0, "tidak ada": 0.0, "false": 0.0}


class Signatory(BaseModel):
    """Who signs the letters (``region.yml``: ``signatory: {name: ..., title: ...}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]


LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg")


class RegionConfig(BaseModel):
    """``region.yml``: who publishes, under which methodology, which groups are ranked.

    Letterhead of ``kiprank letters`` (all optional): ``logo`` (an image file, relative to the region
    folder), ``letter_number`` (a pattern with ``{n}``, the letter's number in report order, and
    optionally ``{year}``, e.g. ``"489/{n:03d}/KIP/2022"``) and ``signatory``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str
    issuer: str
    title: str
    methodology: str
    groups: dict[str, str] = Field(min_length=1)
    data_note: str | dict[str, str] = ""
    report_date: date | None = None
    deadline: date | None = None  # return date printed on the SAQ forms (kiprank forms)
    # licence of the published tables, in datapackage.json: an SPDX id (CC-BY-4.0, CC0-1.0, ODbL-1.0 ...)
    # or the URL of a licence text; without it the data package names no licence
    license: str | None = Field(default=None, min_length=1, max_length=200)

    logo: str | None = None
    letter_number: str | None = None
    signatory: Signatory | None = None

    @field_validator("letter_number")
    @classmethod
    def _number_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
            unknown = fields - {"n", "year"}
            if unknown:
                raise ValueError(f"unknown field(s) {', '.join('{' + f + '}' for f in sorted(unknown))}")
            if "n" not in fields:
                raise ValueError("the pattern needs {n} (the letter's number)")
            value.format(n=1, year=2000)
        except (ValueError, IndexError, KeyError) as exc:
            raise ValueError(f"letter number pattern {value!r} cannot be used: {exc} "
                             "(write e.g. \"489/{n:03d}/KIP/{year}\")") from None
        return value

    @field_validator("logo")
    @classmethod
    def _logo_suffix(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().endswith(LOGO_SUFFIXES):
            raise ValueError(f"logo '{value}' must be an image file ({', '.join(LOGO_SUFFIXES)})")
        return value

    def logo_path(self, folder: Path) -> Path | None:
        """The logo file, relative to the region folder (None when there is none)."""
        return None if self.logo is None else (Path(folder) / self.logo)

    def note(self, lang: str) -> str:
        """The data note in ``lang`` (a plain string serves every language)."""
        if isinstance(self.data_note, str):
            return self.data_note
        return self.data_note.get(lang) or self.data_note.get("id") or next(iter(self.data_note.values()), "")


@dataclass
class RegionInputs:
    """A region's validated inputs: normalised tables plus where they came from.

    Tables (all with string ``body_id``):
    - ``bodies``: body_id, name, group, website
    - ``saq``: body_id, question_id, answer, earned (fraction 0-1 of the question earned as claimed)
    - ``verification``: body_id, question_id, verdict (verified/partial/unverified), granted,
      granted_earned (fraction earned by the granted answer; NaN unless partial)
    - ``website``: body_id, item_id, present (0/1)
    - ``scores[stage_id]``: body_id, score (0-100)
    """

    year: int
    region_id: str
    folder: Path
    config: RegionConfig
    methodology: Methodology
    methodology_path: Path
    bodies: pd.DataFrame
    saq: pd.DataFrame
    verification: pd.DataFrame
    website: pd.DataFrame
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of every input file used, by path relative to the region folder."""
        out = {}
        for path in sorted({*self.files.values(), self.folder / "region.yml"}):
            out[_rel(path, self.folder)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


def check_name(value: str, what: str) -> str:
    """Refuse names that could escape the inputs or outputs folders (``../x``, ``a/b``)."""
    text = str(value)
    if not SAFE_NAME.fullmatch(text) or ".." in text:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise UsageError(f"{what} {shown!r} is not allowed: use up to 100 letters, digits, '-', '_' or '.' "
                         "(no slashes, no '..', no spaces or line breaks)")
    return text


def region_folder(inputs_root: Path, year: int | str, region: str) -> Path:
    return Path(inputs_root) / check_name(str(year), "year") / check_name(region, "region")


def load_region(year: int | str, region: str, inputs_root: Path | str = "inputs") -> RegionInputs:
    """Read and validate ``<inputs_root>/<year>/<region>/``; raise with every problem found."""
    folder = region_folder(Path(inputs_root), year, region)
    if not folder.is_dir():
        raise UsageError(f"no input folder {folder}")
    config = _load_config(folder)
    try:
        methodology_path = resolve_methodology_path(config.methodology, folder)
        methodology = load_methodology(methodology_path)
    except MethodologyError:
        raise
    reader = _TableReader(folder)
    problems = ProblemList(int(limit("max_problems")))

    raw_bodies = reader.read("bodies", problems)
    bodies = _validate_bodies(raw_bodies, reader, config, problems)
    if bodies is not None:
        body_ids = set(bodies["body_id"])
    elif raw_bodies is not None and "body_id" in raw_bodies.columns:
        body_ids = set(raw_bodies["body_id"])  # bodies.csv has other problems: its ids are still known
    else:
        body_ids = None  # no usable bodies table: do not flag every row as an unknown body

    saq = verification = website = None
    if methodology.questionnaire is not None:
        saq = _validate_answers(reader.read("saq", problems), reader, methodology, body_ids, problems)
        if methodology.stages_of("verification"):
            verification = _validate_verification(
                reader.read("verification", problems), reader, methodology, body_ids, problems
            )
    for stage in methodology.stages_of("checklist"):
        website = _validate_checklist(reader.read("website", problems), reader, stage, body_ids, problems)
    scores = {}
    for stage in methodology.stages_of("score"):
        scores[stage.id] = _validate_scores(reader.read(stage.id, problems), reader, stage.id, body_ids, problems)

    if problems:
        raise InputValidationError(problems)
    return RegionInputs(
        year=int(year), region_id=region, folder=folder, config=config, methodology=methodology,
        methodology_path=methodology_path, bodies=bodies,
        saq=saq if saq is not None else _empty(["body_id", "question_id", "answer", "earned"]),
        verification=verification if verification is not None
        else _empty(["body_id", "question_id", "verdict", "granted", "granted_earned"]),
        website=website if website is not None else _empty(["body_id", "item_id", "present"]),
        scores=scores, files=dict(reader.used),
    )


# -- region.yml ------------------------------------------------------------------------------

def _load_config(folder: Path) -> RegionConfig:
    from .yamlfile import YamlFileError, load_yaml

    path = folder / "region.yml"
    if not path.is_file():
        raise InputValidationError([InputProblem(str(path), None, None, "file is missing")])
    try:
        data = load_yaml(path)
    except YamlFileError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise InputValidationError([InputProblem(str(path), None, None, where + exc.reason)]) from None
    if data is not None and not isinstance(data, dict):
        raise InputValidationError([InputProblem(str(path), None, None, "expected a mapping (region: ..., title: ...)")])
    try:
        config = RegionConfig.model_validate(data or {})
    except ValidationError as exc:
        raise InputValidationError([
            InputProblem(str(path), None, ".".join(map(str, e["loc"])) or None, e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]) from exc
    logo = config.logo_path(folder)
    if logo is not None and not logo.is_file():
        raise InputValidationError([InputProblem(str(path), None, "logo", f"logo file {logo} not found")])
    return config


# -- reading tables --------------------------------------------------------------------------

class _TableReader:
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
            return _read_csv(csv_path, problems)
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
        if not _size_ok(self.xlsx, problems):
            return None
        try:
            self._book = _read_workbook(self.xlsx, problems)
        except _TooLarge as exc:
            problems.append(InputProblem(label, None, None, str(exc)))
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
            problems.append(InputProblem(label, None, None,
                                         f"cannot be read as an Excel workbook: {type(exc).__name__}: {_one_line(exc)}"))
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
        if not _header_ok(header, label, problems):
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
        return _tidy(df, label, problems)


class _TooLarge(Exception):
    pass


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0][:200] if text else "")


def _size_ok(path: Path, problems: list[InputProblem]) -> bool:
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


def _header_ok(header: list[str], label: str, problems: list[InputProblem]) -> bool:
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


def _read_csv(path: Path, problems: list[InputProblem]) -> pd.DataFrame | None:
    """Read a CSV table (size checked first; UTF-8 checked in chunks; header checked before the
    rows are parsed; rows with more or fewer fields than the header refused with their line)."""
    if not _size_ok(path, problems):
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
    if not _header_ok(header, label, problems):
        return None
    try:
        if plain:
            df = _parse_plain(path, sep, header, label, problems)
        else:
            df = _parse_quoted(path, sep, header, label, problems)
    except (pd.errors.ParserError, ValueError, pyarrow.ArrowInvalid, csv.Error) as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.append(InputProblem(label, int(match.group(1)) if match else None, None,
                                     f"not a well-formed CSV table: {_one_line(exc)}"))
        return None
    if df is None:
        return None
    return _tidy(df, label, problems)


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


def _tidy(df: pd.DataFrame, label: str, problems: list[InputProblem]) -> pd.DataFrame | None:
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


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# -- pandera validation ----------------------------------------------------------------------

CHUNK_ROWS = 250_000  # rows validated at once: pandera's failure cases of one chunk bound the memory


def _run_schema(df: pd.DataFrame, schema: pa.DataFrameSchema, label: str,
                problems: list[InputProblem], messages: dict[str, tuple[str, str]]) -> bool:
    """Validate lazily and turn pandera's failure cases into InputProblems.

    ``messages`` maps a check name to (column to blame, message); built-in checks get a
    message made from the check. Returns True when the table is valid.

    Large tables are validated in chunks of :data:`CHUNK_ROWS` rows (column checks) and the
    whole-table checks (duplicate rows) are computed directly, so that millions of bad rows cost
    memory for one chunk only; past ``--max-problems`` problems are counted, not kept.
    """
    # pandera reports a check by its error text (e.g. "isin(['a'])"), not by its name.
    names = {(col_name, str(chk.error)): chk.name
             for col_name, col in schema.columns.items() for chk in col.checks if chk.name}
    frame_checks = [chk for chk in schema.checks if hasattr(chk, "kiprank_rows")]
    columns_only = pa.DataFrameSchema(schema.columns, checks=[c for c in schema.checks if c not in frame_checks],
                                      strict=schema.strict)
    ok = True
    chunked = len(df) > CHUNK_ROWS and not any(col.unique for col in schema.columns.values())
    starts = range(0, len(df), CHUNK_ROWS) if chunked else [0]
    for start in starts:
        part = df.iloc[start:start + CHUNK_ROWS] if chunked else df
        try:
            columns_only.validate(part, lazy=True)
        except pa.errors.SchemaErrors as exc:
            ok = False
            _collect(exc.failure_cases, names, label, problems, messages)
    for chk in frame_checks:  # duplicate rows: one problem per repeated row, blamed on the first column
        cols = chk.kiprank_rows
        repeated = ~chk.kiprank_fn(df).to_numpy()
        if not repeated.any():
            continue
        ok = False
        rows = df.index.to_numpy()[repeated]
        room = max(getattr(problems, "cap", len(rows)) - len(problems), 0)
        for row in rows[:room]:
            problems.append(InputProblem(label, int(row), cols[0],
                                         f"duplicate row: ({', '.join(cols)}) appears more than once with these values"))
        if len(rows) > room and hasattr(problems, "count_more"):
            problems.count_more(len(rows) - room)
    return ok


def _collect(cases: pd.DataFrame, names: dict, label: str, problems: list[InputProblem],
             messages: dict[str, tuple[str, str]]) -> None:
    seen = set()
    for n, case in enumerate(cases.itertuples(index=False)):
        if getattr(problems, "full", False) and hasattr(problems, "count_more"):
            problems.count_more(_count_cases(cases.iloc[n:], names))  # the rest are only counted
            break
        check = names.get((case.column, str(case.check)), str(case.check))
        column = messages.get(check, (case.column, ""))[0] or case.column
        row = None if case.index is None or pd.isna(case.index) else int(case.index)
        if check == "column_in_dataframe":
            column, row = str(case.failure_case), 1  # the header row lacks this column
        key = (row, column, check)
        if key in seen:
            continue
        seen.add(key)
        problems.append(InputProblem(label, row, None if column is None else str(column),
                                     _describe(check, case.failure_case, messages)))


def _count_cases(cases: pd.DataFrame, names: dict) -> int:
    """How many problems the failure cases ``cases`` make (one per row and check; a duplicate row
    once, whichever columns pandera names)."""
    checks = [names.get((c, str(k)), str(k)) for c, k in zip(cases["column"], cases["check"])]
    columns = [str(c) for c in cases["column"]]
    frame = pd.DataFrame({"row": cases["index"].astype(object).to_numpy(), "check": checks, "column": columns})
    return int(len(frame.drop_duplicates()))


def _describe(check: str, value, messages: dict[str, tuple[str, str]]) -> str:
    if check in messages:
        return messages[check][1].format(value=value)
    if check == "column_in_dataframe":
        return f"required column '{value}' is missing"
    if check == "field_uniqueness" or check == "multiple_fields_uniqueness":
        return f"duplicate value '{value}'"
    if check == "not_nullable":
        return "value is missing"
    return f"value '{value}' fails check {check}"


def _required(df: pd.DataFrame, label: str, columns: list[str], problems: list[InputProblem]) -> bool:
    schema = pa.DataFrameSchema({c: pa.Column(None) for c in columns}, strict=False)
    return _run_schema(df, schema, label, problems, {})


def _known_body(body_ids: set | None) -> list[pa.Check]:
    return [] if body_ids is None else [_isin(body_ids, "known_body")]


def _isin(values, name: str) -> pa.Check:
    """Like ``pa.Check.isin``, but the allowed values are held in a closure: pandera deep-copies
    a check's arguments, which is slow for tens of thousands of body ids."""
    allowed = pd.Index(sorted(values), dtype=object)
    return pa.Check(lambda s: s.isin(allowed), name=name, error=name)


def _unique_rows(columns: list[str]) -> pa.Check:
    """No two rows with the same values in ``columns`` (checked on integer codes: fast for
    millions of rows, where pandera's own ``unique=`` hashes tuples of strings)."""
    def check(df: pd.DataFrame) -> pd.Series:
        key = np.zeros(len(df), dtype=np.int64)
        for col in columns:
            cats = df[col].astype("category")
            key = key * (len(cats.cat.categories) + 1) + cats.cat.codes.to_numpy().astype(np.int64) + 1
        if len(key) and key.max() < 64 * max(len(key), 1 << 20):  # small key space: count in an array
            repeated = np.bincount(key)[key] > 1
        else:
            repeated = pd.Series(key).duplicated(keep=False).to_numpy()
        return pd.Series(~repeated, index=df.index)
    chk = pa.Check(check, name="unique_rows", error=f"unique_rows({', '.join(columns)})")
    chk.kiprank_rows, chk.kiprank_fn = list(columns), check  # run directly by _run_schema (not per chunk)
    return chk


def _nonempty(name: str) -> pa.Check:
    return pa.Check(lambda s: s != "", name=f"{name}_nonempty", error=f"{name} is empty")


def _validate_bodies(df, reader, config: RegionConfig, problems) -> pd.DataFrame | None:
    label = reader.label("bodies")
    if df is None or not _required(df, label, ["body_id", "name", "group"], problems):
        return None
    groups = list(config.groups)
    if "website" not in df.columns:
        df["website"] = ""
    schema = pa.DataFrameSchema({
        "body_id": pa.Column(None, [_nonempty("body_id")], unique=True),
        "name": pa.Column(None, [_nonempty("name")]),
        "group": pa.Column(None, pa.Check.isin(groups, name="group_declared")),
    })
    msgs = {
        "body_id_nonempty": ("body_id", "body_id is empty"),
        "name_nonempty": ("name", "name is empty"),
        "group_declared": ("group", f"group '{{value}}' is not declared in region.yml (groups: {', '.join(groups)})"),
    }
    ok = _run_schema(df, schema, label, problems, msgs)
    return df[["body_id", "name", "group", "website"]].copy() if ok else None


def answer_fractions(question_ids: pd.Series, answers: pd.Series, methodology: Methodology) -> np.ndarray:
    """Fraction (0-1) of each question earned by each answer; NaN where the answer is not allowed.

    Vectorised for millions of rows: answers are factorised, and a small table of
    (question, distinct answer) -> fraction is built once.
    """
    questions = methodology.questionnaire.questions
    # -1 for a question not in the methodology (pd.Categorical with unknown values is deprecated)
    known = pd.Index([q.id for q in questions])
    if isinstance(question_ids.dtype, pd.CategoricalDtype):  # look up each category once
        per_category = np.append(known.get_indexer(question_ids.cat.categories.astype(object)), -1)
        q_codes = per_category[question_ids.cat.codes.to_numpy()]
    else:
        q_codes = known.get_indexer(np.asarray(question_ids, dtype=object))
    lowered = recode(answers.astype("category"), str.lower)
    a_codes, uniques = lowered.cat.codes.to_numpy(), list(lowered.cat.categories)
    table = np.full((len(questions) + 1, len(uniques) + 1), np.nan)
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object).str.replace(",", ".", regex=False),
                            errors="coerce").to_numpy(dtype=float)
    for qi, q in enumerate(questions):
        if q.type == "numeric":
            ok = (numbers >= 0) & (numbers <= q.max)
            table[qi, : len(uniques)] = np.where(ok, numbers / q.max, np.nan)
        else:
            allowed = q.answer_values()
            table[qi, : len(uniques)] = [allowed.get(u, np.nan) for u in uniques]
    return table[q_codes, a_codes]  # codes of -1 hit the NaN padding row/column


def _allowed_text(methodology: Methodology) -> dict[str, str]:
    out = {}
    for q in methodology.questionnaire.questions:
        if q.type == "yesno":
            out[q.id] = "ya or tidak"
        elif q.type == "graded":
            out[q.id] = "one of " + ", ".join(f"'{o}'" for o in q.options)
        else:
            out[q.id] = f"a number from 0 to {q.max:g}"
    return out


def _answer_problems(df: pd.DataFrame, bad: np.ndarray, label: str, column: str,
                     methodology: Methodology, problems: list[InputProblem]) -> None:
    allowed = _allowed_text(methodology)
    room = max(getattr(problems, "cap", len(bad)) - len(problems), 0)
    rows = np.flatnonzero(bad)
    if len(rows) > room and hasattr(problems, "count_more"):
        problems.count_more(len(rows) - room)
        bad = np.zeros(len(bad), dtype=bool)
        bad[rows[:room]] = True
    for row, qid, answer in df.loc[bad, ["question_id", column]].itertuples():
        problems.append(InputProblem(label, int(row), column,
                                     f"answer '{answer}' to {qid} is not allowed (expected {allowed[qid]})"))


def _validate_answers(df, reader, methodology: Methodology, body_ids: set | None, problems) -> pd.DataFrame | None:
    label = reader.label("saq")
    if df is None or not _required(df, label, ["body_id", "question_id", "answer"], problems):
        return None
    qids = methodology.question_ids
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, _known_body(body_ids)),
            "question_id": pa.Column(None, pa.Check.isin(qids, name="known_question")),
            "answer": pa.Column(None),
        },
        checks=[_unique_rows(["body_id", "question_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_question": ("question_id", f"question '{{value}}' is not in methodology {methodology.id}"),
    }
    ok = _run_schema(df, schema, label, problems, msgs)
    earned = answer_fractions(df["question_id"], df["answer"], methodology)
    bad = np.isnan(earned) & df["question_id"].isin(qids).to_numpy()
    if bad.any():
        _answer_problems(df, bad, label, "answer", methodology, problems)
        ok = False
    if not ok:
        return None
    out = df[["body_id", "question_id", "answer"]].copy()
    out["earned"] = earned
    return out


def _validate_verification(df, reader, methodology: Methodology, body_ids: set, problems) -> pd.DataFrame | None:
    label = reader.label("verification")
    if df is None or not _required(df, label, ["body_id", "question_id", "verdict"], problems):
        return None
    if "granted" not in df.columns:
        df["granted"] = ""
    df = df.assign(verdict=recode(df["verdict"], str.lower))
    verdict = recode(df["verdict"], lambda v: VERDICTS.get(v, ""))
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, _known_body(body_ids)),
            "question_id": pa.Column(None, pa.Check.isin(methodology.question_ids, name="known_question")),
            "verdict": pa.Column(None, pa.Check.isin(list(VERDICTS), name="known_verdict")),
        },
        checks=[_unique_rows(["body_id", "question_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_question": ("question_id", f"question '{{value}}' is not in methodology {methodology.id}"),
        "known_verdict": ("verdict", "verdict '{value}' is not one of sesuai, sebagian, tidak sesuai"),
    }
    ok = _run_schema(df, schema, label, problems, msgs)
    partial = (verdict == "partial").to_numpy()
    granted_earned = np.full(len(df), np.nan)
    if partial.any():
        granted_earned[partial] = answer_fractions(df["question_id"][partial], df["granted"][partial], methodology)
        bad = partial & np.isnan(granted_earned) & df["question_id"].isin(methodology.question_ids).to_numpy()
        if bad.any():
            _answer_problems(df, bad, label, "granted", methodology, problems)
            ok = False
    if not ok:
        return None
    out = df[["body_id", "question_id", "granted"]].copy()
    out.insert(2, "verdict", verdict)
    out["granted_earned"] = granted_earned
    return out


def _validate_checklist(df, reader, stage, body_ids: set, problems) -> pd.DataFrame | None:
    label = reader.label("website")
    if df is None or not _required(df, label, ["body_id", "item_id", "present"], problems):
        return None
    items = [i.id for i in stage.items]
    df = df.assign(present=recode(df["present"], str.lower))
    present = lookup(df["present"], PRESENT).astype(float)
    schema = pa.DataFrameSchema(
        {
            "body_id": pa.Column(None, _known_body(body_ids)),
            "item_id": pa.Column(None, pa.Check.isin(items, name="known_item")),
            "present": pa.Column(None, pa.Check.isin(list(PRESENT), name="yes_no")),
        },
        checks=[_unique_rows(["body_id", "item_id"])],
    )
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "known_item": ("item_id", f"item '{{value}}' is not in the checklist of stage {stage.id}"),
        "yes_no": ("present", "value '{value}' is not ya/tidak (or 1/0)"),
    }
    if not _run_schema(df, schema, label, problems, msgs):
        return None
    return pd.DataFrame({"body_id": df["body_id"], "item_id": df["item_id"], "present": present})


def _validate_scores(df, reader, stage_id: str, body_ids: set, problems) -> pd.DataFrame | None:
    label = reader.label(stage_id)
    if df is None or not _required(df, label, ["body_id", "score"], problems):
        return None
    number = pd.to_numeric(df["score"].str.replace(",", ".", regex=False), errors="coerce").astype(float)
    checked = df.assign(score=number)
    schema = pa.DataFrameSchema({
        "body_id": pa.Column(None, _known_body(body_ids), unique=True),
        "score": pa.Column(float, pa.Check.in_range(0, 100, name="score_range"), nullable=True),
    })
    msgs = {
        "known_body": ("body_id", "body '{value}' is not in bodies.csv"),
        "score_range": ("score", "score {value} is outside 0-100"),
    }
    ok = _run_schema(checked, schema, label, problems, msgs)
    for n, (row, raw) in enumerate(df.loc[number.isna(), "score"].items()):
        if getattr(problems, "full", False):
            problems.count_more(int(number.isna().sum()) - n)
            ok = False
            break
        problems.append(InputProblem(label, int(row), "score", f"'{raw}' is not a number (expected 0-100)"))
        ok = False
    return pd.DataFrame({"body_id": df["body_id"], "score": number}) if ok else None


def _rel(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


__all__ = ["RegionConfig", "RegionInputs", "load_region", "check_name", "region_folder",
           "answer_fractions", "KiprankError"]


def coverage_warnings(inputs: RegionInputs) -> list[str]:
    """Gaps that are legal but usually a data-entry slip: they score 0, so say so before publishing.

    - a body that returned the SAQ has answers without a verification row (they earn nothing);
    - verification rows for a body that did not return the SAQ (ignored);
    - a body that returned the SAQ has no row in a website check or in an ungated score stage.
    """
    m = inputs.methodology
    out = []
    returned = set(inputs.saq["body_id"].astype(str))
    if m.stages_of("verification"):
        answered = inputs.saq[["body_id", "question_id"]].astype(str)
        checked = inputs.verification[["body_id", "question_id"]].astype(str)
        missing = answered.merge(checked, how="left", indicator=True)
        missing = missing[missing["_merge"] == "left_only"].groupby("body_id").size()
        for body, n in missing.items():
            out.append(f"{body}: {n} SAQ answer(s) have no verification row and earn nothing at verification")
        for body in sorted(set(checked["body_id"]) - returned):
            out.append(f"{body}: has verification rows but did not return the SAQ (ignored)")
    if m.stages_of("checklist"):
        for body in sorted(returned - set(inputs.website["body_id"].astype(str))):
            out.append(f"{body}: returned the SAQ but has no website check rows (website scores 0)")
    for stage in m.stages_of("score"):
        if stage.gate is None:
            for body in sorted(returned - set(inputs.scores[stage.id]["body_id"].astype(str))):
                out.append(f"{body}: returned the SAQ but has no {stage.id} score (scores 0)")
    return out


@dataclass
class RegionSetup:
    """What the forms need before any answer exists: ``region.yml``, the methodology, the
    validated ``bodies`` table and, when a ``saq`` table is present and valid, the claimed answers
    (``saq``: body_id, question_id, answer, earned; None when there is no saq table yet)."""

    folder: Path
    config: RegionConfig
    methodology: Methodology
    methodology_path: Path
    bodies: pd.DataFrame
    saq: pd.DataFrame | None = None


def load_setup(year: int | str, region: str, inputs_root: Path | str = "inputs", with_saq: bool = True) -> RegionSetup:
    """Read and validate ``region.yml``, the methodology and ``bodies`` (and ``saq`` if present);
    the other tables may not exist yet. Raises with every problem found, like :func:`load_region`."""
    folder = region_folder(Path(inputs_root), year, region)
    if not folder.is_dir():
        raise UsageError(f"no input folder {folder}")
    config = _load_config(folder)
    methodology_path = resolve_methodology_path(config.methodology, folder)
    methodology = load_methodology(methodology_path)
    reader = _TableReader(folder)
    problems: list[InputProblem] = []
    bodies = _validate_bodies(reader.read("bodies", problems), reader, config, problems)
    saq = None
    has_saq = with_saq and ((folder / "saq.csv").is_file() or (
        reader.xlsx.is_file() and "saq" in pd.ExcelFile(reader.xlsx, engine="openpyxl").sheet_names))
    if bodies is not None and methodology.questionnaire is not None and has_saq:
        saq = _validate_answers(reader.read("saq", problems), reader, methodology, set(bodies["body_id"]), problems)
    if problems:
        raise InputValidationError(problems)
    return RegionSetup(folder, config, methodology, methodology_path, bodies, saq)


# Public name of the strict CSV reader for tables other than a region's (the crosswalk of
# kiprank.analysis.compare); the region's own tables go through load_region.
read_csv_table = _read_csv
