"""No module of kiprank is over 800 lines: a module that long holds several concerns (split it by
what it holds). ``PENDING``: modules other branches are splitting at this time (helper i19:
inputs.py; helper i20b: batch.py), to be emptied when those are merged; a pending module must still
be over the limit."""

import pytest

from package_rules import check_rule, module_id, package_modules

LIMIT = 800
PENDING = {"runs/batch.py": "helper i20b"}


@pytest.mark.parametrize("path", package_modules(), ids=module_id)
def test_module_is_at_most_800_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    found = [f"{lines} lines"] if lines > LIMIT else []
    check_rule(path, found, PENDING, f"at most {LIMIT} lines: split it by what it holds")
