"""What every lab shows, fixed once in the toolkit: slider numbers without float noise and
with a display scale, context names from one table, one word for right and wrong, the
chosen option's words in the ledger instead of its letter."""
import pytest

from labkit import Lab, LabDefinitionError, contexts, ledger, validate_entry
from labkit.serialize import walk
from labkit.widgets import Slider, decimals
from labkit.words import VERDICT

from labdriver import OPTS, make_lab


def node(tree, key):
    return next(n for n in walk(tree["nodes"]) if n["key"] == key)


# ---- sliders ------------------------------------------------------------------------------
@pytest.mark.parametrize("x, places", [(0.05, 2), (250, 0), (0.01, 2), (1e-05, 5), (2.5e-7, 8),
                                       (0.15000000000000002, 17), (1.0, 0), (12.5, 1)])
def test_decimals(x, places):
    assert decimals(x) == places


@pytest.mark.parametrize("raw, value", [
    (0.15000000000000002, 0.15), (0.05 + 2 * 0.05, 0.15), (0.1 + 0.2, 0.3), (0.07, 0.05),
    (0.08, 0.1), (1.0, 1.0), (0.999999, 1.0)])
def test_slider_values_snap_to_the_step_grid(raw, value):
    s = Slider("cost", "Cost", 0.05, 1.0, 0.05, 0.15)
    assert s.convert(raw) == value and repr(s.convert(raw)) == repr(value)


def test_slider_default_is_snapped_too():
    s = Slider("cost", "Cost", 0.05, 1.0, 0.05, 0.05 * 3)   # 0.15000000000000002 in Python
    assert s.default == 0.15 and s.props(s.default)["display"] == "0.15"


def test_integer_slider_stays_integer():
    s = Slider("batch", "Batch", 1, 64, 1, 1)
    assert s.convert(7) == 7 and isinstance(s.convert(7.0), int) and s.convert(6.6) == 7
    assert s.props(7)["display"] == "7" and "scale" not in s.props(7)


def test_percent_slider_stores_fractions_and_shows_percent():
    seen = {}

    def page(ui):
        seen["t"] = ui.slider("target", "Target accuracy", 0.5, 0.89, 0.01, 0.8, unit="%",
                              scale=100)
    lab = make_lab(page)
    tree = lab.render({"values": {"target": 0.85}})
    s = node(tree, "target")
    assert seen["t"] == 0.85
    assert (s["value"], s["scale"], s["unit"], s["display"]) == (0.85, 100, "%", "85")
    lab.render({"values": {"target": 0.5 + 29 * 0.01}})   # 0.79 with float noise
    assert repr(seen["t"]) == "0.79"


@pytest.mark.parametrize("scale", [0, -1, "100"])
def test_slider_scale_must_be_positive(scale):
    with pytest.raises(LabDefinitionError, match="scale"):
        Slider("x", "X", 0, 1, 0.1, 0.5, scale=scale)


# ---- contexts -----------------------------------------------------------------------------
def test_contexts_one_table():
    assert contexts.name("tiny") == "TinyML" and contexts.name("cloud") == "Cloud"
    assert contexts.label("edge", "Jetson Orin NX 16GB") == "Edge · Jetson Orin NX 16GB"
    assert {"cloud", "edge", "mobile", "tiny"} == {k for k, c in contexts.CONTEXTS.items() if c.deployment}
    for key in ("fleet", "single_node", "gpus_16k", "on_prem", "coal_grid", "equity"):
        assert key in contexts.CONTEXTS   # Volume II's scenarios are in the same table


def test_lab_contexts_must_be_known():
    with pytest.raises(LabDefinitionError, match="unknown context 'datacenter'"):
        make_lab(lambda ui: None, contexts=("cloud", "datacenter"))


def test_context_toggle_labels_come_from_the_table():
    def page(ui):
        ui.context_toggle({"cloud": "NVIDIA H100 SXM"})
    toggle = node(make_lab(page).render({}), "context")
    assert toggle["options"] == [{"value": "cloud", "label": "Cloud · NVIDIA H100 SXM"},
                                 {"value": "tiny", "label": "TinyML"}]
    assert toggle["label"] == "Deployment context"


def test_context_toggle_label_must_name_the_context():
    def page(ui):
        ui.toggle("context", "Context", {"cloud": "Datacenter", "tiny": "TinyML"})
    with pytest.raises(LabDefinitionError, match="must start with the context's name 'Cloud'"):
        make_lab(page).render({})


# ---- one vocabulary; the option's words in the ledger ----------------------------------------
def test_verdict_words_in_hud_and_reflection():
    def page(ui):
        ui.reflection("r", "Why?", OPTS, correct="B")
    lab = make_lab(page)
    assert node(lab.render({"values": {"r": "B"}}), "r.feedback")["title"] == "Correct"
    assert node(lab.render({"values": {"r": "A"}}), "r.feedback")["title"] == "Incorrect"
    assert VERDICT == {True: "correct", False: "incorrect"}


def test_ledger_entry_and_hud_carry_the_chosen_options_words():
    captured = {}

    def page(ui):
        p1 = ui.predict_choice("act1.prediction", "Guess?", OPTS, correct="B")
        p2 = ui.predict_choice("act2.prediction", "Again?", OPTS, correct="C")
        entry = ledger.make_entry("vol1.ch99", "cloud", p1, (10.0, 100.0), p2, decision="d",
                                  result=None, unit="x", constraint_hit=False)
        captured["entry"] = entry
        ui.ledger(entry, ledger.summary("Cloud", p1, p2))
    tree = make_lab(page).render({"answers": {"act1.prediction": "B", "act2.prediction": "A"}})
    entry = captured["entry"]
    assert validate_entry(entry, "vol1.ch99")
    assert entry["schema"] == 2
    assert entry["act1"]["label"] == "about 100" and entry["act2"]["label"] == "about 10"
    hud = {i["label"]: i["value"] for i in node(tree, "ledger")["summary"]}
    assert hud == {"Context": "Cloud", "Act I": "about 100 (correct)",
                   "Act II": "about 10 (incorrect)"}
