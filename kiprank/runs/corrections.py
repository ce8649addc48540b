"""``kiprank diff``: the corrections list published as CSV, HTML and PDF in a folder of its own
(kind ``corrections``); its content and HTML are :mod:`kiprank.report.corrections`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from ..analysis.corrections import published_facts
from ..core.export import write_table_csv
from .publish import check_owned, check_separate, staged_folder
from ..report.corrections import corrections_content, corrections_html
from ..report.pdf import typeset_document


def check_diff_output(target: Path, old_folder: Path, new_folder: Path) -> None:
    """Refuse (exit 2) an output folder that is, holds or lies inside a folder compared, or that
    kiprank did not create as a corrections folder (checked again when publishing)."""
    for option, folder in (("OLD", old_folder), ("NEW", new_folder)):
        check_separate(folder, target, inputs_option=option, outputs_option="--output")
    check_owned(Path(target), "corrections")


def default_output(outputs_root: Path, new_folder: Path) -> Path:
    """``<outputs_root>/corrections/<region>_<year>`` for a corrections list of the published
    ranking ``new_folder`` (``outputs/<year>/<region>``): named with its region and year."""
    from ..core.inputs import check_name

    facts = published_facts(new_folder)
    region = facts.region_id or Path(new_folder).resolve().name
    year = facts.year or Path(new_folder).resolve().parent.name
    return Path(outputs_root) / "corrections" / check_name(f"{region}_{year}", "folder name")


def write_diff(table: pd.DataFrame, old_folder: Path, new_folder: Path, target: Path, *, lang: str = "id",
               pdf_standard: str | None = None, day: date | None = None) -> list[str]:
    """Publish ``corrections.csv``, ``corrections.html`` and ``corrections.pdf`` in ``target``
    (atomically); return warnings (PDF standard fallback). The documents name the region, year,
    issuer and both decrees (date and manifest fingerprint), never a path of this machine; the
    PDF is dated with the new decree's date."""
    check_diff_output(target, old_folder, new_folder)
    decimals = table.attrs.get("decimals", 2)
    old, new = published_facts(old_folder, decimals), published_facts(new_folder, decimals)
    data = corrections_content(table, old, new, lang)
    html = corrections_html(data, lang)
    pdf, messages = typeset_document(data, day or new.date, pdf_standard)
    with staged_folder(target, kind="corrections") as stage:
        write_table_csv(table, stage / "corrections.csv", float_format=f"%.{decimals}f")
        (stage / "corrections.html").write_text(html, encoding="utf-8")
        (stage / "corrections.pdf").write_bytes(pdf)
    return messages


__all__ = ["check_diff_output", "write_diff", "default_output"]
