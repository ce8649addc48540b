"""Generated regions for the scale benchmarks: any number of regions of 30-80 bodies, or one region
of any size, from the Klaten 2022 demo (methodology ``klaten-2022``, its questions, groups and
share of bodies that did not return the SAQ).

Each generated body copies the answers, verdicts and website items of a demo body drawn at random
and changes about 12% of them (yes/no answers and verdicts flipped), seeded by region, so that the
same call writes the same files and every region's report differs.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "inputs" / "2022" / "klaten"
YEAR = 2022
FLIP = {"ya": "tidak", "tidak": "ya", "sesuai": "tidak sesuai", "tidak sesuai": "sesuai"}


def _read(name: str) -> tuple[list[str], list[list[str]]]:
    with (DEMO / name).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_region(inputs_root: Path, name: str, bodies: int, seed: str, title: str) -> Path:
    """``inputs_root/2022/<name>/`` with ``bodies`` bodies."""
    rng = random.Random(seed)
    folder = Path(inputs_root) / str(YEAR) / name
    folder.mkdir(parents=True)
    region = (DEMO / "region.yml").read_text(encoding="utf-8").replace("Kabupaten Klaten", title)
    (folder / "region.yml").write_text(region, encoding="utf-8")
    b_head, demo_bodies = _read("bodies.csv")
    tables = {name: _read(f"{name}.csv") for name in ("saq", "verification", "website")}
    by_body = {t: {} for t in tables}
    for t, (_, rows) in tables.items():
        for row in rows:
            by_body[t].setdefault(row[0], []).append(row)
    out = {t: [] for t in tables}
    body_rows = []
    for i in range(1, bodies + 1):
        template = rng.choice(demo_bodies)
        body_id = f"{template[2][:3]}-{i:04d}"
        body_rows.append([body_id, f"{template[1]} {i}", template[2], f"https://{body_id}.example.go.id"])
        for t in tables:
            for row in by_body[t].get(template[0], []):
                new = [body_id, *row[1:]]
                if new[2] in FLIP and rng.random() < 0.12:
                    new[2] = FLIP[new[2]]
                out[t].append(new)
    _write(folder / "bodies.csv", b_head, body_rows)
    for t, (header, _) in tables.items():
        _write(folder / f"{t}.csv", header, out[t])
    return folder


def make_regions(inputs_root: Path, count: int, prefix: str = "wilayah") -> list[tuple[str, int]]:
    """``count`` regions of 30-80 bodies; (name, bodies) of each."""
    made = []
    for i in range(1, count + 1):
        name = f"{prefix}-{i:03d}"
        bodies = random.Random(f"kiprank-bench-scale/{name}/size").randint(30, 80)
        write_region(inputs_root, name, bodies, f"kiprank-bench-scale/{name}", f"Kabupaten Contoh {i:03d}")
        made.append((name, bodies))
    return made
