"""Vol II Lab 11 under CPython: both predictions graded from direct engine calls
(FederatedRoundModel, the FedAvg curve, the link registry), the uplink-budget, accuracy and
reporting failures reached and left through the controls in both contexts with the engine's
numbers on the banner, the contexts changing the verdict, metrics equal to the engine's, the
ledger entry, stale values."""
import math

import pytest
from mlsysim import Hardware, Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.solver import FederatedRoundModel, LinkTransferModel, TrainingTimeModel
from mlsysim.resolvers.federated import fedavg_accuracy

from labkit import fmt, validate_entry
from labs.vol2 import edge_intelligence_cases as cases

BOTH = {"act1.prediction": "C", "act2.prediction": "C"}
FED = {"context": "federated"}
# The lab's illustrative scenario, restated here so the test does not lean on the cases module.
PHOTO = 147_897_477_120 / 1_281_167          # ImageNet bytes / images (Volume I's estimate)
BUDGET = Q_(50, "MB")
LTE = Systems.Links.LTE


def rounds_for(target, reporting):
    r = 1
    while fedavg_accuracy(r, reporting) < target:
        r += 1
    return r


def engine_fed(model, rounds, k, population, data_b, compression=1.0, link=LTE,
               deadline_min=None, participation=1.0, photos=None, budget=None, target=None):
    local = None
    if photos:
        local = TrainingTimeModel().solve(model=model, hardware=Hardware.Mobile.A17Pro, steps=1,
                                          batch_size=photos, mfu=0.10,
                                          precision="fp16").total_time
    return FederatedRoundModel().solve(
        model_bytes=model.size_in_bytes("fp32"), rounds=rounds, clients_per_round=k,
        downlink=link.downlink, uplink=link.bandwidth, compression=compression,
        local_compute_time=local, clients=population, participation=participation,
        deadline=None if deadline_min is None else Q_(deadline_min, "min"),
        straggler_delay=Q_(60, "s"), data_bytes=Q_(data_b, "B"), byte_budget=budget,
        target_accuracy=target)


def act2_engine(compression=1.0, k=100, rounds=None, deadline=10, part=0.10, photos=300,
                link=LTE):
    rounds = rounds or math.ceil(rounds_for(0.85, 100) / 10) * 10
    return engine_fed(Models.ResNet50, rounds, k, 20_000, photos * PHOTO, compression, link,
                      deadline, part, photos, BUDGET, 0.85)


@pytest.fixture
def d(driver):
    return driver("vol2/11")


def test_act1_correct_option_comes_from_the_engine(d):
    rounds = rounds_for(0.85, 100)
    r = engine_fed(Models.BERT_Base, rounds, 100, 1_000_000, 3e6)
    ratio = r.upload_vs_raw
    # 290 rounds x 100 x 440 MB = 12.8 TB against 1,000,000 x 3 MB = 3 TB
    assert ratio == pytest.approx(290 * 100 * 440e6 / 3e12)
    bands = {"A": (0, 0.1), "B": (0.1, 1), "C": (1, 10), "D": (10, math.inf)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= ratio < hi)
    assert correct == "C"
    for option in "ABCD":
        tree = d.render({**BOTH, "act1.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(ratio)
        overlay = d.node(tree, "act1.overlay")
        assert fmt.si(r.upload_bytes.m_as("B"), "B") in overlay["actual"]
        assert "ratio" not in overlay


def test_act2_correct_option_comes_from_the_engine(d):
    factors = {"A": 1.0, "B": 0.5, "C": 0.25, "D": 0.025}
    feasible = {k: act2_engine(f).feasible for k, f in factors.items()}
    correct = next(k for k in "ABCD" if feasible[k])
    assert correct == "C"  # 148 MB at 32 bits, 74.1 MB at 16, 37.1 MB at 8 bits: 50 MB budget
    assert act2_engine(0.25).uplink_per_client.m_as("MB") == pytest.approx(37.06, rel=1e-3)
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        assert d.node(tree, "ledger")["entry"]["act2"]["correct"] is (option == correct)
        overlay = d.node(tree, "act2.overlay")
        assert fmt.si(act2_engine(0.25).uplink_per_client.m_as("B"), "B") in overlay["actual"]


def test_act1_reflection_only_a_larger_population_helps(d):
    """The federated upload does not grow with the population; the raw upload does."""
    rounds = rounds_for(0.85, 100)
    ten_x = engine_fed(Models.BERT_Base, rounds, 100, 10_000_000, 3e6)
    half = engine_fed(Models.BERT_Base, rounds, 100, 1_000_000, 3e6, compression=0.5)
    assert ten_x.upload_vs_raw < 1 < half.upload_vs_raw
    fb = d.node(d.render(BOTH, {"act1.reflection": "C"}), "act1.reflection.feedback")
    assert fb["tone"] == "success" and fmt.num(ten_x.upload_vs_raw) in fb["text"]


def test_act2_reflection_fewer_reports_fit_the_budget_but_miss_the_target(d):
    r = act2_engine(1.0, k=20)
    assert {v.name for v in r.violations} == {"accuracy"}
    fb = d.node(d.render(BOTH, {"act2.reflection": "B"}), "act2.reflection.feedback")
    assert fb["tone"] == "success" and fmt.percent(r.accuracy, 1) in fb["text"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.bytes") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.uplink") is None and d.node(tree, "act2.photos") is None


def test_act1_instruments_equal_the_engine(d):
    r = engine_fed(Models.BERT_Base, rounds_for(0.85, 100), 100, 1_000_000, 3e6)
    items = {i["label"]: i["value"] for i in d.node(d.render(BOTH), "act1.metrics")["items"]}
    assert items["One update"] == "440 MB"
    assert items["Rounds to the target"] == "290"
    assert items["Federated upload"] == fmt.si(r.upload_bytes.m_as("B"), "B")
    assert items["Raw text upload"] == fmt.si(r.raw_data_bytes.m_as("B"), "B")
    assert items["Federated download"] == fmt.si(r.download_bytes.m_as("B"), "B")


def banner_for(d, values):
    return d.node(d.render(BOTH, values), "act2.failure")


def test_centralized_budget_failure_reached_and_left_by_the_photos(d):
    assert banner_for(d, {}) is None                    # centralized, 300 photos: 34.6 MB
    tree = d.render(BOTH, {"act2.photos": 1000})
    banner = d.node(tree, "act2.failure")
    raw = Q_(1000 * PHOTO, "B")
    assert banner["required"] == f"uplink per phone: {fmt.quantity(raw)}"
    assert banner["available"] == fmt.quantity(BUDGET)
    assert "To get out" in banner["text"] and "400 photos" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    back = d.render(BOTH, {"act2.photos": 400})
    assert d.node(back, "act2.failure") is None
    assert d.node(back, "ledger")["entry"]["constraint_hit"] is False


def test_federated_budget_failure_left_by_compression(d):
    tree = d.render(BOTH, FED)
    banner = d.node(tree, "act2.failure")
    r = act2_engine(1.0)
    v = r.violation("client uplink")
    assert banner["required"] == f"uplink per phone: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available)
    assert "compress updates to 8-bit" in banner["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    out = d.render(BOTH, {**FED, "act2.compression": "int8"})
    assert d.node(out, "act2.failure") is None
    assert d.node(out, "ledger")["entry"]["act2"]["result"] == pytest.approx(
        act2_engine(0.25).uplink_per_client.m_as("MB"))


def test_accuracy_failure_reached_by_too_few_rounds(d):
    values = {**FED, "act2.compression": "int8", "act2.rounds": 200}
    banner = banner_for(d, values)
    r = act2_engine(0.25, rounds=200)
    assert [v.name for v in r.violations] == ["accuracy"]
    assert banner["required"] == "accuracy: 85.0%"
    assert banner["available"] == fmt.percent(r.accuracy, 1)
    assert "raise the rounds to 290" in banner["text"]
    assert banner_for(d, {**values, "act2.rounds": 290}) is None


def test_reports_failure_from_the_deadline_and_from_eligibility(d):
    tight = {**FED, "act2.compression": "int8", "act2.deadline": 3}
    r = act2_engine(0.25, deadline=3)
    v = r.violation("clients reporting")
    assert v is not None and v.available.m_as("") < 100
    banner = banner_for(d, tight)
    assert banner["required"] == "reports per round: 100 reports"
    assert banner["available"] == f"{fmt.num(v.available.m_as(''))} reports"
    assert banner_for(d, {**tight, "act2.deadline": 4}) is None
    few = {**FED, "act2.compression": "int8", "act2.participation": 0.005}
    r = act2_engine(0.25, part=0.005)
    assert r.selected_per_round == 100 and r.violation("clients reporting") is not None
    assert "eligible" in banner_for(d, few)["text"]
    assert banner_for(d, {**few, "act2.participation": 0.01}) is None


def test_the_contexts_change_the_verdict(d):
    """Many photos break the centralized budget and not the federated one; 32-bit updates
    break the federated budget and not the centralized one."""
    many = {"act2.photos": 1000, "act2.compression": "int8"}
    assert banner_for(d, many) is not None
    assert banner_for(d, {**many, **FED}) is None
    assert banner_for(d, {}) is None and banner_for(d, FED) is not None
    rows = d.node(d.render(BOTH, many), "act2.contexts")["rows"]
    assert rows[0][-1] == "over budget" and rows[1][-1] == "over budget"  # default 32-bit
    rows = d.node(d.render(BOTH, {**many, **FED}), "act2.contexts")["rows"]
    assert rows[0][-1] == "over budget" and rows[1][-1] == "meets both"


def test_act2_metrics_equal_the_engine(d):
    tree = d.render(BOTH, {**FED, "act2.compression": "fp16", "act2.link": "5g",
                           "act2.clients": 200, "act2.rounds": 400})
    r = act2_engine(0.5, k=200, rounds=400, link=Systems.Links.FiveG)
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Upload per phone"] == fmt.si(r.uplink_per_client.m_as("B"), "B")
    assert items["Accuracy"] == fmt.percent(r.accuracy, 1)
    assert items["Reports per round"] == fmt.num(r.reporting_per_round)
    assert items["Into the server"] == fmt.si(r.upload_bytes.m_as("B"), "B")
    central = d.render(BOTH, {"act2.photos": 500, "act2.link": "wifi"})
    items = {i["label"]: i["value"] for i in d.node(central, "act2.metrics")["items"]}
    t = LinkTransferModel().solve(message_bytes=Q_(500 * PHOTO, "B"), link=Systems.Links.WiFi)
    assert items["Upload per phone"] == fmt.si(500 * PHOTO, "B")
    assert items["One phone's upload"] == fmt.duration(t.time.m_as("s"))


def test_ledger_entry_matches_schema(d):
    for values in ({}, FED, {"act2.photos": 2000}):
        entry = d.node(d.render(BOTH, values), "ledger")["entry"]
        assert validate_entry(entry, "vol2.ch11")["context"] == values.get("context",
                                                                             "centralized")
        assert entry["act2"]["unit"] == "MB" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.photos": 99_999, "act2.link": "3g"})
    assert d.node(tree, "context")["value"] == "centralized"
    assert d.node(tree, "act2.photos")["value"] == 300
    assert d.node(tree, "act2.link")["value"] == "lte"
    tree = d.render(BOTH, {**FED, "act2.compression": "zip", "act2.rounds": -5,
                           "act2.participation": "lots"})
    assert d.node(tree, "act2.compression")["value"] == "fp32"
    assert d.node(tree, "act2.rounds")["value"] == 290
    assert d.node(tree, "act2.participation")["value"] == 0.1


def test_cases_module_agrees_with_the_engine():
    ch = cases.chapter()
    r = engine_fed(Models.MobileNetV2, rounds_for(0.80, 100), 100, 100_000, 500 * PHOTO,
                   participation=0.10, photos=500)
    assert ch.upload_bytes.m_as("B") == pytest.approx(r.upload_bytes.m_as("B"))
    assert ch.upload_vs_raw == pytest.approx(r.upload_vs_raw)
    assert cases.PHOTO_BYTES == pytest.approx(PHOTO)
