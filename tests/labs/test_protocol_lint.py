"""The lab protocol (LAB_PROTOCOL.md) checked over every lab file in labs_wasm/labs."""
import ast
import itertools
import math
import re
import statistics
import time
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


def expected_contexts(lab) -> int:
    """LAB_PROTOCOL's catalog: two contexts per lab, none for the orientation tour (Lab 00),
    all four for Volume I's capstone, one (the full fleet) for Volume II's."""
    if lab.chapter == "orientation":
        return 0
    if lab.chapter == "conclusion":
        return 4 if lab.volume == 1 else 1
    return 2


def test_contexts_and_toggle(lab):
    d, _, tree = lab
    assert len(d.lab.contexts) == expected_contexts(d.lab)
    toggle = d.node(tree, "context")
    if len(d.lab.contexts) < 2:
        assert toggle is None, "a lab with fewer than two contexts shows no context toggle"
        return
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


# ---- honest predictions (LAB_PROTOCOL "Invariants"): the rules a program can check --------
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_NUMBER = re.compile(r"10\^?\{?(-?\d+)\}?|(\d[\d,]*(?:\.\d+)?)(?:\s*[x×]\s*10\^?(-?\d+))?")


def numbers_in(text: str) -> set[float]:
    """Every number a reader sees in ``text``: "~10⁶" -> 1e6, "1,030,000x" -> 1030000.0,
    "2.5 × 10^3" -> 2500.0."""
    out = set()
    for m in _NUMBER.finditer(text.translate(_SUPERSCRIPT)):
        if m.group(1) is not None:
            out.add(10.0 ** int(m.group(1)))
        else:
            value = float(m.group(2).replace(",", ""))
            out.add(value * 10.0 ** int(m.group(3)) if m.group(3) else value)
    return out


def act_predictions(d, tree):
    """{act: (its locking prediction node, its overlay node or None)}."""
    out = {}
    for name, section in acts(d, tree).items():
        inner = list(d.nodes({"nodes": section["children"]}))
        pred = next((n for n in inner if n.get("locks") is True), None)
        out[name] = (pred, next((n for n in inner if n["kind"] == "overlay"), None))
    return out


def honesty_problems(d, tree, correct: dict) -> list[str]:
    """What breaks "predictions stay honest" in an answered tree. ``correct`` maps a choice
    prediction's name to its correct option value (the lab's own grading)."""
    problems = []
    header = next(n for n in d.nodes(tree) if n["kind"] == "header")
    for act, (pred, overlay) in act_predictions(d, tree).items():
        if pred is None or overlay is None:
            continue
        if pred["kind"] == "choice":
            if "ratio" in overlay or overlay.get("mode") != "choice":
                problems.append(f"{act}: a choice prediction's overlay states a gap ratio; a "
                                "category is right or wrong (ui.reveal)")
            label = next(o["label"] for o in pred["options"] if o["value"] == correct[pred["name"]])
            answer = numbers_in(label)
        else:
            if "ratio" not in overlay or overlay.get("mode") != "number":
                problems.append(f"{act}: a numeric prediction's overlay has no gap ratio "
                                "(ui.overlay)")
            answer = numbers_in(str(overlay.get("actual", "")))
        for badge in header.get("badges", []):
            shared = {x for x in numbers_in(badge) for y in answer if math.isclose(x, y, rel_tol=0.05)}
            if shared:
                problems.append(f"badge {badge!r} states {act}'s answer; a badge names the "
                                "invariant, not its value")
    return problems


def graded(d, answers):
    """Each choice prediction's correct value, read from the lab's own grading: the ledger
    entry records act1/act2 correctness for the answer given; try options until correct."""
    correct = {}
    for act in ("act1", "act2"):
        name = f"{act}.prediction"
        tree = d.render(answers)
        node = d.node(tree, name)
        if node is None or node["kind"] != "choice":
            continue
        for option in node["options"]:
            entry = d.node(d.render({**answers, name: option["value"]}), "ledger")
            if entry is None:
                continue
            if entry["entry"][act]["correct"]:
                correct[name] = option["value"]
    return correct


def graded_choices(d, tree, locking: bool):
    return [n for n in d.kinds(tree, "choice") if bool(n.get("locks")) is locking]


def test_every_option_has_its_own_feedback(lab):
    """Each prediction option reveals its own text, and each reflection option earns its own
    feedback, exactly one of them marked right."""
    d, answers, tree = lab
    for n in graded_choices(d, tree, locking=True):
        reveals = {tuple(o["text"] for o in d.kinds(d.render({**answers, n["key"]: opt["value"]}), "overlay"))
                   for opt in n["options"]}
        assert len(reveals) == len(n["options"]), f"{n['key']}: two options reveal the same text"
    for n in graded_choices(d, tree, locking=False):
        feedback = [d.node(d.render(answers, {n["key"]: opt["value"]}), f"{n['key']}.feedback")
                    for opt in n["options"]]
        if all(f is None for f in feedback):
            continue  # an ungraded choice (a setting, not a reflection)
        assert None not in feedback, f"{n['key']}: an option earns no feedback"
        assert len({f["text"] for f in feedback}) == len(feedback), f"{n['key']}: shared feedback"
        assert [f["tone"] for f in feedback].count("success") == 1, f"{n['key']}: not one right option"


def test_render_median_under_20_ms(lab):
    """A control change re-renders the whole lab: the median render, over every control's
    extremes with the caches warm (as a session has them), stays under 20 ms under CPython.
    CPU time, not wall time: the suite runs tests in parallel, and a busy machine must not
    fail a lab that is fast."""
    d, answers, tree = lab
    states = [{name: value} for name, value in controls(d, tree)] or [{}]
    for values in states:
        d.render(answers, values)
    times = []
    for values in states * max(1, 40 // len(states)):
        t0 = time.process_time()
        d.render(answers, values)
        times.append(time.process_time() - t0)
    assert statistics.median(times) < 0.020, f"median render {statistics.median(times) * 1e3:.1f} ms"


def test_predictions_stay_honest(lab):
    d, answers, tree = lab
    assert honesty_problems(d, tree, graded(d, answers)) == []


def test_the_honesty_rules_catch_a_lab_that_breaks_them():
    from labfixtures.lint_breaker_lab import LAB as breaker
    d = LabDriver(breaker)
    answers, tree = d.open_all_gates()
    problems = honesty_problems(d, tree, {"act1.prediction": "C"})
    assert any("Act I: a choice prediction's overlay states a gap ratio" in p for p in problems)
    assert any("Act II: a numeric prediction's overlay has no gap ratio" in p for p in problems)
    assert any("badge 'Cloud/TinyML gap ~10⁶' states Act I's answer" in p for p in problems)
    assert not any("'Iron Law'" in p for p in problems)


# Names a student should never read: the engine's class names, raw source strings, the keys
# the runtime and ledger use. (Context keys are checked by the contexts table's own tests.)
def _internal_names():
    from mlsysim.core.resolver_factory import ResolverFactory
    return sorted(ResolverFactory.builtins())


INTERNAL = re.compile(r"\b(" + "|".join(_internal_names()) + r")\b|\(illustrative;"
                      r"|\bvol[12]\.ch\d\d\b|\bvol[12]/\d\d\b")


def test_no_internal_names_on_screen(lab):
    d, answers, tree = lab
    states = [(answers, {})] + [(answers, {n: v}) for n, v in controls(d, tree)]
    for a, v in states:
        t = d.render(a, v)
        for n in d.nodes(t):
            for text in strings({k: val for k, val in n.items()
                                 if k not in ("key", "name", "kind", "entry", "figure")}):
                assert not INTERNAL.search(text), f"{n['key']}: internal name in {text[:120]!r}"
            if n["kind"] == "ledger":  # what the Ledger page shows
                for field in ("decision",):
                    assert not INTERNAL.search(n["entry"]["act2"][field])
                    assert "_" not in n["entry"]["act2"][field], n["entry"]["act2"][field]


def test_numbers_in_reads_what_a_student_reads():
    assert numbers_in("gap ~10⁶") == {1e6}
    assert numbers_in("1,030,000x and 2.5 × 10^3") == {1030000.0, 2500.0}
    assert numbers_in("T = D/BW + O/(R·η) + L") == set()


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
               "locked": "bool", "name": "str", "version": "str?"},
    "number_input": {"label": "str", "min": "num", "max": "num", "step": "num", "unit": "str?",
                     "value": "scalar", "locks": "bool", "locked": "bool", "name": "str",
                     "version": "str?"},
    "slider": {"label": "str", "min": "num", "max": "num", "step": "num", "value": "num",
               "unit": "str?", "scale": "num?", "display": "text", "name": "str"},
    "select": {"label": "str", "options": "arr", "value": "scalar", "name": "str"},
    "toggle": {"label": "str", "options": "arr", "value": "scalar", "name": "str"},
    "tabs": {"name": "str", "value": "scalar", "tabs": "arr"},
    "accordion": {"title": "str", "children": "arr"}, "metrics": {"items": "arr"},
    "table": {"caption": "str", "columns": "arr", "rows": "arr"},
    "figure": {"figure": "obj", "caption": "str", "table": "obj?"},
    "banner": {"title": "str", "text": "str", "required": "text", "available": "text",
               "constraints": "arr?"},
    "overlay": {"mode": "str", "predicted": "text", "actual": "text", "verdict": "str?",
                "ratio": "num?", "ratio_text": "str?", "text": "str", "tone": "str"},
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


def test_the_js_renderer_checks_the_same_props():
    """runtime/render.js checks every node's props on arrival against its own PROPS table:
    it must be this one (one contract, two languages)."""
    js = (REPO / "labs_wasm" / "runtime" / "render.js").read_text(encoding="utf-8")
    block = re.search(r"const PROPS = \{\n(.*?)\n\};", js, re.S).group(1)
    table = {kind: dict(re.findall(r'(\w+): "(\w+\??)"', body))
             for kind, body in re.findall(r"^\s+(\w+): \{(.*)\},$", block, re.M)}
    assert table == PROPS


def test_the_internal_names_rule_catches_what_the_issue_found():
    for text in ("the engine's ParetoFrontier sorts", "illustrative (illustrative; shapes after",
                 "Lab vol1/42 is not available", "saved under vol1.ch01"):
        assert INTERNAL.search(text), text
    assert not INTERNAL.search("the Pareto frontier of the Iron Law model")
