"""Which body of one year is which body of the next: the crosswalk file and :func:`match_bodies`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.errors import InputProblem, InputValidationError
from ...core.scoring import ScoreResult

CROSSWALK_FILE = "crosswalk.csv"


CROSSWALK_COLUMNS = ["old_id", "new_id", "note"]


# how a body of one year relates to the next (column ``match`` of :func:`match_bodies`)
SAME, RENAMED, MERGED, SPLIT, RESTRUCTURED, ENTERED, LEFT = (
    "same", "renamed", "merged", "split", "restructured", "entered", "left")
ONE_TO_ONE = (SAME, RENAMED)
MATCH_ORDER = [SAME, RENAMED, MERGED, SPLIT, RESTRUCTURED, ENTERED, LEFT]


def read_crosswalk(path: Path | str) -> pd.DataFrame:
    """Read a crosswalk file: columns ``old_id``, ``new_id``, ``note`` (optional), as strings.

    Raises :class:`~kiprank.core.errors.InputValidationError` (file, row, column) on a missing column,
    an empty id, an id mapped to itself or a repeated (old_id, new_id) pair.
    """
    from ...core.tables import read_csv_table

    path = Path(path)
    label = str(path)
    if not path.read_bytes()[:1 << 16].decode("utf-8", errors="replace").strip(" \t\r\n\ufeff"):
        return empty_crosswalk()
    problems: list[InputProblem] = []
    table = read_csv_table(path, problems)  # UTF-8, header, quotes and the number of fields of each row checked
    if table is None:
        if all("no data rows" in p.message for p in problems):
            return empty_crosswalk()
        raise InputValidationError(problems)
    table = table.apply(lambda s: s.astype(object).astype(str))
    problems = [InputProblem(label, 1, col, f"required column '{col}' is missing")
                for col in ("old_id", "new_id") if col not in table.columns]
    if problems:
        raise InputValidationError(problems)
    if "note" not in table.columns:
        table["note"] = ""
    table = table[CROSSWALK_COLUMNS].apply(lambda s: s.str.strip())
    table = table[(table != "").any(axis=1)]
    seen = set()
    for row, old, new, _ in table.itertuples():
        for col, value in (("old_id", old), ("new_id", new)):
            if not value:
                problems.append(InputProblem(label, int(row), col, f"{col} is empty"))
        if old and old == new:
            problems.append(InputProblem(label, int(row), "new_id", f"'{old}' is mapped to itself"))
        if (old, new) in seen:
            problems.append(InputProblem(label, int(row), None, f"duplicate row: {old} -> {new} appears more than once"))
        seen.add((old, new))
    if problems:
        raise InputValidationError(problems)
    lines = [int(i) for i in table.index]
    table = table.reset_index(drop=True)
    table.attrs["lines"] = lines
    table.attrs["file"] = label
    return table


def crosswalk_warnings(comp) -> list[str]:
    """Crosswalk rows naming an id that is in none of the years compared (a typo, or a row for
    other years) of a :class:`~kiprank.analysis.compare.model.Comparison`: legal, but usually a
    slip, so say so."""
    cw = comp.crosswalk
    if cw is None or cw.empty:
        return []
    known = set()
    for run in comp.runs:
        known |= set(run.result.ranking["body_id"].astype(str))
    lines = cw.attrs.get("lines") or list(range(2, len(cw) + 2))
    label = cw.attrs.get("file", CROSSWALK_FILE)
    years = ", ".join(str(y) for y in comp.years)
    out = []
    for line, row in zip(lines, cw.itertuples(index=False)):
        for col in ("old_id", "new_id"):
            value = getattr(row, col)
            if value and value not in known:
                out.append(f"{label}, row {line}, column '{col}': '{value}' is in none of the years compared ({years})")
    return out


def empty_crosswalk() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CROSSWALK_COLUMNS})


def load_crosswalk(inputs_root: Path | str = "inputs") -> pd.DataFrame:
    """``<inputs_root>/crosswalk.csv`` if it exists (see :func:`read_crosswalk`), else an empty table."""
    path = Path(inputs_root) / CROSSWALK_FILE
    return read_crosswalk(path) if path.is_file() else empty_crosswalk()


def match_bodies(bodies_1: pd.DataFrame, bodies_2: pd.DataFrame, crosswalk: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the bodies of an earlier year relate to those of a later year.

    ``bodies_1``, ``bodies_2``: tables with ``body_id`` and ``name`` (e.g. ``ScoreResult.ranking``
    or ``RegionInputs.bodies``); ``crosswalk``: see :func:`read_crosswalk` (optional).

    Returns one row per matched pair, per crosswalk link of a merge/split, and per body of only one
    year; columns:

    - ``key``: the comparison id: ``body_id_2`` for a one-to-one match or an entered body,
      ``body_id_1`` for a body that left, ``"<old> -> <new>"`` for a link of a merge/split;
    - ``match``: ``same`` (same id), ``renamed`` (crosswalk), ``merged``, ``split``,
      ``restructured``, ``entered`` (only in year 2), ``left`` (only in year 1);
    - ``body_id_1``, ``name_1``, ``body_id_2``, ``name_2`` (None where the body is absent);
    - ``link``: for merged/split/restructured rows, the whole group (``"a + b -> c"``), else "";
    - ``note``: the crosswalk note(s) of the row's link, else "".

    Rows are ordered by ``match`` (``same`` first) and then by name.
    """
    names_1 = _names(bodies_1)
    names_2 = _names(bodies_2)
    cw = empty_crosswalk() if crosswalk is None else crosswalk
    edges: dict[tuple[str, str], str] = {}
    for old, new, note in cw[CROSSWALK_COLUMNS].itertuples(index=False):
        if old in names_1 and new in names_2:
            edges[(old, new)] = "; ".join(x for x in (edges.get((old, new), ""), str(note or "")) if x)
    for body in names_1.keys() & names_2.keys():
        edges.setdefault((body, body), "")

    # connected groups of the bipartite graph old ids <-> new ids (union-find)
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for old, new in edges:
        parent[find((1, old))] = find((2, new))
    groups: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for node in [(1, b) for b in names_1] + [(2, b) for b in names_2]:
        groups.setdefault(find(node), []).append(node)

    rows = []
    for members in groups.values():
        olds = sorted(b for side, b in members if side == 1)
        news = sorted(b for side, b in members if side == 2)
        if not news:
            rows.append((olds[0], LEFT, olds[0], names_1[olds[0]], None, None, "", ""))
        elif not olds:
            rows.append((news[0], ENTERED, None, None, news[0], names_2[news[0]], "", ""))
        elif len(olds) == 1 and len(news) == 1:
            kind = SAME if olds[0] == news[0] else RENAMED
            rows.append((news[0], kind, olds[0], names_1[olds[0]], news[0], names_2[news[0]], "",
                         edges.get((olds[0], news[0]), "")))
        else:
            kind = MERGED if len(news) == 1 else SPLIT if len(olds) == 1 else RESTRUCTURED
            link = f"{' + '.join(olds)} -> {' + '.join(news)}"
            for old, new in sorted(e for e in edges if e[0] in olds and e[1] in news):
                rows.append((f"{old} -> {new}", kind, old, names_1[old], new, names_2[new], link, edges[(old, new)]))
    table = pd.DataFrame(rows, columns=["key", "match", "body_id_1", "name_1", "body_id_2", "name_2", "link", "note"])
    table["_o"] = table["match"].map({k: i for i, k in enumerate(MATCH_ORDER)})
    table["_n"] = table["name_2"].fillna(table["name_1"]).astype(str).str.lower()
    table = table.sort_values(["_o", "_n", "key"], kind="mergesort").drop(columns=["_o", "_n"])
    table = table.reset_index(drop=True).astype(object)
    return table.where(table.notna(), None)


def _names(bodies: pd.DataFrame) -> dict[str, str]:
    return {str(b): str(n) for b, n in zip(bodies["body_id"], bodies["name"])}


def one_to_one(matches: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`match_bodies` that match one body of each year (``same`` or ``renamed``)."""
    return matches[matches["match"].isin(ONE_TO_ONE)].reset_index(drop=True)


def same_id_matches(result: ScoreResult) -> pd.DataFrame:
    """Every body of a result matched to itself (for comparing two scorings of the same inputs)."""
    r = result.ranking
    return match_bodies(r, r)
