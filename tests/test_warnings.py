"""`kiprank validate` names every gap: values missing where the methodology has no ``missing:`` rule
are errors (exit 2, file, body, stage); those it scores by a rule, and rows it ignores, are warnings."""

from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.missing import coverage_warnings
from kiprank.core.scoring import score

from conftest import make_region


def validate(reg):
    return CliRunner().invoke(main, ["validate", "--year", str(reg.year), "--region", reg.region,
                                     "--inputs-root", str(reg.inputs_root)])


def test_gaps_scored_by_the_methodology_are_warned(tmp_path):
    reg = make_region(
        tmp_path, "klaten-2022",
        bodies=[("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas"), ("c", "Dinas C", "dinas")],
        saq={"a": {"A01": "ya", "A02": "ya"}, "b": {"A01": "tidak"}},
        verification={"a": {"A01": "sesuai"}, "c": {"A01": "sesuai"}},
        website={"a": {"profil": "ya"}},
    )
    inputs = reg.load()
    notes = coverage_warnings(inputs, score(inputs))
    assert any(n.startswith("a: verifikasi: 1 value(s) missing (A02), counted as 0") for n in notes), notes
    assert any(n.startswith("b: verifikasi: 18 value(s) missing") for n in notes), notes
    assert "c: has verification rows but did not return the SAQ (ignored)" in notes
    assert any(n.startswith("b: website: 13 value(s) missing") and "missing: zero" in n for n in notes), notes

    result = validate(reg)
    assert result.exit_code == 0
    assert "warning:" in result.output and "counted as 0 as the methodology says" in result.output


def test_a_gap_without_a_rule_is_an_error_naming_file_body_and_stage(tmp_path):
    """Issue 19, case 2: a body that passes the gate but has no presentation score is not scored 0
    silently; validate fails (exit 2) naming presentasi.csv, the body and the stage."""
    from kiprank.core.methodology import load_methodology

    m = load_methodology("ki-pusat-2025")
    full = {q.id: ("ya" if q.type == "yesno" else max(q.options, key=q.options.get) if q.type == "graded"
                   else f"{q.max:g}") for q in m.questionnaire.questions}
    reg = make_region(
        tmp_path, "ki-pusat-2025",
        bodies=[("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas")],
        saq={"a": full, "b": full},
        verification={b: {q: "sesuai" for q in full} for b in "ab"},
        scores={"presentasi": {"a": 80}},
    )
    result = validate(reg)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "presentasi.csv" in text and "body 'b'" in text and "stage presentasi" in text
    assert "passed the gate saq >= 60" in text and "missing" in text


def test_complete_demo_region_has_no_warnings():
    from pathlib import Path

    from kiprank.core.inputs import load_region

    root = Path(__file__).resolve().parent.parent / "inputs"
    inputs = load_region(2022, "klaten", root)
    assert coverage_warnings(inputs, score(inputs)) == []
