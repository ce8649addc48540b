"""Typesetting PDFs with Typst, in this process, from a template and data.

Every PDF kiprank writes (reports, corrections, letters) goes through :func:`typeset_pdf`:
- fonts come only from ``kiprank/fonts`` (system fonts ignored), so the bytes are the same on
  every machine;
- user text reaches Typst as data: the caller passes a JSON-serialisable ``data`` object, which the
  template reads with ``json(bytes(sys.inputs.data))`` (see ``load-data`` in ``typst/kiprank.typ``);
  nothing is ever spliced into markup;
- the document date is fixed by ``date`` (the report date), so two compiles are byte-identical;
- ``a-2b`` (the default) writes a PDF that conforms to PDF/A-2b (archival) and PDF/UA-1 (accessible:
  tagged headings, tables with header rows, figures with their text alternative, reading order and
  language), both recorded in its XMP metadata; Typst checks both as it writes and refuses a
  document that breaks them (a character without a glyph, a figure without alt text). ``1.7`` is
  plain PDF 1.7, still tagged.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path
from typing import Any

from ..core.errors import ReportError

from ..core.resources import FONTS_DIR as FONTS, TYPST_DIR

PDF_STANDARDS = ("a-2b", "1.7")
DEFAULT_PDF_STANDARD = "a-2b"
# What each choice of --pdf-standard asks Typst for.
PROFILES = {"a-2b": ["a-2b", "ua-1"], "1.7": ["1.7"]}

_idle: dict[str, list] = {}  # idle warm compilers per template root, each used by one thread at a time
_fonts = None
_lock = threading.Lock()  # guards the fonts and the idle compilers, not the compiles


def _take_compiler(root: Path):
    """An idle warm compiler of this template root, or a new one (fonts are loaded once per
    process). Typst compiles without holding the GIL, so threads with a compiler each typeset at
    the same time (the letters of ``kiprank letters``; the reports of a batch worker's two jobs)."""
    global _fonts
    import typst

    with _lock:
        idle = _idle.setdefault(str(root), [])
        if idle:
            return idle.pop()
        if _fonts is None:
            _fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS)])
        fonts = _fonts
    return typst.Compiler(root=str(root), font_paths=fonts, ignore_system_fonts=True)


def _give_back(root: Path, compiler) -> None:
    with _lock:
        _idle.setdefault(str(root), []).append(compiler)


def _timestamp(date: _dt.date | None) -> int | None:
    if date is None:
        return None
    moment = _dt.datetime(date.year, date.month, date.day, tzinfo=_dt.timezone.utc)
    return int(moment.timestamp())


def typeset_pdf(template: Path | str, data: Any, *, date: _dt.date | None = None,
                pdf_standard: str = DEFAULT_PDF_STANDARD, root: Path | None = None,
                step: str = "pdf") -> bytes:
    """Compile ``template`` (a ``.typ`` file under ``root``, default ``kiprank/typst``) with ``data``.

    Returns the PDF bytes. A Typst error becomes :class:`ReportError` naming ``step`` and the
    template's own message (no traceback).
    """
    import typst

    if pdf_standard not in PDF_STANDARDS:
        raise ReportError(step, f"unknown PDF standard {pdf_standard!r} (choose from {', '.join(PDF_STANDARDS)})")
    root = Path(root) if root is not None else TYPST_DIR
    template = Path(template)
    if not template.is_absolute():
        template = root / template
    payload = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str)
    compiler = _take_compiler(root)
    try:
        pdf = compiler.compile(input=str(template), format="pdf", sys_inputs={"data": payload},
                               pdf_standards=PROFILES[pdf_standard], timestamp=_timestamp(date))
    except typst.TypstError as exc:
        reason = exc.message if getattr(exc, "message", None) else str(exc)
        raise ReportError(step, f"Typst: {reason.strip()}") from None
    finally:
        _give_back(root, compiler)
    return pdf
