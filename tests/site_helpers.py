"""A small published outputs root for the site's tests, with hostile body names.

Two years of the fixture region ``uji`` (tests/fixtures/report_region): 2021 scored only
(``kiprank score``: tables and manifest), 2022 with the full report (so its page shows the report's
sections) plus a ``robustness.csv`` and ``letters/`` added the way later steps add them
(:func:`kiprank.runs.publish.add_to_published`), and a comparison folder (``changes.csv``,
``decomposition.csv``) written by :mod:`kiprank.analysis.compare`.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "report_region" / "2022" / "uji"
LONG = ("Badan Pengelolaan Informasi dan Dokumentasi yang Namanya Sangat Panjang Sekali " * 4).strip()[:300]
WORD_300 = ("Pemberdayaanmasyarakatdesa" * 12)[:300]  # one word, no space
URL_200 = ("https://ppid.contoh-kabupaten.go.id/informasi-publik/" + "dokumen-berkala/" * 10)[:200]
HOSTILE = {
    "kec-01": "<script>alert(1)</script>",
    "kec-02": "a#b $x$ *y* _z_ <c> @d \\ e] [/bold]",
    "kec-03": "=SUM(A1)",
    "kec-05": "Portal " + URL_200,
    "opd-01": "Dinas 😀 Informasi مرحبا עברית",
    "opd-02": LONG,
    "opd-05": "Badan " + WORD_300,
}
# Bodies added to the fixture (they returned no SAQ): names a spreadsheet would take as formulas,
# guarded in the CSV and shown without the guard's ', and a body found by its acronym (BPKAD).
FORMULA_NAMES = {
    "opd-07": "\uff1dHYPERLINK(1)",  # a full-width equals sign
    "opd-08": " =1+2 Dinas",          # a leading space before a formula
}
HOSTILE = {**HOSTILE, **FORMULA_NAMES}
BPKAD = ("opd-09", "Badan Pengelolaan Keuangan & Aset Daerah")
ADDED_BODIES = {**FORMULA_NAMES, BPKAD[0]: BPKAD[1]}
HOSTILE_ID = ("kec-04", 'kec/04 <b>&"x"')  # a body_id that is not a plain file name
RENAMED = ("opd-03", "opd-06")  # Dinas Perhubungan's id in 2021 and 2022, linked by inputs/crosswalk.csv
KOMINFO = ("opd-04", "Dinas Komunikasi dan Informatika")  # found by "Diskominfo"


def _rewrite(path: Path, fix) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = [rows[0]] + [fix(r) for r in rows[1:]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def make_inputs(inputs_root: Path, year: int) -> Path:
    """The fixture region ``uji`` for ``year``, with the hostile names, its methodology as a file of
    its own (not a preset: the site takes its stage labels from it), and in 2022 Dinas Perhubungan
    under a new id that ``inputs/crosswalk.csv`` links to its old one."""
    from kiprank.core.resources import PRESET_DIR

    folder = inputs_root / str(year) / "uji"
    shutil.copytree(FIXTURE, folder)
    (inputs_root / "methodologies").mkdir(exist_ok=True)
    shutil.copy(PRESET_DIR / "klaten-2022.yml", inputs_root / "methodologies" / "uji.yml")
    region = folder / "region.yml"
    region.write_text(region.read_text(encoding="utf-8").replace("methodology: klaten-2022",
                                                                  "methodology: ../../methodologies/uji.yml"),
                      encoding="utf-8")
    (inputs_root / "crosswalk.csv").write_text(f"old_id,new_id,note\n{RENAMED[0]},{RENAMED[1]},kode baru\n",
                                               encoding="utf-8")
    old_id, new_id = HOSTILE_ID

    def fix_id(row):
        row = [new_id if i == 0 and v == old_id else v for i, v in enumerate(row)]
        if year == 2022 and row and row[0] == RENAMED[0]:
            row[0] = RENAMED[1]
        return row

    def fix_body(row):
        row = fix_id(row)
        if row[0] in HOSTILE:
            row[1] = HOSTILE[row[0]]
        if row[0] == KOMINFO[0]:
            row[1] = KOMINFO[1]
        return row

    for name in ("saq.csv", "verification.csv", "website.csv"):
        if (folder / name).is_file():
            _rewrite(folder / name, fix_id)
    _rewrite(folder / "bodies.csv", fix_body)
    with (folder / "bodies.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            [body_id, name, "opd", f"https://{body_id}.example.go.id"] for body_id, name in ADDED_BODIES.items())
    return folder


def robustness_writer(ranking: Path):
    def write(stage: Path):
        with ranking.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        bands = ["Informatif", "Menuju Informatif", "Cukup Informatif", "Kurang Informatif", "Tidak Informatif"]
        with (stage / "robustness.csv").open("w", encoding="utf-8", newline="") as handle:
            w = csv.writer(handle, lineterminator="\n")
            w.writerow(["body_id", "group", "rank", "rank_p05", "rank_median", "rank_p95", "score_p05",
                        "score_median", "score_p95", *[f"p_{b}" for b in bands], "p_top3"])
            for r in rows:
                if not r["rank"]:
                    w.writerow([r["body_id"], r["group"], "", *[""] * 6, *[""] * len(bands), ""])
                    continue
                probs = [0.0] * len(bands)
                probs[bands.index(r["band"])] = 0.75
                probs[min(bands.index(r["band"]) + 1, len(bands) - 1)] += 0.25
                rank = int(r["rank"])
                w.writerow([r["body_id"], r["group"], rank, max(rank - 1, 1), rank, rank + 1, "", r["final"], "",
                            *probs, 1.0 if rank <= 3 else 0.0])
        return ["robustness.csv"]
    return write


def letters_writer(body_ids: list[str]):
    def write(stage: Path):
        (stage / "letters").mkdir(exist_ok=True)
        written = []
        for body_id in [*body_ids, "all"]:
            (stage / "letters" / f"{body_id}.pdf").write_bytes(b"%PDF-1.7\n% letter " + body_id.encode() + b"\n%%EOF\n")
            written.append(f"letters/{body_id}.pdf")
        return written
    return write


def make_outputs(root: Path, report: bool = True) -> Path:
    """Write ``root/inputs`` and publish ``root/outputs``; returns the outputs root."""
    from kiprank.analysis.compare import decomposition_table, load_comparison, write_changes_csv
    from kiprank.runs.pipeline import run_score
    from kiprank.runs.publish import add_to_published

    inputs_root, outputs_root = root / "inputs", root / "outputs"
    for year in (2021, 2022):
        make_inputs(inputs_root, year)
    run_score(2021, "uji", inputs_root, outputs_root)
    if report:
        from kiprank.runs.report import build_report

        build_report(2022, "uji", inputs_root, outputs_root, report_date="2022-12-15")
    else:
        run_score(2022, "uji", inputs_root, outputs_root)
    published = outputs_root / "2022" / "uji"
    add_to_published(published, robustness_writer(published / "ranking.csv"), "robustness",
                     {"draws": 1000, "seed": 1})
    add_to_published(published, letters_writer(["kec-01", "opd-02"]), "letters")
    comp = load_comparison("uji", [2021, 2022], inputs_root)
    target = outputs_root / "compare" / "uji_2021-2022"
    target.mkdir(parents=True)
    write_changes_csv(comp, target / "changes.csv")
    decomposition_table(comp).to_csv(target / "decomposition.csv", index=False, float_format="%.6f",
                                     lineterminator="\n")
    return outputs_root
