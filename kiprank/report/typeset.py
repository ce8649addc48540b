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

_compilers: dict[str, Any] = {}
_fonts = None
_lock = threading.Lock()  # one compile at a time per process (threads of a batch worker share compilers)


def _compiler(root: Path):
    """One warm compiler per template root (fonts are loaded once per process)."""
    global _fonts
    import typst

    if _fonts is None:
        _fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS)])
    key = str(root)
    if key not in _compilers:
        _compilers[key] = typst.Compiler(root=str(root), font_paths=_fonts, ignore_system_fonts=True)
    return _compilers[key]


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
    try:
        with _lock:
            pdf = _compiler(root).compile(input=str(template), format="pdf", sys_inputs={"data": payload},
                                          pdf_standards=PROFILES[pdf_standard], timestamp=_timestamp(date))
    except typst.TypstError as exc:
        reason = exc.message if getattr(exc, "message", None) else str(exc)
        raise ReportError(step, f"Typst: {reason.strip()}") from None
    return pdf
