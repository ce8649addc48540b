"""environment.yml (conda users) stays in step with pyproject.toml (pip users)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"dask[distributed]": ["dask", "distributed"]}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs += extra
    out = {}
    for spec in specs:
        for name in CONDA_NAMES.get(_name(spec), [_name(spec)]):
            out[name] = spec[len(_name(spec)):].strip() if _name(spec) not in CONDA_NAMES else \
                spec.split("]", 1)[1].strip()
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        specs = dep["pip"] if isinstance(dep, dict) else [dep]
        for spec in specs:
            spec = spec.split("#")[0].strip()
            if spec.startswith("-e") or _name(spec) in ("python", "pip"):
                continue
            out[_name(spec)] = spec[len(_name(spec)):].strip()
    return out


def test_environment_lists_every_dependency_with_the_same_bounds():
    pyproject, environment = _pyproject(), _environment()
    assert set(pyproject) == set(environment), (
        f"only in pyproject.toml: {sorted(set(pyproject) - set(environment))}; "
        f"only in environment.yml: {sorted(set(environment) - set(pyproject))}")
    differ = {n: (pyproject[n], environment[n]) for n in pyproject if pyproject[n] != environment[n]}
    assert not differ, f"version bounds differ (pyproject, environment): {differ}"


def test_readme_names_every_runtime_dependency_in_its_list_and_table():
    """README "Installing": the sentence listing the runtime dependencies and the per-platform
    wheel table name exactly pyproject's ``dependencies``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deps = {_name(spec) for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    listed = readme.split("**Runtime dependencies** are exactly what the commands and notebooks import or run:", 1)[1]
    listed = listed.split("Test tools", 1)[0]
    in_list = {_name(w.rstrip(".")) for w in re.findall(r"[A-Za-z][A-Za-z0-9_.-]+", listed)}
    table = readme.split("| dependency | Windows x64 |", 1)[1].split("\n\n", 1)[0]
    in_table = {_name(row.split("|")[1]) for row in table.splitlines()[2:] if row.startswith("|")}
    assert deps - in_list == set(), f"not in the README's list: {sorted(deps - in_list)}"
    assert in_table == deps, f"table vs pyproject: missing {sorted(deps - in_table)}, extra {sorted(in_table - deps)}"
