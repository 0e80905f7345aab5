"""Loading registry data files (TOML) and exposing them as namespaces of entries.

Every data file shares one grammar (each file's header repeats it for its readers):

- ``[sources.<id>]`` tables hold ``kind`` (datasheet, paper, convention, estimate,
  illustrative), ``reference``, and optionally ``url`` and ``note``.
- Every other top-level table is one entry, named by its registry key.
- A number is written as ``{ value = "989 TFLOP/s", source = "<id>" }`` (quantities as strings
  pint parses; plain numbers as numbers), optionally with ``kind`` (overrides the source's)
  and ``note``. Plain integers written bare (``layers = 32``) take the entry's ``source``.

The loader turns each sourced value into a Quantity (or number) and records a Provenance at
its dotted path (``compute.precision_flops.fp8``, ``interconnects[0].bandwidth``).
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable, Iterator

from .core.constants import Q_
from .core.errors import ProvenanceError, UnknownEntryError
from .core.provenance import Provenance

# Keys of an entry table that describe the entry itself, not a number.
_META_KEYS = {"source", "aliases"}


def read_toml(package: str, filename: str) -> dict:
    folder = Path(__file__).parent.joinpath(*package.split(".")[1:], "data")
    text = folder.joinpath(filename).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProvenanceError(f"{package}/data/{filename}: {exc}") from None


def _sources(doc: dict, where: str) -> dict[str, dict]:
    sources = doc.get("sources", {})
    for sid, src in sources.items():
        Provenance(src.get("kind", ""), src.get("reference", ""))  # validates early
    return sources


def _provenance(src: dict, value: dict) -> Provenance:
    note = value.get("note") or src.get("note")
    return Provenance(kind=value.get("kind", src["kind"]), reference=src["reference"],
                      url=src.get("url"), note=note)


def resolve_entry(key: str, table: dict, sources: dict, where: str) -> tuple[dict, dict]:
    """Return (plain nested dict with Quantities, provenance by dotted path) for one entry."""
    provenance: dict[str, Provenance] = {}
    default_src = table.get("source")
    if default_src is not None and default_src not in sources:
        raise ProvenanceError(f"{where}: entry {key} names unknown source {default_src!r}")

    def is_sourced(node: Any) -> bool:
        return isinstance(node, dict) and "value" in node

    def convert(node: Any, path: str) -> Any:
        if is_sourced(node):
            sid = node.get("source", default_src)
            if sid is None:
                raise ProvenanceError(f"{where}: {key}.{path} has no source")
            if sid not in sources:
                raise ProvenanceError(f"{where}: {key}.{path} names unknown source {sid!r}")
            raw = node["value"]
            value = Q_(raw) if isinstance(raw, str) else raw
            provenance[path] = _provenance(sources[sid], node)
            return value
        if isinstance(node, dict):
            return {k: convert(v, f"{path}.{k}" if path else k) for k, v in node.items()
                    if not (path == "" and k in _META_KEYS)}
        if isinstance(node, list):
            return [convert(v, f"{path}[{i}]") for i, v in enumerate(node)]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            if default_src is None:
                raise ProvenanceError(f"{where}: {key}.{path} = {node} has no source; write it "
                                      "as {{ value = ..., source = ... }} or give the entry a "
                                      "source")
            provenance[path] = _provenance(sources[default_src], {})
            return node
        return node

    return convert(table, ""), provenance


def entries(package: str, filename: str):
    """Yield (key, table, data, provenance, where) for each entry of one data file, with
    every number resolved against the file's [sources]; ``where`` names the file in errors."""
    where = f"{package.split('.')[-1]}/data/{filename}"
    doc = read_toml(package, filename)
    sources = _sources(doc, where)
    for key, table in doc.items():
        if key != "sources":
            data, prov = resolve_entry(key, table, sources, where)
            yield key, table, data, prov, where


class Namespace:
    """A group of entries (``Hardware.Cloud``): attribute access, ``list()``, ``get()``."""

    def __init__(self, registry: "Registry", name: str):
        self._registry, self._name = registry, name

    def _entries(self) -> dict[str, Any]:
        return self._registry._load()[1][self._name]

    def __getattr__(self, key: str):
        if key.startswith("_"):
            raise AttributeError(key)
        entries = self._entries()
        if key in entries:
            return entries[key]
        raise UnknownEntryError(f"{self._registry.kind} in {self._registry.name}.{self._name}",
                                key, list(entries))

    def __dir__(self):
        return [*self._entries(), "list", "get", "keys"]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._entries().values())

    def __len__(self) -> int:
        return len(self._entries())

    def keys(self) -> list[str]:
        return list(self._entries())

    def list(self) -> list[Any]:
        return list(self._entries().values())

    def get(self, name: str):
        entry = self._registry.get(name)
        if entry not in self._entries().values():
            raise UnknownEntryError(f"{self._registry.kind} in {self._registry.name}.{self._name}",
                                    name, self.keys())
        return entry

    def __repr__(self) -> str:
        return f"<{self._registry.name}.{self._name}: {', '.join(self.keys())}>"


class Registry:
    """Top-level registry (``Hardware``): namespaces, a flat lookup, and ``list()``.

    ``loader`` returns {namespace: {key: entry}} plus {alias: key}; it runs on first use so
    that ``import mlsysim`` does not parse any TOML.
    """

    def __init__(self, name: str, kind: str, namespaces: tuple[str, ...],
                 loader: Callable[[], tuple[dict[str, dict[str, Any]], dict[str, str]]]):
        self.name, self.kind, self._namespaces, self._loader = name, kind, namespaces, loader
        self._cache = None

    def _load(self):
        if self._cache is None:
            by_ns, aliases = self._loader()
            flat: dict[str, Any] = {}
            for ns_entries in by_ns.values():
                for key, entry in ns_entries.items():
                    if key in flat:
                        raise ProvenanceError(f"{self.name}: key {key} appears twice")
                    flat[key] = entry
            self._cache = (flat, by_ns, aliases)
        return self._cache[0], self._cache[1], self._cache[2]

    def __getattr__(self, attr: str):
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in self._namespaces:
            return Namespace(self, attr)
        flat, _, aliases = self._load()
        if attr in flat:
            return flat[attr]
        if attr in aliases:
            return flat[aliases[attr]]
        raise UnknownEntryError(f"{self.kind} or namespace in {self.name}", attr,
                                [*self._namespaces, *flat])

    def __dir__(self):
        return [*self._namespaces, *self._load()[0], "list", "get", "keys", "namespaces"]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self._namespaces

    def keys(self) -> list[str]:
        return list(self._load()[0])

    def list(self) -> list[Any]:
        return list(self._load()[0].values())

    def __iter__(self):
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._load()[0])

    def items(self):
        """(namespace, key, entry) for every entry."""
        for ns, entries in self._load()[1].items():
            for key, entry in entries.items():
                yield ns, key, entry

    def get(self, name: str):
        """Look up by key, alias or display name, ignoring case, '-', '_' and spaces."""
        if not isinstance(name, str):
            raise UnknownEntryError(self.kind, repr(name), self.keys())
        flat, _, aliases = self._load()
        if name in flat:
            return flat[name]
        norm = _normalise(name)
        for key, entry in flat.items():
            if norm in (_normalise(key), _normalise(getattr(entry, "name", ""))):
                return entry
        for alias, key in aliases.items():
            if norm == _normalise(alias):
                return flat[key]
        raise UnknownEntryError(f"{self.kind} in {self.name}", name, self.keys())

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
            return True
        except UnknownEntryError:
            return False

    def __repr__(self) -> str:
        return f"<{self.name} registry: {', '.join(self._namespaces)}>"


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def collect_aliases(key: str, table: dict, aliases: dict[str, str], where: str) -> None:
    for alias in table.get("aliases", []):
        if alias in aliases:
            raise ProvenanceError(f"{where}: alias {alias} used twice")
        aliases[alias] = key
