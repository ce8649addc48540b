"""No module of kiprank is over 800 lines: a module that long holds several concerns (split it by
what it holds)."""

import pytest

from package_rules import check_rule, module_id, package_modules

LIMIT = 800


@pytest.mark.parametrize("path", package_modules(), ids=module_id)
def test_module_is_at_most_800_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    found = [f"{lines} lines"] if lines > LIMIT else []
    check_rule(path, found, f"at most {LIMIT} lines: split it by what it holds")


REASON_AT = 600


@pytest.mark.parametrize("path", package_modules(), ids=module_id)
def test_a_module_over_600_lines_says_why_in_its_docstring(path):
    """Issue 21: a module over ~600 lines needs a reason in its docstring ("(About N lines: why)")."""
    import ast
    import re

    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    doc = ast.get_docstring(ast.parse(text)) or ""
    found = [f"{lines} lines, no '(About N lines: ...)' in the docstring"] \
        if lines > REASON_AT and not re.search(r"about [\d,]+ lines", doc, re.IGNORECASE) else []
    check_rule(path, found, f"over {REASON_AT} lines: say why in the module docstring")
