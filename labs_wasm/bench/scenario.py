"""What to drive, decided under CPython from the lab itself: the state with every
prediction answered, and a slider whose change redraws a figure (with the values to sweep)."""
from __future__ import annotations

from dataclasses import dataclass

from labkit.runtime import render
from labkit.serialize import walk

VALUE_KINDS = ("slider", "select", "toggle")


@dataclass(frozen=True)
class Scenario:
    lab: str
    state: dict
    control_key: str
    control_kind: str
    control_name: str
    figure_key: str
    values: list

    @property
    def name(self) -> str:
        return self.control_key


def answer_everything(lab: str) -> dict:
    state = {"answers": {}, "values": {}}
    for _ in range(10):
        open_ = [n for n in walk(render(lab, state)["nodes"]) if n.get("locks") and not n.get("locked")]
        if not open_:
            return state
        node = open_[0]
        state["answers"][node["name"]] = node["options"][0]["value"] if "options" in node else (node["min"] + node["max"]) / 2
    raise RuntimeError(f"{lab}: predictions never ran out after 10 answers")


def _figures(tree) -> dict:
    return {n["key"]: n["figure"] for n in walk(tree["nodes"]) if n["kind"] == "figure"}


def _sweep(node, count: int) -> list:
    if node["kind"] == "slider":
        lo, hi, step = node["min"], node["max"], node["step"]
        n_steps = round((hi - lo) / step)
        picks = [lo + step * round(n_steps * ((i * 7919) % count) / max(1, count - 1)) for i in range(count)]
        return [round(v, 10) for v in picks]
    opts = [o["value"] for o in node["options"]]
    return [opts[(i + 1) % len(opts)] for i in range(count)]


def choose(lab: str, count: int = 30) -> Scenario:
    """A slider (preferred) or select/toggle whose change redraws a figure."""
    state = answer_everything(lab)
    tree = render(lab, state)
    before = _figures(tree)
    candidates = sorted((n for n in walk(tree["nodes"]) if n["kind"] in VALUE_KINDS),
                        key=lambda n: VALUE_KINDS.index(n["kind"]))
    for node in candidates:
        values = _sweep(node, count)
        if values[0] == node["value"]:  # every change must differ from the value before it
            values = values[1:] + values[:1]
        other = next((v for v in values if v != node["value"]), None)
        if other is None:
            continue
        after = _figures(render(lab, {**state, "values": {**state["values"], node["name"]: other}}))
        changed = [k for k, fig in before.items() if after.get(k) != fig]
        if changed:
            return Scenario(lab, state, node["key"], node["kind"], node["name"], changed[0], values)
    raise RuntimeError(f"{lab}: no slider, select or toggle changes a figure; nothing to time")
