"""Test helpers for labs: render a lab, find nodes, answer every gate (imported by tests/labs)."""
import re
from pathlib import Path

from labkit import Lab, catalog
from labkit.serialize import walk

REPO = Path(__file__).resolve().parents[2]


class LabDriver:
    """Renders one lab for a state and answers questions about the tree."""

    def __init__(self, lab_id):
        self.lab = lab_id if hasattr(lab_id, "render") else catalog.load(lab_id)

    def render(self, answers=None, values=None):
        return self.lab.render({"answers": answers or {}, "values": values or {}})

    @staticmethod
    def nodes(tree):
        return list(walk(tree["nodes"]))

    def node(self, tree, key):
        found = [n for n in self.nodes(tree) if n["key"] == key]
        return found[0] if found else None

    def kinds(self, tree, kind):
        return [n for n in self.nodes(tree) if n["kind"] == kind]

    def open_all_gates(self, values=None, limit=10):
        """Answer each gate's prediction with its first option (or its minimum) until no
        gate remains; returns (answers, tree)."""
        answers = {}
        for _ in range(limit):
            tree = self.render(answers, values)
            gates = self.kinds(tree, "gate")
            if not gates:
                return answers, tree
            name = gates[0]["key"][: -len(".gate")]
            widget = self.node(tree, name)
            answers[name] = (widget["options"][0]["value"] if widget["kind"] == "choice"
                             else widget["min"])
        raise AssertionError(f"gates never opened: {answers}")


def section_ids() -> set[str]:
    """Every {#sec-...} id defined in the book's chapters."""
    ids = set()
    for path in (REPO / "book").rglob("*.qmd"):
        # {#sec-x}, {#sec-x .unnumbered} and {.unnumbered #sec-x} alike
        ids.update(re.findall(r"\{[^}\n]*#(sec-[A-Za-z0-9_-]+)", path.read_text(encoding="utf-8")))
    return ids


# A four-option graded choice and a throwaway lab, for toolkit tests that build their own page.
OPTS = {"A": ("about 10", "too small"), "B": ("about 100", "right"),
        "C": ("about 1000", "too big"), "D": ("about 10000", "far too big")}


def make_lab(page, contexts=("cloud", "tiny")):
    lab = Lab(id="vol1/99", chapter="testing", title="Test lab", hook="A hook.",
              invariants=["x"], minutes=5, contexts=contexts,
              reading=[("@sec-introduction-dam", "the triad")])
    lab.page(page)
    return lab
