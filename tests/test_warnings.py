"""Legal but suspicious gaps are reported by `kiprank validate` as warnings (they score 0)."""

from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.inputs import coverage_warnings

from conftest import make_region


def test_unverified_answers_and_missing_scores_are_warned(tmp_path):
    reg = make_region(
        tmp_path, "klaten-2022",
        bodies=[("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas"), ("c", "Dinas C", "dinas")],
        saq={"a": {"A01": "ya", "A02": "ya"}, "b": {"A01": "tidak"}},
        verification={"a": {"A01": "sesuai"}, "c": {"A01": "sesuai"}},
        website={"a": {"profil": "ya"}},
    )
    notes = coverage_warnings(reg.load())
    assert "a: 1 SAQ answer(s) have no verification row and earn nothing at verification" in notes
    assert "b: 1 SAQ answer(s) have no verification row and earn nothing at verification" in notes
    assert "c: has verification rows but did not return the SAQ (ignored)" in notes
    assert "b: returned the SAQ but has no website check rows (website scores 0)" in notes
    assert not any(n.startswith("a: returned") for n in notes)

    result = CliRunner().invoke(main, ["validate", "--year", str(reg.year), "--region", reg.region,
                                       "--inputs-root", str(reg.inputs_root)])
    assert result.exit_code == 0
    assert "warning:" in result.output and "earn nothing at verification" in result.output


def test_complete_demo_region_has_no_warnings():
    from kiprank.core.inputs import load_region
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "inputs"
    assert coverage_warnings(load_region(2022, "klaten", root)) == []
