"""Safe YAML loading that remembers the line of every value, for file:line errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

_BaseLoader: type[yaml.SafeLoader]
try:
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader without implicit timestamps: dates stay text and keep their precision."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


MAX_DEPTH = 50


class YamlError(ValueError):
    """A YAML document that cannot be read, with the line where it went wrong."""

    def __init__(self, line: int, path: Path_, message: str) -> None:
        self.line = line
        self.path = path
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class LineMap:
    """Where each value of a YAML document starts, by its path."""

    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that exists in the document."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return 1


def load_yaml(text: str) -> tuple[Any, LineMap]:
    """Parse one YAML document safely; return its data and the line of every value."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlError(line, (), "a control character YAML does not allow") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, (), f"YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, (), f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is None:
        return None, LineMap(lines)
    return _convert(loader, node, (), lines, set()), LineMap(lines)


def _convert(
    loader: _Loader, node: yaml.Node, path: Path_, lines: dict[Path_, int], seen: set[int]
) -> Any:
    lines[path] = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise YamlError(lines[path], path[:MAX_DEPTH], f"nested more than {MAX_DEPTH} levels deep")
    if id(node) in seen:
        # An alias: refusing them rules out recursive and exponentially expanding documents.
        raise YamlError(lines[path], path, "YAML aliases (*name) are not allowed in the digest")
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise YamlError(lines[path], path, f"unsupported YAML tag {node.tag}")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(key_node.start_mark.line + 1, path, "YAML merge keys are not used")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise YamlError(key_node.start_mark.line + 1, path, "a key must be plain text")
            key = str(key_node.value)
            if key in result:
                raise YamlError(key_node.start_mark.line + 1, (*path, key), "duplicated key")
            result[key] = _convert(loader, value_node, (*path, key), lines, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise YamlError(lines[path], path, f"unsupported YAML tag {node.tag}")
        return [
            _convert(loader, item, (*path, i), lines, seen) for i, item in enumerate(node.value)
        ]
    if node.tag not in _SCALAR_TAGS:
        raise YamlError(lines[path], path, f"unsupported YAML tag {node.tag}")
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
        raise YamlError(
            lines[path], path, f"{node.value[:40]!r} is not a valid {_kind(node.tag)}"
        ) from None


def _kind(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def format_path(path: Path_) -> str:
    """Render a path as `meetings[0].outcomes[3].quote`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"
