"""Shared by test_forms.py and test_collect.py: the demo regions' forms and filled returns, built
once per session, and small helpers to copy a region, edit a returned workbook and run the CLI."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from openpyxl import load_workbook

from kiprank.cli import main

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "inputs"


def copy_region(root: Path, year: int, region: str, tables: tuple[str, ...] = (), source: Path = DEMO,
                as_year: int | None = None) -> Path:
    """``root/<year>/<region>/`` with region.yml, bodies.csv and the named tables of a demo region;
    returns the inputs root."""
    folder = root / str(as_year or year) / region
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("region.yml", "bodies.csv", *tables):
        shutil.copy(source / str(year) / region / name, folder / name)
    return root


def invoke(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def edit(src: Path, dest: Path, changes: dict[tuple[str, str], object]) -> Path:
    """A copy of a workbook with cells changed: ``{(sheet, "D14"): value}``."""
    wb = load_workbook(src)
    for (sheet, ref), value in changes.items():
        cell = wb[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    dest.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    dest.write_bytes(buffer.getvalue())
    return dest


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ranking_of(inputs_root: Path, year: int, region: str) -> pd.DataFrame:
    from kiprank.runs.pipeline import score_region

    return score_region(year, region, inputs_root)[1].ranking


def same_ranking(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
