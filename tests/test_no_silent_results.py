"""Issue 19: a second year, a correction, a code change, a concurrent collect or score, a moved
inputs folder, a hand edit: kiprank never publishes or keeps up a wrong or stale number without a
word. Each test names the case of the issue it covers; each failed on the code before the fix."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from git_support import ENV, Checkout
from kiprank.cli import main
from kiprank.runs.manifest import read_manifest, sha256_file

from conftest import FIXTURES, make_region
from test_bad_inputs import base, score_args

UJI = FIXTURES / "report_region" / "2022" / "uji"
REPO = Path(__file__).resolve().parent.parent


def kiprank(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


def region_args(root: Path, year=2022, region="uji", outputs: Path | None = None):
    return ["--year", year, "--region", region, "--inputs-root", root / "inputs",
            "--outputs-root", outputs or root / "outputs"]


def two_years(root: Path) -> Path:
    """inputs/2021/uji and inputs/2022/uji (2021: the fixture with one answer changed)."""
    for year in (2021, 2022):
        shutil.copytree(UJI, root / "inputs" / str(year) / "uji")
    saq = root / "inputs" / "2021" / "uji" / "saq.csv"
    rows = saq.read_text(encoding="utf-8").splitlines()
    rows[1] = rows[1].rsplit(",", 1)[0] + ("," + ("tidak" if rows[1].endswith(",ya") else "ya"))
    saq.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def ranking_final(folder: Path, body: str) -> str:
    with open(folder / "ranking.csv", encoding="utf-8") as handle:
        return next(r["final"] for r in csv.DictReader(handle) if r["body_id"] == body)


def report_finals(path: Path) -> dict[str, str]:
    """Body name -> final score as the report's results tables show it."""
    out = {}
    for section in json.loads(path.read_text(encoding="utf-8"))["sections"]:
        for block in section.get("blocks", []):
            if block.get("t") == "table" and "Nilai akhir" in block.get("headers", []):
                col = block["headers"].index("Nilai akhir")
                for row in block["rows"]:
                    if len(row) <= col:
                        continue
                    cell = row[col]
                    text = cell.get("text") if isinstance(cell, dict) else cell
                    if isinstance(row[1], str) and text and text != "\u2014":
                        out[row[1]] = text
    return out


def flip_answer(path: Path, body: str) -> None:
    """Turn every 'ya' of a body's SAQ answers into 'tidak'."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [line.replace(",ya", ",tidak") if line.startswith(body + ",") else line for line in lines]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


# -- one consistent snapshot of the inputs per publication ------------------------------------------

def test_a_collect_while_report_runs_does_not_mix_inputs(tmp_path, monkeypatch):
    """Also found: `collect` rewrote saq.csv while `report` ran: report.pdf showed 31,3 and
    ranking.csv 93.3. Both now come from one snapshot; the manifest records that snapshot, so
    `build` and `verify` see that saq.csv changed since."""
    from kiprank.runs import engine
    from kiprank.runs.report import build_report

    shutil.copytree(UJI, tmp_path / "inputs" / "2022" / "uji")
    saq = tmp_path / "inputs" / "2022" / "uji" / "saq.csv"
    original = saq.read_bytes()
    run_notebook = engine.run_notebook

    def collect_meanwhile(*args, **kwargs):  # a collect lands between the scoring and the notebook
        flip_answer(saq, "kec-01")
        return run_notebook(*args, **kwargs)

    monkeypatch.setattr(engine, "run_notebook", collect_meanwhile)
    build = build_report(2022, "uji", tmp_path / "inputs", tmp_path / "outputs", report_date="2022-12-15")
    shown = report_finals(build.folder / "report-content.json")
    with open(build.folder / "ranking.csv", encoding="utf-8") as handle:
        table = {r["name"]: r["final"].replace(".", ",") for r in csv.DictReader(handle) if r["final"]}
    assert shown == table  # the PDF's results table says what ranking.csv says, body for body
    manifest = read_manifest(build.folder)
    assert manifest["inputs"]["saq.csv"] == __import__("hashlib").sha256(original).hexdigest()
    code, output = kiprank("verify", build.folder)
    assert code == 3 and "saq.csv" in output


def test_a_score_while_letters_run_keeps_old_letters_out_of_the_new_run(tmp_path, monkeypatch):
    """Also found: `score` republished while `letters` ran; the old letters landed in the new
    folder and verify said 'reproduced exactly'. Now the letters are refused (exit 3)."""
    from kiprank.runs import letters as letters_run
    from kiprank.runs.pipeline import run_score

    root = tmp_path
    shutil.copytree(UJI, root / "inputs" / "2022" / "uji")
    assert kiprank("score", *region_args(root))[0] == 0
    letters_data = letters_run.letters_data

    def score_meanwhile(*args, **kwargs):
        out = letters_data(*args, **kwargs)
        flip_answer(root / "inputs" / "2022" / "uji" / "saq.csv", "kec-01")
        run_score(2022, "uji", root / "inputs", root / "outputs")
        return out

    monkeypatch.setattr(letters_run, "letters_data", score_meanwhile)
    code, output = kiprank("letters", *region_args(root))
    assert code == 3 and "published again" in output, output
    folder = root / "outputs" / "2022" / "uji"
    assert not (folder / "letters").exists() and "sections" not in read_manifest(folder)
    assert kiprank("verify", folder)[0] == 0


def test_a_score_while_robustness_runs_keeps_it_out_of_the_new_run(tmp_path, monkeypatch):
    from kiprank.analysis import robustness as rob
    from kiprank.runs.pipeline import run_score

    root = tmp_path
    shutil.copytree(UJI, root / "inputs" / "2022" / "uji")
    assert kiprank("score", *region_args(root))[0] == 0
    analyse = rob.analyse_robustness

    def score_meanwhile(*args, **kwargs):
        out = analyse(*args, **kwargs)
        flip_answer(root / "inputs" / "2022" / "uji" / "saq.csv", "kec-01")
        run_score(2022, "uji", root / "inputs", root / "outputs")
        return out

    monkeypatch.setattr(rob, "analyse_robustness", score_meanwhile)
    code, output = kiprank("robustness", *region_args(root), "--draws", "20")
    assert code == 3 and "published again" in output, output
    assert not (root / "outputs" / "2022" / "uji" / "robustness.csv").exists()


# -- a run's identity covers the code and every option ----------------------------------------------

def test_version_comes_from_git_tags(tmp_path):
    """A release tag gives 1.2.0; a commit after it a development version naming the commit."""
    import tomllib

    pytest.importorskip("setuptools_scm")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert "setuptools_scm" in project["tool"] and any("setuptools-scm" in r for r in project["build-system"]["requires"])
    repo = tmp_path / "repo"
    (repo / "kiprank").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", repo / "pyproject.toml")
    (repo / "kiprank" / "__init__.py").write_text("")
    checkout = Checkout(repo)

    def version():
        return subprocess.run([sys.executable, "-m", "setuptools_scm"], cwd=repo, check=True, capture_output=True,
                              text=True, env=ENV).stdout.strip().splitlines()[-1]

    checkout.release("v1.2.0")
    assert version() == "1.2.0"
    commit = checkout.later_commit()
    assert version().startswith("1.2.1.dev1+g") and commit[:7] in version()


def test_the_code_hash_covers_code_words_templates_presets_fonts_and_notebooks(tmp_path, monkeypatch):
    import kiprank.core.version as v

    copy = tmp_path / "kiprank"
    shutil.copytree(REPO / "kiprank", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(v, "PACKAGE_DIR", copy)
    seen = set()
    for rel in ("core/scoring.py", "words/report.id.yml", "typst/report.typ", "methodologies/klaten-2022.yml",
                "notebooks/ranking_report.ipynb", "site/templates/home.html.j2"):
        v.code_sha256.cache_clear()
        before = v.code_sha256()
        with open(copy / rel, "ab") as handle:
            handle.write(b"\n")
        v.code_sha256.cache_clear()
        assert v.code_sha256() != before, rel
        seen.add(before)
    font = next((copy / "fonts").iterdir())
    v.code_sha256.cache_clear()
    before = v.code_sha256()
    font.write_bytes(font.read_bytes()[:-1])
    v.code_sha256.cache_clear()
    assert v.code_sha256() != before
    v.code_sha256.cache_clear()


def test_build_names_a_code_change_and_every_changed_option(tmp_path, monkeypatch):
    """Case 4: after a change to the scoring code or a words file, `build` said 'up to date' (the
    version was 0.1.0 for every commit); so did a rebuild with another --pdf-standard."""
    import kiprank.core.version as v
    from kiprank.runs import batch
    from test_batch import fake_report_run

    job, inputs, outputs = fake_report_run(tmp_path)
    manifest = read_manifest(outputs)
    assert manifest["code_sha256"] == v.code_sha256() and manifest["fingerprint"]
    assert batch.check_job(job) is None
    with monkeypatch.context() as patch:
        patch.setattr(v, "code_sha256", lambda: "0" * 64)
        assert batch.check_job(job).startswith("kiprank code changed")
    other = batch.Job(2022, "uji", job.inputs_root, job.outputs_root, "id", pdf_standard="1.7")
    assert batch.check_job(other) == "--pdf-standard changed (auto -> 1.7)"
    method = yaml_load(inputs / "region.yml")["methodology"]
    assert method == "klaten-2022"
    with monkeypatch.context() as patch:  # the methodology asks for the robustness section now
        import kiprank.core.yamlfile as yamlfile

        real = yamlfile.load_yaml
        patch.setattr(yamlfile, "load_yaml", lambda p, *a, **k: {**real(p, *a, **k), "robustness": {"report": True}}
                      if Path(p).suffix == ".yml" and Path(p).name != "region.yml" else real(p, *a, **k))
        assert batch.check_job(job).startswith("robustness section wanted")


def yaml_load(path: Path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_fingerprint_changes_with_the_code(tmp_path, monkeypatch):
    import kiprank.core.version as v
    from kiprank.runs import manifest as man

    reg = base(tmp_path)
    inputs = reg.load()
    first = man.build_manifest(inputs, "score", {})
    monkeypatch.setattr(man, "code_sha256", lambda: "f" * 64)
    second = man.build_manifest(inputs, "score", {})
    assert first["fingerprint"] != second["fingerprint"] and second["code_sha256"] == "f" * 64
    assert first["kiprank_version"] == v.__version__


# -- verify travels ---------------------------------------------------------------------------------

def test_verify_checks_a_publication_against_inputs_that_moved(tmp_path):
    """Case 5: verify only worked while the inputs stayed at the absolute path recorded."""
    reg = base(tmp_path)
    assert kiprank(*score_args(reg))[0] == 0
    manifest = read_manifest(reg.output_folder)
    assert manifest["inputs_folder"] == "2022/contoh" and not Path(manifest["methodology"]["path"]).is_absolute() \
        or manifest["methodology"]["path"].startswith("preset:")
    moved = tmp_path / "usb-stick" / "inputs"
    shutil.move(str(reg.inputs_root), moved)
    code, output = kiprank("verify", reg.output_folder)
    assert code == 3 and "missing" in output
    code, output = kiprank("verify", reg.output_folder, "--inputs-root", moved)
    assert code == 0 and "reproduced exactly" in output, output
    edit_path = moved / "2022" / "contoh" / "saq.csv"
    edit_path.write_text(edit_path.read_text().replace("kec-a,A01,ya", "kec-a,A01,tidak"))
    code, output = kiprank("verify", reg.output_folder, "--inputs-root", moved)
    assert code == 3 and str(edit_path) in output


# -- comparisons and corrections have full manifests --------------------------------------------------

@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Two published years of uji and their comparison."""
    root = two_years(tmp_path_factory.mktemp("compared"))
    for year in (2021, 2022):
        assert kiprank("score", *region_args(root, year))[0] == 0
    code, output = kiprank("compare", "--region", "uji", "--years", "2021", "2022", "--inputs-root", root / "inputs",
                           "--outputs-root", root / "outputs", "--date", "2022-12-15")
    assert code == 0, output
    return root, root / "outputs" / "compare" / "uji_2021-2022"


def test_a_comparison_records_its_inputs_and_verify_names_a_corrected_year(compared, tmp_path):
    """Case 3: a comparison's manifest listed only its outputs; after a compared year was corrected,
    verify still passed and the site showed 71,7 on the comparison page and 84,3 on the body's."""
    root, folder = compared
    work = tmp_path / "w"
    shutil.copytree(root, work)
    folder = work / "outputs" / "compare" / "uji_2021-2022"
    manifest = read_manifest(folder)
    assert set(manifest["years_inputs"]) == {"2021", "2022"} and manifest["parameters"]["years"] == [2021, 2022]
    assert manifest["code_sha256"] and manifest["kind"] == "comparison"
    code, output = kiprank("verify", folder, "--inputs-root", work / "inputs")
    assert code == 0 and "reproduced exactly" in output, output
    flip_answer(work / "inputs" / "2021" / "uji" / "saq.csv", "kec-01")  # the correction of 2021
    code, output = kiprank("verify", folder, "--inputs-root", work / "inputs")
    assert code == 3 and "2021" in output and "saq.csv" in output, output
    assert kiprank("score", *region_args(work, 2021))[0] == 0  # 2021 republished
    code, output = kiprank("site", "--outputs-root", work / "outputs")
    assert code == 0, output
    page = (work / "outputs" / "site" / "compare" / "uji_2021-2022" / "index.html").read_text(encoding="utf-8")
    assert "tidak lagi sesuai" in page and "2021" in page
    home = (work / "outputs" / "site" / "index.html").read_text(encoding="utf-8")
    assert "tidak mutakhir" in home


def test_a_corrections_folder_records_what_it_compared_and_verify_rederives_it(compared, tmp_path):
    root, _ = compared
    old, new = root / "outputs" / "2021" / "uji", root / "outputs" / "2022" / "uji"
    work = tmp_path / "w"
    shutil.copytree(root / "outputs", work / "outputs")
    old, new = work / "outputs" / "2021" / "uji", work / "outputs" / "2022" / "uji"
    target = work / "outputs" / "corrections" / "uji"
    code, output = kiprank("diff", old, new, "--output", target)
    assert code == 0, output
    manifest = read_manifest(target)
    assert manifest["compared"]["old"]["path"] == "../../2021/uji"
    assert manifest["compared"]["new"]["ranking_sha256"] == sha256_file(new / "ranking.csv")
    code, output = kiprank("verify", target)
    assert code == 0 and "reproduced exactly" in output, output
    moved = tmp_path / "archive"
    shutil.move(str(work / "outputs"), moved)  # the folders travel together
    code, output = kiprank("verify", moved / "corrections" / "uji")
    assert code == 0, output
    edited = moved / "2022" / "uji" / "ranking.csv"
    edited.write_text(edited.read_text().replace(",Informatif,", ",Cukup Informatif,", 1))
    code, output = kiprank("verify", moved / "corrections" / "uji")
    assert code == 3 and "new folder compared" in output and "ranking.csv" in output, output


# -- verify re-derives what it can, and refuses what kiprank does not make -----------------------------

def test_robustness_changed_with_its_hash_is_caught(tmp_path):
    reg = base(tmp_path)
    assert kiprank(*score_args(reg))[0] == 0
    args = ["--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root,
            "--outputs-root", reg.outputs_root]
    assert kiprank("robustness", *args, "--draws", "30")[0] == 0
    folder = reg.output_folder
    assert kiprank("verify", folder)[0] == 0
    path = folder / "robustness.csv"
    path.write_text(path.read_text().replace("1.0", "0.9", 1))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outputs"]["robustness.csv"] = sha256_file(path)  # the forger updates the hash too
    (folder / "manifest.json").write_text(json.dumps(manifest))
    code, output = kiprank("verify", folder)
    assert code == 3 and "robustness.csv (a re-run differs)" in output, output


def test_a_nested_folder_with_a_self_made_manifest_is_refused(tmp_path):
    reg = base(tmp_path)
    assert kiprank(*score_args(reg))[0] == 0
    folder = reg.output_folder
    for name, kind in (("notes", "run"), ("forms", "forms")):
        nested = folder / name
        nested.mkdir()
        (nested / "x.pdf").write_bytes(b"%PDF whatever")
        (nested / "manifest.json").write_text(json.dumps({"kind": kind, "outputs": {"x.pdf": sha256_file(nested / "x.pdf")}}))
        code, output = kiprank("verify", folder)
        assert code == 3 and name in output, output
        shutil.rmtree(nested)


def test_a_forms_forgery_is_caught(tmp_path):
    """A folder whose manifest says "kind": "forms" is checked by making the forms again."""
    reg = base(tmp_path)
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "saq.xlsx").write_bytes(b"not a form")
    (forged / "manifest.json").write_text(json.dumps({"kind": "forms", "outputs": {"saq.xlsx": sha256_file(forged / "saq.xlsx")}}))
    code, output = kiprank("verify", forged)
    assert code == 3 and "does not record what the forms were made from" in output
    args = ["--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root]
    real = tmp_path / "forms"
    assert kiprank("forms", *args, "--out", real, "--kind", "saq")[0] == 0
    code, output = kiprank("verify", real)
    assert code == 0 and "reproduced exactly" in output, output
    form = next((real / "saq").iterdir())
    form.write_bytes(b"PK edited")
    manifest = json.loads((real / "manifest.json").read_text())
    manifest["outputs"][f"saq/{form.name}"] = sha256_file(form)
    (real / "manifest.json").write_text(json.dumps(manifest))
    code, output = kiprank("verify", real)
    assert code == 3 and form.name in output and "made again differs" in output, output


def test_symlinked_files_and_manifests_are_refused(tmp_path):
    reg = base(tmp_path)
    assert kiprank(*score_args(reg))[0] == 0
    folder = reg.output_folder
    elsewhere = tmp_path / "elsewhere.csv"
    shutil.copy(folder / "indicators.csv", elsewhere)
    (folder / "indicators.csv").unlink()
    (folder / "indicators.csv").symlink_to(elsewhere)
    code, output = kiprank("verify", folder)
    assert code == 3 and "indicators.csv (a symbolic link" in output, output
    (folder / "indicators.csv").unlink()
    shutil.copy(elsewhere, folder / "indicators.csv")
    shutil.move(str(folder / "manifest.json"), tmp_path / "manifest.json")
    (folder / "manifest.json").symlink_to(tmp_path / "manifest.json")
    code, output = kiprank("verify", folder)
    assert code == 3 and "symbolic link" in output, output


# -- the site ---------------------------------------------------------------------------------------

def test_the_site_does_not_publish_a_hand_edited_result_and_survives_a_damaged_one(compared, tmp_path):
    """Also found: `kiprank site` published a hand-edited ranking.csv / report-content.json
    unchecked, and one damaged region failed the whole site."""
    root, _ = compared
    outputs = tmp_path / "outputs"
    shutil.copytree(root / "outputs", outputs)
    edited = outputs / "2022" / "uji" / "ranking.csv"
    edited.write_text(edited.read_text().replace(",Informatif,", ",Cukup Informatif,", 1))
    damaged = outputs / "2021" / "uji" / "manifest.json"
    damaged.write_bytes(damaged.read_bytes()[:40])
    code, output = kiprank("site", "--outputs-root", outputs)
    assert code == 0, output
    assert "2022/uji" in output and "differ from its manifest" in output and "2021/uji" in output
    assert not (outputs / "site" / "2022" / "uji").exists() and not (outputs / "site" / "2021" / "uji").exists()


def test_the_site_counts_non_returners_apart_on_every_page(tmp_path):
    """Case 9: the home page merged the 'Tidak mengembalikan SAQ' bodies into Tidak Informatif."""
    from site_helpers import make_outputs

    root = make_outputs(tmp_path)
    assert kiprank("site", "--outputs-root", root)[0] == 0
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    region = (root / "site" / "2022" / "uji" / "index.html").read_text(encoding="utf-8")
    for page in (home, region):
        assert "Tidak mengembalikan SAQ" in page


# -- inputs that would give a silent wrong result ----------------------------------------------------

def test_body_ids_are_unique_ignoring_case(tmp_path):
    """Also found: ids Damkar and damkar: a row went to either depending on the hash seed."""
    reg = make_region(tmp_path, "klaten-2022", bodies=[("Damkar", "Damkar A", "dinas"), ("damkar", "Damkar B", "dinas")],
                      saq={"Damkar": {"A01": "ya"}})
    code, output = kiprank("validate", "--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root)
    assert code == 2 and "bodies.csv" in output and "only by upper/lower case" in output, output


def test_a_weight_or_max_of_infinity_is_refused(tmp_path):
    """Also found: a methodology weight or max of .inf was accepted and scored everyone 0."""
    import yaml

    from kiprank.core.methodology import PRESET_DIR

    for change in (lambda d: d["stages"][0].update(weight=".inf"),
                   lambda d: next(q for q in d["questionnaire"]["questions"] if q["type"] == "numeric").update(max=".inf")):
        data = yaml.safe_load((PRESET_DIR / "klaten-2022.yml").read_text(encoding="utf-8"))
        change(data)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).replace("'.inf'", ".inf")
        reg = make_region(tmp_path / str(len(list(tmp_path.iterdir()))), "klaten-2022",
                          bodies=[("a", "A", "dinas")], saq={"a": {"A01": "ya"}})
        (reg.folder / "m.yml").write_text(text, encoding="utf-8")
        region = (reg.folder / "region.yml").read_text().replace("methodology: klaten-2022", "methodology: m.yml")
        (reg.folder / "region.yml").write_text(region)
        code, output = kiprank("validate", "--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root)
        assert code == 2 and "finite number" in output, output


def test_a_huge_logo_and_a_huge_methodology_get_a_named_refusal(tmp_path):
    """Also found: a huge logo image or a 10,000-indicator methodology aborted with an out-of-memory
    backtrace."""
    import struct
    import zlib

    reg = base(tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    png += struct.pack(">I", zlib.crc32(png[12:29]))
    (reg.folder / "logo.png").write_bytes(png + b"\0" * 100)
    region = (reg.folder / "region.yml").read_text()
    (reg.folder / "region.yml").write_text(region + "logo: logo.png\n")
    code, output = kiprank("validate", "--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root)
    assert code == 2 and "60,000 x 60,000 pixels" in output, output
    (reg.folder / "region.yml").write_text(region)

    import yaml

    indicators = [{"id": f"i{n}", "label": f"I {n}", "weight": 0.01} for n in range(10_000)]
    questions = [{"id": f"q{n}", "indicator": f"i{n}", "type": "yesno"} for n in range(10_000)]
    method = {"id": "huge", "name": "huge", "stages": [{"id": "saq", "label": "SAQ", "weight": 100,
                                                       "source": "questionnaire"}],
              "questionnaire": {"indicators": indicators, "questions": questions},
              "bands": [{"label": "A", "min": 50}, {"label": "B", "min": 0}]}
    (reg.folder / "huge.yml").write_text(yaml.safe_dump(method), encoding="utf-8")
    (reg.folder / "region.yml").write_text(region.replace("methodology: klaten-2022", "methodology: huge.yml"))
    code, output = kiprank("validate", "--year", reg.year, "--region", reg.region, "--inputs-root", reg.inputs_root)
    assert code == 2 and "huge.yml" in output and "at most 1000" in output, output


def test_a_console_that_cannot_show_an_emoji_does_not_fail_the_command(tmp_path):
    """Also found: a cp1252 console printing an emoji exited 1 after writing."""
    reg = base(tmp_path)
    bodies = reg.folder / "bodies.csv"
    bodies.write_text(bodies.read_text(encoding="utf-8").replace("Kecamatan A", "Kecamatan A \U0001f600"),
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiprank.cli", *map(str, score_args(reg))], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "cp1252"}, timeout=300)
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert b"Kecamatan A \\U0001f600" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0 if hasattr(os, "geteuid") else True, reason="mounting a small file system needs root")
def test_disk_full_exits_3_and_keeps_the_inputs(tmp_path):
    """Also found: a full disk exited 1 or 2 where the README says 3 (collect wrote 'cannot write')."""
    from kiprank.intake.demo import fill_forms
    from kiprank.intake.forms import build_forms

    full = tmp_path / "full"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(full)], capture_output=True).returncode:
        pytest.skip("cannot mount a small file system here")
    try:
        region = full / "inputs" / "2022" / "klaten"
        region.mkdir(parents=True)
        for name in ("region.yml", "bodies.csv"):
            shutil.copy(REPO / "inputs" / "2022" / "klaten" / name, region / name)
        build_forms(2022, "klaten", REPO / "inputs", out=tmp_path / "forms")
        fill_forms(2022, "klaten", REPO / "inputs", forms=tmp_path / "forms", out=tmp_path / "returns")
        free = shutil.disk_usage(full).free
        (full / "filler").write_bytes(b"\0" * max(free - 16 * 1024, 0))
        before = {p.name: p.read_bytes() for p in region.iterdir() if p.is_file()}
        code, output = kiprank("collect", "--year", 2022, "--region", "klaten", "--inputs-root", full / "inputs",
                               tmp_path / "returns")
        assert code == 3 and "No space left" in output, output
        assert {p.name: p.read_bytes() for p in region.iterdir() if p.is_file()} == before
        (full / "filler").unlink()
        (full / "filler").write_bytes(b"\0" * (shutil.disk_usage(full).free - 8 * 1024))
        code, output = kiprank("score", "--year", 2022, "--region", "klaten", "--inputs-root", REPO / "inputs",
                               "--outputs-root", full / "outputs")
        assert code == 3 and "No space left" in output, output
    finally:
        subprocess.run(["umount", str(full)], capture_output=True)
