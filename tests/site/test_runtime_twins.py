"""The runtime's JS and labkit's Python say the same thing: one ledger entry schema (mirrored
in runtime/schema.js and labkit/ledger.py), one slider grid (numbers.js and widgets.Slider),
one verdict vocabulary (words.js and words.py). And the TeX finder (mathtext.js) keeps prices
as prices."""
from __future__ import annotations

import copy
import math

import pytest

from labkit import ledger, words
from labkit.widgets import Slider, decimals

from jsnode import run_js

BASE = {"lab": "vol1.ch01", "context": "cloud",
        "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6, "actual_value": 9.9e5},
        "act2": {"prediction": "B", "correct": False, "decision": "d", "result": None, "unit": "us"},
        "constraint_hit": True}


def variant(path: str, value, drop: bool = False):
    e = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    target = e
    for p in parents:
        target = target[p]
    if drop:
        del target[last]
    else:
        target[last] = value
    return e


ENTRIES = [
    ("plain", "vol1.ch01", BASE),
    ("completed", "vol1.ch01", {**BASE, "completed_at": "2026-11-21T10:00:00Z"}),
    ("offset time", "vol1.ch01", {**BASE, "completed_at": "2026-11-21T10:00:00.123+02:00"}),
    ("bad time", "vol1.ch01", {**BASE, "completed_at": "21/11/2026"}),
    ("schema 2 labels", "vol1.ch01", {**variant("act1.label", "About 10⁶"), "schema": 2}),
    ("label without schema", "vol1.ch01", variant("act1.label", "About 10⁶")),
    ("empty label", "vol1.ch01", {**variant("act2.label", ""), "schema": 2}),
    ("newer schema", "vol1.ch01", {**BASE, "schema": 3}),
    ("schema zero", "vol1.ch01", {**BASE, "schema": 0}),
    ("schema string", "vol1.ch01", {**BASE, "schema": "2"}),
    ("schema bool", "vol1.ch01", {**BASE, "schema": True}),
    ("missing unit", "vol1.ch01", variant("act2.unit", None, drop=True)),
    ("correct as 1", "vol1.ch01", variant("act1.correct", 1)),
    ("value as string", "vol1.ch01", variant("act1.actual_value", "9.9e5")),
    ("value as bool", "vol1.ch01", variant("act1.actual_value", True)),
    ("empty decision", "vol1.ch01", variant("act2.decision", "")),
    ("context number", "vol1.ch01", variant("context", 3)),
    ("act as string", "vol1.ch01", variant("act1", "C")),
    ("unknown field", "vol1.ch01", {**BASE, "extra": 1}),
    ("unknown act field", "vol1.ch01", variant("act2.extra", 1)),
    ("wrong key", "vol1.ch02", BASE),
    ("bad key", "ch01", {**BASE, "lab": "ch01"}),
    ("home", "vol1.ch00", {**BASE, "lab": "vol1.ch00", "context": "edge"}),
    ("not an object", "vol1.ch01", ["x"]),
    ("null", "vol1.ch01", None),
]


def test_schema_tables_agree():
    js = run_js("schema.js", "return m.entrySchemaTable();")
    assert js == {path: list(row) for path, row in ledger.schema_table().items()}
    assert run_js("schema.js", "return [m.ENTRY_VERSION, m.HOME_KEY];") == [ledger.ENTRY_VERSION, ledger.HOME_KEY]


def test_schema_verdicts_agree_on_every_case():
    cases = [[key, entry] for _, key, entry in ENTRIES]
    js = run_js("schema.js", "return data.map(([k, e]) => m.ledgerEntryProblems(e, k));", cases)
    for (name, key, entry), js_problems in zip(ENTRIES, js):
        py_problems = ledger.entry_problems(entry, key)
        assert bool(py_problems) == bool(js_problems), (name, py_problems, js_problems)


def test_schema_document_keeps_entries_it_cannot_read():
    # A newer edition's entry must not make this runtime set the student's record aside.
    doc = {"version": 1, "labs": {}, "ledger": {"vol1.ch01": {**BASE, "schema": 9}, "vol1.ch02": {**BASE, "lab": "vol1.ch02"}}}
    out = run_js("schema.js", "return [m.structureProblems(data), m.documentProblems(data).length, Object.keys(m.validLedger(data.ledger))];", doc)
    assert out == [[], 1, ["vol1.ch02"]]


def test_verdict_words_agree():
    assert run_js("words.js", "return [m.verdict(true), m.verdict(false)];") == [words.VERDICT[True], words.VERDICT[False]]


SLIDERS = [  # (min, max, step, scale)
    (0.05, 1.0, 0.05, 1), (0.5, 0.89, 0.01, 100), (250, 10_000, 250, 1), (1, 64, 1, 1),
    (0.0, 1.0, 0.1, 1), (0.001, 0.1, 0.001, 1000), (1e-6, 1e-3, 1e-6, 1e6)]
RAWS = [0.15000000000000002, 0.3, 0.1 + 0.2, 0.85, 0.5 + 29 * 0.01, 0.07, 2.5, 3000.4, 7.5, 1e-4 + 3e-6, 0.049]


@pytest.mark.parametrize("spec", SLIDERS, ids=str)
def test_slider_grid_agrees(spec):
    lo, hi, step, scale = spec
    s = Slider("x", "X", lo, hi, step, lo, scale=scale)
    raws = [r for r in RAWS if lo <= r <= hi] + [lo, hi, lo + (hi - lo) / 3]
    node = {"min": lo, "max": hi, "step": step, "scale": scale}
    js = run_js("numbers.js", "return data.raws.map((r) => [m.snap(data.node, r), m.toDisplay(data.node, m.snap(data.node, r))]);",
                {"node": node, "raws": raws})
    for raw, (js_value, js_display) in zip(raws, js):
        value = s.convert(raw)
        assert js_value == value, (raw, js_value, value)
        assert repr(float(value)) == repr(float(js_value))
        shown = s.to_display(value)
        assert float(js_display) == shown and "000000" not in js_display, (raw, js_display, shown)


def test_slider_box_reads_display_units():
    node = {"min": 0.5, "max": 0.89, "step": 0.01, "scale": 100}
    out = run_js("numbers.js", "return [m.fromDisplay(data, '85'), m.fromDisplay(data, 80), m.fromDisplay(data, 'x'), m.displayBounds(data)];", node)
    assert out[:2] == [0.85, 0.8] and out[2] is None   # NaN serializes as null
    assert out[3] == {"min": 50, "max": 89, "step": 1, "places": 0}


@pytest.mark.parametrize("x", [0.05, 250, 0.01, 1e-05, 2.5e-7, 0.15000000000000002, 1.0, 12.5, 1e21])
def test_decimals_agree(x):
    assert run_js("numbers.js", "return m.decimals(data);", x) == decimals(x)


@pytest.mark.parametrize("text, formulas", [
    ("$x^2$ and $$\\frac{a}{b}$$", [["x^2", False], ["\\frac{a}{b}", True]]),
    ("With $1,000 at $0.15 a label", []),                # prices, not math
    ("⌊$1,000 / $0.15⌋ = 6,666", []),
    ("`$x$` costs \\$5", []),                             # code and an escaped dollar
    ("$t^* = -s\\tau \\ln(1 - x)$*", [["t^* = -s\\tau \\ln(1 - x)", False]]),
    ("| $|x|$ | y |", [["|x|", False]]),                 # a table cell keeps its pipes
    ("$ x $", []), ("$x$5", []),                         # space inside; digit after
    ("a $x\nb$ c", []),                                   # inline math stays on one line
    ("$$\nT = \\frac{D}{BW}\n$$", [["T = \\frac{D}{BW}", True]]),
])
def test_mathtext_finds_tex_not_prices(text, formulas):
    out = run_js("mathtext.js", "const r = m.protectMath(data); return r.formulas.map((f) => [f.tex, f.display]);", text)
    assert out == formulas
