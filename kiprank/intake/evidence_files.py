"""Checking the evidence files a body sent with its returns (``inputs/<year>/<region>/evidence/``).

A file is looked for only inside that folder (a name leading out of it, also through a symbolic
link, is ``unsafe_path``), read in chunks (hashed as it is read; at most ``max_bytes``), and a PDF
is opened with pikepdf: one that needs a password to open is ``password_protected``, one that cannot
be opened, has no pages or had to be repaired (a cut-off upload) is ``broken_pdf``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .evidence_fetch import CHUNK, Archive, Reading, sniff

CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html", "png": "image/png", "jpg": "image/jpeg",
                 "gif": "image/gif", "zip": "application/zip", "ole": "application/x-ole-storage",
                 "text": "text/plain", "other": "application/octet-stream"}


def pdf_problem(path: Path) -> tuple[str, str] | None:
    """(status, detail) when the PDF at ``path`` cannot be used, else None."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            warnings = list(pdf.get_warnings())
    except pikepdf.PasswordError:
        return "password_protected", "the PDF needs a password to open"
    except Exception as exc:  # qpdf raises PdfError and others for a damaged file
        return "broken_pdf", f"cannot be opened as a PDF ({type(exc).__name__}: {_message(exc, path)})"
    if pages == 0:
        return "broken_pdf", "the PDF has no pages"
    damaged = [w for w in warnings if "damaged" in w or "reconstruct" in w]
    if damaged:
        return "broken_pdf", f"the PDF is damaged (cut off or corrupted): {_message(damaged[0], path)}"
    return None


def _message(exc, path: Path) -> str:
    text = str(exc).replace(str(path) + ": ", "").replace(str(path), "").strip()
    return (text.splitlines() or ["no message"])[0][:200]


def _inside(base: Path, path: Path) -> bool:
    try:
        real, root = path.resolve(), base.resolve()
    except (OSError, RuntimeError):
        return False
    return real == root or root in real.parents


def _case_hint(path: Path) -> str:
    """A file whose name differs only in upper/lower case (sent from Windows: ``SK.PDF``)."""
    try:
        for entry in os.scandir(path.parent):
            if entry.name.lower() == path.name.lower() and entry.name != path.name:
                return f"; a file named '{entry.name}' exists (the letters differ in case)"
    except OSError:
        pass
    return ""


def check_file(folder: Path, rel: str, expected: str, max_bytes: int, archive: Archive | None = None) -> dict:
    """Check the evidence file ``rel`` (relative path) in ``folder``; a dict of the columns
    status, detail, content_type, size, sha256, kept."""
    out = {"status": "ok", "detail": "", "content_type": "", "size": None, "sha256": "", "kept": ""}
    path = Path(folder) / rel
    if not Path(folder).is_dir():
        return {**out, "status": "file_missing", "detail": f"there is no evidence folder {folder}"}
    if not _inside(folder, path):
        return {**out, "status": "unsafe_path", "detail": "the name leads out of the evidence folder (a link): not read"}
    try:
        info = path.stat()
    except FileNotFoundError:
        return {**out, "status": "file_missing", "detail": f"no file {rel} in {folder}{_case_hint(path)}"}
    except OSError as exc:
        return {**out, "status": "unreadable", "detail": f"{type(exc).__name__}: {exc.strerror or exc}"}
    if stat.S_ISDIR(info.st_mode):
        return {**out, "status": "unreadable", "detail": "a folder, not a file"}
    if not stat.S_ISREG(info.st_mode):
        return {**out, "status": "unreadable", "detail": "not a regular file"}
    out["size"] = info.st_size
    if info.st_size > max_bytes:
        return {**out, "status": "too_large", "detail": f"{info.st_size / 1048576:.1f} MB; at most {max_bytes / 1048576:.1f} MB"}
    doc = Reading(max_bytes, archive)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                if not doc.feed(chunk):  # grew while it was read
                    return {**out, "status": "too_large", "detail": f"more than {max_bytes / 1048576:.1f} MB"}
        kind = sniff(bytes(doc.head))
        out.update(size=doc.size, sha256=doc.hasher.hexdigest(), content_type=CONTENT_TYPES.get(kind, ""))
        if expected == "pdf" and kind != "pdf":
            out.update(status="not_pdf", detail=f"the file is not a PDF (its content: {CONTENT_TYPES.get(kind, kind)})")
        elif kind == "pdf":
            problem = pdf_problem(path)
            if problem:
                out.update(status=problem[0], detail=problem[1])
        out["kept"] = doc.keep(kind)
        return out
    except PermissionError as exc:
        return {**out, "status": "unreadable", "detail": f"permission denied ({exc.strerror or exc})"}
    except OSError as exc:
        return {**out, "status": "unreadable", "detail": f"{type(exc).__name__}: {exc.strerror or exc}"}
    finally:
        doc.discard()


__all__ = ["check_file", "pdf_problem"]
