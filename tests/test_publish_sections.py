"""Later steps (robustness, letters ...) add their files to a published folder and its manifest."""

import json

import pytest

from kiprank.runs.manifest import sha256_file
from kiprank.runs.publish import add_to_published


def _published(tmp_path):
    folder = tmp_path / "2022" / "x"
    folder.mkdir(parents=True)
    (folder / "ranking.csv").write_text("a\n")
    (folder / "manifest.json").write_text(json.dumps({"outputs": {"ranking.csv": sha256_file(folder / "ranking.csv")}}))
    return folder


def test_section_files_are_listed_and_stale_ones_removed(tmp_path):
    folder = _published(tmp_path)

    def write_two(stage):
        (stage / "letters").mkdir(exist_ok=True)
        (stage / "letters" / "a.pdf").write_bytes(b"A")
        (stage / "letters" / "b.pdf").write_bytes(b"B")
        return ["letters/a.pdf", "letters/b.pdf"]

    assert add_to_published(folder, write_two, "letters", {"lang": "id"}) == ["letters/a.pdf", "letters/b.pdf"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["outputs"]) == {"ranking.csv", "letters/a.pdf", "letters/b.pdf"}
    assert manifest["sections"]["letters"] == {"files": ["letters/a.pdf", "letters/b.pdf"], "settings": {"lang": "id"}}

    def write_one(stage):
        (stage / "letters" / "a.pdf").write_bytes(b"A2")
        return ["letters/a.pdf"]

    add_to_published(folder, write_one, "letters")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert not (folder / "letters" / "b.pdf").exists()
    assert set(manifest["outputs"]) == {"ranking.csv", "letters/a.pdf"}
    assert manifest["outputs"]["letters/a.pdf"] == sha256_file(folder / "letters" / "a.pdf")


def test_a_failing_section_leaves_the_folder_as_it_was(tmp_path):
    folder = _published(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def fail(stage):
        (stage / "robustness.csv").write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):  # the error is the caller's, not swallowed or replaced
        add_to_published(folder, fail, "robustness")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert [p.name for p in folder.parent.iterdir()] == ["x"]


def test_a_section_may_not_replace_a_file_of_the_run(tmp_path):
    """add_to_published refuses a section writing over the run's own files (nothing published)."""
    folder = _published(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def overwrite(stage):
        (stage / "ranking.csv").write_text("forged\n")
        return ["ranking.csv"]

    with pytest.raises(ValueError, match="cannot replace ranking.csv"):
        add_to_published(folder, overwrite, "robustness")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
