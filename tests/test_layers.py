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

# Modules by name; a package listed here covers its modules unless one is listed on its own.
LAYERS = {
    "kiprank": CORE,  # __version__ and the errors; the rest of its API is imported lazily by name
    "kiprank.methodology": CORE, "kiprank.inputs": CORE, "kiprank.scoring": CORE, "kiprank.yamlfile": CORE,
    "kiprank.wording": CORE, "kiprank.errors": CORE, "kiprank.formatting": CORE, "kiprank.limits": CORE,
    "kiprank.export": CORE, "kiprank.glyphs": CORE, "kiprank.files": CORE,
    "kiprank.intake": INTAKE,
    "kiprank.analysis": ANALYSIS, "kiprank.compare": ANALYSIS, "kiprank.corrections": ANALYSIS,
    "kiprank.typeset": PRESENTATION,
    "kiprank.report": PRESENTATION, "kiprank.letters": PRESENTATION, "kiprank.site": PRESENTATION,
    "kiprank.report.build": RUNS, "kiprank.report.comparison_build": RUNS, "kiprank.report.corrections_build": RUNS,
    "kiprank.letters.build": RUNS, "kiprank.site.build": RUNS,
    "kiprank.publish": RUNS, "kiprank.manifest": RUNS, "kiprank.pipeline": RUNS, "kiprank.batch": RUNS,
    "kiprank.reportbuild": RUNS, "kiprank.comparereport": RUNS,
    "kiprank.cli": CLI,
}

# (importer, imported): allowed although it points up, each for its reason.
ALLOWED = {
    # The notebooks call ``report.publish_tables(rep, root)`` and ``comparison.publish_tables(rep, root)``
    # (and copies of them that users keep do too): the names stay, as wrappers that import the run's
    # function when called. Nothing in the package calls them.
    ("kiprank.report", "kiprank.pipeline"),
    ("kiprank.report.comparison", "kiprank.report.comparison_build"),
    # ``kiprank.site.build_site`` / ``verify_site``: the package's lazy entry points to its build.
    ("kiprank.site", "kiprank.site.build"),
}


def layer(module: str) -> str:
    name = module
    while name not in LAYERS:
        if "." not in name:
            raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
        name = name.rsplit(".", 1)[0]
    return LAYERS[name]


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


def test_allow_list_has_no_stale_entries():
    graph = {m: imports(m, p) for m, p in modules().items()}
    assert [pair for pair in sorted(ALLOWED) if pair[1] not in graph.get(pair[0], set())] == []


@pytest.mark.parametrize("source, expected", [
    ("from ..publish import staged_folder", {"kiprank.publish"}),
    ("def f():\n    from ...pipeline import write_tables", set()),  # beyond the package: not kiprank
    ("import kiprank.cli", {"kiprank.cli"}),
    ("from . import blocks as B", {"kiprank.report.blocks"}),
])
def test_imports_reads_relative_and_function_level_imports(tmp_path, source, expected):
    path = tmp_path / "x.py"
    path.write_text(source)
    assert imports("kiprank.report.x", path) == expected
