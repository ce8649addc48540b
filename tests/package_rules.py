"""What the tests of rules over kiprank's own code share: the modules, their ids, and one way to
check a rule with a list of modules that other work in progress is still changing (``pending``:
module -> who; a pending module must still break the rule, so that it leaves the list as soon as it
does not)."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kiprank"


def package_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_id(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def check_rule(path: Path, found: list[str], pending: dict[str, str], rule: str) -> None:
    """Fail naming what breaks ``rule`` in ``path``; xfail for a pending module that still breaks it."""
    rel = module_id(path)
    if rel in pending:
        assert found, f"{rel} no longer breaks the rule ({rule}): take it off PENDING"
        pytest.xfail(f"being changed by {pending[rel]}")
    assert found == [], f"{rel}: {rule}:\n" + "\n".join(found)
