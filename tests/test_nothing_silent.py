"""Issue 19's property: for every command that reads a region's inputs, one unusable file or one
missing value of each kind is either used as the methodology says (and then named: printed, or
recorded with the publication) or refused with its file, body and reason. Never a silent drop or
a silent zero.

Every case starts from the same complete region (two years, so that comparisons and letters have
a previous year) and breaks one thing in the later year; each command runs on it through the
command line. The fast commands meet every case; the slow ones (report, compare, build: a notebook
each) one case of each outcome.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kiprank.cli import main
from kiprank.core.methodology import PRESET_DIR

from conftest import csv_text

YEAR, PREVIOUS, REGION = 2022, 2021, "prop"
QUESTIONS = None  # filled from the methodology


def methodology(rules: dict) -> dict:
    """klaten-2022 with a presentation stage (score), and the missing rules of ``rules``
    (``{"questionnaire": rule, stage id: rule}``; absent: the default, error)."""
    data = yaml.safe_load((PRESET_DIR / "klaten-2022.yml").read_text(encoding="utf-8"))
    data["questionnaire"].pop("missing", None)
    for stage in data["stages"]:
        stage.pop("missing", None)
        if stage["id"] == "verifikasi":
            stage["weight"] = 40
    data["stages"].append({"id": "presentasi", "label": "Presentasi", "weight": 10, "source": "score"})
    if "questionnaire" in rules:
        data["questionnaire"]["missing"] = rules["questionnaire"]
    for stage in data["stages"]:
        if stage["id"] in rules:
            stage["missing"] = rules[stage["id"]]
    return data


def full_answer(q: dict) -> str:
    if q["type"] == "yesno":
        return "ya"
    if q["type"] == "graded":
        return max(q["options"], key=q["options"].get)
    return f"{q['max']:g}"


def write_region(root: Path, year: int, rules: dict) -> Path:
    m = methodology(rules)
    folder = root / "inputs" / str(year) / REGION
    folder.mkdir(parents=True)
    (folder / "method.yml").write_text(yaml.safe_dump(m, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (folder / "region.yml").write_text(yaml.safe_dump({
        "region": "Prop", "issuer": "Komisi Informasi Prop", "title": "Monev KIP Prop", "methodology": "method.yml",
        "groups": {"dinas": "Badan/Dinas"}, "report_date": f"{year}-12-15"}), encoding="utf-8")
    bodies = [("a", "Dinas A", "dinas"), ("b", "Dinas B", "dinas"), ("c", "Dinas C", "dinas")]
    (folder / "bodies.csv").write_text(csv_text(["body_id", "name", "group"], [list(b) for b in bodies]), encoding="utf-8")
    qs = m["questionnaire"]["questions"]
    answers = [[b, q["id"], full_answer(q) if (b, i) != ("b", 0) else ("tidak" if q["type"] == "yesno" else "0")]
               for b in ("a", "b") for i, q in enumerate(qs)]
    (folder / "saq.csv").write_text(csv_text(["body_id", "question_id", "answer"], answers), encoding="utf-8")
    (folder / "verification.csv").write_text(csv_text(["body_id", "question_id", "verdict", "granted"],
                                                      [[b, q["id"], "sesuai", ""] for b in ("a", "b") for q in qs]),
                                             encoding="utf-8")
    items = next(s for s in m["stages"] if s["source"] == "checklist")["items"]
    (folder / "website.csv").write_text(csv_text(["body_id", "item_id", "present"],
                                                 [[b, i["id"], "ya"] for b in ("a", "b", "c") for i in items]),
                                        encoding="utf-8")
    (folder / "presentasi.csv").write_text(csv_text(["body_id", "score"], [["a", "80"], ["b", "70"]]),
                                           encoding="utf-8")
    return folder


def drop_line(path: Path, starts: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(starts))
    path.write_text("\n".join(lines[:index] + lines[index + 1:]) + "\n", encoding="utf-8")


# (name, rules of the methodology, damage, expected): expected is ("refused", words) or ("named", words)
CASES = [
    ("unanswered", {}, lambda f: drop_line(f / "saq.csv", "a,"),
     ("refused", ["saq.csv", "body 'a'", "did not answer 1 question"])),
    ("unanswered-zero", {"questionnaire": "zero"}, lambda f: drop_line(f / "saq.csv", "a,"),
     ("named", ["a: saq: 1 value(s) missing", "counted as 0"])),
    ("no-verdict", {}, lambda f: drop_line(f / "verification.csv", "a,"),
     ("refused", ["verification.csv", "body 'a'", "no verdict"])),
    ("no-website-row", {}, lambda f: drop_line(f / "website.csv", "a,"),
     ("refused", ["website.csv", "body 'a'", "no row for 1 item"])),
    ("no-score", {}, lambda f: drop_line(f / "presentasi.csv", "b,"),
     ("refused", ["presentasi.csv", "body 'b'", "stage presentasi", "no score"])),
    ("empty-score", {}, lambda f: (f / "presentasi.csv").write_text("body_id,score\na,80\nb,\n"),
     ("refused", ["presentasi.csv", "row 3", "body 'b'", "no score"])),
    ("no-score-not-assessed", {"presentasi": "not-assessed"}, lambda f: drop_line(f / "presentasi.csv", "b,"),
     ("named", ["b: presentasi: no score", "not assessed"])),
    ("not-utf8", {}, lambda f: (f / "saq.csv").write_bytes((f / "saq.csv").read_bytes() + b"a,A01,tid\xe1k\n"),
     ("refused", ["saq.csv", "not UTF-8"])),
    ("table-is-a-folder", {}, lambda f: ((f / "website.csv").unlink(), (f / "website.csv").mkdir()),
     ("refused", ["website.csv", "not a regular file"])),
    ("table-missing", {}, lambda f: (f / "verification.csv").unlink(),
     ("refused", ["verification.csv", "missing"])),
    ("unknown-body", {}, lambda f: (f / "saq.csv").write_text((f / "saq.csv").read_text() + "zzz,A01,ya\n"),
     ("refused", ["saq.csv", "'zzz'", "not in bodies.csv"])),
    ("answer-not-allowed", {}, lambda f: (f / "saq.csv").write_text((f / "saq.csv").read_text().replace(
        "a,A01,ya", "a,A01,1e1")), ("refused", ["saq.csv", "answer '1e1' to A01 is not allowed"])),
    ("stray-table", {}, lambda f: shutil.copy(f / "saq.csv", f / "saq (1).csv"),
     ("named", ["saq (1).csv", "not read"])),
]
SLOW = {"report": ["unanswered-zero", "stray-table", "unanswered", "not-utf8"],
        "compare": ["no-score-not-assessed", "no-score"],
        "build": ["unanswered-zero", "no-website-row"]}


def region_args(root: Path):
    return ["--year", str(YEAR), "--region", REGION, "--inputs-root", str(root / "inputs"),
            "--outputs-root", str(root / "outputs")]


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, " ".join((result.output or "").split())


def recorded(root: Path) -> str:
    """What the published run recorded about its inputs (manifest warnings, ranking notes)."""
    folder = root / "outputs" / str(YEAR) / REGION
    parts = []
    if (folder / "manifest.json").is_file():
        parts += json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("warnings", [])
    if (folder / "ranking.csv").is_file():
        parts.append((folder / "ranking.csv").read_text(encoding="utf-8"))
    return " ".join(" ".join(parts).split())


def command(name: str, root: Path) -> tuple[int, str]:
    """Run one command on the damaged region; return its exit code and what it said or recorded."""
    args = region_args(root)
    if name == "validate":
        return run("validate", *args)
    if name in ("score", "report"):
        code, out = run(name, *args, *(["--date", "2022-12-15"] if name == "report" else []))
        return code, out + " " + recorded(root)
    if name in ("robustness", "letters"):
        code, out = run("score", *args)  # they add to a published run
        if code != 0:
            return code, out
        code, out2 = run(name, *args, *(["--draws", "20"] if name == "robustness" else []))
        return code, out + " " + out2 + " " + recorded(root)
    if name == "compare":
        return run("compare", "--region", REGION, "--years", PREVIOUS, YEAR, "--inputs-root", root / "inputs",
                   "--outputs-root", root / "outputs", "--date", "2022-12-15")
    if name == "build":
        code, out = run("build", "--year", YEAR, "--regions", REGION, "--inputs-root", root / "inputs",
                        "--outputs-root", root / "outputs", "--jobs", "1", "--date", "2022-12-15")
        return code, out + " " + recorded(root)
    raise AssertionError(name)


FAST = ["validate", "score", "robustness", "letters"]
PAIRS = [(c, case) for c in FAST for case in CASES] + \
        [(c, case) for c, names in SLOW.items() for case in CASES if case[0] in names]


@pytest.mark.parametrize("name,case", PAIRS, ids=[f"{c}-{case[0]}" for c, case in PAIRS])
def test_a_damaged_input_is_used_as_said_or_named(tmp_path, name, case):
    label, rules, damage, (outcome, words) = case
    for year in (PREVIOUS, YEAR):
        write_region(tmp_path, year, rules)
    damage(tmp_path / "inputs" / str(YEAR) / REGION)
    code, said = command(name, tmp_path)
    if name == "robustness" and label == "no-score-not-assessed":  # its draws cannot rescale weights: named
        outcome, words = "refused", ["cannot yet vary", "b (presentasi)", "not assessed"]
    if outcome == "refused":
        expected = 1 if name == "build" else 2  # build: a failed region is exit 1, named in the summary
        assert code == expected, said
    else:
        assert code == 0, said
    for word in words:
        assert word in said, (word, said)


def test_verify_names_an_input_damaged_after_publication(tmp_path):
    write_region(tmp_path, YEAR, {})
    assert run("score", *region_args(tmp_path))[0] == 0
    folder = tmp_path / "outputs" / str(YEAR) / REGION
    for label, rules, damage, _ in CASES:
        if rules:
            continue
        work = tmp_path / label
        shutil.copytree(tmp_path / "inputs", work / "inputs")
        damage(work / "inputs" / str(YEAR) / REGION)
        code, said = run("verify", folder, "--inputs-root", work / "inputs")
        if label == "stray-table":  # not an input of the run: verify reproduces it
            assert code == 0, said
            continue
        assert code == 3 and "input changed" in said, (label, said)


# kiprank evidence runs before verification and scoring: a gap of the ranking (an unanswered
# question, a verdict, a website row or a score not there yet) is not its business (score and
# validate refuse or name it); a table it reads that it cannot use is refused, a file it does not
# read is named.
EVIDENCE = {"not-utf8": ("refused", ["saq.csv", "not UTF-8"]),
            "table-is-a-folder": ("refused", ["website.csv", "not a regular file"]),
            "unknown-body": ("refused", ["saq.csv", "'zzz'", "not in bodies.csv"]),
            "answer-not-allowed": ("refused", ["saq.csv", "answer '1e1' to A01 is not allowed"]),
            "stray-table": ("named", ["saq (1).csv", "not read"])}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_the_evidence_check_uses_refuses_or_names_each_damaged_input(tmp_path, case):
    label, rules, damage, _ = case
    write_region(tmp_path, YEAR, rules)
    damage(tmp_path / "inputs" / str(YEAR) / REGION)
    code, said = run("evidence", *region_args(tmp_path), "--offline")
    outcome, words = EVIDENCE.get(label, ("used", []))
    assert code == (2 if outcome == "refused" else 0), said
    for word in words:
        assert word in said, (word, said)
    folder = tmp_path / "outputs" / str(YEAR) / REGION
    if outcome == "refused":
        assert not folder.exists()
        return
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sections"]["evidence"]["settings"]["inputs"]["inputs_folder"] == f"{YEAR}/{REGION}"
    html = " ".join((folder / "evidence.html").read_text(encoding="utf-8").split())
    for word in words:  # what was named is kept with the publication too
        assert word in html, (word, html[:2000])
    if outcome == "used":
        assert "not read" not in said
