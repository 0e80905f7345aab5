"""Lab 02 under CPython: predictions graded from direct engine calls, feedback per option, the
SLA failure state reachable and left through the controls in both contexts, the waterfall's
numbers equal to the engine's, the ledger entry, stale values, render time."""
import math

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (GemmModel, IronLawModel, LatencyWaterfallModel, MG1QueueModel,
                                 PropagationDelayModel)

from labkit import fmt, validate_entry
from labs.vol1 import introduction_cases as intro
from labs.vol1 import lab_02_ml_systems as lab02
from labs.vol1 import ml_systems_cases as cases

A100, H100, ORIN = Hardware.Cloud.A100_80GB, Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU
RESNET, LLAMA = Models.Vision.ResNet50, Models.Language.Llama3_8B
BOTH = {"act1.prediction": "B", "act2.prediction": "C"}
SLA = Q_(10, "ms")


@pytest.fixture
def d(driver):
    return driver("vol1/02")


# ---- the engine, called directly (not through the cases module) -------------------------
def expected_act1():
    shape = (5, LLAMA.ffn_hidden, LLAMA.hidden_size)
    old = GemmModel().solve(gemm_shape=shape, hardware=A100, precision="fp16")
    new = GemmModel().solve(gemm_shape=shape, hardware=H100, precision="fp16")
    s = old.total.m_as("s") / new.total.m_as("s")
    bands = {"A": (0, 1.2), "B": (1.2, 2), "C": (2, 4), "D": (4, math.inf)}
    return s, old, new, next(k for k, (lo, hi) in bands.items() if lo <= s < hi)


def engine_serving(hw, distance_km, cameras, kernels=50, model=RESNET):
    """The factory frame on ``hw``: Iron Law at batch 1, M/D/1 queue, waterfall."""
    r = IronLawModel().solve(hardware=hw, model=model, precision="fp16", batch_size=1,
                             kernels=kernels)
    q = MG1QueueModel().solve(arrival_rate=Q_(30 * cameras, "1/s"),
                              service_rate=1 / r.total, service_cv=0)
    if not q.feasible:
        return r, q, None
    w = LatencyWaterfallModel().solve(
        distance=Q_(distance_km, "km") if distance_km else None, queueing_time=q.mean_wait,
        data_bytes=Q_(3 * 224 * 224, "B"), bandwidth=Q_(1, "Gb/s"),
        compute_time=r.t_memory + r.t_compute, overhead=r.t_overhead, target_latency=SLA)
    return r, q, w


def expected_act2():
    """Farthest datacenter for 4 cameras, ResNet-50 eager on the H100."""
    _, _, near = engine_serving(H100, 0, 4)
    per_km = PropagationDelayModel().solve(distance=Q_(1, "km")).round_trip
    dist = ((SLA - near.total) / per_km).m_as("")
    bands = {"A": (5000, math.inf), "B": (2000, 5000), "C": (500, 2000), "D": (0, 500)}
    return dist, next(k for k, (lo, hi) in bands.items() if lo <= dist < hi)


# ---- predictions ---------------------------------------------------------------------------
def test_act1_correct_option_is_the_bandwidth_ratio_from_the_engine(d):
    s, old, new, correct = expected_act1()
    bw = H100.memory.bandwidth / A100.memory.bandwidth
    assert old.bound == new.bound == "memory"
    assert s == pytest.approx(bw.m_as(""), rel=1e-9) and correct == "B"   # ~1.64x, not ~3.2x
    assert 4.9 < old.arithmetic_intensity.m_as("FLOP/B") < 5.1
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(s)
    tree = d.render(BOTH)
    assert d.node(tree, "act1.overlay")["actual"].startswith(f"{fmt.ratio(s)} faster")


def test_act2_correct_option_is_the_farthest_datacenter_from_the_engine(d):
    dist, correct = expected_act2()
    assert correct == "C" and 800 < dist < 950
    assert dist == pytest.approx(cases.farthest_datacenter("resnet50", "eager", 4), rel=1e-9)
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    assert f"About {fmt.num(dist)} km" in d.node(d.render(BOTH), "act2.overlay")["actual"]


@pytest.mark.parametrize("name", ["act1.prediction", "act2.prediction"])
def test_every_prediction_option_has_its_own_feedback_stating_the_answer(d, name):
    overlay_key = name.split(".")[0] + ".overlay"
    s, _, _, _ = expected_act1()
    dist, _ = expected_act2()
    answer = f"**{fmt.ratio(s)}**" if name.startswith("act1") else f"**{fmt.num(dist)} km**"
    texts = set()
    for o in "ABCD":
        text = d.node(d.render({**BOTH, name: o}), overlay_key)["text"]
        assert answer in text
        texts.add(text)
    assert len(texts) == 4


def test_act2_reflection_is_true_at_the_region_distance():
    """The graded answer says the fibre round trip alone exceeds the deadline at 3,000 km."""
    rtt = PropagationDelayModel().solve(distance=Q_(lab02.REGION_KM, "km")).round_trip
    assert rtt > SLA


def test_instruments_locked_until_each_prediction_is_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "table" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.speedup") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.waterfall") is None and d.node(tree, "act2.distance") is None


# ---- the failure state -----------------------------------------------------------------------
def banner_rows(violations, show=lab02.quantity_text):
    return [{"name": v.name, "required": show(v.required), "available": show(v.available)}
            for v in violations]


def test_sla_banner_reached_by_distance_and_left_by_moving_to_the_edge(d):
    assert d.node(d.render(BOTH), "act2.sla") is None               # defaults: 500 km, meets it
    tree = d.render(BOTH, {"act2.distance": 3000})
    banner = d.node(tree, "act2.sla")
    _, _, w = engine_serving(H100, 3000, 4)
    [v] = w.violations
    assert v.name == "end-to-end latency"
    assert banner["required"] == f"end-to-end latency: {fmt.quantity(v.required)}"
    assert banner["available"] == fmt.quantity(v.available) == "10 ms"
    assert w.segments["network"] > SLA                                # the round trip alone
    assert "switch the context to the Edge" in banner["text"]
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    assert entry["act2"]["result"] == pytest.approx(w.total.m_as("ms"))
    left = d.render(BOTH, {"act2.distance": 3000, "context": "edge"})
    assert d.node(left, "act2.sla") is None
    assert d.node(left, "ledger")["entry"]["constraint_hit"] is False
    # ... or by bringing the datacenter within the farthest distance the banner names
    dist, _ = expected_act2()
    near = d.render(BOTH, {"act2.distance": 50 * math.floor(dist / 50)})
    assert d.node(near, "act2.sla") is None
    assert d.node(d.render(BOTH, {"act2.distance": 50 * math.ceil(dist / 50)}), "act2.sla")


def test_edge_queue_misses_the_sla_then_overloads_and_recovers(d):
    """On the Edge the same controls fail differently: too many cameras for one Jetson."""
    base = {"context": "edge"}
    assert d.node(d.render(BOTH, {**base, "act2.distance": 3000}), "act2.sla") is None
    _, q, w = engine_serving(ORIN, 0, 20)
    tree = d.render(BOTH, {**base, "act2.cameras": 20})
    banner = d.node(tree, "act2.sla")
    assert q.feasible and not w.feasible and max(w.segments, key=w.segments.get) == "queueing"
    assert banner["required"] == f"end-to-end latency: {fmt.quantity(w.total)}"
    # beyond the Jetson's service rate the queue never drains: a capacity violation
    _, q, w = engine_serving(ORIN, 0, 32)
    assert w is None
    tree = d.render(BOTH, {**base, "act2.cameras": 32})
    banner = d.node(tree, "act2.sla")
    [v] = q.violations
    assert banner["required"] == f"server capacity: {fmt.num(v.required.m_as('1/s'))} images/s"
    assert banner["available"] == f"{fmt.num(v.available.m_as('1/s'))} images/s"
    assert d.node(tree, "act2.waterfall") is None
    assert d.node(tree, "ledger")["entry"]["act2"]["result"] is None
    # the same 32 cameras on the Cloud's H100 meet it; so does a lighter, compiled model
    assert d.node(d.render(BOTH, {"act2.cameras": 32}), "act2.sla") is None
    assert d.node(d.render(BOTH, {**base, "act2.cameras": 32, "act2.model": "mobilenetv2",
                                  "act2.execution": "graph"}), "act2.sla") is None


def test_most_cameras_is_the_last_count_that_meets_the_deadline():
    n = cases.most_cameras("edge", "resnet50", "eager")
    assert cases.serve("edge", "resnet50", "eager", n).feasible
    assert not cases.serve("edge", "resnet50", "eager", n + 1).feasible


# ---- instruments equal the engine ----------------------------------------------------------
def test_waterfall_segments_equal_the_engine(d):
    for ctx, hw, dist in (("cloud", H100, 1000), ("edge", ORIN, 0)):
        _, _, w = engine_serving(hw, dist, 8)
        tree = d.render(BOTH, {"context": ctx, "act2.distance": 1000, "act2.cameras": 8})
        rows = d.node(tree, "act2.waterfall")["table"]["rows"]
        assert [r[2] for r in rows] == [fmt.duration(v.m_as("s")) for v in w.segments.values()] \
            + [fmt.duration(w.total.m_as("s"))]
        items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
        assert items["End to end (mean frame)"] == fmt.duration(w.total.m_as("s"))
    rtt = PropagationDelayModel().solve(distance=Q_(1000, "km")).round_trip
    tree = d.render(BOTH, {"act2.distance": 1000})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    assert items["Network round trip"] == fmt.duration(rtt.m_as("s"))


def test_both_contexts_table_gives_different_verdicts_for_the_same_controls(d):
    rows = d.node(d.render(BOTH, {"act2.distance": 3000}), "act2.contexts")["rows"]
    assert [r[-1] for r in rows] == ["misses it", "meets it"]
    rows = d.node(d.render(BOTH, {"act2.cameras": 20}), "act2.contexts")["rows"]
    assert [r[-1] for r in rows] == ["meets it", "misses it"]


def test_upgrade_table_and_chart_equal_the_engine(d):
    s, old, new, _ = expected_act1()
    tree = d.render(BOTH)
    rows = {r[0]: r[1:] for r in d.node(tree, "act1.gpus")["rows"]}
    assert rows["This multiply's time"] == [fmt.duration(old.total.m_as("s")),
                                            fmt.duration(new.total.m_as("s"))]
    assert rows["Memory bandwidth"] == ["2.04 TB/s", "3.35 TB/s"]   # SXM4 80 GB, not 40 GB
    chart = d.node(tree, "act1.speedup")
    five = next(r for r in chart["table"]["rows"] if r[0] == "5")
    assert five[-1] == fmt.ratio(s)
    # a large batch is compute-bound on both: the speed-up is the peak-compute ratio
    big = d.node(d.render(BOTH, {"act1.rows": 4096}), "act1.gpus")["rows"][-1]
    assert big[1:] == ["compute-bound", "compute-bound"]
    compute_ratio = H100.compute.peak("fp16") / A100.compute.peak("fp16")
    last = d.node(d.render(BOTH), "act1.speedup")["table"]["rows"][-1]
    assert last[-1] == fmt.ratio(compute_ratio.m_as(""))


def test_cases_iron_law_is_chapter_ones():
    """One quantity, one number: Lab 02's per-frame times are Chapter 1's Iron Law calls."""
    r = cases.serve("edge", "resnet50", "eager", 1).iron
    assert r is intro.iron_law("edge", "resnet50", 1, "eager")
    direct = IronLawModel().solve(hardware=ORIN, model=RESNET, precision="fp16", batch_size=1,
                                  kernels=intro.launches("resnet50", "eager"))
    assert r.total == direct.total


# ---- ledger, stale values, speed -------------------------------------------------------------
def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        for values in ({}, {"act2.cameras": 32}, {"act2.distance": 3000}):
            entry = d.node(d.render(BOTH, {"context": ctx, **values}), "ledger")["entry"]
            assert validate_entry(entry, "vol1.ch02")["context"] == ctx
            assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.cameras": 999,
                           "act2.distance": -5, "act2.execution": "jit", "act1.rows": 0})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "resnet50"
    assert d.node(tree, "act2.cameras")["value"] == 4
    assert d.node(tree, "act2.distance")["value"] == 500
    assert d.node(tree, "act2.execution")["value"] == "eager"
    assert d.node(tree, "act1.rows")["value"] == 5
