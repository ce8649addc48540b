"""Faults and concurrency (issue #11): a kill at every step of publishing, two runs at once,
leftovers of interrupted runs, a full disk, an unexpected exception, and the published-folder
contract (one consistent run per folder; kiprank replaces only what it made)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiprank.core.version import __version__
from kiprank.cli import main
from kiprank.runs.manifest import check_outputs, sha256_file
from kiprank.core.publish import STEPS
from kiprank.runs.publish import add_to_published

from test_bad_inputs import base, edit, score_args, snapshot

ROOT = Path(__file__).resolve().parent.parent


def published(reg) -> dict:
    """The ranking bytes' hash of the published folder, after checking that the folder is complete."""
    folder = reg.output_folder
    assert folder.is_dir(), "the published name must hold a folder"
    manifest = json.loads((folder / "manifest.json").read_text())
    differ, unlisted = check_outputs(folder, manifest)
    assert not differ and not unlisted, (differ, unlisted)
    return sha256_file(folder / "ranking.csv")


def leftovers(reg) -> list[str]:
    return sorted(p.name for p in reg.output_folder.parent.iterdir() if p.name.startswith("."))


def run_cli(args, **env):
    return subprocess.run([sys.executable, "-m", "kiprank.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=ROOT, timeout=300)


def kill_at(step, args, two_renames=False):
    """Run a command in a real process that is killed (SIGKILL) when publishing reaches ``step``."""
    helper = [sys.executable, str(ROOT / "tests" / "kill_at.py"), step, *(["--two-renames"] if two_renames else [])]
    return subprocess.run([*helper, "--", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300)


def two_versions(tmp_path):
    """A region published once (v1), then its inputs changed so that a new run gives v2."""
    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    v1 = published(reg)
    edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,tidak")
    return reg, v1


KILLS = [(step, False) for step in STEPS if step != "moved-old"] + [(step, True) for step in ("moved-old", "swapped", "cleaning")]


@pytest.mark.parametrize("step,fallback", KILLS, ids=[f"{s}{'-two-renames' if f else ''}" for s, f in KILLS])
def test_kill_at_every_step_of_publishing(tmp_path, step, fallback):
    """kill -9 at each step (tests/kill_at.py): the published name holds the old or the new
    complete folder; the next run cleans up and publishes."""
    reg, v1 = two_versions(tmp_path)
    killed = kill_at(step, score_args(reg), two_renames=fallback)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if step == "moved-old":  # the one window of the fallback (no atomic exchange): the old folder waits aside
        assert not reg.output_folder.exists()
        assert [n for n in leftovers(reg) if ".old-" in n]
        CliRunner().invoke(main, ["verify", str(reg.output_folder)])  # any later run puts it back first
        assert published(reg) == v1
    elif step in ("locked", "recovered", "staging", "staged"):
        assert published(reg) == v1
    else:
        assert published(reg) != v1
    again = CliRunner().invoke(main, score_args(reg))
    assert again.exit_code == 0, again.output
    assert leftovers(reg) == [], "the next run recovers or removes every leftover"
    assert published(reg) != v1
    assert CliRunner().invoke(main, ["verify", str(reg.output_folder)]).exit_code == 0


def test_kill_between_the_two_renames_of_the_fallback_is_recovered(tmp_path):
    reg, v1 = two_versions(tmp_path)
    killed = kill_at("moved-old", score_args(reg), two_renames=True)
    assert killed.returncode == -signal.SIGKILL
    assert not reg.output_folder.exists()
    again = CliRunner().invoke(main, score_args(reg))
    assert again.exit_code == 0, again.output
    assert leftovers(reg) == []
    assert published(reg) != v1


def test_leftover_of_the_old_code_is_recovered(tmp_path):
    """Before #11 a kill between the renames left the good build in '.<region>.old-<pid>'."""
    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    v1 = published(reg)
    os.rename(reg.output_folder, reg.output_folder.parent / ".contoh.old-999999999")
    result = CliRunner().invoke(main, ["verify", str(reg.output_folder)])
    assert result.exit_code == 0, result.output
    assert published(reg) == v1 and leftovers(reg) == []


def test_staging_folder_of_a_live_run_is_left_alone(tmp_path):
    reg = base(tmp_path)
    live = reg.output_folder.parent / f".contoh.staging-{os.getppid()}-abc"
    dead = reg.output_folder.parent / ".contoh.staging-999999999-abc"
    for folder in (live, dead):
        folder.mkdir(parents=True)
        (folder / "half.csv").write_text("x")
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    assert live.exists() and not dead.exists()


def test_two_runs_at_once_both_publish_a_complete_folder(tmp_path):
    reg = base(tmp_path)
    procs = [subprocess.Popen([sys.executable, "-m", "kiprank.cli", *map(str, score_args(reg))], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        out, errs = proc.communicate(timeout=300)
        assert proc.returncode == 0, errs
    published(reg)
    assert leftovers(reg) == []
    assert CliRunner().invoke(main, ["verify", str(reg.output_folder)]).exit_code == 0


def test_a_section_added_while_a_new_run_was_published_is_not_lost(tmp_path):
    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0

    def write(stage):
        edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,tidak")
        assert CliRunner().invoke(main, score_args(reg)).exit_code == 0  # another run publishes meanwhile
        (stage / "robustness.csv").write_text("x\n")
        return ["robustness.csv"]

    with pytest.raises(Exception, match="changed by another kiprank run"):
        add_to_published(reg.output_folder, write, "robustness")
    published(reg)
    assert not (reg.output_folder / "robustness.csv").exists()


def test_disk_full_while_writing_keeps_the_previous_outputs(tmp_path, monkeypatch):
    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    before = snapshot(tmp_path)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[-1]))

    monkeypatch.setattr("kiprank.runs.pipeline.write_xlsx", full)
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 3, result.output
    assert "No space left on device" in result.output and "ranking.xlsx" in result.output
    assert snapshot(tmp_path) == before


def test_read_only_outputs_root_is_refused(tmp_path, monkeypatch):
    reg = base(tmp_path)

    mkdir = Path.mkdir

    def denied(self, *args, **kwargs):  # the outputs root is read-only (the temporary folder is not)
        if str(self).startswith(str(reg.outputs_root)):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", denied)
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 2, result.output
    assert "Permission denied" in result.output and "outputs" in result.output


@pytest.mark.parametrize("exc,code,words", [
    (RuntimeError("boom"), 1, ["kiprank score failed unexpectedly", f"kiprank {__version__}", "RuntimeError: boom"]),
    (KeyboardInterrupt(), 130, ["interrupted"]),
    (MemoryError(), 3, ["out of memory"]),
    (OSError(errno.EIO, "Input/output error", "/dev/disk"), 3, ["/dev/disk", "Input/output error"]),
], ids=["unexpected", "ctrl-c", "memory", "io-error"])
def test_last_resort_handler(tmp_path, monkeypatch, exc, code, words):
    logs = tmp_path / "logs"
    monkeypatch.setenv("KIPRANK_LOG_DIR", str(logs))
    reg = base(tmp_path)

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("kiprank.runs.pipeline.score", fail)
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == code, result.output
    for word in words:
        assert word in result.output, result.output
    assert "Traceback" not in result.output
    assert not reg.outputs_root.exists()
    if code == 1:
        log = next(logs.iterdir())
        assert str(log) in result.output.replace("\n", "")
        text = log.read_text()
        assert "Traceback" in text and "RuntimeError: boom" in text and __version__ in text


# -- the published-folder contract ---------------------------------------------------------------------

def run_folder_with_sections(reg):
    """A published run with a report file, a robustness section, letters and a nested forms/ folder.
    The report file and the letters are stand-ins (verify checks them by hash); the robustness
    section and the forms are kiprank's own (verify makes them again)."""
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    folder = reg.output_folder
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "report.pdf").write_bytes(b"%PDF old report")
    manifest["outputs"]["report.pdf"] = sha256_file(folder / "report.pdf")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    region = ["--year", str(reg.year), "--region", reg.region, "--inputs-root", str(reg.inputs_root),
              "--outputs-root", str(reg.outputs_root)]
    result = CliRunner().invoke(main, ["robustness", *region, "--draws", "10"])
    assert result.exit_code == 0, result.output

    def letters(stage):
        (stage / "letters").mkdir()
        (stage / "letters" / "kec-a.pdf").write_bytes(b"%PDF letter")
        return ["letters/kec-a.pdf"]

    add_to_published(folder, letters, "letters")
    result = CliRunner().invoke(main, ["forms", *region, "--kind", "saq"])
    assert result.exit_code == 0, result.output
    return folder


def test_verify_checks_every_listed_file_and_names_unlisted_ones(tmp_path):
    reg = base(tmp_path)
    folder = run_folder_with_sections(reg)
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0
    (folder / "report.pdf").write_bytes(b"%PDF tampered")
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3 and "report.pdf" in result.output, result.output
    (folder / "report.pdf").write_bytes(b"%PDF old report")
    (folder / "letters" / "kec-a.pdf").unlink()
    (folder / "extra.html").write_text("<p>")
    (folder / "forms" / "stray.txt").write_text("?")
    result = CliRunner().invoke(main, ["verify", str(folder)])
    assert result.exit_code == 3
    for name in ("letters/kec-a.pdf (missing)", "extra.html", "forms/stray.txt"):
        assert name in " ".join(result.output.split()), result.output


def test_a_new_run_removes_stale_files_and_keeps_nested_publications(tmp_path):
    reg = base(tmp_path)
    folder = run_folder_with_sections(reg)
    edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,tidak")
    result = CliRunner().invoke(main, score_args(reg))
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    forms = [n for n in names if n.startswith("forms/")]
    assert "forms/manifest.json" in forms and "forms/saq/kec-a.xlsx" in forms
    assert [n for n in names if n not in forms] == ["datapackage.json", "indicators.csv", "manifest.json", "ranking.csv", "ranking.xlsx"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["outputs"]) == ["datapackage.json", "indicators.csv", "ranking.csv", "ranking.xlsx"]
    assert "sections" not in manifest and manifest["kind"] == "run"
    assert CliRunner().invoke(main, ["verify", str(folder)]).exit_code == 0


def test_a_section_cannot_escape_or_overwrite_the_run(tmp_path):
    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    before = snapshot(tmp_path)
    for bad in ("../escape.csv", "/etc/passwd", "ranking.csv", "manifest.json", "a/../../b"):
        def write(stage, bad=bad):
            return [bad]
        with pytest.raises(ValueError):
            add_to_published(reg.output_folder, write, "robustness")
    assert snapshot(tmp_path) == before


# -- diff --output (corrections) ----------------------------------------------------------------------

def two_runs(tmp_path):
    reg = base(tmp_path)
    old = tmp_path / "old"
    assert CliRunner().invoke(main, score_args(reg, outputs=old)).exit_code == 0
    edit(reg, "saq.csv", "kec-a,A01,ya", "kec-a,A01,tidak")
    new = tmp_path / "new"
    assert CliRunner().invoke(main, score_args(reg, outputs=new)).exit_code == 0
    return reg, old / "2022" / "contoh", new / "2022" / "contoh"


@pytest.mark.parametrize("where,words", [
    ("dot", ["did not write", "no manifest.json"]),
    ("user-folder", ["did not write", "no manifest.json"]),
    ("published-run", ["'run' folder", "not a 'corrections' folder"]),
    ("inside-old", ["--output", "overlap"]),
    ("is-new", ["--output", "overlap"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_diff_output_replaces_only_its_own_folders(tmp_path, monkeypatch, where, words):
    reg, old, new = two_runs(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "thesis.docx").write_text("years of work")
    monkeypatch.chdir(work)
    other = tmp_path / "published"
    assert CliRunner().invoke(main, score_args(reg, outputs=other)).exit_code == 0
    output = {"dot": Path("."), "user-folder": work, "published-run": other / "2022" / "contoh",
              "inside-old": old / "corr", "is-new": new}[where]
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--output", str(output)])
    assert result.exit_code == 2, result.output
    assert any(w in result.output for w in words), result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("content,words", [
    (b"body_id,name\n\xff\xfe,x\n", ["ranking.csv", "row 2", "not UTF-8"]),
    (b"a,b,c\n1,2,3\n", ["ranking.csv", "row 1", "'body_id'"]),
    (b"", ["ranking.csv", "empty"]),
    (b'group,rank,body_id,name,final,band\nA,1,x,"unclosed,1,B\n', ["ranking.csv"]),
    (b"group,rank,body_id,name,final,band\nA,first,x,X,1,B\n", ["ranking.csv", "row 2", "column 'rank'", "'first'"]),
], ids=["not-utf8", "foreign", "empty", "bad-quote", "rank-not-number"])
def test_diff_with_a_foreign_ranking_is_refused(tmp_path, content, words):
    reg, old, new = two_runs(tmp_path)
    (new / "ranking.csv").write_bytes(content)
    before = snapshot(tmp_path)
    result = CliRunner().invoke(main, ["diff", str(old), str(new), "--output", str(tmp_path / "corr")])
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output, result.output
    assert snapshot(tmp_path) == before


def test_diff_writes_a_corrections_folder_it_can_replace(tmp_path):
    reg, old, new = two_runs(tmp_path)
    target = tmp_path / "corr"
    for _ in range(2):
        result = CliRunner().invoke(main, ["diff", str(old), str(new), "--output", str(target)])
        assert result.exit_code == 0, result.output
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["kind"] == "corrections"
    assert sorted(manifest["outputs"]) == ["corrections.csv", "corrections.html", "corrections.pdf", "datapackage.json"]
    assert CliRunner().invoke(main, ["verify", str(target)]).exit_code == 0


def test_index_survives_a_foreign_ranking(tmp_path):
    from kiprank.runs.index import write_index

    reg = base(tmp_path)
    assert CliRunner().invoke(main, score_args(reg)).exit_code == 0
    (reg.output_folder / "ranking.csv").write_bytes(b"\xff\xfe\x00garbage")
    html = write_index(reg.outputs_root).read_text()
    assert "contoh" in html


@pytest.mark.parametrize("args", [
    ["--help"], ["validate"], ["score", "--year", "x", "--region", "a"], ["report", "--year", "2022", "--region", "a\n"],
    ["verify", "/nonexistent"], ["diff", "/a", "/b"], ["compare", "--region", "x", "--years", "1", "2"],
    ["build", "--year", "1999", "--inputs-root", "/nonexistent"], ["methodologies"], ["nosuchcommand"],
    ["score", "--year", "2022", "--region", "klaten", "--max-problems", "0"],
], ids=lambda a: " ".join(a)[:40])
def test_no_command_prints_a_traceback_in_a_real_process(tmp_path, args):
    """The whole command line as a user runs it (a process, not CliRunner)."""
    result = subprocess.run([sys.executable, "-m", "kiprank.cli", *args], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300, env={**os.environ, "KIPRANK_LOG_DIR": str(tmp_path / "logs")})
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode in (0, 2, 3), result.stderr
