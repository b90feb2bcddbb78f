"""Parse YAML once into both the data and the node tree, so any path inside the data has a line number.

The node tree (``yaml.compose``) keeps each node's ``start_mark``; validators report paths such as
``("cadence", "min_items")`` and :func:`line_of` turns them back into the line people should look at.

Composition is bounded: every parser event is checked before its node is built, and the file is
refused (:class:`FormatRefused`) at the first anchor or alias (a few hundred bytes of aliases expand
into billions of nodes), the first tag outside the failsafe set (``!!str``, ``!!seq``, ``!!map``: no
``!!python/...``, nothing a policy needs), nesting deeper than :data:`MAX_DEPTH` or more than
:data:`MAX_NODES` nodes. With the loader's size limit this keeps any file's cost to a fraction of a second.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(_STANDARD_TAG_PREFIX + name for name in ("str", "seq", "map"))
# Each bound is several times what the shipped packs use; together they keep any file's cost to a
# fraction of a second. MAX_ITEMS also bounds JSON Schema's uniqueItems check, quadratic in a list's length.
MAX_DEPTH = 32  # the shipped packs nest 5 deep
MAX_NODES = 5_000  # the shipped packs have under 400 nodes
MAX_ITEMS = 100  # per list or mapping; the shipped packs have at most 21


class FormatRefused(yaml.YAMLError):
    """A file refused before it is built (rule 格式): ``line`` is 1-based or None, ``message`` is for people."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STANDARD_TAG_PREFIX) if tag.startswith(_STANDARD_TAG_PREFIX) else tag


def _refusal(event: yaml.Event, depth: int, nodes: int, position: int) -> str | None:
    """Why the node this event starts (the ``position``-th item of its list or mapping) may not be built, or None."""
    if isinstance(event, yaml.AliasEvent):
        return f"格式：策略文件不得使用 YAML 别名“*{event.anchor}”（每个值须直接写出）"
    if event.anchor is not None:
        return f"格式：策略文件不得使用 YAML 锚点“&{event.anchor}”（每个值须直接写出）"
    tag = getattr(event, "tag", None)
    if tag is not None and tag not in ALLOWED_TAGS:
        return f"格式：策略文件不得使用 YAML 标签“{_shown_tag(tag)}”（只接受 !!str、!!seq、!!map）"
    if depth > MAX_DEPTH:
        return f"格式：嵌套超过 {MAX_DEPTH} 层"
    if nodes > MAX_NODES:
        return f"格式：节点超过 {MAX_NODES} 个"
    if position >= MAX_ITEMS:
        return f"格式：一个列表或映射超过 {MAX_ITEMS} 项"
    return None


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings and refuses unsafe or oversized input while composing.

    A policy never needs a YAML timestamp, and PyYAML would otherwise turn ``2018-06-01`` into a
    ``datetime.date`` that JSON Schema can only describe as "not of type 'string'".
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        # Look at the event before PyYAML builds (or, for an alias, shares) its node.
        event = self.peek_event()
        self._depth += 1
        self._nodes += 1
        # Sequence items come with their index; a mapping key comes with None, its value with the key node.
        position = index if isinstance(index, int) else (len(parent.value) if isinstance(parent, yaml.MappingNode) else 0)
        refusal = _refusal(event, self._depth, self._nodes, position)
        if refusal is not None:
            raise FormatRefused(event.start_mark.line + 1, refusal)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    root: yaml.Node | None
    duplicates: tuple[DuplicateKey, ...]


def parse(text: str) -> ParsedYaml:
    """Compose and construct one YAML document.

    Raises :class:`FormatRefused` for input refused by rule 格式 and ``yaml.YAMLError`` (with marks) on bad syntax.
    """
    loader = _PolicyYamlLoader(text)
    try:
        root = loader.get_single_node()
        # Look for duplicates before constructing: merge keys (<<) rewrite the tree in place.
        duplicates = tuple(duplicate_keys(root))
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return ParsedYaml(data=data, root=root, duplicates=duplicates)


_mapping_index: weakref.WeakKeyDictionary[yaml.MappingNode, dict[str, tuple[yaml.Node, yaml.Node]]] = (
    weakref.WeakKeyDictionary()
)


def _entries(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The mapping's scalar keys, built once per node: a file with thousands of problems stays linear."""
    entries = _mapping_index.get(node)
    if entries is None:
        # The last duplicate wins, as in the data.
        entries = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        _mapping_index[node] = entries
    return entries


def _child(node: yaml.Node, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node that names the child, the child's value node), or None if the child is not there."""
    if isinstance(node, yaml.MappingNode):
        return _entries(node).get(str(key))
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
