"""Shared helpers: build small regions (region.yml, CSV tables, a custom methodology) in tmp_path.

``make_region`` writes ``<root>/inputs/<year>/<region>/`` and returns a :class:`Region` that
can load, score and write outputs. Tables are given as plain Python data:

- ``bodies``: ``[(body_id, name, group), ...]`` (or dicts with those keys);
- ``saq``: ``{body_id: {question_id: answer}}``;
- ``verification``: ``{body_id: {question_id: verdict | (verdict, granted)}}``;
- ``website``: ``{body_id: {item_id: present}}``;
- ``scores``: ``{stage_id: {body_id: score}}``;
- ``files``: ``{file name: str | bytes}`` written verbatim (after the tables, so they override).

The methodology is a preset id (``"ki-pusat-2025"``), a dict (written as YAML next to the inputs
and referenced from region.yml by a relative path) or a path to a YAML file (e.g. a fixture).
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
REPO_INPUTS = Path(__file__).resolve().parent.parent / "inputs"

NATIONAL_BANDS = [
    {"label": "Informatif", "min": 90},
    {"label": "Menuju Informatif", "min": 80},
    {"label": "Cukup Informatif", "min": 60},
    {"label": "Kurang Informatif", "min": 40},
    {"label": "Tidak Informatif", "min": 0},
]


def csv_text(header: list[str], rows: list[list], sep: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@dataclass
class Region:
    root: Path
    inputs_root: Path
    outputs_root: Path
    folder: Path
    year: int
    region: str

    def load(self):
        from kiprank.core.inputs import load_region

        return load_region(self.year, self.region, self.inputs_root)

    def score(self):
        from kiprank.core.scoring import score

        return score(self.load())

    def run(self):
        from kiprank.runs.pipeline import run_score

        return run_score(self.year, self.region, self.inputs_root, self.outputs_root)

    @property
    def output_folder(self) -> Path:
        return self.outputs_root / str(self.year) / self.region

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path


def make_region(
    tmp_path: Path,
    methodology,
    *,
    bodies,
    saq=None,
    verification=None,
    website=None,
    scores=None,
    groups=None,
    files=None,
    year: int = 2024,
    region: str = "testland",
) -> Region:
    inputs_root = tmp_path / "inputs"
    folder = inputs_root / str(year) / region
    folder.mkdir(parents=True)

    if isinstance(methodology, dict):
        mdir = inputs_root / "methodologies"
        mdir.mkdir(exist_ok=True)
        (mdir / "custom.yml").write_text(yaml.safe_dump(methodology, sort_keys=False), encoding="utf-8")
        ref = "../../methodologies/custom.yml"
    elif isinstance(methodology, Path):
        mdir = inputs_root / "methodologies"
        mdir.mkdir(exist_ok=True)
        shutil.copy(methodology, mdir / methodology.name)
        ref = f"../../methodologies/{methodology.name}"
    else:
        ref = methodology

    body_rows = [
        [b["body_id"], b["name"], b["group"]] if isinstance(b, dict) else list(b) for b in bodies
    ]
    if groups is None:
        groups = {g: g.title() for g in dict.fromkeys(row[2] for row in body_rows)} or {"all": "All"}
    (folder / "region.yml").write_text(yaml.safe_dump({
        "region": "Testland", "issuer": "Komisi Informasi Testland", "title": "Monev KIP Testland",
        "methodology": ref, "groups": groups,
    }, sort_keys=False), encoding="utf-8")

    (folder / "bodies.csv").write_text(csv_text(["body_id", "name", "group"], body_rows), encoding="utf-8")
    if saq is not None:
        rows = [[b, q, a] for b, answers in saq.items() for q, a in answers.items()]
        (folder / "saq.csv").write_text(csv_text(["body_id", "question_id", "answer"], rows), encoding="utf-8")
    if verification is not None:
        rows = []
        for b, verdicts in verification.items():
            for q, v in verdicts.items():
                verdict, granted = (v if isinstance(v, tuple) else (v, ""))
                rows.append([b, q, verdict, granted])
        (folder / "verification.csv").write_text(
            csv_text(["body_id", "question_id", "verdict", "granted"], rows), encoding="utf-8")
    if website is not None:
        rows = [[b, i, p] for b, items in website.items() for i, p in items.items()]
        (folder / "website.csv").write_text(csv_text(["body_id", "item_id", "present"], rows), encoding="utf-8")
    for stage_id, table in (scores or {}).items():
        rows = [[b, s] for b, s in table.items()]
        (folder / f"{stage_id}.csv").write_text(csv_text(["body_id", "score"], rows), encoding="utf-8")

    reg = Region(root=tmp_path, inputs_root=inputs_root, outputs_root=tmp_path / "outputs",
                 folder=folder, year=year, region=region)
    for name, content in (files or {}).items():
        reg.write(name, content)
    return reg


def row_of(result, body_id: str) -> dict:
    """The ranking row of one body as a dict."""
    table = result.ranking
    rows = table[table["body_id"] == body_id]
    assert len(rows) == 1, f"{body_id} appears {len(rows)} times in the ranking"
    return rows.iloc[0].to_dict()


@pytest.fixture
def region_factory(tmp_path):
    """``region_factory(methodology, bodies=..., ...)``: make_region bound to this test's tmp_path."""
    counter = iter(range(1000))

    def factory(methodology, **kwargs):
        return make_region(tmp_path / f"r{next(counter)}", methodology, **kwargs)

    return factory


@pytest.fixture(scope="session")
def demo_forms(tmp_path_factory):
    """Forms and filled demo returns of klaten 2022 (and jateng 2019, which has a score stage):
    ``{region: (forms folder, returns folder)}``, built once."""
    from kiprank.intake.demo import fill_forms
    from kiprank.intake.forms import build_forms

    root = tmp_path_factory.mktemp("demo-forms")
    out = {}
    for year, region in ((2022, "klaten"), (2019, "jateng")):
        forms = root / region / "forms"
        # jateng 2019 has several verifiers: the adjudication form too (made only when asked for)
        build_forms(year, region, REPO_INPUTS, out=forms, kinds=("all", "adjudikasi") if region == "jateng" else ("all",))
        fill_forms(year, region, REPO_INPUTS, forms=forms, out=root / region / "returns")
        out[region] = (forms, root / region / "returns")
    return out

@pytest.fixture(autouse=True, scope="session")
def no_command_prints_a_traceback():
    """Issue #11: no command run anywhere in the suite prints a Python traceback or lets an
    exception escape (the last-resort handler turns it into a message and exit code 1)."""
    from click.testing import CliRunner

    original = CliRunner.invoke

    def invoke(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert "Traceback" not in output, output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    CliRunner.invoke = invoke
    yield
    CliRunner.invoke = original


# -- required programs ---------------------------------------------------------------------------

NEEDS = {"browser": "Chromium driven by Playwright", "libreoffice": "LibreOffice (soffice)"}


def required() -> set[str]:
    """What ``KIPRANK_REQUIRE`` (comma-separated: browser, libreoffice) says must not be skipped."""
    import os

    wanted = {w.strip() for w in os.environ.get("KIPRANK_REQUIRE", "").split(",") if w.strip()}
    unknown = wanted - set(NEEDS)
    if unknown:
        raise pytest.UsageError(f"KIPRANK_REQUIRE: unknown {sorted(unknown)}; known: {', '.join(NEEDS)}")
    return wanted


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(program): the test needs a program (" + ", ".join(
        f"{k}: {v}" for k, v in NEEDS.items()) + "); with KIPRANK_REQUIRE naming it, skipping it is a failure")
    required()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test marked ``needs(x)`` that skips while ``KIPRANK_REQUIRE`` names ``x`` fails instead (an
    error when it skipped in its set-up, e.g. by ``skipif``)."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    missing = {m.args[0] for m in item.iter_markers("needs")} & required()
    if missing:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = (f"KIPRANK_REQUIRE={','.join(sorted(required()))}: this test needs "
                           f"{', '.join(NEEDS[m] for m in sorted(missing))} and was skipped ({reason})")


# -- the checkout's outputs/ is left as it was found (issue 19: tests write only to temp folders) ----

CHECKOUT_OUTPUTS = Path(__file__).resolve().parent.parent / "outputs"


def outputs_state() -> dict[str, tuple[int, int]]:
    """Every entry under the checkout's outputs/ with its size and modification time."""
    if not CHECKOUT_OUTPUTS.is_dir():
        return {}
    out = {}
    for path in sorted(CHECKOUT_OUTPUTS.rglob("*")):
        stat = path.lstat()
        out[path.relative_to(CHECKOUT_OUTPUTS).as_posix()] = (stat.st_size if path.is_file() else -1, stat.st_mtime_ns)
    return out


def pytest_sessionstart(session):
    session.config.kiprank_outputs_before = outputs_state()


def pytest_collection_modifyitems(session, config, items):
    """The check of outputs/ runs after every other test and notebook of the session."""
    last = [item for item in items if item.name == "test_the_suite_left_outputs_as_it_found_it"]
    items[:] = [item for item in items if item not in last] + last
