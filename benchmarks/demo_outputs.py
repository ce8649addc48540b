"""Every demo output, built by the kiprank on ``sys.path``, and a byte comparison of two such builds.

A restructuring of the code must not change what kiprank publishes. This script builds every kind of
publication from the demo inputs (score, report in both languages and from ``inputs.xlsx``,
robustness, letters with certificates, comparison, corrections, forms, the site, a batch build) into
a folder, with a fixed report date, and compares two such folders file by file.

    # the outputs of this checkout
    .venv/bin/python benchmarks/demo_outputs.py build /tmp/after
    # the outputs of an older commit (its tree first on sys.path)
    git worktree add /tmp/old <commit> && PYTHONPATH=/tmp/old .venv/bin/python benchmarks/demo_outputs.py build /tmp/before
    .venv/bin/python benchmarks/demo_outputs.py compare /tmp/before /tmp/after

``compare`` prints every file that differs or exists on one side only and exits 1 if any does. In
``manifest.json`` and in every page the fields that name the code (version, git commit, code hash,
library versions, the notebook's hash, the fingerprint made from them, and the hashes of files that
print it; local file URLs) are set aside: they are meant to change with the code. An executed
notebook is compared by what its cells displayed. Everything else, every CSV, XLSX, PDF page, HTML page and JSON value, must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATE = "2022-12-15"
# Manifest keys that describe the code, not the result.
CODE_KEYS = {"kiprank_version", "version", "git_commit", "code_sha256", "code", "libraries", "fingerprint",
             "python", "created", "fingerprints", "notebook", "outputs"}
# The code's identity as a page prints it: a version, a fingerprint or a hash.
CODE_TEXT = re.compile(rb"kiprank [0-9][^\s<\"\\)]*|[0-9a-f]{64}|\b[0-9a-f]{12,16}\b|file://[^\")\s]*")
# Where a build was made (``<TMPDIR>/kiprank-demo-outputs``, recorded as the inputs root): each run
# its own TMPDIR, so that two helpers' builds do not meet; set aside like the code's identity.
PLACE = re.compile(rb"/[^\s\"'<>]*/kiprank-demo-outputs")


def kiprank(*args: str, cwd: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; from kiprank.cli import main; sys.exit(main())", *args]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1671062400"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    print(f"kiprank {' '.join(args)}: exit {done.returncode}", flush=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"kiprank {' '.join(args)} failed")


def build(target: Path) -> None:
    """Build in ``<TMPDIR>/kiprank-demo-outputs`` (publications record absolute paths: ``compare``
    sets that place aside, :data:`PLACE`), then move the result to ``target``."""
    target = target.resolve()
    if target.exists():
        raise SystemExit(f"{target} exists: give a new folder")
    out = Path(tempfile.gettempdir()) / "kiprank-demo-outputs"
    if out.exists():
        shutil.rmtree(out)
    inputs = out / "inputs"
    shutil.copytree(ROOT / "inputs", inputs, ignore=shutil.ignore_patterns("collect", "*.py", "__pycache__"))
    o = out / "outputs"
    region = ["--inputs-root", str(inputs), "--outputs-root", str(o)]
    kiprank("report", "--year", "2022", "--region", "klaten", "--date", DATE, "--robustness", *region, cwd=out)
    kiprank("letters", "--year", "2022", "--region", "klaten", "--certificates", *region, cwd=out)
    kiprank("forms", "--year", "2022", "--region", "klaten", "--inputs-root", str(inputs), "--out",
            str(out / "forms-klaten"), cwd=out)
    kiprank("report", "--year", "2022", "--region", "klaten-xlsx", "--date", DATE, "--lang", "en", *region, cwd=out)
    kiprank("score", "--year", "2018", "--region", "jateng", *region, cwd=out)
    kiprank("build", "--year", "2019", "--regions", "jateng", "--date", DATE, "--jobs", "1", *region, cwd=out)
    kiprank("compare", "--region", "jateng", "--years", "2018", "2019", "--focus", "kudus", "--date", DATE,
            *region, cwd=out)
    kiprank("diff", str(o / "2022" / "klaten"), str(o / "2022" / "klaten-xlsx"), "--output", str(out / "corrections"),
            cwd=out)
    kiprank("site", "--outputs-root", str(o), "--out", str(out / "site"), cwd=out)
    shutil.move(out, target)


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_code(value):
    if isinstance(value, dict):
        return {k: _without_code(v) for k, v in value.items() if k not in CODE_KEYS}
    if isinstance(value, list):
        return [_without_code(v) for v in value]
    return value


def _scrubbed(value) -> bytes:
    text = json.dumps(_without_code(value), sort_keys=True, ensure_ascii=False).encode()
    return CODE_TEXT.sub(b"", PLACE.sub(b"<build>", text))


def _pdf_pages(path: Path) -> list[str]:
    """Each page's text (PyMuPDF), without the code's identity: a PDF compared without its metadata.
    (Typst writes the same bytes for the same document, so a PDF whose bytes differ and whose text
    is equal differs only in what names the code.)"""
    import pymupdf

    with pymupdf.open(path) as doc:
        return [CODE_TEXT.sub(b"", page.get_text("text").encode()) for page in doc]


def same(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    if a.name.endswith(".json") and a.suffix == ".json":
        try:
            return _scrubbed(json.loads(a.read_text("utf-8"))) == _scrubbed(json.loads(b.read_text("utf-8")))
        except ValueError:
            return False
    if a.suffix == ".pdf":
        return _pdf_pages(a) == _pdf_pages(b)
    if a.suffix == ".ipynb":  # what the cells displayed (the notebook's code is code)
        shown = [_scrubbed([c["outputs"] for c in json.loads(p.read_text("utf-8"))["cells"] if c.get("outputs")])
                 for p in (a, b)]
        return shown[0] == shown[1]
    if a.suffix == ".html":
        # a page may print the version or fingerprint that the manifest holds
        return CODE_TEXT.sub(b"", PLACE.sub(b"<build>", a.read_bytes())) == \
            CODE_TEXT.sub(b"", PLACE.sub(b"<build>", b.read_bytes()))
    return False


def compare(before: Path, after: Path) -> int:
    fa, fb = _files(before), _files(after)
    bad = 0
    for rel in sorted(set(fa) | set(fb)):
        if rel.startswith("inputs/"):
            continue
        if rel not in fa or rel not in fb:
            print(f"only in {'after' if rel in fb else 'before'}: {rel}")
            bad += 1
        elif not same(fa[rel], fb[rel]):
            print(f"differs: {rel}")
            bad += 1
    print(f"{len(set(fa) | set(fb))} files compared, {bad} differ")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("build").add_argument("out", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.what == "build":
        build(args.out)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
