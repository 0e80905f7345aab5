"""Lab 07 under CPython: predictions graded from the engine, feedback per option, the latency
budget failure reachable and reversible, the ledger entry, numbers, render time."""
import math

import pytest
from mlsysim import Hardware, Models
from mlsysim.core.solver import (CompileBreakEvenModel, DispatchOverheadModel, FusionModel,
                                 IronLawModel, KernelCountModel)

from labkit import fmt, validate_entry
from labs.vol1 import frameworks_cases as cases
from labs.vol1 import lab_07_frameworks as lab07

H100, ORIN = Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU
MOBILENET, RESNET = Models.Vision.MobileNetV2, Models.Vision.ResNet50
BOTH = {"act1.prediction": "D", "act2.prediction": "C"}


@pytest.fixture
def d(driver):
    return driver("vol1/07")


def eager_kernels(model):
    return KernelCountModel().solve(model=model).eager_kernels


def expected_act1():
    """Share of MobileNetV2's batch-1 eager time on the H100 spent in dispatch."""
    k = eager_kernels(MOBILENET)
    law = IronLawModel().solve(hardware=H100, model=MOBILENET, precision="fp16", kernels=k)
    work = law.t_memory + law.t_compute
    r = DispatchOverheadModel().solve(kernels=k, compute_time=work, hardware=H100)
    assert math.isclose(r.overhead_share, law.share_overhead, rel_tol=1e-9)
    bands = {"A": (0, 0.25), "B": (0.25, 0.5), "C": (0.5, 0.9), "D": (0.9, 1.01)}
    return r, next(k for k, (lo, hi) in bands.items() if lo <= r.overhead_share < hi)


def expected_act2():
    r = CompileBreakEvenModel().solve(model=MOBILENET, hardware=ORIN, compile_time="60 s",
                                      precision="fp16", arrival_rate="500 1/s")
    n = r.break_even_requests
    return r, "A" if n < 1e3 else "B" if n < 1e4 else "C" if n < 1e5 else "D"


def latency_ms(hardware, model, execution):
    k = KernelCountModel().solve(model=model)
    kernels = k.eager_kernels if execution == "eager" else k.fused_kernels
    return IronLawModel().solve(hardware=hardware, model=model, precision="fp16",
                                kernels=kernels).total.m_as("ms")


def test_act1_correct_option_comes_from_the_engine(d):
    r, correct = expected_act1()
    # 151 launches x 5 us against a few microseconds of work: nearly all of it is dispatch.
    assert correct == "D" and r.overhead_share > 0.99
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(r.overhead_share)
        assert entry["act1"]["predicted_value"] == pytest.approx(lab07.band_middle(option))


def test_act2_correct_option_comes_from_the_break_even(d):
    r, correct = expected_act2()
    assert r.eager_kernels == 151 and r.fused_kernels == 54  # registry counts (torchvision)
    assert correct == "C" and 10_000 < r.break_even_requests < 100_000
    assert r.break_even_requests == math.ceil(60 / r.saving_per_request.m_as("s"))
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)


@pytest.mark.parametrize("name", ["act1.prediction", "act2.prediction"])
def test_every_prediction_option_has_its_own_feedback_with_the_answer(d, name):
    r1, _ = expected_act1()
    r2, _ = expected_act2()
    answer = (fmt.percent(r1.overhead_share) if name.startswith("act1") else
              f"{r2.break_even_requests:,} frames")
    overlay_key = name.split(".")[0] + ".overlay"
    texts = set()
    for o in "ABCD":
        text = d.node(d.render({**BOTH, name: o}), overlay_key)["text"]
        assert answer in text  # each option's feedback states the computed answer
        texts.add(text)
    assert len(texts) == 4


def test_reflections_are_graded_from_the_engine(d):
    # Act I: the B200's extra FLOP/s and bandwidth barely move a dispatch-bound request.
    k = eager_kernels(MOBILENET)
    h100, b200 = (IronLawModel().solve(hardware=hw, model=MOBILENET, precision="fp16",
                                       kernels=k).total.m_as("s")
                  for hw in (H100, Hardware.Cloud.B200))
    assert h100 / b200 < 1.01
    assert lab07.reflection1_correct() == "B"
    # Act II: only the 2,000-photo script stays below the break-even.
    r, _ = expected_act2()
    below = [k for k, (_, n) in lab07.REFLECTION2_JOBS.items() if n < r.break_even_requests]
    assert below == ["B"]


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "overlay" not in kinds
    assert "metrics" not in kinds and "table" not in kinds
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.split") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.latency") is None and d.node(tree, "act2.sla") is None


def test_latency_budget_failure_reached_and_left_through_the_controls(d):
    # Cloud (the first context) with the defaults: eager MobileNetV2 meets the budget.
    assert latency_ms(H100, MOBILENET, "eager") < 1.0
    cloud = d.render(BOTH, {"context": "cloud"})
    assert d.node(cloud, "act2.sla") is None
    assert d.node(cloud, "ledger")["entry"]["constraint_hit"] is False
    # Reach: switch to Edge; eager MobileNetV2 on the Orin misses the 1 ms budget.
    tree = d.render(BOTH, {"context": "edge"})
    banner = d.node(tree, "act2.sla")
    eager = latency_ms(ORIN, MOBILENET, "eager")
    assert eager > 1.0
    assert banner["required"] == f"latency per frame: {fmt.duration(eager / 1e3)}"
    assert banner["available"] == fmt.duration(cases.SLA_S) == "1 ms"
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True and entry["act2"]["result"] == pytest.approx(eager)
    # Leave: compile (fused kernels).
    fused = latency_ms(ORIN, MOBILENET, "fused")
    assert fused < 1.0
    out = d.render(BOTH, {"context": "edge", "act2.execution": "fused"})
    assert d.node(out, "act2.sla") is None
    assert d.node(out, "ledger")["entry"]["constraint_hit"] is False
    # ResNet-50 misses on the Orin even fused (the banner says so), and meets on the H100 eager.
    assert latency_ms(ORIN, RESNET, "fused") > 1.0 > latency_ms(H100, RESNET, "eager")
    big = d.render(BOTH, {"context": "edge", "act2.model": "resnet50", "act2.execution": "fused"})
    assert "fusion alone is not enough" in d.node(big, "act2.sla")["text"]
    assert d.node(d.render(BOTH, {"context": "cloud", "act2.model": "resnet50"}), "act2.sla") is None


def test_metrics_equal_engine_numbers(d):
    tree = d.render(BOTH, {"context": "edge", "act1.batch": 1, "act1.model": "mobilenetv2"})
    items = {i["label"]: i for i in d.node(tree, "act1.metrics")["items"]}
    k = eager_kernels(MOBILENET)
    assert items["Kernel launches"]["value"] == str(k)
    assert items["Cost per launch"]["value"] == fmt.duration(ORIN.dispatch_overhead.m_as("s"))
    assert items["Dispatch"]["value"] == fmt.duration(k * ORIN.dispatch_overhead.m_as("s"))
    law = IronLawModel().solve(hardware=ORIN, model=MOBILENET, precision="fp16", kernels=k)
    assert items["Share in dispatch"]["value"] == fmt.percent(law.share_overhead)
    # the batch where useful work catches up with dispatch, by brute force over the engine
    cross = next(b for b in range(1, 4096) if (lambda r: r.t_memory + r.t_compute)(
        IronLawModel().solve(hardware=ORIN, model=MOBILENET, precision="fp16", batch_size=b,
                             kernels=k)).m_as("s") >= k * ORIN.dispatch_overhead.m_as("s"))
    assert items["Batch where work catches up"]["value"] == fmt.num(cross)
    act2 = {i["label"]: i for i in d.node(tree, "act2.metrics")["items"]}
    r, _ = expected_act2()
    assert act2["Latency per frame"]["value"] == fmt.duration(r.eager_latency.m_as("s"))
    assert act2["Break-even"]["value"] == f"{r.break_even_requests:,} frames"
    assert act2["Time to break even"]["value"] == fmt.duration(r.break_even_time.m_as("s"))
    # the compile-time slider moves the break-even in proportion
    slow = d.render(BOTH, {"context": "edge", "act2.compile": 600})
    n600 = CompileBreakEvenModel().solve(model=MOBILENET, hardware=ORIN, compile_time="600 s",
                                         precision="fp16").break_even_requests
    assert {i["label"]: i for i in d.node(slow, "act2.metrics")["items"]}["Break-even"][
        "value"] == f"{n600:,} frames"


def test_fusion_table_equals_the_engine(d):
    tree = d.render(BOTH, {"context": "cloud", "act2.chain": 5})
    rows = d.node(tree, "act2.fusion")["rows"]
    nbytes = 96 * 112 * 112 * 2  # MobileNetV2's largest activation at FP16 (block 2 expand)
    r = FusionModel().solve(kernels=5, tensor_bytes=f"{nbytes} B", hardware=H100)
    assert rows[0] == ["Unfused", "5", fmt.si(5 * 2 * nbytes, "B"),
                       fmt.duration(r.unfused_time.m_as("s"))]
    assert rows[1][3] == fmt.duration(r.fused_time.m_as("s"))
    assert rows[2][2] == fmt.si(r.bytes_saved.m_as("B"), "B")


def test_contexts_change_the_physics(d):
    """The same controls (eager MobileNetV2) meet the budget on one machine, miss on the other,
    and the dispatch share differs."""
    cloud, edge = (d.render(BOTH, {"context": c}) for c in ("cloud", "edge"))
    assert d.node(cloud, "act2.sla") is None and d.node(edge, "act2.sla") is not None
    share = {c: {i["label"]: i["value"] for i in d.node(t, "act1.metrics")["items"]}[
        "Share in dispatch"] for c, t in (("cloud", cloud), ("edge", edge))}
    assert share["cloud"] != share["edge"]


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "edge"):
        for execution in ("eager", "fused"):
            entry = d.node(d.render(BOTH, {"context": ctx, "act2.execution": execution}),
                           "ledger")["entry"]
            assert validate_entry(entry, "vol1.ch07")["context"] == ctx
            assert entry["act2"]["unit"] == "ms" and "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act1.batch": 9999,
                           "act2.execution": "jit", "act2.compile": -5, "act1.model": 3})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "mobilenetv2"
    assert d.node(tree, "act2.execution")["value"] == "eager"
    assert d.node(tree, "act1.model")["value"] == "mobilenetv2"
    assert d.node(tree, "act1.batch")["value"] in (1, 512)
    assert 10 <= d.node(tree, "act2.compile")["value"] <= 600
