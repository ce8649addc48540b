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
