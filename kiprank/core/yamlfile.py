"""Reading YAML files strictly: a key written twice in one mapping is an error (with its line),
never "the last one silently wins"; an impossible date (``2022-02-30``, year 0) is an error with
its line, not a crash. :func:`load_yaml` names the file in every message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .files import NotUtf8Error, utf8_text

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that names the same key twice; ``line`` is 1-based."""

    def __init__(self, key: Any, line: int, first_line: int):
        self.key, self.line, self.first_line = key, line, first_line
        super().__init__(f"line {line}: key '{key}' appears twice in one mapping (first at line {first_line})")


class YamlValueError(yaml.YAMLError):
    """A value YAML recognises but cannot build (an impossible date); ``line`` is 1-based."""

    def __init__(self, message: str, line: int):
        self.line = line
        super().__init__(f"line {line}: {message}")


class YamlFileError(UsageError, yaml.YAMLError):
    """A YAML file that cannot be read: the message names the file and the line. Exit code 2."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path, self.line, self.reason = str(path), line, message
        super().__init__(f"{path}" + (f", line {line}" if line else "") + f": {message}")


class StrictLoader(_Base):
    """Safe loader that refuses duplicate keys and impossible dates."""


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


def _timestamp(loader: StrictLoader, node: yaml.ScalarNode):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise YamlValueError(f"'{node.value}' is not a real date ({exc})", node.start_mark.line + 1) from None


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text strictly (duplicate keys raise :class:`DuplicateKeyError`, impossible dates
    :class:`YamlValueError`)."""
    return yaml.load(text, Loader=StrictLoader)


def describe(exc: BaseException) -> tuple[str, int | None]:
    """(message, 1-based line or None) of a YAML error, in one line."""
    if isinstance(exc, (DuplicateKeyError, YamlValueError)):
        return str(exc).split(": ", 1)[1], exc.line
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        return ("not valid YAML: " + ", ".join(parts)), (mark.line + 1 if mark else None)
    return f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", None


MAX_YAML_BYTES = 10 * 10**6


def load_yaml(path: Path | str) -> Any:
    """Read a UTF-8 YAML file strictly; :class:`YamlFileError` (exit 2) names the file and line."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise YamlFileError(path, f"is {path.stat().st_size / 1e6:.0f} MB: a kiprank YAML file (region.yml, a "
                                      f"methodology, words) may be at most {MAX_YAML_BYTES // 10**6} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = utf8_text(raw)
    except NotUtf8Error as exc:
        raise YamlFileError(path, f"{exc}; save it as UTF-8", exc.line) from None
    try:
        return load_yaml_text(text)
    except yaml.YAMLError as exc:
        message, line = describe(exc)
        raise YamlFileError(path, message, line) from None
    except RecursionError:
        raise YamlFileError(path, "nested too deeply") from None
