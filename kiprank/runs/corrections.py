"""``kiprank diff``: the corrections list published as CSV, HTML and PDF in a folder of its own
(kind ``corrections``); its content and HTML are :mod:`kiprank.report.corrections`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ..core.export import write_table_csv
from ..core.files import MANIFEST, read_json_object
from .datapackage import corrections_about, write_datapackage
from ..core.publish import check_owned, check_separate, staged_folder
from ..report.corrections import corrections_content, corrections_html
from ..report.pdf import typeset_document


def check_diff_output(target: Path, old_folder: Path, new_folder: Path) -> None:
    """Refuse (exit 2) an output folder that is, holds or lies inside a folder compared, or that
    kiprank did not create as a corrections folder (checked again when publishing)."""
    for option, folder in (("OLD", old_folder), ("NEW", new_folder)):
        check_separate(folder, target, inputs_option=option, outputs_option="--output")
    check_owned(Path(target), "corrections")


def _report_day(folder: Path) -> date | None:
    """The report date recorded in a published folder's manifest (the PDF's date), if any."""
    try:
        return date.fromisoformat((read_json_object(Path(folder) / MANIFEST) or {})["parameters"]["report_date"])
    except Exception:
        return None


def write_diff(table: pd.DataFrame, old_folder: Path, new_folder: Path, target: Path, *, lang: str = "id",
               pdf_standard: str | None = None, day: date | None = None) -> list[str]:
    """Publish ``corrections.csv``, ``corrections.html`` and ``corrections.pdf`` in ``target``
    (atomically); return warnings (PDF standard fallback)."""
    check_diff_output(target, old_folder, new_folder)
    data = corrections_content(table, old_folder, new_folder, lang)
    html = corrections_html(data, lang)
    pdf, messages = typeset_document(data, day or _report_day(new_folder), pdf_standard)
    with staged_folder(target, kind="corrections") as stage:
        write_table_csv(table, stage / "corrections.csv")
        write_datapackage(stage, "corrections", **corrections_about(new_folder, day or _report_day(new_folder)))
        (stage / "corrections.html").write_text(html, encoding="utf-8")
        (stage / "corrections.pdf").write_bytes(pdf)
    return messages


__all__ = ["check_diff_output", "write_diff"]
