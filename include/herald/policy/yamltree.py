"""Parse YAML once into both the data and the node tree, so any path inside the data has a line number.

The node tree (``yaml.compose``) keeps each node's ``start_mark``; validators report paths such as
``("cadence", "min_items")`` and :func:`line_of` turns them back into the line people should look at.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings.

    A policy never needs a YAML timestamp, and PyYAML would otherwise turn ``2018-06-01`` into a
    ``datetime.date`` that JSON Schema can only describe as "not of type 'string'".
    """


_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    root: yaml.Node | None
    duplicates: tuple["DuplicateKey", ...]


def parse(text: str) -> ParsedYaml:
    """Compose and construct one YAML document; raises ``yaml.YAMLError`` (with marks) on bad syntax."""
    loader = _PolicyYamlLoader(text)
    try:
        root = loader.get_single_node()
        # Look for duplicates before constructing: merge keys (<<) rewrite the tree in place.
        duplicates = tuple(duplicate_keys(root))
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return ParsedYaml(data=data, root=root, duplicates=duplicates)


def _child(node: yaml.Node, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node that names the child, the child's value node), or None if the child is not there."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in reversed(node.value):  # the last duplicate wins, as in the data
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item = node.value[key]
        return item, item
    return None


def line_of(root: yaml.Node | None, path: Sequence[str | int]) -> int:
    """1-based line of the deepest node on ``path`` that exists.

    A mapping entry reports the line of its key (``cadence:`` rather than its first child), so a
    missing-key error points at the section that lacks it.
    """
    if root is None:
        return 1
    line = root.start_mark.line
    node = root
    for key in path:
        found = _child(node, key)
        if found is None:
            break
        label_node, node = found
        line = label_node.start_mark.line
    return line + 1


@dataclass(frozen=True)
class DuplicateKey:
    path: tuple[str | int, ...]
    line: int
    first_line: int


def duplicate_keys(root: yaml.Node | None) -> Iterator[DuplicateKey]:
    """Keys given twice in one mapping: PyYAML silently keeps the last, which hides typos."""
    if root is None:
        return
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    yield DuplicateKey(path + (key,), line, seen[key])
                else:
                    seen[key] = line
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (index,)) for index, item in enumerate(node.value))


def format_path(path: Sequence[str | int]) -> str:
    """``("approval_chains", "group", 1)`` -> ``approval_chains.group[1]``; the document itself -> ``(root)``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "(root)"
