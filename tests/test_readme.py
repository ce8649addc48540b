"""The README's commands work as shown.

Every command of the README's command table is run, as a user would type it (optional ``[...]``
parts left out, placeholders such as ``OLD_FOLDER`` filled in), in a fresh copy of the demo inputs,
after the commands the README says must come first; then what the table says it writes is looked
for. A command added to the table without an entry in :data:`CHECKS` fails here, and so does a
placeholder without a value in :data:`PLACEHOLDERS`. Every ``kiprank`` line of the README's shell
code blocks is parsed by the real command line (options and arguments must exist and be valid);
those lines that run on the demo without a cluster are run too (:data:`RUN_BLOCK_LINES`).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from kiprank.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

PLACEHOLDERS = {"OLD_FOLDER": "outputs/2022/klaten", "NEW_FOLDER": "outputs/2022/klaten-xlsx",
                "SOURCE...": "outputs/demo-returns/2022/klaten", "DIR": "outputs/elsewhere", "N": "30", "S": "2",
                "HOST": "127.0.0.1"}
DEMO_RETURNS = ["python", "-m", "kiprank.intake.demo", "--year", "2022", "--region", "klaten"]

# command -> (what must run first, files that must exist afterwards, text the output must hold)
CHECKS: dict[str, tuple[list[list[str]], list[str], list[str]]] = {
    "methodologies": ([], [], ["klaten-2022", "perki-5-2016", "ki-pusat-2025"]),
    "validate": ([], [], []),
    "score": ([], ["outputs/2022/klaten/" + f for f in ("ranking.csv", "ranking.xlsx", "indicators.csv",
                                                       "manifest.json")], []),
    "report": ([], ["outputs/2022/klaten/" + f for f in ("report.pdf", "report.html", "report.ipynb",
                                                        "report-content.json", "ranking.csv", "manifest.json")], []),
    "build": ([], ["outputs/index.html", "outputs/2022/klaten/report.pdf", "outputs/2022/klaten-xlsx/report.pdf"], []),
    "letters": ([["score", "--year", "2022", "--region", "klaten"]],
                ["outputs/2022/klaten/letters/all.pdf", "outputs/2022/klaten/letters/kec-ngawen.pdf"], []),
    "compare": ([], ["outputs/compare/jateng_2018-2019/" + f for f in ("comparison.pdf", "comparison.html",
                                                                        "comparison.ipynb", "changes.csv",
                                                                        "decomposition.csv")], []),
    "verify": ([["score", "--year", "2022", "--region", "klaten"]], [], ["OK"]),
    "diff": ([["score", "--year", "2022", "--region", "klaten"], ["score", "--year", "2022", "--region", "klaten-xlsx"]],
             ["outputs/corrections/klaten-xlsx_2022/" + f for f in ("corrections.csv", "corrections.html",
                                                                    "corrections.pdf", "manifest.json")], []),
    "forms": ([], ["outputs/2022/klaten/forms/" + f for f in ("manifest.json", "saq/kec-ngawen.xlsx",
                                                             "verifikasi/kec-ngawen.xlsx", "website.xlsx",
                                                             "saq-xlsform.xlsx")], []),
    "collect": ([["forms", "--year", "2022", "--region", "klaten"], DEMO_RETURNS],
                ["inputs/2022/klaten/collect/collect-status.csv"], ["unchanged: ", "saq.csv"]),
    "evidence": ([["score", "--year", "2022", "--region", "klaten"]],
                 ["outputs/2022/klaten/" + f for f in ("evidence.csv", "evidence.html", "evidence.pdf")],
                 ["evidence items"]),
    "robustness": ([], ["outputs/2022/klaten/robustness.csv", "outputs/2022/klaten/sensitivity.csv"], []),
    "site": ([["score", "--year", "2022", "--region", "klaten"]], ["outputs/site/index.html",
                                                                  "outputs/site/2022/klaten/index.html"], []),
}
# Options added when a table command runs here: the evidence check opens no link in a test.
TEST_OPTIONS = {"evidence": ["--offline"]}
# Lines of the shell blocks that are run too (the others need a cluster, or build several years).
RUN_BLOCK_LINES = {
    "kiprank forms --year 2022 --region klaten",
    "kiprank letters --year 2022 --region klaten --lang en --bodies kec-ngawen kec-tulung",
    "kiprank site --lang en --out outputs/site-en",
}


def table_commands() -> list[str]:
    """The commands of the README's command table, as written."""
    text = README.read_text(encoding="utf-8")
    return [m.group(1).replace("\\|", "|") for m in re.finditer(r"^\| `(kiprank [^`]*)` \|", text, re.M)]


def block_lines() -> list[str]:
    """The ``kiprank`` lines of the README's shell code blocks (comments dropped)."""
    out, inside, going_on = [], False, False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if inside and going_on:  # a line continued after a backslash
            out[-1] = out[-1][:-1].rstrip() + " " + line.split("#")[0].strip()
        elif inside and line.startswith("kiprank "):
            out.append(line.split("#")[0].strip())
        else:
            going_on = False
            continue
        going_on = out[-1].endswith("\\")
    return out


def as_typed(command: str) -> list[str]:
    """A table entry as a user types it: optional parts left out, placeholders filled in."""
    text = command
    while re.search(r"\[[^\[\]]*\]", text):
        text = re.sub(r"\s*\[[^\[\]]*\]", "", text)
    words = shlex.split(text)[1:]
    out = []
    for word in words:
        if word.isupper() or word.endswith("...") or word in PLACEHOLDERS:
            assert word in PLACEHOLDERS, f"README placeholder {word} has no value in PLACEHOLDERS"
            word = PLACEHOLDERS[word]
        out.append(word)
    return out


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, *args[1:]] if args[0] == "python" else [sys.executable, "-m", "kiprank.cli", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "SOURCE_DATE_EPOCH": "1671062400"})


@pytest.fixture
def demo(tmp_path) -> Path:
    """A folder holding a copy of the demo inputs, as a user's working folder."""
    shutil.copytree(ROOT / "inputs", tmp_path / "inputs", ignore=shutil.ignore_patterns("*.py", "collect"))
    return tmp_path


def test_the_table_and_the_checks_agree():
    names = [as_typed(c)[0] for c in table_commands()]
    assert len(names) >= 13 and len(set(names)) == len(names), names
    assert set(names) == set(CHECKS), ("commands in the README without a check here: "
                                       f"{sorted(set(names) - set(CHECKS))}; checks of commands no longer in it: "
                                       f"{sorted(set(CHECKS) - set(names))}")
    assert {line.split()[1] for line in block_lines()} <= set(names), "a code block shows a command not in the table"


@pytest.mark.parametrize("command", table_commands(), ids=lambda c: c.split()[1])
def test_table_command_runs_on_the_demo(demo, command):
    args = as_typed(command)
    before, files, said = CHECKS[args[0]]
    for step in before:
        done = run(step, demo)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    done = run(args + TEST_OPTIONS.get(args[0], []), demo)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    missing = [f for f in files if not (demo / f).is_file()]
    assert missing == [], f"{' '.join(args)} did not write {missing}"
    for text in said:
        assert text in done.stdout, (text, done.stdout)


@pytest.mark.parametrize("line", block_lines())
def test_code_block_line_is_valid(demo, line):
    """Parsed by the real command line: every option and argument exists and its value is valid."""
    args = [PLACEHOLDERS.get(w, w) for w in shlex.split(line)[1:]]
    with main.make_context("kiprank", list(args), resilient_parsing=False) as ctx:
        name, command, rest = main.resolve_command(ctx, list(args))
        try:
            command.make_context(name, rest, parent=ctx)
        except click.ClickException as exc:
            pytest.fail(f"{line}: {exc.format_message()}")
    if line in RUN_BLOCK_LINES:
        for step in CHECKS[name][0]:
            assert run(step, demo).returncode == 0
        if name == "site":
            assert run(["score", "--year", "2022", "--region", "klaten"], demo).returncode == 0
        done = run(args, demo)
        assert done.returncode == 0, (line, done.stdout, done.stderr)


def test_the_limits_section_is_the_limits_table():
    """README "Limits": every row of the table is a limit of kiprank/core/limits.py with its default,
    option and variable, and every command named as taking the input limits (forms: collect) has
    them as options."""
    from kiprank.core.limits import FORM_LIMITS, INPUT_LIMITS, LIMITS, OPTIONS, variable

    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Limits"):text.index("## The report")]
    rows = re.findall(r"^\| [^|]+ \| ([^|]+) \| `(--[a-z-]+)` \| `(KIPRANK_[A-Z_]+)` \|$", section, re.MULTILINE)
    assert len(rows) == len(LIMITS)
    for default, option, var in rows:
        name = next(n for n, o in OPTIONS.items() if o == option)
        assert variable(name) == var
        assert float(re.match(r"[\d,.]+", default).group(0).replace(",", "")) == LIMITS[name].default, option
    named = re.search(r"options of every command that reads a region \(([^)]*)\) and of ([^(;]*)", section)
    commands = re.findall(r"`([a-z]+)`", named.group(1) + named.group(2))
    assert {"validate", "score", "evidence", "compare", "build"} <= set(commands)
    for command in commands:
        params = {o for p in main.commands[command].params for o in p.opts}
        assert {OPTIONS[n] for n in INPUT_LIMITS} <= params, command
    assert {OPTIONS[n] for n in FORM_LIMITS} <= {o for p in main.commands["collect"].params for o in p.opts}
