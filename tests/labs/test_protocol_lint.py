"""The lab protocol (LAB_PROTOCOL.md) checked over every lab file in labs_wasm/labs."""
import ast
import itertools
import re
from pathlib import Path

import pytest

from labkit import catalog, validate_entry
from labkit.serialize import MARKDOWN_PROPS

from labdriver import REPO, LabDriver, section_ids

LAB_IDS = catalog.all_ids()
LAB_FILES = sorted((REPO / "labs_wasm" / "labs").rglob("lab_*.py"))
INSTRUMENTS = {"figure", "metrics", "table"}
SEC_REF = re.compile(r"@(sec-[A-Za-z0-9_-]+)")
RAW_HTML = re.compile(r"</?[A-Za-z!]")


def test_catalog_finds_every_lab_file():
    assert len(LAB_IDS) == len(LAB_FILES) >= 2
    assert {"vol1/01", "vol1/09"} <= set(LAB_IDS)


@pytest.mark.parametrize("path", LAB_FILES, ids=lambda p: p.name)
def test_lab_source_is_browser_safe(path):
    text = path.read_text(encoding="utf-8")
    assert "localStorage" not in text
    for node in ast.walk(ast.parse(text)):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            top = name.split(".")[0]
            assert top in {"__future__", "math", "functools", "mlsysim", "labkit", "labs"}, (
                f"{path.name} imports {name}: labs use the stdlib, mlsysim and labkit only")


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def acts(d, tree):
    return {n["title"].split(" · ")[0]: n for n in d.kinds(tree, "section")
            if n["title"].startswith("Act ")}


def controls(d, tree):
    """Each value every value-control could take (one change at a time)."""
    for n in d.nodes(tree):
        if n["kind"] in ("toggle", "select") or (n["kind"] == "tabs"):
            opts = n.get("options") or n.get("tabs")
            for o in opts:
                yield n["name"], o["value"]
        elif n["kind"] == "slider":
            yield n["name"], n["min"]
            yield n["name"], n["max"]


@pytest.fixture(params=LAB_IDS)
def lab(request):
    d = LabDriver(request.param)
    answers, tree = d.open_all_gates()
    return d, answers, tree


def test_two_contexts_and_toggle(lab):
    d, _, tree = lab
    assert len(d.lab.contexts) == 2
    toggle = d.node(tree, "context")
    assert toggle["kind"] == "toggle"
    assert [o["value"] for o in toggle["options"]] == list(d.lab.contexts)


def test_each_act_has_prediction_before_instruments_overlay_reflection_mathpeek(lab):
    d, _, tree = lab
    found = acts(d, tree)
    assert set(found) == {"Act I", "Act II"}
    for name, section in found.items():
        inner = list(d.nodes({"nodes": section["children"]}))
        kinds = [n["kind"] for n in inner]
        preds = [i for i, n in enumerate(inner) if n.get("locks") is True]
        assert len(preds) == 1, f"{name}: exactly one locking prediction, found {len(preds)}"
        first_instrument = min(i for i, k in enumerate(kinds) if k in INSTRUMENTS)
        assert preds[0] < first_instrument, f"{name}: the prediction must precede instruments"
        assert "overlay" in kinds, f"{name}: no prediction-vs-reality overlay"
        reflections = [n for n in inner if n["kind"] == "choice" and not n["locks"]
                       and len(n["options"]) == 4]
        assert reflections, f"{name}: no 4-option reflection"
        assert any(n["kind"] == "accordion" and n["title"].startswith("MathPeek")
                   for n in inner), f"{name}: no MathPeek"


def test_act2_failure_banner_reachable_through_controls(lab):
    d, answers, tree = lab

    def act2_banner(t):
        return any(n["kind"] == "banner" for n in d.nodes({"nodes": acts(d, t)["Act II"]["children"]}))

    states = [{}] + [{name: value} for name, value in controls(d, tree)]
    hits = [s for s in states if act2_banner(d.render(answers, s))]
    misses = [s for s in states if s not in hits]
    assert hits, "Act II never shows a failure banner"
    assert misses, "the failure banner can never be cleared"


def test_every_figure_has_a_caption(lab):
    d, _, tree = lab
    figures = d.kinds(tree, "figure")
    assert figures
    for f in figures:
        assert f["caption"].strip() and f["figure"]["data"]


def test_ledger_node_valid(lab):
    d, _, tree = lab
    [ledger] = d.kinds(tree, "ledger")
    validate_entry(ledger["entry"], d.lab.ledger_key)
    assert ledger["summary"]


def test_sec_references_resolve(lab):
    d, _, tree = lab
    known = section_ids()
    refs = set(itertools.chain.from_iterable(SEC_REF.findall(s) for s in strings(tree["nodes"])))
    assert refs, "a lab cites its chapter's sections"
    assert not refs - known, f"unknown section ids: {sorted(refs - known)}"


def test_no_raw_html_in_text(lab):
    d, _, tree = lab
    for n in d.nodes(tree):
        for prop in MARKDOWN_PROPS | {"title", "persona", "ratio_text", "predicted", "actual"}:
            if isinstance(n.get(prop), str):
                assert not RAW_HTML.search(n[prop]), f"{n['key']}.{prop}: raw HTML"
        for o in n.get("options", []):
            assert not RAW_HTML.search(o["label"])


# PROTOCOL.md section 3, prop by prop ("?" = optional). The JS renderer checks the same table.
PROPS = {
    "header": {"volume": "text", "number": "text", "chapter": "str", "title": "str",
               "hook": "str?", "badges": "arr?", "minutes": "text?"},
    "section": {"title": "str", "subtitle": "str?", "children": "arr"},
    "markdown": {"text": "str"}, "callout": {"tone": "str", "title": "str?", "text": "str"},
    "stakeholder": {"persona": "str", "text": "str"},
    "choice": {"label": "str", "options": "arr", "value": "scalar", "locks": "bool",
               "locked": "bool", "name": "str"},
    "number_input": {"label": "str", "min": "num", "max": "num", "step": "num", "unit": "str?",
                     "value": "scalar", "locks": "bool", "locked": "bool", "name": "str"},
    "slider": {"label": "str", "min": "num", "max": "num", "step": "num", "value": "num",
               "unit": "str?", "scale": "num?", "display": "text", "name": "str"},
    "select": {"label": "str", "options": "arr", "value": "scalar", "name": "str"},
    "toggle": {"label": "str", "options": "arr", "value": "scalar", "name": "str"},
    "tabs": {"name": "str", "value": "scalar", "tabs": "arr"},
    "accordion": {"title": "str", "children": "arr"}, "metrics": {"items": "arr"},
    "table": {"caption": "str", "columns": "arr", "rows": "arr"},
    "figure": {"figure": "obj", "caption": "str", "table": "obj?"},
    "banner": {"title": "str", "text": "str", "required": "text", "available": "text"},
    "overlay": {"predicted": "text", "actual": "text", "ratio": "num", "ratio_text": "str",
                "text": "str", "tone": "str"},
    "gate": {"text": "str"}, "ledger": {"entry": "obj", "summary": "arr"},
    "reset": {"label": "str"},
}
TYPES = {
    "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
    "num": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "text": lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool),
    "arr": lambda v: isinstance(v, list), "obj": lambda v: isinstance(v, dict),
    "scalar": lambda v: v is None or isinstance(v, (str, int, float, bool)),
}


@pytest.mark.parametrize("which", ["empty", "answered"])
def test_every_node_matches_the_protocol_props(lab, which):
    d, answers, tree = lab
    if which == "empty":
        tree = d.render()
    keys = [n["key"] for n in d.nodes(tree)]
    assert len(keys) == len(set(keys)), "keys must be unique"
    for n in d.nodes(tree):
        spec = PROPS[n["kind"]]
        for prop, kind in spec.items():
            optional = kind.endswith("?")
            if prop not in n:
                assert optional, f"{n['key']} ({n['kind']}) lacks {prop}"
                continue
            assert TYPES[kind.rstrip("?")](n[prop]), f"{n['key']}.{prop} = {n[prop]!r} is not {kind}"
