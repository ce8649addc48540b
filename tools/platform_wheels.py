"""Does every runtime dependency of kiprank install from a wheel on Windows, macOS and Linux for
Python 3.11-3.13 (no compiler, no system library)?

For each platform and Python version, pip resolves kiprank's runtime dependencies (pyproject's
``[project] dependencies``, with everything they pull in) against the package index as that
machine's pip would, accepting wheels only (``--only-binary=:all:``, ``--dry-run``: nothing is
installed, only metadata is fetched). A dependency with no wheel for a platform fails the
resolution, and the script names it. Prints a Markdown table (the one in README.md "Installing")
of the version and wheel tag each direct dependency resolves to, and exits 1 if any combination
failed. Needs the package index (a network); not run by the tests.

    python tools/platform_wheels.py [--python 3.11 3.12 3.13] [--platform win_amd64 macos14_arm64 ...]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# label -> the platform tags pip accepts there (pip widens a macOS tag to the older macOS versions
# itself; manylinux tags are listed down to manylinux2014, glibc 2.17)
_LINUX = ("manylinux_2_28", "manylinux_2_27", "manylinux_2_26", "manylinux_2_24", "manylinux_2_17", "manylinux2014")
PLATFORMS = {
    "win_amd64": ("win_amd64",),
    "macos14_arm64": ("macosx_14_0_arm64",),
    "macos14_x86_64": ("macosx_14_0_x86_64",),
    "linux_x86_64": tuple(f"{t}_x86_64" for t in _LINUX),
    "linux_aarch64": tuple(f"{t}_aarch64" for t in _LINUX),
}
TITLES = {"win_amd64": "Windows x64", "macos14_arm64": "macOS 14+ arm64", "macos14_x86_64": "macOS 14+ x86_64",
          "linux_x86_64": "Linux x86_64 (glibc 2.28+)", "linux_aarch64": "Linux arm64 (glibc 2.28+)"}
PYTHONS = ("3.11", "3.12", "3.13")


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0]


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dependencies() -> list[str]:
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"])


def resolve(platform: str, python: str, specs: list[str]) -> dict:
    """pip's install report for ``specs`` on that platform and Python, wheels only; or the error."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--only-binary=:all:", *[a for t in PLATFORMS[platform] for a in ("--platform", t)],
               "--python-version", python, "--implementation", "cp", "--target", str(Path(tmp) / "t"),
               "--report", str(report), *specs]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
            return {"error": " ".join(lines) or proc.stderr.strip()[-400:]}
        data = json.loads(report.read_text(encoding="utf-8"))
    out = {}
    for item in data["install"]:
        meta = item["metadata"]
        url = item["download_info"]["url"]
        out[_canon(meta["name"])] = {"version": meta["version"], "file": url.rsplit("/", 1)[-1]}
    return {"packages": out}


def wheel_tag(file: str) -> str:
    """'cp313-cp313-win_amd64' -> 'cp313 win_amd64'; pure wheels 'py3-none-any' -> 'any'."""
    parts = file[:-4].split("-")
    py, abi, plat = parts[-3], parts[-2], parts[-1]
    if plat == "any":
        return "any"
    return f"{abi if abi == 'abi3' else py} {plat}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", nargs="+", default=list(PYTHONS))
    ap.add_argument("--platform", nargs="+", default=list(PLATFORMS), choices=list(PLATFORMS))
    args = ap.parse_args(argv)
    specs = dependencies()
    combos = [(p, v) for p in args.platform for v in args.python]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(combos, pool.map(lambda c: resolve(c[0], c[1], specs), combos)))
    failed = {c: r["error"] for c, r in results.items() if "error" in r}
    for (plat, py), err in failed.items():
        print(f"FAILED {plat} Python {py}: {err}", file=sys.stderr)
    total = {c: len(r["packages"]) for c, r in results.items() if "packages" in r}
    print(f"pip {subprocess.run([sys.executable, '-m', 'pip', '--version'], capture_output=True, text=True).stdout.split()[1]}, "
          "`pip install --dry-run --only-binary=:all: --platform P --python-version V` of the runtime dependencies; "
          "packages resolved, all from wheels (with what they pull in): "
          + ", ".join(f"{plat}/{py}: {n}" for (plat, py), n in total.items()))
    print()
    print("| dependency | " + " | ".join(TITLES[p] for p in args.platform) + " |")
    print("|---|" + "---|" * len(args.platform))
    for spec in specs:
        name = _canon(_name(spec))
        cells = []
        for plat in args.platform:
            found = [(py, results[(plat, py)]["packages"].get(name)) for py in args.python if (plat, py) in total]
            versions = sorted({f["version"] for _, f in found if f})
            tags = sorted({wheel_tag(f["file"]).split(" ")[0] for _, f in found if f})
            missing = [py for py, f in found if not f] + [py for py in args.python if (plat, py) in failed]
            cell = f"{'/'.join(versions)} ({', '.join(tags)})" if versions else ""
            cells.append(cell + (f" MISSING for {', '.join(missing)}" if missing else ""))
        print(f"| {_name(spec)} | " + " | ".join(cells) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
