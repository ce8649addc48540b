"""Validating a table with pandera: every failure becomes an
:class:`~kiprank.core.errors.InputProblem` naming the file, row and column, with a message a person
understands; large tables are checked in chunks so that millions of bad rows cost bounded memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .errors import InputProblem


CHUNK_ROWS = 250_000  # rows validated at once: pandera's failure cases of one chunk bound the memory


def run_schema(df: pd.DataFrame, schema: pa.DataFrameSchema, label: str,
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


def required_columns(df: pd.DataFrame, label: str, columns: list[str], problems: list[InputProblem]) -> bool:
    schema = pa.DataFrameSchema({c: pa.Column(None) for c in columns}, strict=False)
    return run_schema(df, schema, label, problems, {})


def known_body(body_ids: set | None) -> list[pa.Check]:
    return [] if body_ids is None else [isin_check(body_ids, "known_body")]


def isin_check(values, name: str) -> pa.Check:
    """Like ``pa.Check.isin``, but the allowed values are held in a closure: pandera deep-copies
    a check's arguments, which is slow for tens of thousands of body ids."""
    allowed = pd.Index(sorted(values), dtype=object)
    return pa.Check(lambda s: s.isin(allowed), name=name, error=name)


def unique_rows(columns: list[str]) -> pa.Check:
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
    chk.kiprank_rows, chk.kiprank_fn = list(columns), check  # run directly by run_schema (not per chunk)
    return chk


def nonempty(name: str) -> pa.Check:
    return pa.Check(lambda s: s != "", name=f"{name}nonempty", error=f"{name} is empty")

