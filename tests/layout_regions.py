"""Regions of every shape the documents must hold, for the layout tests (tests/test_layout.py).

:func:`make_shape` writes ``<root>/inputs/<year>/<region>/`` (and a second year for comparisons)
for a :class:`Shape`: 1 to 6 stages (SAQ, verification, website check, then score stages),
with or without a gate (whose failures put notes in the results table), with or without a data
note, any number of bodies (names of 60 characters), and the odd texts a real region brings: a
300-letter word and a 200-character URL in names, the data note and a methodology source.
The data are random but fixed by a seed (the same shape gives the same files).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

WORD_300 = "Pemberdayaanmasyarakatdesa" * 11 + "Panjangsekali"  # one word, no space
WORD_300 = WORD_300[:300]
URL_200 = "https://ppid.contoh-kabupaten.go.id/informasi-publik/" + "dokumen-berkala/" * 9
URL_200 = (URL_200 + "x" * 200)[:200]
STAGE_SPECS = [  # (id, label, source)
    ("saq", "Self Assessment Questionnaire (SAQ)", "questionnaire"),
    ("verifikasi", "Verifikasi data dukung dan visitasi", "verification"),
    ("website", "Pemeriksaan website badan publik", "checklist"),
    ("presentasi", "Presentasi dan wawancara", "score"),
    ("visitasi", "Visitasi lapangan", "score"),
    ("uji_publik", "Uji publik", "score"),
]
WEIGHTS = {1: [100], 2: [40, 60], 3: [30, 50, 20], 4: [25, 35, 20, 20], 5: [20, 30, 15, 20, 15],
           6: [15, 25, 15, 15, 15, 15]}
QUESTIONS = [("A01", "ind_a"), ("A02", "ind_a"), ("A03", "ind_a"), ("B01", "ind_b"), ("B02", "ind_b"),
             ("B03", "ind_b"), ("C01", "ind_c"), ("C02", "ind_c")]
ITEMS = ["profil", "program", "anggaran", "dip", "dik", "sop"]


@dataclass(frozen=True)
class Shape:
    stages: int = 3
    gates: bool = False
    notes: bool = False
    bodies: int = 5
    odd: bool = True  # a 300-letter word and a 200-character URL among the texts

    @property
    def name(self) -> str:
        return f"s{self.stages}{'g' if self.gates else ''}{'n' if self.notes else ''}-b{self.bodies}"


def methodology(shape: Shape) -> dict:
    stages = []
    for (sid, label, source), weight in zip(STAGE_SPECS, WEIGHTS[shape.stages]):
        stage = {"id": sid, "label": label, "weight": weight, "source": source}
        if source == "checklist":
            stage["items"] = [{"id": i, "label": f"Butir website {i.upper()} tersedia dan mutakhir", "weight": w}
                              for i, w in zip(ITEMS, (20, 20, 15, 15, 15, 15))]
        if sid == "presentasi" and shape.gates:
            stage["gate"] = {"stage": "saq", "min_score": 60, "otherwise": 0}
        stages.append(stage)
    if shape.gates and shape.stages < 4:  # a gate needs an earlier stage: gate the last one on the SAQ
        if len(stages) > 1:
            stages[-1]["gate"] = {"stage": "saq", "min_score": 60, "otherwise": 0}
    sources = ["Bobot tahap ditetapkan dalam keputusan komisi (contoh untuk pengujian tata letak)."]
    if shape.odd:
        sources.append(f"Dokumen metodologi: {URL_200}")
    return {
        "id": "uji-tata-letak", "name": "Metodologi uji tata letak", "commission": "Komisi Informasi Uji",
        "years": "2023-2024", "decimals": 1, "stages": stages,
        "questionnaire": {
            "indicators": [{"id": "ind_a", "label": "Pengumuman informasi berkala", "weight": 40},
                           {"id": "ind_b", "label": "Penyediaan informasi setiap saat", "weight": 35},
                           {"id": "ind_c", "label": "Pelayanan informasi", "weight": 25}],
            "questions": [{"id": q, "indicator": ind, "type": "yesno",
                           "text": f"Pertanyaan {q}: informasi tersedia dan diumumkan"} for q, ind in QUESTIONS]},
        "bands": [{"label": "Informatif", "min": 90}, {"label": "Menuju Informatif", "min": 80},
                  {"label": "Cukup Informatif", "min": 60}, {"label": "Kurang Informatif", "min": 40},
                  {"label": "Tidak Informatif", "min": 0}],
        "not_returned": {"status": "Tidak mengembalikan SAQ", "band": "Tidak Informatif", "ranked": False},
        "sources": sources,
        "assumptions": ["Pertanyaan berbobot sama dalam indikatornya."],
    }


def body_names(shape: Shape) -> list[str]:
    names = []
    for i in range(shape.bodies):
        kind = "Kecamatan" if i % 2 == 0 else "Dinas Pemberdayaan Masyarakat dan Desa"
        base = f"{kind} Nomor {i + 1:04d} Kabupaten Contoh Sejahtera Raya"
        names.append((base + " Utara Selatan Barat Timur")[:60].rstrip())
    if shape.odd and shape.bodies >= 2:
        names[0] = "Badan " + WORD_300
        names[1] = "Portal " + URL_200
    return names


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_year(root: Path, shape: Shape, year: int, seed: int) -> Path:
    rng = random.Random(seed)
    folder = root / "inputs" / str(year) / "uji"
    folder.mkdir(parents=True)
    mdir = root / "inputs" / "methodologies"
    mdir.mkdir(exist_ok=True)
    (mdir / "uji.yml").write_text(yaml.safe_dump(methodology(shape), sort_keys=False, allow_unicode=True),
                                  encoding="utf-8")
    region = {"region": "Kabupaten Uji Tata Letak", "issuer": "Komisi Informasi Kabupaten Uji Tata Letak",
              "title": f"Pemeringkatan Keterbukaan Informasi Publik Kabupaten Uji {year}",
              "methodology": "../../methodologies/uji.yml",
              "groups": {"kec": "Kecamatan", "dinas": "Dinas dan Badan"}, "report_date": f"{year}-12-15",
              "letter_number": "480/{n:04d}/KI/{year}",
              "signatory": {"name": "Nama Ketua Komisi", "title": "Ketua Komisi Informasi Kabupaten Uji"}}
    if shape.notes:
        region["data_note"] = ("Data uji tata letak: bukan hasil penilaian. Rujukan: " + URL_200 if shape.odd
                               else "Data uji tata letak: bukan hasil penilaian.")
    (folder / "region.yml").write_text(yaml.safe_dump(region, sort_keys=False, allow_unicode=True), encoding="utf-8")
    names = body_names(shape)
    ids = [f"b{i + 1:04d}" for i in range(shape.bodies)]
    groups = ["kec" if i % 2 == 0 else "dinas" for i in range(shape.bodies)]
    _write_csv(folder / "bodies.csv", ["body_id", "name", "group"], zip(ids, names, groups))
    returned = [i for i in range(shape.bodies) if shape.bodies < 4 or i % 10 != 9]  # one in ten does not return
    level = {i: rng.uniform(0.35, 1.0) for i in returned}
    level[0] = 1.2  # the first body (the 300-letter name) earns everything: top band, so a certificate
    _write_csv(folder / "saq.csv", ["body_id", "question_id", "answer"],
               [(ids[i], q, "ya" if rng.random() < level[i] + 0.1 else "tidak") for i in returned for q, _ in QUESTIONS])
    kinds = [s[2] for s in STAGE_SPECS[:shape.stages]]
    if "verification" in kinds:
        _write_csv(folder / "verification.csv", ["body_id", "question_id", "verdict", "granted"],
                   [(ids[i], q, "sesuai" if rng.random() < level[i] else "tidak sesuai", "")
                    for i in returned for q, _ in QUESTIONS])
    if "checklist" in kinds:
        _write_csv(folder / "website.csv", ["body_id", "item_id", "present"],
                   [(ids[i], item, "ya" if rng.random() < level[i] else "tidak") for i in returned for item in ITEMS])
    for sid, _, source in STAGE_SPECS[:shape.stages]:
        if source == "score":
            _write_csv(folder / f"{sid}.csv", ["body_id", "score"],
                       [(ids[i], f"{min(100.0, 40 + 60 * level[i] + rng.uniform(-5, 5)):.1f}") for i in returned])
    return folder


def make_shape(root: Path, shape: Shape, years: tuple[int, ...] = (2024,)) -> Path:
    """Write the inputs of ``shape`` for each of ``years`` under ``root/inputs``; returns that root."""
    for k, year in enumerate(years):
        write_year(root, shape, year, seed=1000 * shape.stages + shape.bodies + k)
    return root / "inputs"


DOCUMENTS = ("report", "comparison", "corrections", "letter", "certificate")


def build_documents(root: Path, shape: Shape, lang: str = "id") -> dict[str, bytes]:
    """Every kind of PDF kiprank publishes, for a region of ``shape`` (two years, 2023 and 2024):
    the ranking report, the comparison, the corrections list of a corrected 2024 (one body's SAQ
    answer changed), the letter to the body with the 200-character URL in its name, and the
    letter with the certificate of the body with the 300-letter name (top band)."""
    from datetime import date

    from kiprank.analysis.corrections import diff_rankings
    from kiprank.letters.content import LetterSet, Scored, document_data, letters_data
    from kiprank.letters.render import render
    from kiprank.report import comparison, prepare, report_content
    from kiprank.report.pdf import typeset_document
    from kiprank.runs.corrections import write_diff
    from kiprank.runs.pipeline import run_score

    inputs = make_shape(root, shape, years=(2023, 2024))
    out: dict[str, bytes] = {}
    rep = prepare(2024, "uji", inputs, lang=lang)
    out["report"] = typeset_document(report_content(rep), rep.report_date)[0]
    crep = comparison.prepare("uji", [2023, 2024], None, inputs, lang=lang)
    out["comparison"] = typeset_document(comparison.comparison_content(crep), crep.report_date)[0]

    old, _ = run_score(2024, "uji", inputs, root / "published")
    saq = inputs / "2024" / "uji" / "saq.csv"
    rows = saq.read_text(encoding="utf-8").splitlines()
    flipped = [rows[0]] + [r.replace(",ya", ",tidak") if r.startswith("b0003,") else r for r in rows[1:]]
    saq.write_text("\n".join(flipped) + "\n", encoding="utf-8")
    new, _ = run_score(2024, "uji", inputs, root / "corrected")
    write_diff(diff_rankings(old, new), old, new, root / "corrections", lang=lang)
    out["corrections"] = (root / "corrections" / "corrections.pdf").read_bytes()

    current = Scored(rep.inputs, rep.result)
    day = date(2024, 12, 15)
    ls = LetterSet(current, lang=lang, report_date=day, certificates=True)
    by_id = {lt["body_id"]: lt for lt in letters_data(ls, ["b0001", "b0002"])["letters"]}
    assert by_id["b0001"]["certificate"] is not None, "the first body is in the top band"
    for kind, body_id in (("letter", "b0002"), ("certificate", "b0001")):
        out[kind] = render(document_data(ls, [by_id[body_id]]), report_date=day).pdf
    return out


__all__ = ["Shape", "make_shape", "methodology", "body_names", "build_documents", "DOCUMENTS", "WORD_300", "URL_200"]
