"""Lab 16 (Volume I capstone) under CPython: predictions graded from direct engine calls,
feedback per option, the failure state reachable and left through the controls in every
context where it applies, the four-context checks equal the engine's, and the ledger read
as a calibration with an empty, a partial, a full and a malformed ledger."""
import math

import pytest
from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import BatchingLatencyModel, IronLawModel, MemoryFootprintModel

from labkit import catalog, fmt, validate_entry
from labs.vol1 import conclusion_cases as cases
from labs.vol1 import lab_16_conclusion as lab16
from labs.vol1 import phone

H100, ORIN, A17, MCU = (Hardware.Cloud.H100, Hardware.Edge.JetsonOrinNX_GPU,
                        Hardware.Mobile.A17Pro, Hardware.Tiny.STM32H743)
HW = {"cloud": H100, "edge": ORIN, "mobile": A17, "tiny": MCU}
MODEL = {"resnet50": Models.Vision.ResNet50, "mobilenetv2": Models.Vision.MobileNetV2,
         "dscnn": Models.get("DS_CNN_S")}
# Launches per inference in eager mode (Chapter 1's table): ResNet-50 50, MobileNetV2 53,
# DS-CNN-S 10; a compiled graph launches once.
EAGER = {"resnet50": 50, "mobilenetv2": 53, "dscnn": 10}
# The four requirements, restated from their sources (Chapter 2's constants and the lab's).
RATE = {"cloud": 25_000.0, "edge": 8 * 30.0, "mobile": 30.0, "tiny": 1.0}
DEADLINE = {"cloud": 0.1, "edge": 0.010, "mobile": 1 / 30, "tiny": 1.0}
BOTH = {"act1.prediction": "B", "act2.prediction": "D"}
LAB = catalog.load("vol1/16")


@pytest.fixture
def d(driver):
    return driver("vol1/16")


def render(answers=None, values=None, ledger_map=None):
    return LAB.render({"answers": answers or {}, "values": values or {},
                       "ledger": ledger_map if ledger_map is not None else {}})


def engine_check(context, model, precision_choice, batch, execution):
    """The capstone's checks, from direct engine calls (not through the cases module)."""
    prec = "int8" if precision_choice == "int8" else ("fp32" if context == "tiny" else "fp16")
    kernels = 1 if execution == "graph" else EAGER[model]
    t = [IronLawModel().solve(hardware=HW[context], model=MODEL[model], precision=prec,
                              batch_size=b, kernels=kernels).total.m_as("s") for b in (1, 2)]
    per = t[1] - t[0]
    base = t[0] - per
    q = BatchingLatencyModel().solve(arrival_rate=Q_(RATE[context], "1/s"), batch_size=batch,
                                     base_time=Q_(base, "s"), per_item_time=Q_(per, "s"))
    fit = MemoryFootprintModel().solve(model=MODEL[model], hardware=HW[context],
                                       precision=prec, batch_size=batch)
    ratios = {f"{k} capacity": v["required"].m_as("B") / v["available"].m_as("B")
              for k, v in fit.checks.items()}
    if context == "mobile":
        ratios["app memory budget"] = ((fit.weight_bytes + fit.activation_bytes).m_as("B")
                                       / (0.375 * A17.memory.capacity.m_as("B")))
    service = base + batch * per
    ratios["server capacity"] = RATE[context] * service / batch
    if q.feasible:
        ratios["P99 latency"] = q.p_latency.m_as("s") / DEADLINE[context]
    return {"service": service, "capacity": batch / service, "queue": q, "fit": fit,
            "ratios": ratios,
            "passes": all(r <= 1 for k, r in ratios.items() if k != "server capacity")
            and ratios["server capacity"] < 1}


# ---- predictions graded from the engine ----------------------------------------------------------
def test_act1_throughput_binds_resnet50_eager_on_the_h100():
    c = engine_check("cloud", "resnet50", "float", 1, "eager")
    worst = max(c["ratios"], key=c["ratios"].get)
    assert worst == "server capacity" and c["ratios"][worst] > 1   # ~275 us: 3,640/s < 25,000/s
    assert c["ratios"]["HBM3 capacity"] < 0.01 and "P99 latency" not in c["ratios"]
    v, correct = lab16.act1_truth()
    assert correct == "B"
    assert v.capacity == pytest.approx(c["capacity"]) and v.queue.utilization == pytest.approx(
        c["ratios"]["server capacity"])


def test_act1_every_option_graded(d):
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == "B")
        assert entry["act1"]["predicted_value"] is None
        assert entry["act1"]["actual_value"] == pytest.approx(
            engine_check("cloud", "resnet50", "float", 1, "eager")["ratios"]["server capacity"])


def test_act2_mobilenetv2_int8_batch8_passes_only_in_the_cloud(d):
    passed = [c for c in cases.CONTEXTS
              if engine_check(c, "mobilenetv2", "int8", 8, "graph")["passes"]]
    assert passed == ["cloud"]
    assert lab16.act2_truth() == (("cloud",), "D")
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act2.prediction": option}), "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == "D")


def test_reflections_agree_with_the_engine():
    # Act I: INT8 alone does not rescue the H100; a compiled graph or a batch does.
    assert not engine_check("cloud", "resnet50", "int8", 1, "eager")["ratios"]["server capacity"] < 1
    assert engine_check("cloud", "resnet50", "float", 1, "graph")["ratios"]["server capacity"] < 1
    b = cases.smallest_batch("cloud", "resnet50", "float", "eager")
    assert engine_check("cloud", "resnet50", "float", b, "eager")["ratios"]["server capacity"] < 1
    assert engine_check("cloud", "resnet50", "float", b - 1, "eager")["ratios"]["server capacity"] >= 1
    # Act II: only the keyword spotter, compiled, at batch 1 passes all four contexts.
    universal = {(m, p, b, e) for m in MODEL for p in ("float", "int8") for e in ("eager", "graph")
                 for b in range(1, 9)
                 if all(engine_check(c, m, p, b, e)["passes"] for c in cases.CONTEXTS)}
    assert universal == {("dscnn", "float", 1, "graph"), ("dscnn", "int8", 1, "graph")}
    assert {(x.model, x.precision, x.batch, x.execution)
            for x in cases.universal_designs()} == universal


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and not {"figure", "table", "metrics", "overlay"} & set(kinds)
    tree = d.render({"act1.prediction": "A"})
    assert d.node(tree, "act1.contexts") and d.node(tree, "act1.calibration.summary")
    assert d.node(tree, "act2.prediction.gate") and d.node(tree, "act2.contexts") is None


# ---- the four-context checks equal the engine's ----------------------------------------------------
@pytest.mark.parametrize("design", [("resnet50", "float", 1, "eager"),
                                    ("mobilenetv2", "int8", 8, "graph"),
                                    ("dscnn", "int8", 1, "graph"), ("resnet50", "int8", 16, "eager")])
def test_contexts_table_equals_engine(d, design):
    model, p, b, e = design
    values = {"act2.model": model, "act2.precision": p, "act2.batch": b, "act2.execution": e}
    rows = d.node(d.render(BOTH, values), "act2.contexts")["rows"]
    for row, ctx in zip(rows, cases.CONTEXTS):
        c = engine_check(ctx, model, p, b, e)
        assert row[3].startswith(lab16.rate_text(c["capacity"]))
        if c["queue"].feasible:
            assert row[4] == fmt.duration(c["queue"].p_latency.m_as("s"))
        else:
            assert row[4].startswith("unbounded")
        assert row[6] == ("passes" if c["passes"] else "fails")
        worst = max(c["ratios"], key=c["ratios"].get)
        v = cases.verdict(ctx, model, p, b, e)
        assert v.binding.constraint.name == worst or math.isclose(
            v.binding.ratio, c["ratios"][worst])


def test_metrics_equal_engine(d):
    values = {"context": "edge", "act2.model": "resnet50", "act2.precision": "float",
              "act2.batch": 1, "act2.execution": "eager"}
    items = {i["label"]: i for i in d.node(d.render(BOTH, values), "act2.metrics")["items"]}
    c = engine_check("edge", "resnet50", "float", 1, "eager")
    assert items["Time per batch T(b)"]["value"] == fmt.duration(c["service"])
    assert items["Capacity b/T(b)"]["value"] == lab16.rate_text(c["capacity"])
    assert items["P99 latency"]["value"] == fmt.duration(c["queue"].p_latency.m_as("s"))
    assert items["Memory (LPDDR5)"]["value"] == fmt.quantity(c["fit"].required)


# ---- the failure state: reached and left through the controls, in every context ---------------------
def banner_rows(v):
    return [{"name": c.name, "required": lab16.show(c.required),
             "available": lab16.show(c.available)} for c in v.violations]


def assert_banner_is_engines(d, tree, ctx, design):
    banner = d.node(tree, "act2.failure")
    assert banner is not None
    v = cases.verdict(ctx, *design)
    worst = max(v.violations, key=lambda c: c.ratio)
    assert banner["required"] == f"{worst.name}: {lab16.show(worst.required)}"
    assert banner["available"] == lab16.show(worst.available)
    if len(v.violations) > 1:
        assert banner["constraints"] == banner_rows(v)
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is True
    return banner


def test_failure_reached_by_context_and_left_by_the_controls(d):
    # Defaults: the Act II proposal (MobileNetV2, INT8, batch 8, compiled) passes on the Cloud.
    assert d.node(d.render(BOTH, {"context": "cloud"}), "act2.failure") is None
    design = ("mobilenetv2", "int8", 8, "graph")
    # Edge and Mobile: the batch's fill time misses the deadline; batch 1 leaves it.
    for ctx in ("edge", "mobile"):
        tree = d.render(BOTH, {"context": ctx})
        banner = assert_banner_is_engines(d, tree, ctx, design)
        assert banner["required"].startswith("P99 latency")
        c = engine_check(ctx, *design)
        assert banner["required"] == f"P99 latency: {fmt.duration(c['queue'].p_latency.m_as('s'))}"
        assert "Lower the batch size" in banner["text"]
        back = d.render(BOTH, {"context": ctx, "act2.batch": 1})
        assert d.node(back, "act2.failure") is None
        assert d.node(back, "ledger")["entry"]["constraint_hit"] is False
    # TinyML: memory (flash and SRAM) and latency; the keyword spotter at batch 1 leaves it.
    tree = d.render(BOTH, {"context": "tiny"})
    banner = assert_banner_is_engines(d, tree, "tiny", design)
    assert {r["name"] for r in banner["constraints"]} >= {"flash capacity", "SRAM capacity"}
    fit = MemoryFootprintModel().solve(model=MODEL["mobilenetv2"], hardware=MCU, precision="int8",
                                       batch_size=8)
    flash = next(r for r in banner["constraints"] if r["name"] == "flash capacity")
    assert flash["required"] == fmt.quantity(fit.checks["flash"]["required"])
    assert flash["available"] == fmt.quantity(fit.checks["flash"]["available"])
    assert d.node(d.render(BOTH, {"context": "tiny", "act2.batch": 1}), "act2.failure")
    big = d.render(BOTH, {"context": "tiny", "act2.batch": 1, "act2.model": "resnet50"})
    assert "No batch helps here" in d.node(big, "act2.failure")["text"]   # t1 > 1/lambda
    left = d.render(BOTH, {"context": "tiny", "act2.batch": 1, "act2.model": "dscnn"})
    assert d.node(left, "act2.failure") is None
    assert d.node(d.render(BOTH, {"context": "cloud"}), "act2.failure") is None


def test_cloud_failure_is_throughput_and_left_by_compiling_or_batching(d):
    values = {"context": "cloud", "act2.batch": 1, "act2.execution": "eager"}
    tree = d.render(BOTH, values)
    banner = assert_banner_is_engines(d, tree, "cloud", ("mobilenetv2", "int8", 1, "eager"))
    c = engine_check("cloud", "mobilenetv2", "int8", 1, "eager")
    assert banner["title"].startswith("The device cannot keep up")
    assert banner["required"] == f"server capacity: {lab16.rate_text(RATE['cloud'])}"
    assert banner["available"] == lab16.rate_text(c["capacity"])
    assert d.node(d.render(BOTH, {**values, "act2.execution": "graph"}), "act2.failure") is None
    assert d.node(d.render(BOTH, {**values, "act2.batch": 16}), "act2.failure") is None
    # The same controls give different verdicts by context: batch 16 eager fails the Edge.
    assert d.node(d.render(BOTH, {**values, "act2.batch": 16, "context": "edge"}), "act2.failure")


def test_mobile_app_budget_is_the_books_one():
    v = cases.verdict("mobile", "resnet50", "float", 1, "eager")
    app = next(c for c in v.checks if c.kind == "app")
    assert app.constraint.available.m_as("B") == pytest.approx(phone.app_budget_bytes(A17))


# ---- the ledger: empty, partial, full, malformed -------------------------------------------------
def entry(n, predicted, actual, correct1=True, correct2=False, context="cloud", hit=False):
    return {"lab": f"vol1.ch{n:02d}", "context": context, "schema": 2,
            "act1": {"prediction": "A", "correct": correct1, "predicted_value": predicted,
                     "actual_value": actual},
            "act2": {"prediction": "B", "correct": correct2, "decision": "a design",
                     "result": 1.0, "unit": "ms"},
            "constraint_hit": hit, "completed_at": "2026-11-21T10:00:00Z"}


PARTIAL = {"vol1.ch01": entry(1, 1e6, 9.9e5 * 1.04, True, True),       # close
           "vol1.ch05": entry(5, 100.0, 12.5, False, True, "mobile"),    # 8x over
           "vol1.ch09": entry(9, 2.0, 10.0, False, False, "edge", True)}  # 5x under


def test_empty_ledger_says_what_is_missing():
    nodes = nodes_of(render(BOTH))
    assert "act1.calibration.empty" in nodes and "act1.calibration" not in nodes
    summary = {i["label"]: i["value"] for i in nodes["act1.calibration.summary"]["items"]}
    assert summary["Labs done"] == "0 of 15" and summary["Estimates within 2x"] == "none yet"
    rows = nodes["act1.calibration.labs"]["rows"]
    assert len(rows) == 15 and all(r[2] == "not done yet" for r in rows)


def nodes_of(tree):
    from labkit.serialize import walk
    return {n["key"]: n for n in walk(tree["nodes"])}


def test_partial_ledger_charts_exactly_those_labs_and_summarises_them():
    nodes = nodes_of(render(BOTH, ledger_map=PARTIAL))
    chart = nodes["act1.calibration"]
    assert chart["figure"]["data"][0]["y"] == ["Lab 01", "Lab 05", "Lab 09"]
    expected = [math.log10(1e6 / (9.9e5 * 1.04)), math.log10(8.0), math.log10(0.2)]
    assert chart["figure"]["data"][0]["x"] == pytest.approx(expected)
    summary = {i["label"]: i for i in nodes["act1.calibration.summary"]["items"]}
    assert summary["Labs done"]["value"] == "3 of 15"
    assert summary["Estimates within 2x"]["value"] == "1 of 3"
    median = sorted(abs(x) for x in expected)[1]
    assert summary["Typical miss"]["value"] == fmt.ratio(10 ** median)
    assert summary["Typical miss"]["note"] == f"median |log₁₀ ratio| {median:.2f}"
    mean = sum(expected) / 3
    assert summary["Lean"]["note"] == f"mean log₁₀ ratio {mean:+.2f}"
    assert summary["Act I answers correct"]["value"] == fmt.percent(1 / 3, 0)
    assert summary["Act II answers correct"]["value"] == fmt.percent(2 / 3, 0)
    missing = nodes["act1.calibration.missing"]["text"]
    assert "12 of 15 labs" in missing and "Lab 02" in missing and "Lab 01" not in missing
    rows = {r[0][:6]: r for r in nodes["act1.calibration.labs"]["rows"]}
    assert rows["Lab 05"][2:] == ["Mobile", "8.0x over", "incorrect", "correct"]
    assert rows["Lab 09"][3] == "5.0x under" and rows["Lab 03"][2] == "not done yet"


def test_full_ledger_and_a_malformed_entry():
    full = {f"vol1.ch{n:02d}": entry(n, 2.0 ** (n % 5), 1.0 + n) for n in range(1, 16)}
    full["vol1.ch00"] = entry(0, None, None, context="edge")
    nodes = nodes_of(render(BOTH, ledger_map=full))
    assert "act1.calibration.missing" not in nodes and "act1.calibration.empty" not in nodes
    assert nodes["act1.calibration"]["figure"]["data"][0]["y"] == [f"Lab {n:02d}" for n in range(1, 16)]
    summary = {i["label"]: i["value"] for i in nodes["act1.calibration.summary"]["items"]}
    assert summary["Labs done"] == "15 of 15"
    ratios = [math.log10(2.0 ** (n % 5) / (1.0 + n)) for n in range(1, 16)]
    within = sum(abs(r) <= math.log10(2) + 1e-12 for r in ratios)
    assert summary["Estimates within 2x"] == f"{within} of 15"
    # Lab 00 records the home context (Edge): the toggle starts there.
    assert nodes["context"]["value"] == "edge"
    # A malformed entry (no act2) and one filed under another key are skipped, not fatal.
    broken = dict(PARTIAL)
    broken["vol1.ch03"] = {k: v for k, v in entry(3, 1.0, 1.0).items() if k != "act2"}
    broken["vol1.ch04"] = entry(7, 1.0, 1.0)
    broken["vol1.ch06"] = "not an entry"
    nodes = nodes_of(render(BOTH, ledger_map=broken))
    assert nodes["act1.calibration"]["figure"]["data"][0]["y"] == ["Lab 01", "Lab 05", "Lab 09"]
    # Estimates with no scale (null, zero) are counted as done but not charted.
    odd = {"vol1.ch02": entry(2, None, 5.0), "vol1.ch03": entry(3, 0.0, 5.0),
           "vol1.ch04": entry(4, 3.0, 1.5)}
    nodes = nodes_of(render(BOTH, ledger_map=odd))
    assert nodes["act1.calibration"]["figure"]["data"][0]["y"] == ["Lab 04"]
    summary = {i["label"]: i["value"] for i in nodes["act1.calibration.summary"]["items"]}
    assert summary["Labs done"] == "3 of 15" and summary["Estimates within 2x"] == "1 of 1"
    rows = {r[0][:6]: r for r in nodes["act1.calibration.labs"]["rows"]}
    assert rows["Lab 02"][3] == "no numeric estimate"


def test_a_malformed_ledger_counts_as_empty():
    for raw in (None, [], "x", {"vol1.ch01": None}):
        nodes = nodes_of(LAB.render({"answers": BOTH, "values": {}, "ledger": raw}))
        assert "act1.calibration.empty" in nodes


# ---- the ledger entry, stale values, render time ---------------------------------------------------
def test_ledger_entry_matches_schema(d):
    for ctx in cases.CONTEXTS:
        e = d.node(d.render(BOTH, {"context": ctx}), "ledger")["entry"]
        assert validate_entry(e, "vol1.ch16")["context"] == ctx
        assert e["act2"]["result"] == 1.0 and e["act2"]["unit"] == "contexts"
        assert "_" not in e["act2"]["decision"]
    e = d.node(d.render(BOTH, {"act2.model": "dscnn", "act2.batch": 1}), "ledger")["entry"]
    assert e["act2"]["result"] == 4.0


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "fleet", "act2.model": "vgg16", "act2.batch": 999,
                           "act2.precision": "fp4", "act2.execution": "jit"})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "mobilenetv2"
    assert d.node(tree, "act2.batch")["value"] == 8
    assert d.node(tree, "act2.precision")["value"] == "int8"
    assert d.node(tree, "act2.execution")["value"] == "graph"
