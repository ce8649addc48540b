"""Warm kernels and the papermill engine ``kiprank`` (kiprank/runs/kernels.py, engine.py), and the
rule that kiprank/runs uses only public names of other libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from kiprank.core.errors import ReportError
from kiprank.runs import engine, workers
from kiprank.runs.kernels import KernelStarter, WarmKernel

RUNS = Path(__file__).resolve().parent.parent / "kiprank" / "runs"


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("n = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def kernel():
    starter = KernelStarter(WarmKernel())
    starter.start()
    warm = starter.ready()
    assert warm is not None, starter.error
    yield warm
    warm.shutdown()
    assert warm.km is None and not warm.tmp.exists()


def test_the_engine_is_registered_with_papermill():
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(engine.ENGINE_NAME) is engine.WarmKernelEngine


def test_notebooks_run_in_the_warm_kernel_reset_between_them(tmp_path, kernel):
    """The same kernel process runs every notebook (its libraries stay loaded: the warm-up's import is
    there without the notebook importing it), each in a clean namespace with counts from 1."""
    nb = notebook(tmp_path / "nb.ipynb",
                  "import os, sys\nprint(os.getpid(), 'kiprank.report' in sys.modules)",
                  "try:\n    leftover\nexcept NameError:\n    print('clean')\nleftover = n")
    pids = set()
    for n in (1, 2, 3):
        if n > 1:
            kernel.reset()
        out = engine.run_notebook(nb, tmp_path / f"out{n}.ipynb", {"n": n}, kernel)
        pid, loaded = out.cells[2].outputs[0]["text"].split()
        pids.add(pid)
        assert loaded == "True"
        assert out.cells[3].outputs[0]["text"] == "clean\n"
        assert [c.execution_count for c in out.cells] == [1, 2, 3, 4]
    assert len(pids) == 1
    assert kernel.client is not None  # the engine left the client connected for the next notebook


def test_without_a_reset_the_namespace_carries_over(tmp_path, kernel):
    """What the reset prevents (so the test above can fail)."""
    nb = notebook(tmp_path / "nb.ipynb", "try:\n    leftover\nexcept NameError:\n    print('clean')\nleftover = n")
    engine.run_notebook(nb, tmp_path / "a.ipynb", {"n": 1}, kernel)
    out = engine.run_notebook(nb, tmp_path / "b.ipynb", {"n": 2}, kernel)
    assert out.cells[2].outputs == []


def test_a_cell_error_names_the_cell_and_is_not_a_kernel_failure(tmp_path, kernel):
    nb = notebook(tmp_path / "nb.ipynb", "x = 1", "rep = {}['missing']")
    with pytest.raises(ReportError) as caught:
        engine.run_notebook(nb, tmp_path / "out.ipynb", {}, kernel)
    assert caught.value.step == "notebook"
    assert "cell 3 (`rep = {}['missing']`): KeyError" in str(caught.value)
    assert not workers.is_kernel_failure(caught.value)


def test_a_kernel_that_dies_is_a_kernel_failure(tmp_path, kernel):
    nb = notebook(tmp_path / "nb.ipynb", "import os\nos._exit(1)")
    with pytest.raises(ReportError) as caught:
        engine.run_notebook(nb, tmp_path / "out.ipynb", {}, kernel, execution_timeout=60)
    assert workers.is_kernel_failure(caught.value)
    with pytest.raises(RuntimeError):
        kernel.reset()


def test_without_a_warm_kernel_papermill_starts_one(tmp_path):
    nb = notebook(tmp_path / "nb.ipynb", "print(n * 2)")
    out = engine.run_notebook(nb, tmp_path / "out.ipynb", {"n": 21})
    assert out.cells[-1].outputs[0]["text"] == "42\n"


def test_a_cancelled_start_leaves_no_kernel():
    starter = KernelStarter(WarmKernel())
    starter.start()
    starter.cancel()  # while it starts: run() shuts it down once started
    starter.join(180)
    assert starter.kernel.km is None and not starter.kernel.tmp.exists()


def private_uses(path: Path) -> list[str]:
    """Private names of other libraries a module uses: ``from lib import _name``, ``obj._name`` and,
    in a class, ``self._name`` that the class does not define itself (an inherited internal)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and not (node.module or "").startswith("kiprank"):
            found += [f"{path.name}:{node.lineno}: from {node.module} import {a.name}"
                      for a in node.names if private(a.name)]
        elif isinstance(node, ast.ClassDef):
            own = {n.name for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            own |= {t.attr for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Attribute)}
            own |= {t.id for n in node.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
            found += [f"{path.name}:{n.lineno}: {n.value.id}.{n.attr} (inherited)" for n in ast.walk(node)
                      if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                      and n.value.id in ("self", "cls") and private(n.attr) and n.attr not in own]
        elif (isinstance(node, ast.Attribute) and private(node.attr) and node.attr != "_exit"  # os._exit is public
              and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_runs_uses_only_public_names_of_other_libraries(tmp_path):
    assert [f for path in sorted(RUNS.glob("*.py")) for f in private_uses(path)] == []
    # the check finds what it is meant to find
    (tmp_path / "bad.py").write_text(
        "from nbconvert.exporters.html import _x\n"
        "from jupyter_client.asynchronous import AsyncKernelClient\n"
        "class C(AsyncKernelClient):\n"
        "    def f(self):\n"
        "        self._mine = 1\n"
        "        return self._mine, self._handle_kernel_info_reply, other._nb_metadata\n", encoding="utf-8")
    assert [f.split(": ", 1)[1] for f in private_uses(tmp_path / "bad.py")] == [
        "from nbconvert.exporters.html import _x", "self._handle_kernel_info_reply (inherited)",
        "other._nb_metadata"]


def test_a_cells_output_may_come_late_on_a_busy_machine(tmp_path, kernel, monkeypatch):
    """papermill turns nbclient's 4-second wait for a finished cell's output into an error; the
    engine asks the notebook client for a wait a busy machine does not run past (a report failed
    with 'Timeout waiting for IOPub output' in the suite), with a warm kernel and without."""
    from papermill.clientwrap import PapermillNotebookClient

    waits = []
    execute = PapermillNotebookClient.execute
    monkeypatch.setattr(PapermillNotebookClient, "execute",
                        lambda self, **kw: waits.append(self.iopub_timeout) or execute(self, **kw))
    nb = notebook(tmp_path / "nb.ipynb", "x = n")
    engine.run_notebook(nb, tmp_path / "a.ipynb", {"n": 1}, kernel)
    engine.run_notebook(nb, tmp_path / "b.ipynb", {"n": 1})
    assert waits == [engine.IOPUB_TIMEOUT] * 2 and engine.IOPUB_TIMEOUT >= 60


def test_a_kiprank_folder_where_the_command_runs_is_not_imported_by_the_kernel(tmp_path):
    """A user running ``kiprank report`` in a folder holding another ``kiprank/`` (an old checkout)
    gets the installed package in the notebook kernel too, not that folder's code (found in a hostile
    run: the kernel, started in the working folder, imported another checkout's kiprank)."""
    import kiprank

    decoy = tmp_path / "kiprank"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('the decoy kiprank was imported')\n", encoding="utf-8")
    warm = WarmKernel(cwd=tmp_path)
    try:
        warm.start()  # the warm-up imports kiprank.report: it would fail on the decoy
        nb = notebook(tmp_path / "nb.ipynb", "import os, kiprank\nprint(kiprank.__file__)\nprint(os.getcwd())")
        out = engine.run_notebook(nb, tmp_path / "out.ipynb", {"n": 1}, warm)
    finally:
        warm.shutdown()
    path, cwd = out.cells[-1].outputs[0]["text"].split("\n")[:2]
    assert Path(path) == Path(kiprank.__file__)
    assert Path(cwd) == tmp_path  # relative paths of the notebook still start where the command ran
