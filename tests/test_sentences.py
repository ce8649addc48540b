"""Sentences a reader sees live in the words files (kiprank/words/<kind>.<lang>.yml), never in Python.

The rule, applied to every string literal of kiprank/**/*.py (an f-string is read with its
``{fields}`` as gaps):

- a *sentence* is three or more words (runs of letters between spaces); identifiers, keys, file
  names and single words or pairs (``"ya"``, ``"tidak ada"``) are not sentences;
- docstrings are not read (they are written for developers);
- an **Indonesian** sentence (at least two different words of :data:`INDONESIAN`, and no more
  English cue words than Indonesian ones) is refused everywhere: Indonesian text is only ever
  for readers, so it belongs in a words file;
- an **English** sentence (four or more words, at least two of :data:`ENGLISH`) is refused in the
  modules that write documents (:data:`DOCUMENT_MODULES`: reports, letters, the site, the
  questionnaires), unless it is a console message: inside a ``raise``, an argument of an
  exception, problem or warning constructor (a callable named ``...Error``, ``...Problem``,
  ``...Warning``, ``...Exception``), of a console or log call (``print``, ``echo``, ``_say``,
  ``warn`` ...), a command-line option's ``help=``, or a value given to a name that says it is
  a console message (:data:`MESSAGE_NAME`: ``reason = ...``, ``warnings.append(...)``,
  ``skipped.append(...)``); a regular expression (an argument of ``re.compile``, ``re.search`` ...)
  is a pattern, not a sentence. The other layers (core, intake, analysis,
  runs, cli) make tables and console messages, never documents: English there is console text,
  which may stay in the code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from package_rules import PACKAGE, check_rule, module_id, package_modules


INDONESIAN = frozenset("""
yang dan tidak dari untuk pada dengan atau ini itu ada belum sudah akan dalam oleh sebagai karena juga
telah bagi agar kepada tanpa setiap serta tahun halaman nilai badan publik tahap dinilai lolos jawaban
pertanyaan informasi laporan peringkat hasil mengembalikan dihitung tersedia sebagian menjadi adalah
""".split())
ENGLISH = frozenset("""
the of and to is are was were not in for with on at by from this that be it as or an a has have had
no which what when where who why how than then there their its if into out all any each more most
""".split())
DOCUMENT_MODULES = ("report/", "letters/", "site/", "intake/forms.py", "intake/xlsform.py")
CONSOLE_CALL = re.compile(r"(Error|Problem|Warning|Exception|say|print|echo|secho|warn|warn_messages|debug|info|"
                          r"warning|error|critical|exception)$")
MESSAGE_NAME = re.compile(r"(message|messages|reason|reasons|error|errors|warning|warnings|problem|problems|skipped|"
                          r"hint)$")

# Sentences that other branches are moving into words files now; emptied when they are merged.

_WORD = re.compile(r"^[A-Za-zÀ-ÿ']+[.,:;!?)]*$")


def language(text: str) -> str | None:
    """``"id"`` or ``"en"`` when ``text`` holds a sentence of that language (see the module docstring)."""
    words = [w.strip(".,:;!?()").lower() for w in re.sub(r"\{[^}]*\}", " ", text).split() if _WORD.match(w.lstrip("("))]
    if len(words) < 3:
        return None
    ids, ens = {w for w in words if w in INDONESIAN}, {w for w in words if w in ENGLISH}
    if len(ids) >= 2 and len(ids) >= len(ens):
        return "id"
    if len(words) >= 4 and len(ens) >= 2:
        return "en"
    return None


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " {} " for v in node.values)
    return None


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_console(node: ast.AST, parents: dict) -> bool:
    """Whether a string is a console message or a pattern (see the module docstring)."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Raise):
            return True
        if isinstance(parent, ast.keyword) and parent.arg and (parent.arg == "help" or MESSAGE_NAME.search(parent.arg)):
            return True
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return any(isinstance(t, ast.Name) and MESSAGE_NAME.search(t.id) for t in targets)
        if isinstance(parent, ast.Call) and child is not parent.func:
            name, owner = _callee(parent), getattr(parent.func, "value", None)
            if CONSOLE_CALL.search(name):
                return True
            if name in ("append", "extend", "insert") and isinstance(owner, ast.Name) and MESSAGE_NAME.search(owner.id):
                return True
            if isinstance(owner, ast.Name) and owner.id == "re":
                return True
        child, parent = parent, parents.get(parent)
    return False


def sentences(path: Path, source: str | None = None) -> list[str]:
    """The sentences of one module that break the rule, as ``line: language: text``."""
    rel = path.relative_to(PACKAGE).as_posix() if path.is_relative_to(PACKAGE) else path.name
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {n.body[0].value for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    document = rel.startswith(DOCUMENT_MODULES)
    found = []
    for node in ast.walk(tree):
        if node in docstrings or (isinstance(node, ast.Constant) and isinstance(parents.get(node), ast.JoinedStr)):
            continue
        text = _text(node)
        lang = language(text) if text is not None else None
        if lang == "id" or (lang == "en" and document and not _is_console(node, parents)):
            found.append(f"{node.lineno}: {lang}: {text.strip()[:80]!r}")
    return found


@pytest.mark.parametrize("path", package_modules(), ids=module_id)
def test_no_sentence_in_code(path):
    check_rule(path, sentences(path), "sentences belong in kiprank/words/*.yml")



@pytest.mark.parametrize("source,expected", [
    ('x = "Tidak lolos ke tahap berikutnya"', 1),                       # Indonesian: anywhere
    ('x = f"Nilai {n} tidak dihitung pada tahap ini"', 1),
    ('def f():\n    """Dinilai dari jawaban yang ada pada tahun ini."""', 0),  # a docstring
    ('x = {"ya", "tidak ada", "sebagian"}', 0),                          # words, not sentences
    ('x = "previous_not_returned_then"', 0),                             # a key
    ('raise ValueError(f"{path} is not a folder of the outputs")', 0),   # English console message
])
def test_the_rule_on_examples(tmp_path, source, expected):
    path = tmp_path / "core.py"
    assert len(sentences(path, source)) == expected, sentences(path, source)


def test_english_in_a_document_module_is_found():
    path = PACKAGE / "report" / "example.py"  # not written: only its place decides the rule
    source = ('title = "The ranking of the public bodies"\n'
              'raise ValueError("the file is not there at all")\n'
              'reason = f"the fonts cannot draw {c} in the text"\n'
              'warnings.append(f"{path} is missing, so it is not on the site")\n'
              'GLYPH = re.compile(r"the text (.*) could not be displayed")\n'
              'rows.append("Scores of the bodies in the year")\n')
    assert [s.split(":")[0] for s in sentences(path, source)] == ["1", "6"]
