"""The features of one wave together, driven through the CLI as a careless user would: forms,
score, report, robustness, letters, site and verify in various orders, on a copy of the demo
region. Each case is a list of commands with the exit code each must give; afterwards every
published folder must verify and no output may hold a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiprank.cli import main

REPO_INPUTS = Path(__file__).resolve().parent.parent / "inputs"


@pytest.fixture
def klaten(tmp_path):
    shutil.copytree(REPO_INPUTS / "2022" / "klaten", tmp_path / "inputs" / "2022" / "klaten")
    (tmp_path / "outputs").mkdir()
    return tmp_path


def cli(root: Path, *args: str):
    """Run ``kiprank args`` with {I}/{O} standing for the inputs and outputs roots."""
    subst = {"{I}": str(root / "inputs"), "{O}": str(root / "outputs")}
    argv = [subst.get(a, a.replace("{O}", str(root / "outputs")).replace("{I}", str(root / "inputs"))) for a in args]
    result = CliRunner().invoke(main, argv)
    text = (result.output or "") + (getattr(result, "stderr", "") if result.stderr_bytes is not None else "")
    assert "Traceback" not in text, text
    return result


REGION = ("--year", "2022", "--region", "klaten", "--inputs-root", "{I}", "--outputs-root", "{O}")

# (case id, [(argv, exit code, words the output must hold)], folders under outputs/ that must verify
# afterwards, paths under the temp root that must exist, paths that must not)
CASES = [
    ("forms-before-first-score",
     [(("forms", *REGION), 0, ""), (("score", *REGION), 0, ""), (("robustness", *REGION, "--draws", "20"), 0, "")],
     ["2022/klaten", "2022/klaten/forms"],
     ["outputs/2022/klaten/forms/saq/kec-ngawen.xlsx", "outputs/2022/klaten/robustness.csv"], []),
    ("verify-forms-folder",
     [(("forms", *REGION, "--kind", "website"), 0, "")],
     ["2022/klaten/forms"], ["outputs/2022/klaten/forms/website.xlsx"], []),
    ("letters-bodies-after-one-flag-as-in-readme",
     [(("score", *REGION), 0, ""), (("letters", *REGION, "--bodies", "kec-ngawen", "kec-tulung", "--lang", "en"), 0, "")],
     ["2022/klaten"], ["outputs/2022/klaten/letters/kec-ngawen.pdf", "outputs/2022/klaten/letters/kec-tulung.pdf"], []),
    ("site-out-inside-the-inputs",
     [(("score", *REGION), 0, ""), (("site", "--outputs-root", "{O}", "--out", "{I}/site"), 2, "inputs"),
      (("site", "--outputs-root", "{O}", "--out", "{I}/2022/klaten/site"), 2, "inputs")],
     ["2022/klaten"], [], ["inputs/site", "inputs/2022/klaten/site"]),
    ("verify-a-sub-folder-of-a-published-run",
     [(("score", *REGION), 0, ""), (("letters", *REGION, "--bodies", "kec-bayat"), 0, ""),
      (("verify", "{O}/2022/klaten/letters"), 2, "kiprank verify")],
     ["2022/klaten"], ["outputs/2022/klaten/letters/kec-bayat.pdf"], []),
]


@pytest.mark.parametrize("case,steps,verified,present,absent", CASES, ids=[c[0] for c in CASES])
def test_commands_together(klaten, case, steps, verified, present, absent):
    for argv, code, words in steps:
        result = cli(klaten, *argv)
        assert result.exit_code == code, (argv, result.output)
        assert words in result.output, (argv, result.output)
    for rel in verified:
        result = cli(klaten, "verify", str(klaten / "outputs" / rel))
        assert result.exit_code == 0, (rel, result.output)
    for rel in present:
        assert (klaten / rel).is_file(), rel
    for rel in absent:
        assert not (klaten / rel).exists(), rel


def test_forms_manifest_follows_the_published_folder_contract(klaten):
    assert cli(klaten, "forms", *REGION, "--kind", "website").exit_code == 0
    manifest = json.loads((klaten / "outputs/2022/klaten/forms/manifest.json").read_text())
    assert manifest["kind"] == "forms" and list(manifest["outputs"]) == ["website.xlsx"]


@pytest.mark.parametrize("content", ["{", "[]", '{"outputs": []}', "", '{"outputs": {}, "methodology": "x"}'])
@pytest.mark.parametrize("command", ["letters", "robustness"])
def test_a_damaged_run_manifest_is_refused_as_bad_input(klaten, command, content):
    """Adding to a published run whose manifest is damaged: exit 2 naming manifest.json (as score
    does), never exit 1 (unexpected) or 3."""
    assert cli(klaten, "score", *REGION).exit_code == 0
    (klaten / "outputs/2022/klaten/manifest.json").write_text(content)
    extra = ("--bodies", "kec-bayat") if command == "letters" else ("--draws", "5")
    result = cli(klaten, command, *REGION, *extra)
    assert result.exit_code == 2, result.output
    assert "manifest.json" in result.output or "published from other inputs" in result.output


@pytest.mark.parametrize("methodology_name", ["metod ü.yml", "klaten-2022.yml"])
def test_a_methodology_file_in_the_region_folder_keeps_a_build_up_to_date(klaten, methodology_name):
    """A methodology file kept next to the inputs (e.g. with ``robustness: {report: true}``) is
    compared by its hash as the methodology, not seen as a new input file on every build."""
    import yaml

    from kiprank.runs.staleness import current_fingerprint, stale_reason

    folder = klaten / "inputs/2022/klaten"
    shutil.copy(Path(__file__).resolve().parent.parent / "kiprank/methodologies/klaten-2022.yml", folder / methodology_name)
    config = yaml.safe_load((folder / "region.yml").read_text())
    config["methodology"], config["report_date"] = methodology_name, str(config["report_date"])
    (folder / "region.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    current = current_fingerprint(2022, "klaten", klaten / "inputs")
    manifest = {**current, "outputs": {"report.pdf": "x", "report.html": "y"},
                "inputs": {k: v for k, v in current["inputs"].items() if k != methodology_name}}
    assert stale_reason(manifest, current, check_libraries=False) is None
    (folder / "notes.yml").write_text("a: 1\n")  # another yml file is still a new input
    assert "new input file: notes.yml" == stale_reason(manifest, current_fingerprint(2022, "klaten", klaten / "inputs"),
                                                       check_libraries=False)


def test_verify_of_a_site_on_a_read_only_disk(klaten, monkeypatch):
    """kiprank verify only reads: where nothing can be written beside the site (a read-only copy,
    a mounted archive), the new build it compares with goes to the temp folder."""
    import errno
    import tempfile

    assert cli(klaten, "score", *REGION).exit_code == 0
    assert cli(klaten, "site", "--outputs-root", "{O}").exit_code == 0
    real = tempfile.TemporaryDirectory

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to((klaten / "outputs").resolve()):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", read_only)
    result = cli(klaten, "verify", "{O}/site")
    assert result.exit_code == 0, result.output


HOSTILE = "a#b $x$ *y* _z_ <c> @d \\ e] [/bold] =SUM(A1) \U0001F600 abc\u202edef"


def _rename(root: Path, body_id: str, name: str) -> None:
    import csv
    import io

    path = root / "inputs/2022/klaten/bodies.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows[1:]:
        if row[0] == body_id:
            row[1] = name
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("argv", [
    ("validate", *REGION),
    ("letters", *REGION, "--bodies", "kec-bayat"),
    ("letters", *REGION, "--bodies", "kec-bayat", "--pdf-standard", "a-2b"),
])
def test_hostile_names_on_the_console_are_literal_and_cannot_reverse_a_line(klaten, argv):
    """A name is printed as written (no repr: one backslash stays one), but a direction override
    (U+202E) is shown as \\u202e so it cannot turn the rest of a message around."""
    _rename(klaten, "kec-bayat", HOSTILE)
    assert cli(klaten, "score", *REGION).exit_code == 0
    result = cli(klaten, *argv)
    assert "\u202e" not in result.output, result.output
    assert "abc\\u202edef" in result.output, result.output
    assert "@d \\ e] [/bold] =SUM(A1)" in result.output, result.output


def test_site_names_a_published_region_it_cannot_read(klaten):
    """A region whose manifest.json is damaged is not silently left off the site: a warning
    names it (and when it is the only one, the refusal does)."""
    shutil.copytree(klaten / "inputs/2022/klaten", klaten / "inputs/2022/other")
    assert cli(klaten, "score", *REGION).exit_code == 0
    assert cli(klaten, "score", *REGION[:2], "--region", "other", *REGION[4:]).exit_code == 0
    (klaten / "outputs/2022/other/manifest.json").write_text("{")
    result = cli(klaten, "site", "--outputs-root", "{O}")
    assert result.exit_code == 0 and "warning:" in result.output and "2022/other" in result.output, result.output
    (klaten / "outputs/2022/klaten/manifest.json").write_text("[]")
    result = cli(klaten, "site", "--outputs-root", "{O}", "--out", "{O}/site2")
    assert result.exit_code == 2 and "2022/other" in result.output and "2022/klaten" in result.output, result.output


@pytest.mark.parametrize("out,words", [
    ("{I}/forms", "inputs"),
    ("{I}/2022/klaten/forms", "inputs"),
    ("{I}", "inputs"),
    ("{O}/2022/klaten/letters", "published folder"),
    ("{O}/site/forms", "published folder"),
])
def test_forms_out_among_inputs_or_inside_a_published_folder_is_refused(klaten, out, words):
    assert cli(klaten, "score", *REGION).exit_code == 0
    assert cli(klaten, "site", "--outputs-root", "{O}").exit_code == 0
    result = cli(klaten, "forms", *REGION, "--kind", "website", "--out", out)
    assert result.exit_code == 2 and words in result.output, result.output
    assert not (klaten / "inputs/forms").exists() and not (klaten / "inputs/2022/klaten/forms").exists()
    assert not (klaten / "outputs/2022/klaten/letters").exists()
    # the region's own forms/ (nested in the published run) is still the default
    assert cli(klaten, "forms", *REGION, "--kind", "website").exit_code == 0
    for folder in ("2022/klaten", "2022/klaten/forms"):
        assert cli(klaten, "verify", f"{{O}}/{folder}").exit_code == 0


def _rename_id(root: Path, renames: dict[str, str]) -> None:
    folder = root / "inputs/2022/klaten"
    for name in ("bodies.csv", "saq.csv", "verification.csv", "website.csv"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        out = []
        for line in lines:
            key, sep, rest = line.partition(",")
            out.append(renames.get(key, key) + sep + rest)
        (folder / name).write_text("".join(out), encoding="utf-8")


def test_letters_and_site_with_body_ids_that_are_not_plain_file_names(klaten):
    """Ids like ``a\\b``, ``x y``, ``all`` get letters/body-<hash>.pdf; the site links each body
    to its own letter (never to all.pdf, the joined letters of everybody)."""
    import re

    _rename_id(klaten, {"kec-bayat": "a\\b", "kec-cawas": "all", "kec-ceper": "x y", "kec-delanggu": "../../evil"})
    assert cli(klaten, "score", *REGION).exit_code == 0
    result = cli(klaten, "letters", *REGION)
    assert result.exit_code == 0, result.output
    result = cli(klaten, "site", "--outputs-root", "{O}")
    assert result.exit_code == 0, result.output
    pages = sorted((klaten / "outputs/site/2022/klaten/badan").glob("*.html"))
    links = {p.name: re.findall(r'href="\.\./(letters/[^"]+)"', p.read_text(encoding="utf-8")) for p in pages}
    assert all(len(found) == 1 and found[0] != "letters/all.pdf" for found in links.values()), links
    assert len({found[0] for found in links.values()}) == len(pages) == 50
    assert cli(klaten, "verify", "{O}/site").exit_code == 0
    assert cli(klaten, "verify", "{O}/2022/klaten").exit_code == 0


def test_diff_output_inside_new_names_the_two_arguments(klaten):
    assert cli(klaten, "score", *REGION).exit_code == 0
    shutil.copytree(klaten / "outputs/2022/klaten", klaten / "old")
    result = cli(klaten, "diff", str(klaten / "old"), "{O}/2022/klaten", "--output", "{O}/2022/klaten/corr")
    assert result.exit_code == 2 and "--output inside NEW" in result.output and "inputs" not in result.output, result.output


def test_verify_names_a_change_of_last_years_inputs_that_the_letters_compare_with(tmp_path):
    """The letters of 2019 state 2018's scores: when 2018's inputs change afterwards, verify of the
    2019 folder says so (exit 3) instead of passing; after new letters it passes again."""
    for year in ("2018", "2019"):
        shutil.copytree(REPO_INPUTS / year / "jateng", tmp_path / "inputs" / year / "jateng")
    region = ("--region", "jateng", "--inputs-root", "{I}", "--outputs-root", "{O}")
    assert cli(tmp_path, "score", "--year", "2019", *region).exit_code == 0
    assert cli(tmp_path, "letters", "--year", "2019", *region, "--bodies", "kab-kudus").exit_code == 0
    assert cli(tmp_path, "verify", "{O}/2019/jateng").exit_code == 0
    website = tmp_path / "inputs/2018/jateng/website.csv"
    lines = website.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ("," + ("tidak" if lines[1].endswith("ya") else "ya"))
    website.write_text("\n".join(lines) + "\n")
    result = cli(tmp_path, "verify", "{O}/2019/jateng")
    assert result.exit_code == 3 and "2018/jateng/website.csv" in result.output and "letters" in result.output, result.output
    assert cli(tmp_path, "letters", "--year", "2019", *region, "--bodies", "kab-kudus").exit_code == 0
    assert cli(tmp_path, "verify", "{O}/2019/jateng").exit_code == 0
