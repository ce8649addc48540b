"""Trustworthy runs: manifest, verify, corrections diff, atomic publishing of the tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from kiprank.cli import main
from kiprank.analysis.corrections import diff_rankings
from kiprank.runs.manifest import MANIFEST, read_manifest, sha256_file

from conftest import make_region

TWO_STAGE = Path(__file__).parent / "fixtures" / "two-stage.yml"
ANSWERS = {
    "x": {"A1": "ya", "A2": "ya", "A3": "tidak", "B1": "tidak", "B2": "ya"},
    "y": {"A1": "ya", "A2": "ya", "A3": "ya", "B1": "ya", "B2": "ya"},
    "z": {"A1": "ya", "A2": "tidak", "A3": "tidak", "B1": "ya", "B2": "tidak"},
}


def _region(tmp_path, presentasi):
    return make_region(
        tmp_path, TWO_STAGE,
        bodies=[("x", "Dinas X", "dinas"), ("y", "Dinas Y", "dinas"), ("z", "Dinas Z", "dinas")],
        saq=ANSWERS, scores={"presentasi": presentasi},
    )


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_score_writes_manifest_with_input_hashes(tmp_path):
    reg = _region(tmp_path, {"x": 70, "y": 85.5, "z": 50})
    folder, _ = reg.run()
    manifest = read_manifest(folder)
    assert manifest["inputs"]["saq.csv"] == sha256_file(reg.folder / "saq.csv")
    assert manifest["methodology"]["id"] == "test-two-stage"
    assert manifest["methodology"]["sha256"] == sha256_file(reg.inputs_root / "methodologies" / "two-stage.yml")
    assert manifest["outputs"]["ranking.csv"] == sha256_file(folder / "ranking.csv")
    assert len(manifest["fingerprint"]) == 12
    assert {"pandas", "numpy", "pandera"} <= set(manifest["libraries"])
    first = (folder / MANIFEST).read_bytes()
    reg.run()
    assert (folder / MANIFEST).read_bytes() == first, "the same run must give the same manifest"


def test_verify_reproduces_and_names_a_changed_input(tmp_path):
    reg = _region(tmp_path, {"x": 70, "y": 85.5, "z": 50})
    folder, _ = reg.run()
    ok = _cli("verify", folder)
    assert ok.exit_code == 0, ok.output
    assert "reproduced exactly" in ok.output

    presentasi = reg.folder / "presentasi.csv"
    presentasi.write_text(presentasi.read_text().replace("50", "55"))
    changed = _cli("verify", folder)
    assert changed.exit_code == 3
    assert "presentasi.csv" in changed.output


def test_verify_detects_a_tampered_ranking(tmp_path):
    reg = _region(tmp_path, {"x": 70, "y": 85.5, "z": 50})
    folder, _ = reg.run()
    ranking = folder / "ranking.csv"
    ranking.write_text(ranking.read_text().replace("71.33", "91.33"))
    result = _cli("verify", folder)
    assert result.exit_code == 3
    assert "ranking.csv" in result.output


def test_diff_lists_a_corrected_score(tmp_path):
    """The situation of a corrected decree: z's presentation score was entered as 50 instead of 95.

    z before: saq 28.33 (A 1/3, B1 only 1/4) -> final 0.8*28.333 + 0.2*50 = 32.67, rank 3.
    z after:  0.8*28.333 + 0.2*95 = 22.667 + 19 = 41.67 -> Kurang Informatif, still rank 3.
    """
    reg = _region(tmp_path, {"x": 70, "y": 85.5, "z": 50})
    folder, _ = reg.run()
    published = tmp_path / "published"
    shutil.copytree(folder, published)
    (reg.folder / "presentasi.csv").write_text("body_id,score\nx,70\ny,85.5\nz,95\n")
    reg.run()
    table = diff_rankings(published, folder)
    assert list(table["body_id"]) == ["z"]
    row = table.iloc[0]
    assert (row.final_old, row.final_new) == (32.67, 41.67)
    assert (row.band_old, row.band_new) == ("Tidak Informatif", "Kurang Informatif")
    assert row.what_changed == "score, band"

    out = tmp_path / "corr"
    result = _cli("diff", published, folder, "--output", out)
    assert result.exit_code == 0, result.output
    assert (out / "corrections.pdf").read_bytes().startswith(b"%PDF")
    html = (out / "corrections.html").read_text()
    assert "32,67" in html and "41,67" in html
    csv = pd.read_csv(out / "corrections.csv")
    assert list(csv["body_id"]) == ["z"]


def test_diff_reports_added_and_removed_bodies(tmp_path):
    old = tmp_path / "old"
    new = tmp_path / "new"
    old.mkdir()
    new.mkdir()
    header = "group,rank,body_id,name,status,final,band,notes\n"
    (old / "ranking.csv").write_text(header + "G,1,a,A,Dinilai,90.00,Informatif,\nG,2,b,B,Dinilai,80.00,Menuju Informatif,\n")
    (new / "ranking.csv").write_text(header + "G,1,a,A,Dinilai,90.00,Informatif,\nG,2,c,C,Dinilai,70.00,Cukup Informatif,\n")
    table = diff_rankings(old, new).set_index("body_id")
    assert table.loc["b", "what_changed"] == "removed"
    assert table.loc["c", "what_changed"] == "added"
    assert "a" not in table.index


def test_failed_score_keeps_previous_tables_and_leaves_no_staging(tmp_path):
    reg = _region(tmp_path, {"x": 70, "y": 85.5, "z": 50})
    folder, _ = reg.run()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (reg.folder / "presentasi.csv").write_text("body_id,score\nx,101\n")
    result = _cli("score", "--year", reg.year, "--region", reg.region,
                  "--inputs-root", reg.inputs_root, "--outputs-root", reg.outputs_root)
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == [reg.region]
