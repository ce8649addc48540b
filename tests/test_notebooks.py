"""The notebooks run on the demo without a single warning: they filter none (no blanket
``warnings.filterwarnings("ignore")``), so a deprecation in kiprank or a library it calls shows here
first. nbval (``make test``) runs them too, but it does not look at what they print on stderr."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "kiprank" / "notebooks"


def test_no_notebook_filters_warnings():
    for path in NOTEBOOKS.glob("*.ipynb"):
        source = "\n".join("".join(c["source"]) for c in nbformat.read(path, as_version=4).cells)
        assert "filterwarnings" not in source and "simplefilter" not in source, path.name


@pytest.mark.parametrize("name", ["ranking_report", "year_comparison"])
def test_notebook_runs_without_warnings(tmp_path, monkeypatch, name):
    """Every warning shown, deprecations of libraries included (the kernel runs with
    ``PYTHONWARNINGS=default``), and none may be printed."""
    monkeypatch.setenv("PYTHONWARNINGS", "default")
    shutil.copytree(ROOT / "inputs", tmp_path / "inputs", ignore=shutil.ignore_patterns("*.py", "collect"))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = [out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
               if out.get("output_type") == "stream" and out.get("name") == "stderr"]
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors
    assert printed == [], "".join(printed)[:3000]
