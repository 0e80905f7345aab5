"""Lab 00 (the orientation tour) under CPython: both predictions graded from the engine,
feedback per option, instruments locked until Act I is answered, the failure banner reached
and left through the controls, the ledger entry carrying the home context, the home context
reaching Lab 01, numbers, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import MemoryFootprintModel, PropagationDelayModel

from labkit import catalog, fmt, validate_entry
from labs.vol1 import phone

BOTH = {"act1.prediction": "C", "act2.prediction": "B"}
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU,
            "mobile": Hardware.Mobile.A17Pro, "tiny": Hardware.Tiny.STM32H743}
CABLE_KM = 6600  # MAREA (Telxius 2016)


@pytest.fixture
def d(driver):
    return driver("vol1/00")


def one_way_s():
    return PropagationDelayModel().solve(distance=Q_(CABLE_KM, "km")).one_way.m_as("s")


def holds(context, model, precision):
    """Direct engine check, plus the phone's app budget (the book's illustrative value)."""
    fit = MemoryFootprintModel().solve(model=model, hardware=MACHINES[context], precision=precision)
    if context == "mobile":
        return fit.feasible and fit.required.m_as("B") <= phone.app_budget_bytes(MACHINES["mobile"])
    return fit.feasible


# ---- predictions ------------------------------------------------------------------------
def test_act1_correct_option_comes_from_the_engine(d):
    t = one_way_s()
    bands = {"A": 3e-4, "B": 3e-3, "C": 3e-2, "D": 3e-1}
    correct = min(bands, key=lambda k: abs(math.log10(bands[k] / t)))
    assert correct == "C" and 0.030 < t < 0.035  # 6,600 km x 1.4682 / c = 32.3 ms
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(t)
        assert entry["act1"]["predicted_value"] == bands[option]


def test_act2_correct_option_comes_from_the_engine(d):
    llama = Models.Language.Llama3_8B
    held = [k for k in ("cloud", "edge", "mobile", "tiny") if holds(k, llama, "int8")]
    assert held == ["cloud", "edge"]  # 8.03 GB: not the phone's 3 GB app budget, not 2 MiB flash
    correct = {1: "A", 2: "B", 3: "C", 4: "D"}[len(held)]
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


@pytest.mark.parametrize("name", ["act1.prediction", "act2.prediction"])
def test_every_prediction_option_has_its_own_feedback_stating_the_answer(d, name):
    overlay_key = name.split(".")[0] + ".overlay"
    texts = {d.node(d.render({**BOTH, name: o}), overlay_key)["text"] for o in "ABCD"}
    assert len(texts) == 4
    answer = fmt.duration(one_way_s()) if name == "act1.prediction" else "8.03 GB"
    assert all(answer in t for t in texts)


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and not {"figure", "metrics", "overlay"} & set(kinds)
    assert d.node(tree, "home") is None  # the home picker is in Act II, after the first lock
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.light") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "home")["value"] == "cloud"
    assert d.node(tree, "act2.fit") is None and d.node(tree, "ledger") is None


def test_no_context_toggle(d):
    tree = d.render(BOTH)
    assert d.node(tree, "context") is None and catalog.load("vol1/00").contexts == ()
    assert [o["value"] for o in d.node(tree, "home")["options"]] == ["cloud", "edge", "mobile", "tiny"]
    assert [o["label"] for o in d.node(tree, "home")["options"]][3].startswith("TinyML")


# ---- the failure state ------------------------------------------------------------------
def banner_rows(violations):
    return [{"name": v.name, "required": fmt.quantity(v.required),
             "available": fmt.quantity(v.available)} for v in violations]


def test_failure_reached_and_left_through_the_controls(d):
    assert d.node(d.render(BOTH), "act2.oom") is None  # defaults: Cloud holds Llama 3 8B at INT8
    tree = d.render(BOTH, {"home": "tiny"})
    banner = d.node(tree, "act2.oom")
    fit = MemoryFootprintModel().solve(model=Models.Language.Llama3_8B, hardware=MACHINES["tiny"],
                                       precision="int8")
    [flash] = fit.violations
    assert flash.name == "flash capacity"
    assert banner["required"] == f"flash capacity: {fmt.quantity(flash.required)}" == \
        "flash capacity: 8.03 GB"
    assert banner["available"] == fmt.quantity(flash.available) == "2 MiB"
    assert "every lab" in banner["text"] and "DS-CNN-S" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True and entry["context"] == "tiny"
    # leave it with the model menu: the keyword spotter fits the microcontroller
    back = d.render(BOTH, {"home": "tiny", "act2.model": "dscnn"})
    assert d.node(back, "act2.oom") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_failure_on_the_phone_states_the_app_budget(d):
    tree = d.render(BOTH, {"home": "mobile"})
    banner = d.node(tree, "act2.oom")
    budget = phone.app_budget_bytes(MACHINES["mobile"])
    assert banner["available"] == fmt.quantity(Q_(budget, "B")) == "3 GB"
    assert banner["required"] == "app memory budget: 8.03 GB"
    fit = MemoryFootprintModel().solve(model=Models.Language.Llama3_8B,
                                       hardware=MACHINES["mobile"], precision="int8")
    assert banner["constraints"][:-1] == banner_rows(fit.violations)  # the engine's own, then ours
    assert "illustrative" in banner["text"]
    assert d.node(d.render(BOTH, {"home": "mobile", "act2.model": "gpt2"}), "act2.oom") is None


def test_failure_on_the_cloud_cleared_by_precision(d):
    values = {"home": "cloud", "act2.model": "llama3_70b", "act2.precision": "fp16"}
    banner = d.node(d.render(BOTH, values), "act2.oom")
    fit = MemoryFootprintModel().solve(model=Models.Language.Llama3_70B, hardware=MACHINES["cloud"],
                                       precision="fp16")
    [hbm] = fit.violations
    assert banner["required"] == f"{hbm.name}: {fmt.quantity(hbm.required)}"
    assert banner["available"] == fmt.quantity(hbm.available) == "80 GB"
    assert "INT8" in banner["text"]
    assert d.node(d.render(BOTH, {**values, "act2.precision": "int8"}), "act2.oom") is None


# ---- instruments ------------------------------------------------------------------------
def test_act1_metrics_equal_the_engine(d):
    r = PropagationDelayModel().solve(distance=Q_(CABLE_KM, "km"))
    items = {i["label"]: i["value"] for i in d.node(d.render(BOTH), "act1.metrics")["items"]}
    assert items["One way"] == fmt.duration(r.one_way.m_as("s")) == "32.3 ms"
    assert items["Round trip"] == fmt.duration(r.round_trip.m_as("s"))
    assert items["Speed of light in fibre"] == f"{fmt.num(r.speed.m_as('km/s'))} km/s"


def test_act2_table_and_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {"home": "edge", "act2.model": "resnet50", "act2.precision": "fp16"})
    fit = MemoryFootprintModel().solve(model=Models.Vision.ResNet50, hardware=MACHINES["edge"],
                                       precision="fp16")
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Weights"] == fmt.quantity(fit.weight_bytes)
    assert items["Activations (one input)"] == fmt.quantity(fit.activation_bytes)
    assert items["Jetson Orin NX has"] == fmt.quantity(fit.available) == "16 GB"
    assert items["Verdict"] == "fits"
    rows = {r[0]: r for r in d.node(tree, "act2.fit")["table"]["rows"]}
    tiny = MemoryFootprintModel().solve(model=Models.Vision.ResNet50, hardware=MACHINES["tiny"],
                                        precision="fp16")
    worst = max(tiny.violations, key=lambda v: v.ratio)
    assert rows["TinyML"][1:] == [worst.name, fmt.quantity(worst.required),
                                  fmt.quantity(worst.available), "does not fit"]


# ---- the ledger and the home context ----------------------------------------------------
@pytest.mark.parametrize("home", ["cloud", "edge", "mobile", "tiny"])
def test_ledger_entry_records_the_home_context(d, home):
    entry = d.node(d.render(BOTH, {"home": home, "act2.model": "dscnn"}), "ledger")["entry"]
    assert validate_entry(entry, "vol1.ch00")["context"] == home
    assert entry["act2"]["unit"] == "MB" and entry["act2"]["result"] > 0


def test_ledger_text_says_where_it_lives(d):
    texts = " ".join(n.get("text", "") for n in d.nodes(d.render(BOTH)))
    for words in ("this browser's local storage", "nothing is sent anywhere",
                  "another browser or device starts with an empty ledger", "Ledger page"):
        assert words in texts


def test_the_home_context_reaches_lab_01(d):
    lab01 = catalog.load("vol1/01")
    for home, start in (("tiny", "tiny"), ("mobile", "cloud"), ("cloud", "cloud")):
        entry = d.node(d.render(BOTH, {"home": home}), "ledger")["entry"]
        tree = lab01.render({"answers": {}, "values": {}, "ledger": {"vol1.ch00": entry}})
        toggle = next(n for n in d.nodes(tree) if n["key"] == "context")
        assert toggle["value"] == start, (home, toggle["value"])


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"home": "fleet", "act2.model": "vgg16", "act2.precision": "int4"})
    assert d.node(tree, "home")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.precision")["value"] == "int8"
    tree = d.render({"act1.prediction": "Z"})
    assert d.node(tree, "act1.prediction.stale") and d.node(tree, "act1.prediction.gate")
