"""What the tests of rules over kiprank's own code share: the modules, their ids, and one way to
check a rule."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kiprank"


def package_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_id(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def check_rule(path: Path, found: list[str], rule: str) -> None:
    """Fail naming what breaks ``rule`` in ``path``."""
    assert found == [], f"{module_id(path)}: {rule}:\n" + "\n".join(found)
