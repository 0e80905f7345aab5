"""``Lab``: a lab's metadata plus its page function; ``render(state)`` gives the view tree."""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from . import contexts as _contexts
from .errors import LabDefinitionError
from .serialize import check_markdown, make_node, make_tree
from .ui import GateClosed, Ui

_LAB_ID = re.compile(r"^vol([12])/(\d\d)$")
_SEC_REF = re.compile(r"^@sec-[a-z0-9-]+$")


class Lab:
    """One lab. ``reading``: ``[(ref, why), ...]`` with ref like ``"@sec-introduction-dam"``."""

    def __init__(self, id: str, chapter: str, title: str, hook: str,
                 invariants: Sequence[str], minutes: int, contexts: Sequence[str],
                 reading: Sequence[tuple[str, str]]):
        match = _LAB_ID.match(id) if isinstance(id, str) else None
        if not match:
            raise LabDefinitionError(f"lab id {id!r}: expected 'vol1/01' style (volume 1 or 2, "
                                     f"two-digit number)")
        if len(contexts) not in (0, 1, 2, 4):
            raise LabDefinitionError(f"lab {id}: a lab has 2 contexts (0 for the orientation "
                                     f"tour, all 4 for Volume I's capstone, 1, the full fleet, "
                                     f"for Volume II's), got {list(contexts)}")
        for key in contexts:
            _contexts.check(key, f"lab {id} contexts")
        for ref, why in reading:
            if not _SEC_REF.match(ref):
                raise LabDefinitionError(f"lab {id}: reading {ref!r} must be '@sec-<id>'")
            check_markdown(f"lab {id} reading {ref}", why)
        self.id = id
        self.volume = int(match.group(1))
        self.number = match.group(2)
        self.ledger_key = f"vol{self.volume}.ch{self.number}"
        self.chapter = chapter
        self.title = title
        self.hook = check_markdown(f"lab {id} hook", hook)
        self.invariants = list(invariants)
        self.minutes = int(minutes)
        self.contexts = tuple(contexts)
        self.reading = list(reading)
        self._page: Callable[[Ui], None] | None = None

    def page(self, fn: Callable[[Ui], None]) -> Callable[[Ui], None]:
        """Decorator: register the function that writes the lab's page."""
        self._page = fn
        return fn

    def _preamble(self) -> list[dict]:
        header = make_node("header", "header", {
            "volume": self.volume, "number": self.number, "chapter": self.chapter,
            "title": self.title, "hook": self.hook, "badges": self.invariants,
            "minutes": self.minutes})
        nodes = [header]
        if self.reading:
            text = "\n".join(f"- {ref}: {why}" for ref, why in self.reading)
            nodes.append(make_node("callout", "reading", {
                "tone": "info", "title": "Recommended reading", "text": text}))
        return nodes

    def render(self, state: Any = None) -> dict:
        """The view tree for ``state`` (``{"answers": {...}, "values": {...}}``). Pure."""
        if self._page is None:
            raise LabDefinitionError(f"lab {self.id} has no page: decorate a function with "
                                     f"@LAB.page")
        ui = Ui(self, state)
        preamble = self._preamble()
        ui._keys.update(n["key"] for n in preamble)
        try:
            self._page(ui)
        except GateClosed:
            pass
        return make_tree(self.id, self.ledger_key, self.title, preamble + ui.nodes)

    def describe(self) -> dict:
        """What the labs catalog (Ledger page) needs to name this lab; JSON-safe."""
        return {"id": self.id, "ledger_key": self.ledger_key, "volume": self.volume,
                "number": self.number, "chapter": self.chapter, "title": self.title,
                "contexts": list(self.contexts)}

    def sec_refs(self) -> list[str]:
        return [ref[1:] for ref, _ in self.reading]

    def __repr__(self) -> str:
        return f"<Lab {self.id} {self.title!r}>"
