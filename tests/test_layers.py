"""The house plan: lower layers never import higher ones.

core <- intake, analysis <- presentation <- runs <- cli. Every module's imports of kiprank (module
level and inside functions) are read with ``ast`` and each must point at the module's own layer or
a lower one. Intake and analysis sit side by side and do not import each other.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kiprank"

CORE, INTAKE, ANALYSIS, PRESENTATION, RUNS, CLI = "core", "intake", "analysis", "presentation", "runs", "cli"
RANK = {CORE: 0, INTAKE: 1, ANALYSIS: 1, PRESENTATION: 2, RUNS: 3, CLI: 4}

# The layers are the folders: every module sits in one of these packages (nothing loose beside them).
# ``kiprank`` itself is the package's face (the names users import), on top with the command line.
LAYERS = {
    "kiprank": CLI, "kiprank.__main__": CLI,
    "kiprank.core": CORE,
    "kiprank.intake": INTAKE,
    "kiprank.analysis": ANALYSIS,
    "kiprank.report": PRESENTATION, "kiprank.letters": PRESENTATION, "kiprank.site": PRESENTATION,
    "kiprank.runs": RUNS,
    "kiprank.cli": CLI,
}

# (importer, imported): allowed although it points up, each for its reason. Kept empty.
ALLOWED: set[tuple[str, str]] = set()


def layer(module: str) -> str:
    if module in LAYERS:
        return LAYERS[module]
    parts = module.split(".")
    if len(parts) < 2 or f"kiprank.{parts[1]}" not in LAYERS:
        raise AssertionError(f"{module} is in no layer folder: move it into one of {sorted(LAYERS)[1:]}")
    return LAYERS[f"kiprank.{parts[1]}"]


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(module: str, path: Path) -> set[str]:
    """The kiprank modules ``module`` imports (``from pkg import name`` counts ``pkg.name`` when that
    is a module, else ``pkg``)."""
    known = modules()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "kiprank"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "kiprank":
                continue
            subs = {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known}
            found |= subs or {target}
            if len(subs) < len(node.names):
                found.add(target)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__")):
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                raise AssertionError(f"{path}: a dynamic import whose module is not a literal string")
            name = first.value
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                base = package.split(".")[:len(package.split(".")) - level + 1]
                name = ".".join(base + ([name.lstrip(".")] if name.lstrip(".") else []))
            if name.split(".")[0] == "kiprank":
                found.add(name)
    found.discard(module)
    return found


def test_every_module_has_a_layer():
    for module in modules():
        layer(module)


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for module, path in modules().items():
        mine = layer(module)
        for target in sorted(imports(module, path)):
            theirs = layer(target)
            side_by_side = mine != theirs and RANK[mine] == RANK[theirs]
            if (RANK[theirs] > RANK[mine] or side_by_side) and (module, target) not in ALLOWED:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert wrong == []


def test_allow_list_is_empty():
    assert ALLOWED == set()


def test_no_import_cycles():
    """No two modules reach each other through imports (a cycle makes the order of imports matter
    and hides which layer a thing belongs to)."""
    graph = {m: {t for t in imports(m, p) if t in graph_nodes()} for m, p in modules().items()}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def graph_nodes() -> set[str]:
    return set(modules())


@pytest.mark.parametrize("source, expected", [
    ("from ..runs.publish import staged_folder", {"kiprank.runs.publish"}),
    ("def f():\n    from ...runs import pipeline", set()),  # beyond the package: not kiprank
    ("import kiprank.cli", {"kiprank.cli"}),
    ("from . import blocks as B", {"kiprank.report.blocks"}),
    ("import importlib\nimportlib.import_module('kiprank.runs.batch')", {"kiprank.runs.batch"}),
    ("from importlib import import_module\nimport_module('..runs.batch', __name__)", {"kiprank.runs.batch"}),
])
def test_imports_reads_relative_and_function_level_imports(tmp_path, source, expected):
    path = tmp_path / "x.py"
    path.write_text(source)
    assert imports("kiprank.report.x", path) == expected
