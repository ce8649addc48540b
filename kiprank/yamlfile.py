"""Reading YAML files strictly: a key written twice in one mapping is an error (with its line),
never "the last one silently wins"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that names the same key twice; ``line`` is 1-based."""

    def __init__(self, key: Any, line: int, first_line: int):
        self.key, self.line, self.first_line = key, line, first_line
        super().__init__(f"line {line}: key '{key}' appears twice in one mapping (first at line {first_line})")


class StrictLoader(_Base):
    """Safe loader that refuses duplicate keys."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # the base constructor reports unhashable keys
        if key in seen:
            raise DuplicateKeyError(key, key_node.start_mark.line + 1, seen[key])
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text strictly (duplicate keys raise :class:`DuplicateKeyError`)."""
    return yaml.load(text, Loader=StrictLoader)


def load_yaml(path: Path | str) -> Any:
    """Read a UTF-8 YAML file strictly."""
    return load_yaml_text(Path(path).read_text(encoding="utf-8"))
