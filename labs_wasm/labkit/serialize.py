"""Turn node props into view-tree nodes (PROTOCOL.md section 3) and the tree into JSON.

The only place that builds node dicts: it rejects reserved keys in props, raw HTML in
Markdown strings and values JSON cannot carry (NaN, infinity, objects).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import LabDefinitionError

PROTOCOL_VERSION = 1

#: Keys the tree itself owns; a widget or block may not pass them as props.
RESERVED = frozenset({"kind", "key", "children"})

#: Props of each kind that hold Markdown (rendered then sanitized by the runtime).
MARKDOWN_PROPS = frozenset({"text", "hook", "label", "caption"})

# An HTML tag or comment opener ("<b", "</p", "<!--"): "a < b" and "<=" stay allowed.
_RAW_HTML = re.compile(r"</?[A-Za-z!]")


def check_markdown(where: str, text: str) -> str:
    if not isinstance(text, str):
        raise LabDefinitionError(f"{where}: expected Markdown text (str), got {type(text).__name__}")
    match = _RAW_HTML.search(text)
    if match:
        snippet = text[max(0, match.start() - 10): match.start() + 20]
        raise LabDefinitionError(f"{where}: raw HTML is not allowed in lab text (found "
                                 f"{snippet!r}); write Markdown instead")
    return text


def _check_json(where: str, value: Any) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LabDefinitionError(f"{where}: {value} cannot be shown (not a finite number)")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise LabDefinitionError(f"{where}: dict keys must be strings, got {k!r}")
            _check_json(f"{where}.{k}", v)
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_json(f"{where}[{i}]", v)
        return
    raise LabDefinitionError(f"{where}: {type(value).__name__} is not JSON; format it as a "
                             f"string or number first")


def make_node(kind: str, key: str, props: dict[str, Any],
              children: list[dict] | None = None) -> dict:
    """One view-tree node. ``children`` is set only for containers."""
    bad = RESERVED.intersection(props)
    if bad:
        raise LabDefinitionError(f"node {key!r} ({kind}): props may not use the reserved "
                                 f"key(s) {sorted(bad)}; rename them")
    for name in MARKDOWN_PROPS.intersection(props):
        if props[name] is not None:
            check_markdown(f"node {key!r} ({kind}).{name}", props[name])
    node = {"kind": kind, "key": key}
    node.update(props)
    if children is not None:
        node["children"] = children
    return node


def make_tree(lab_id: str, ledger_key: str, title: str, nodes: list[dict]) -> dict:
    return {"protocol": PROTOCOL_VERSION, "lab": lab_id, "ledger_key": ledger_key,
            "title": title, "nodes": nodes}


def check_tree(tree: dict) -> dict:
    """Validate a whole tree (JSON-safe values); returns it unchanged."""
    _check_json("tree", tree)
    return tree


def dumps(tree: dict) -> str:
    """Compact JSON; NaN/infinity raise instead of producing invalid JSON."""
    try:
        return json.dumps(tree, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        check_tree(tree)  # names the offending path
        raise


def walk(nodes: list[dict]):
    """Every node of a tree, depth first (children of containers and tabs included)."""
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))
        for tab in node.get("tabs", []):
            yield from walk(tab.get("children", []))
