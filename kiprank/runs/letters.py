"""The ``kiprank letters`` run: score the published region again, write one PDF letter per body and
``all.pdf``, and add them to the published folder and its manifest (atomically).

The letters are only written into a region that is already published (``kiprank score`` or
``kiprank report``), and only while its inputs still give the published ``ranking.csv``: a letter
never states a number that the published ranking does not.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import KiprankError, UsageError
from ..core.formatting import check_lang, resolve_report_date
from ..core.region import SAFE_NAME, logo_problem, region_folder
from ..letters.content import LetterSet, Scored, document_data, letters_data
from ..letters.render import concatenate, render

SECTION = "letters"
FOLDER = "letters"
ALL = "all.pdf"
TYPESET_THREADS = min(4, os.cpu_count() or 1)
_LOGO_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


@dataclass
class LettersRun:
    """What a letters run wrote: ``files`` relative to ``folder``; ``fallbacks``: body ids whose letter
    is PDF 1.7 because a character has no glyph for PDF/A-2b; ``warnings`` to show the user."""

    folder: Path
    files: list[str]
    letters: int
    certificates: int
    previous_year: int | None
    pdf_standard: str
    fallbacks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def letter_files(body_ids: list[str]) -> dict[str, str]:
    """``letters/<body_id>.pdf`` for each body; an id that is not a plain file name (slashes, spaces,
    '..', 'all', very long, or equal to another id but for case) gets ``letters/body-<hash>.pdf``."""
    out, seen = {}, {ALL}
    for body_id in body_ids:
        plain = f"{body_id}.pdf"
        if (SAFE_NAME.fullmatch(body_id) and ".." not in body_id and len(body_id) <= 100
                and plain.lower() not in seen):
            name = plain
        else:
            name = f"body-{hashlib.sha256(body_id.encode('utf-8')).hexdigest()[:12]}.pdf"
        seen.add(name.lower())
        out[body_id] = f"{FOLDER}/{name}"
    return out


def _kiprank_letter(path: Path) -> bool:
    """A letter an earlier run wrote (a PDF whose keywords name kiprank), though the manifest no longer
    lists it (``kiprank score`` rewrote the manifest since)."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return "kiprank" in str(pdf.docinfo.get("/Keywords", ""))
    except Exception:  # not a PDF, unreadable: not ours
        return False


def _recorded_inputs(inputs) -> dict:
    """The previous year's inputs the letters compare with, recorded as a run manifest records its
    own (``kiprank verify`` then says when they changed since the letters were written)."""
    from .manifest import recorded_inputs

    return recorded_inputs(inputs)


def _published(target: Path, year: int, region: str) -> dict:
    from .manifest import MANIFEST

    if not (target / MANIFEST).is_file() or not (target / "ranking.csv").is_file():
        raise UsageError(f"no published ranking in {target}: run `kiprank score --year {year} --region {region}` "
                         f"(or `kiprank report`) first; the letters are added to the published folder")
    import json

    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{target / MANIFEST} is not readable ({exc}): run `kiprank score` again") from None
    if not isinstance(data, dict) or not isinstance(data.get("outputs", {}), dict):
        raise UsageError(f"{target / MANIFEST} is not a kiprank manifest (expected an object with 'outputs'): "
                         "run `kiprank score` again")
    return data


def _check_same_ranking(target: Path, manifest: dict, inputs, result) -> None:
    """The letters must state what ``ranking.csv`` publishes: the inputs must still score to it."""
    from ..core.export import write_csv
    from .manifest import sha256_file

    m = result.methodology
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "ranking.csv"
        write_csv(result.ranking, [s.id for s in m.stages], m.decimals, fresh)
        digest = sha256_file(fresh)
    recorded = (manifest.get("outputs") or {}).get("ranking.csv")
    if digest != sha256_file(target / "ranking.csv") or (recorded and recorded != digest):
        raise UsageError(f"the inputs no longer give the ranking published in {target / 'ranking.csv'} "
                         "(an input changed since): run `kiprank score` or `kiprank report` again, then the letters")


def _logo(path: Path | None) -> tuple[list[int] | None, str | None]:
    if path is None:
        return None, None
    why = logo_problem(path)
    if why:
        raise UsageError(f"logo {path}: {why}")
    data = path.read_bytes()
    is_svg = path.suffix.lower() == ".svg" and b"<svg" in data[:4096]
    if not is_svg and not any(data.startswith(magic) for magic in _LOGO_MAGIC):
        raise UsageError(f"logo {path} is not a PNG, JPEG, GIF or SVG image")
    return list(data), hashlib.sha256(data).hexdigest()


def _typeset(ls: LetterSet, letters: list[dict], report_date, pdf_standard):
    """Each letter typeset alone (:func:`kiprank.letters.render.render`), in order, by up to
    :data:`TYPESET_THREADS` threads at once (Typst compiles without holding the GIL, one compiler per
    thread): about one Typst compile of 15-30 ms per letter is most of the cost of ``kiprank letters``."""
    from concurrent.futures import ThreadPoolExecutor

    docs = [(document_data(ls, [lt]), f"the letter to '{lt['name']}' ({lt['body_id']})") for lt in letters]
    pool = ThreadPoolExecutor(max_workers=TYPESET_THREADS, thread_name_prefix="kiprank-letters")
    try:
        yield from pool.map(lambda d: render(d[0], report_date=report_date, pdf_standard=pdf_standard, what=d[1]),
                            docs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def build_letters(year: int | str, region: str, inputs_root: Path | str = "inputs", outputs_root: Path | str = "outputs",
                  *, bodies: list[str] | None = None, lang: str = "id", certificates: bool = False,
                  pdf_standard: str | None = None, on_progress=None) -> LettersRun:
    """Write ``letters/<body_id>.pdf`` for every body (or ``bodies``) and ``letters/all.pdf`` (the letters joined) into the
    published ``<outputs_root>/<year>/<region>/`` and list them in its manifest (section ``letters``).

    A run replaces the letters of an earlier run (a run with ``bodies`` leaves only those letters).
    ``on_progress(done, total)`` is called as letters are typeset.
    """
    from ..core.snapshot import input_snapshot

    check_lang(lang)
    year = int(year)
    # one snapshot of this year's and last year's inputs (kiprank.core.snapshot)
    with input_snapshot(inputs_root, [(year, region), (year - 1, region)], extra=("crosswalk.csv",),
                        missing_ok=True) as snap:
        if not region_folder(Path(inputs_root), year, region).is_dir():
            raise UsageError(f"no input folder {region_folder(Path(inputs_root), year, region)}")
        return _build_letters(year, region, inputs_root, outputs_root, snap, bodies, lang, certificates,
                              pdf_standard, on_progress)


def _previous_year(year: int, region: str, inputs_root, snap, warnings: list[str]):
    """The previous year's scored inputs and the crosswalk, for the letters' comparison; (None, None)
    when there is no previous year, or (with a warning) when its inputs cannot be scored."""
    from ..analysis.compare import load_crosswalk
    from .pipeline import score_region

    if not region_folder(snap.root, year - 1, region).is_dir():
        return None, None
    try:
        return Scored(*score_region(year - 1, region, inputs_root, snap)), load_crosswalk(snap.root)
    except KiprankError as exc:
        warnings.append(f"{year - 1}: the previous year's inputs cannot be scored, so the letters leave out the "
                        f"comparison with {year - 1}: {str(exc).splitlines()[0]}")
        return None, None


def _typeset_all(ls: LetterSet, letters: list[dict], names: dict[str, str], report_date, pdf_standard,
                 warnings: list[str], on_progress) -> tuple[dict[str, bytes], list[str]]:
    """Every letter's PDF by its file name, and ``all.pdf`` joining them in order; the bodies whose
    letter had to be PDF 1.7 (a character the bundled fonts cannot draw), each with a warning."""
    pdfs: dict[str, bytes] = {}
    fallbacks: list[str] = []
    for i, (letter, one) in enumerate(zip(letters, _typeset(ls, letters, report_date, pdf_standard)), 1):
        if one.fallback:
            fallbacks.append(letter["body_id"])
            warnings.append(f"the letter to '{letter['name']}' ({letter['body_id']}) is PDF 1.7, not PDF/A-2b: "
                            f"the bundled fonts have no glyph for {one.fallback}")
        pdfs[names[letter["body_id"]]] = one.pdf
        if on_progress:
            on_progress(i, len(letters) + 1)
    order = [lt["body_id"] for lt in letters]
    pdfs[f"{FOLDER}/{ALL}"] = concatenate([pdfs[names[b]] for b in order], document_data(ls, letters)["meta"]["title"],
                                          metadata_from=order.index(fallbacks[0]) if fallbacks else 0)
    return pdfs, fallbacks


def _wanted(bodies, result, inputs) -> list[str] | None:
    """The body ids of ``--bodies`` (None: every body), refused (exit 2) when one is not a body."""
    if not bodies:
        return None
    ids = {str(b) for b in result.ranking["body_id"]}
    wanted = list(dict.fromkeys(str(b) for b in bodies))
    unknown = [b for b in wanted if b not in ids]
    if unknown:
        shown = ", ".join(repr(b) for b in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise UsageError(f"--bodies: no body with id {shown} in {inputs.folder / 'bodies.csv'}")
    return wanted


def _check_not_strangers(target: Path, manifest: dict, names: dict[str, str]) -> None:
    """kiprank never overwrites a file it did not write: a letter's file that is there, not in the
    manifest and not a kiprank letter is refused (exit 2)."""
    recorded = set((manifest.get("outputs") or {}))
    for rel in [*names.values(), f"{FOLDER}/{ALL}"]:
        if (target / rel).exists() and rel not in recorded and not _kiprank_letter(target / rel):
            raise UsageError(f"{target / rel} exists and was not written by kiprank: move it away first")


def _published_evidence(target: Path, manifest: dict):
    """``evidence.csv`` of the published run (a body's letter lists its evidence problems) and the
    settings ``kiprank evidence`` checked with; (None, {}) when the evidence was not checked."""
    from ..intake.evidence import read_published

    return read_published(target), ((manifest.get("sections") or {}).get("evidence") or {}).get("settings") or {}


def _build_letters(year, region, inputs_root, outputs_root, snap, bodies, lang, certificates, pdf_standard,
                   on_progress) -> LettersRun:
    """The steps of :func:`build_letters`, timed: score (and check that the inputs still give the
    published ranking), the letters' content, typesetting, publishing into the run's folder.

    (About 65 lines: the steps in order, each timed, and the settings the manifest records; the
    helpers above hold the detail of each step.)"""
    from ..report.objections_content import round_view
    from .objection_round import recorded_round
    from .pipeline import same_run, output_folder, published_from, score_region
    from .publish import add_to_published

    clock = {}
    started = time.perf_counter()
    target = output_folder(outputs_root, year, region)
    manifest = _published(target, year, region)
    inputs, result = score_region(year, region, inputs_root, snap, preliminary=recorded_round(manifest) == "preliminary")
    published_from(target, inputs, "kiprank letters")
    _check_same_ranking(target, manifest, inputs, result)
    warnings: list[str] = []

    previous, crosswalk = _previous_year(year, region, inputs_root, snap, warnings)
    clock["score"] = time.perf_counter() - started

    wanted = _wanted(bodies, result, inputs)
    recorded_date = (manifest.get("parameters") or {}).get("report_date")
    report_date = resolve_report_date(recorded_date or inputs.config.report_date)
    logo, logo_sha = _logo(inputs.config.logo_path(inputs.folder))
    evidence, evidence_settings = _published_evidence(target, manifest)
    ls = LetterSet(Scored(inputs, result), lang=lang, report_date=report_date, previous=previous,
                   crosswalk=crosswalk, fingerprint=str(manifest.get("fingerprint") or ""),
                   certificates=certificates, logo=logo, evidence=evidence, evidence_settings=evidence_settings,
                   objections=round_view(inputs, result))
    t0 = time.perf_counter()
    data = letters_data(ls, wanted)
    clock["content"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    letters = data["letters"]
    names = letter_files([lt["body_id"] for lt in letters])
    _check_not_strangers(target, manifest, names)
    pdfs, fallbacks = _typeset_all(ls, letters, names, report_date, pdf_standard, warnings, on_progress)
    order = [lt["body_id"] for lt in letters]
    standard = "1.7" if fallbacks or pdf_standard == "1.7" else "a-2b"
    if on_progress:
        on_progress(len(letters) + 1, len(letters) + 1)
    clock["typeset"] = time.perf_counter() - t0

    def write(stage: Path) -> list[str]:
        same_run(stage, manifest)  # not a run that `kiprank score` published meanwhile
        (stage / FOLDER).mkdir(exist_ok=True)
        for rel, pdf in pdfs.items():
            (stage / rel).write_bytes(pdf)
        return list(pdfs)

    settings = {"lang": lang, "bodies": "all" if wanted is None else sorted(wanted), "certificates": certificates,
                "pdf_standard": standard, "pdf_standard_asked": pdf_standard or "auto", "pdf_1_7_letters": fallbacks,
                "previous_year": previous.year if previous else None, "report_date": report_date.isoformat(),
                "logo_sha256": logo_sha, "files": {b: names[b] for b in order},  # body_id -> letter (for the site)
                "previous_inputs": _recorded_inputs(previous.inputs) if previous else None,  # checked by verify
                "evidence_csv": (manifest.get("outputs") or {}).get("evidence.csv") if evidence is not None else None}
    t0 = time.perf_counter()
    files = add_to_published(target, write, SECTION, settings)
    clock["publish"] = time.perf_counter() - t0
    return LettersRun(folder=target, files=files, letters=len(letters),
                      certificates=sum(1 for lt in letters if lt["certificate"]),
                      previous_year=previous.year if previous else None, pdf_standard=standard,
                      fallbacks=fallbacks, warnings=warnings, timings=clock)


__all__ = ["build_letters", "letter_files", "LettersRun", "SECTION"]
