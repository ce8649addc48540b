"""The published report can be trusted: the same inputs give the same bytes, the manifest's
fingerprint is printed in the PDF, hostile names are escaped, and an interrupted build leaves
the last good report in place."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
import pymupdf

from kiprank.cli import main
from kiprank.runs.manifest import read_manifest, sha256_file
from kiprank.runs.report import build_report

from conftest import make_region

SCRIPT = "<script>alert(1)</script> Dinas Skrip"
FORMULAS = ['=HYPERLINK("http://x","klik")', "+62 Dinas Plus", "-Dinas Minus", "@Dinas At"]
ANSWERS = {"A01": "ya", "A05": "6", "B04": "lengkap", "C03": "11-17 hari", "D01": "ya"}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    names = [SCRIPT, *FORMULAS]
    bodies = [(f"b{i}", name, "dinas") for i, name in enumerate(names)] + [("k1", "Kecamatan Satu", "kecamatan")]
    reg = make_region(
        root, "klaten-2022", year=2022, region="uji-trust",
        bodies=bodies, groups={"kecamatan": "Kecamatan", "dinas": "Badan/Dinas"},
        saq={b[0]: ANSWERS for b in bodies[:-1]},
        verification={b[0]: {q: "sesuai" for q in ANSWERS} for b in bodies[:-2]},
        website={b[0]: {"profil": "ya", "dip": "ya" if i % 2 else "tidak"} for i, b in enumerate(bodies[:-1])},
    )
    first = build_report(2022, "uji-trust", reg.inputs_root, root / "out1")
    second = build_report(2022, "uji-trust", reg.inputs_root, root / "out2")
    return reg, first.folder, second.folder


@pytest.mark.parametrize("name", ["ranking.csv", "ranking.xlsx", "indicators.csv", "report.html", "report.pdf"])
def test_same_inputs_give_identical_files(two_builds, name):
    _, first, second = two_builds
    assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_manifest_fingerprint_in_pdf_footer_and_metadata(two_builds):
    reg, folder, _ = two_builds
    manifest = read_manifest(folder)
    fingerprint = manifest["fingerprint"]
    assert manifest["command"] == "report"
    assert manifest["notebook"]["sha256"] == sha256_file(Path(__file__).parent.parent / "kiprank" / "notebooks" / "ranking_report.ipynb")
    assert manifest["inputs"]["bodies.csv"] == sha256_file(reg.folder / "bodies.csv")
    assert manifest["outputs"]["report.pdf"] == sha256_file(folder / "report.pdf")
    with pymupdf.open(folder / "report.pdf") as doc:
        assert fingerprint in (doc.metadata.get("keywords") or "")
        for page in doc:
            assert f"manifest {fingerprint}" in " ".join(page.get_text().split())


def test_verify_accepts_a_published_report(two_builds):
    _, folder, _ = two_builds
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 0, result.output


def test_html_in_a_name_is_escaped(two_builds):
    _, folder, _ = two_builds
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Dinas Skrip" in html
    with pymupdf.open(folder / "report.pdf") as doc:
        text = " ".join(" ".join(p.get_text().split()) for p in doc)
    assert SCRIPT in text, "the name must be shown literally in the PDF"


def test_formula_like_names_stay_text_in_exports(two_builds):
    _, folder, _ = two_builds
    with open(folder / "ranking.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    published = {row["body_id"]: row["name"] for row in rows}
    for i, name in enumerate(FORMULAS, start=1):
        assert published[f"b{i}"] == "'" + name
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values()), row
    ws = openpyxl.load_workbook(folder / "ranking.xlsx")["ranking"]
    names = {c.value: c.data_type for c in ws["D"][1:]}
    for name in FORMULAS:
        assert names.get(name) == "s", (name, names)


def test_interrupted_build_keeps_the_last_good_report(two_builds, monkeypatch):
    import kiprank.runs.document as rb

    reg, folder, _ = two_builds
    outputs = folder.parent.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rb, "write_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_report(2022, "uji-trust", reg.inputs_root, outputs)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == ["uji-trust"], "no staging folder may remain"
    assert json.loads((folder / "manifest.json").read_text())["command"] == "report"
