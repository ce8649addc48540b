"""No module of kiprank imports another module's private names (``from .x import _y``), and none
reaches into other libraries' private internals: a private module or name imported
(``nbconvert.exporters._x``, ``from lib import _y``), a private attribute of an imported library
module or of anything imported (``lib._y``, ``charts._svg``; documented exceptions in
:data:`DOCUMENTED`), or, in a class derived from a
library's class, a private attribute the class never sets itself (``self._nb_metadata``).
A name another module needs is public (no leading underscore), documented, and listed in its module's
``__all__`` where it has one; a library is used through its public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from package_rules import check_rule, module_id, package_modules

DOCUMENTED = {"os._exit", "sys._getframe"}  # public API despite the underscore (see the library's docs)


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(path: Path, source: str | None = None) -> list[str]:
    """``line: what`` for each import of a private name or of a private module."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if any(private(part) for part in module.split(".")):
                found.append(f"{node.lineno}: from {'.' * node.level}{module} (a private module)")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.lineno}: {alias.name} from {'.' * node.level}{module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(private(part) for part in alias.name.split(".")):
                    found.append(f"{node.lineno}: import {alias.name} (a private module)")
    imported = {(a.asname or a.name).split(".")[0]: a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {a.asname or a.name: f"{'.' * n.level}{n.module or ''}.{a.name}" for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) for a in n.names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and private(node.attr) and isinstance(node.value, ast.Name)
                and node.value.id in imported and f"{imported[node.value.id]}.{node.attr}" not in DOCUMENTED):
            found.append(f"{node.lineno}: {imported[node.value.id]}.{node.attr} (another module's private name)")
        if isinstance(node, ast.ClassDef) and any(not _kiprank_base(b, tree) for b in node.bases):
            own = {t.attr for n in ast.walk(node) for t in _targets(n) if isinstance(t, ast.Attribute)}
            own |= {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            for n in ast.walk(node):
                if (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
                        and private(n.attr) and n.attr not in own):
                    found.append(f"{n.lineno}: self.{n.attr} (a private attribute of {ast.unparse(node.bases[0])})")
    return found


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    return []


def _kiprank_base(base: ast.expr, tree: ast.Module) -> bool:
    """Whether a base class is kiprank's own (defined in the module, imported from kiprank) or a
    builtin (object, Exception, threading.Thread's public API does not count as private use)."""
    name = ast.unparse(base).split(".")[0]
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    local = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("kiprank"))
             for a in n.names}
    import builtins

    return name in defined or name in local or hasattr(builtins, name)


@pytest.mark.parametrize("path", package_modules(), ids=module_id)
def test_no_private_name_is_imported(path):
    check_rule(path, private_imports(path), "private names of other modules or libraries used")


@pytest.mark.parametrize("source,count", [
    ("from .export import _normalise_zip", 1),
    ("from nbconvert.exporters._html import x", 1),
    ("import pandas._libs.lib", 1),
    ("from .content import __all__ as content_all", 0),
    ("from .export import normalise_zip", 0),
    ("import nbconvert\nx = nbconvert._private", 1),
    ("import os\nos._exit(1)", 0),
    ("from . import charts\nsvg = charts._svg", 1),
    ("from nbclient import NotebookClient\nclass C(NotebookClient):\n    def f(self):\n        return self._nb_metadata", 1),
    ("from nbclient import NotebookClient\nclass C(NotebookClient):\n    def f(self):\n        self._x = 1\n        return self._x", 0),
    ("class C:\n    def f(self):\n        return self._y", 0),
])
def test_the_rule_on_examples(source, count):
    assert len(private_imports(Path("x.py"), source)) == count
