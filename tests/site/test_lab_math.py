"""TeX in lab text (PROTOCOL.md section 3, *md* strings): every formula the labs emit, in every
state the protocol linter visits, is found by the runtime's TeX finder (mathtext.js) and
typesets with the vendored KaTeX; prices written with `$` are never taken for math; every
MathPeek shows its governing equation as display math."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from labkit import catalog
from labkit.serialize import MARKDOWN_PROPS, walk

from jsnode import run_js

REPO = Path(__file__).resolve().parents[2]
KATEX = REPO / "labs_wasm" / "sitebuild" / "katex_render.mjs"


def states(lab):
    """Empty, every gate answered, and each context / select / slider extreme after that."""
    answers = {}
    for _ in range(10):
        tree = lab.render({"answers": answers, "values": {}})
        gates = [n for n in walk(tree["nodes"]) if n["kind"] == "gate"]
        if not gates:
            break
        name = gates[0]["key"][: -len(".gate")]
        widget = next(n for n in walk(tree["nodes"]) if n["key"] == name)
        answers[name] = widget["options"][0]["value"] if widget["kind"] == "choice" else widget["min"]
    yield {"answers": {}, "values": {}}
    yield {"answers": answers, "values": {}}
    for n in walk(tree["nodes"]):
        if n["kind"] in ("toggle", "select"):
            for o in n["options"]:
                yield {"answers": answers, "values": {n["name"]: o["value"]}}
        elif n["kind"] == "slider":
            for v in (n["min"], n["max"]):
                yield {"answers": answers, "values": {n["name"]: v}}


def markdown_texts(tree):
    for n in walk(tree["nodes"]):
        for prop in MARKDOWN_PROPS:
            if isinstance(n.get(prop), str):
                yield n, n[prop]
        for o in n.get("options", []):
            yield n, o["label"]


@pytest.fixture(scope="module")
def lab_texts():
    texts, mathpeeks = {}, []
    for lab_id in catalog.all_ids():
        lab = catalog.load(lab_id)
        for state in states(lab):
            tree = lab.render(state)
            for n, text in markdown_texts(tree):
                texts.setdefault(text, f"{lab_id} {n['key']}")
            mathpeeks += [(lab_id, n) for n in walk(tree["nodes"])
                          if n["kind"] == "accordion" and n["title"].startswith("MathPeek")]
    return texts, mathpeeks


@pytest.fixture(scope="module")
def formulas(lab_texts):
    texts, _ = lab_texts
    found = run_js("mathtext.js", "return data.map((t) => m.protectMath(t).formulas);", list(texts))
    return [(where, f["tex"], f["display"]) for where, fs in zip(texts.values(), found) for f in fs]


def test_lab_math_every_formula_typesets(formulas):
    assert len(formulas) > 20, "the MathPeeks of Labs 01 and 09 are written in TeX"
    items = [{"tex": tex, "display": display} for _, tex, display in formulas]
    proc = subprocess.run(["node", str(KATEX)], input=json.dumps(items), capture_output=True,
                          text=True, encoding="utf-8", cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    errors = [(where, tex, r["error"]) for (where, tex, _), r in zip(formulas, json.loads(proc.stdout)) if "error" in r]
    assert errors == []


def test_lab_math_prices_are_not_formulas(formulas):
    money = [(where, tex) for where, tex, _ in formulas if re.match(r"^\d[\d,.]*(\s|$)", tex)]
    assert money == [], "a `$` price was read as math: write \\$ or rephrase"


def test_lab_math_every_mathpeek_has_display_math(lab_texts):
    _, mathpeeks = lab_texts
    assert mathpeeks
    for lab_id, peek in mathpeeks:
        text = "\n".join(c.get("text", "") for c in walk(peek["children"]))
        assert "$$" in text, f"{lab_id} {peek['key']}: the governing equation is not TeX display math"
        assert "^" not in re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", "", text, flags=re.S), \
            f"{lab_id} {peek['key']}: a caret outside TeX shows as a caret"
