"""Decoding of Stripe's form encoding into nested dicts and lists.

stripe-python sends ``metadata[plan]=pro``, ``line_items[0][price]=price_x`` and
``expand[0]=customer``; curl users write ``expand[]=customer``. Keys with only numeric
(or empty) brackets below a name become lists, ordered by index.
"""

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_KEY = re.compile(r"(?P<name>[^\[\]]+)(?P<path>(?:\[[^\[\]]*\])*)")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_query(encoded: str) -> dict[str, Any]:
    """Decode an ``application/x-www-form-urlencoded`` string."""
    return decode(parse_qsl(encoded, keep_blank_values=True))


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn ``(key, value)`` pairs into a nested structure."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.fullmatch(key)
        if match is None:
            raise invalid(f"Invalid parameter name: '{key}'.", param=key)
        _assign(root, match["name"], _SEGMENT.findall(match["path"]), value, key)
    return {name: _listify(value) for name, value in root.items()}


def _assign(root: dict[str, Any], name: str, segments: list[str], value: str, key: str) -> None:
    node: dict[Any, Any] = root
    slot: Any = name
    for segment in segments:
        child = node.setdefault(slot, {})
        if not isinstance(child, dict):
            raise _mixed(key)
        node, slot = child, _slot(child, segment)
    if isinstance(node.get(slot), dict):
        raise _mixed(key)
    node[slot] = value


def _mixed(key: str) -> Exception:
    return invalid(f"Invalid parameter '{key}': it is given both a value and a hash.", param=key)


def _slot(node: dict[Any, Any], segment: str) -> Any:
    """An empty segment (``[]``) appends; a numeric one is an index; anything else a key."""
    if segment == "":
        return sum(isinstance(existing, int) for existing in node)
    return int(segment) if segment.isdigit() else segment


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(key, int) for key in node):
        return [_listify(node[index]) for index in sorted(node)]
    if any(isinstance(key, int) for key in node):
        raise invalid("Invalid parameters: a list and a hash share the same name.")
    return {key: _listify(value) for key, value in node.items()}
