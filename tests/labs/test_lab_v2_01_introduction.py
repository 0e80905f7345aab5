"""Vol II Lab 01 under CPython: predictions graded from the engine (recomputed here with direct
engine calls), feedback per option, the deadline, rental, memory and budget failure states
reached and left through the controls in both contexts, the ledger entry, numbers, stale
values."""

import pytest
from mlsysim import Models, Q_, Systems
from mlsysim.core.solver import (AvailabilityModel, EconomicsModel, FleetReliabilityModel,
                                 FleetSizingOptimizer, TrainingComputeModel)
from mlsysim.systems.types import Cluster

from labkit import fmt, validate_entry
from labs.vol2 import introduction_cases as cases

FRONTIER = Systems.Clusters.Frontier_8K
H100 = Systems.Nodes.DGX_H100.hardware
BOTH = {"act1.prediction": "C", "act2.prediction": "D"}
BATCH = 16 * 2 ** 20                   # Llama 3's late-training batch, tokens


@pytest.fixture
def d(driver):
    return driver("vol2/01")


def engine_sizing(model, tokens, nodes, eta=0.4, deadline=None, **kw):
    return FleetSizingOptimizer().solve(model=model, fleet=FRONTIER, tokens=tokens,
                                        node_counts=list(nodes), mfu=eta,
                                        global_batch_tokens=BATCH, checkpointing="full",
                                        duration=deadline, **kw)


def fastest(result, nodes):
    rows = [r for r in result.table if r["nodes"] == nodes and r["fits"]]
    return min(rows, key=lambda r: r["days"]) if rows else None


def own_3y(nodes):
    cl = Cluster(name="x", node=FRONTIER.node, nodes=nodes, fabric=FRONTIER.fabric)
    return EconomicsModel().solve(duration="3 year", fleet=cl, lifetime="3 year")


def banner(d, tree):
    return d.node(tree, "act2.failure")


def test_act1_correct_option_comes_from_the_engine(d):
    share = AvailabilityModel().solve(availabilities=[0.999] * 1000).availability
    assert share == pytest.approx(0.999 ** 1000) and 0.36 < share < 0.37
    bands = {"A": (0.9, 2.0), "B": (0.6, 0.9), "C": (0.2, 0.6), "D": (0.0, 0.2)}
    correct = next(k for k, (lo, hi) in bands.items() if lo <= share < hi)
    assert correct == "C"
    for option in "ABCD":
        entry = d.node(d.render({**BOTH, "act1.prediction": option}), "ledger")["entry"]
        assert entry["act1"]["correct"] is (option == correct)
        assert entry["act1"]["actual_value"] == pytest.approx(share)
        lo, hi = bands[option]
        assert lo <= entry["act1"]["predicted_value"] <= min(hi, 1.0)


def test_act2_correct_option_comes_from_the_fleet_sizing_optimizer(d):
    """Llama 3 70B on 15T tokens at 40% of peak within 60 days: C = 6ND alone says under 512
    nodes; the engine's communication, bubble and recomputation need 1,024."""
    model = Models.Llama3_70B
    r = engine_sizing(model, 15e12, cases.NODE_COUNTS, deadline="60 day",
                      price_per_hour=H100.price_per_hour)
    need = r.best_config["nodes"]
    assert need == 1024 and r.best_config["days"] <= 60
    assert fastest(r, 512)["days"] > 60
    c = TrainingComputeModel().solve(model=model, tokens=15e12).training_flops.m_as("FLOP")
    ideal_nodes = c / (0.4 * H100.compute.peak_flops.m_as("FLOP/s")) / (60 * 86400) / 8
    assert 256 < ideal_nodes < 512 < need
    correct = {128: "A", 256: "B", 512: "C"}.get(need, "D")
    for option in "ABCD":
        tree = d.render({**BOTH, "act2.prediction": option})
        entry = d.node(tree, "ledger")["entry"]
        assert entry["act2"]["correct"] is (option == correct)
    overlay = d.node(d.render(BOTH), "act2.overlay")
    assert overlay["actual"].startswith("1,024 nodes (8,192 GPUs): "
                                        f"{fmt.num(r.best_config['days'])} days")


def test_prediction_feedback_states_the_computed_answer(d):
    for option in "ABCD":
        t1 = d.node(d.render({**BOTH, "act1.prediction": option}), "act1.overlay")["text"]
        assert "**36.8%**" in t1
        t2 = d.node(d.render({**BOTH, "act2.prediction": option}), "act2.overlay")["text"]
        assert "**1,024 nodes (8,192 GPUs)**" in t2 and "387 nodes" in t2


def test_instruments_locked_until_act1_answered(d):
    tree = d.render()
    kinds = [n["kind"] for n in d.nodes(tree)]
    assert kinds[-1] == "gate" and "figure" not in kinds and "metrics" not in kinds
    tree = d.render({"act1.prediction": "B"})
    assert d.node(tree, "act1.allup") and d.node(tree, "act2.prediction.gate")
    assert d.node(tree, "act2.sizing") is None and d.node(tree, "act2.nodes") is None


def test_act1_metrics_equal_engine(d):
    for ctx, gpus in (("cloud", 8), ("fleet", 8192)):
        tree = d.render(BOTH, {"context": ctx})
        assert d.node(tree, "act1.gpus")["value"] == gpus
        items = {i["label"]: i for i in d.node(tree, "act1.metrics")["items"]}
        a = AvailabilityModel().solve(availabilities=[0.999] * gpus).availability
        rel = FleetReliabilityModel().solve(devices=gpus)
        assert items["All up at once"]["value"] == (fmt.percent(a) if a >= 1e-3 else
                                                    f"{fmt.num(a * 100)}%")
        assert items["Fleet MTBF"]["value"] == fmt.duration(rel.fleet_mtbf.m_as("s"))
        assert items["Interruptions per day"]["value"] == fmt.num(rel.failures_per_day)
    tree = d.render(BOTH, {"act1.gpus": 1000, "act1.availability": "0.9999"})
    items = {i["label"]: i for i in d.node(tree, "act1.metrics")["items"]}
    assert items["All up at once"]["value"] == fmt.percent(0.9999 ** 1000)


def test_tiny_shares_keep_their_digits(d):
    """8,192 GPUs at 99.9% are all up 0.0276% of the time, not "0.0%"."""
    tree = d.render(BOTH, {"context": "fleet"})
    value = d.node(tree, "act1.metrics")["items"][0]["value"]
    assert value == f"{fmt.num(0.999 ** 8192 * 100)}%" and value != "0.0%"


def test_deadline_failure_reached_and_left_in_fleet(d):
    """Owned: 512 nodes miss the deadline (the engine's deadline constraint), 1,024 meet it
    within budget, 2,048 exceed the three-year budget."""
    v = {"context": "fleet", "act2.model": "llama3_70b"}
    r = engine_sizing(Models.Llama3_70B, 15e12, [512], deadline="60 day")
    [deadline] = r.violations
    assert deadline.name == "deadline"
    tree = d.render(BOTH, {**v, "act2.nodes": "512"})
    b = banner(d, tree)
    assert b["required"] == f"deadline: {fmt.num(deadline.required.m_as('day'))} days"
    assert b["available"] == "60 days" and "1,024 nodes (8,192 GPUs)" in b["text"]
    assert d.node(tree, "ledger")["entry"]["constraint_hit"] is True
    tree = d.render(BOTH, {**v, "act2.nodes": "1024"})
    assert banner(d, tree) is None
    entry = d.node(tree, "ledger")["entry"]
    assert entry["constraint_hit"] is False
    row = fastest(engine_sizing(Models.Llama3_70B, 15e12, [1024]), 1024)
    assert entry["act2"]["result"] == pytest.approx(row["days"])


def test_budget_failure_reached_and_left_in_fleet(d):
    own = own_3y(2048).total_cost.m_as("USD")
    assert own > cases.BUDGET_USD >= own_3y(1024).total_cost.m_as("USD")
    tree = d.render(BOTH, {"context": "fleet", "act2.nodes": "2048"})
    b = banner(d, tree)
    assert d.node(tree, "act2.model")["value"] == "llama3_70b"
    assert b["required"] == f"3-year budget: ${fmt.num(own / 1e6)} million"
    assert b["available"] == f"${fmt.num(cases.BUDGET_USD / 1e6)} million"
    assert "switch to Cloud" in b["text"]
    # the same 2,048 nodes rented: no budget failure, but too large for one rental
    cloud = banner(d, d.render(BOTH, {"context": "cloud", "act2.nodes": "2048",
                                      "act2.model": "llama3_70b"}))
    assert cloud["required"] == "nodes in one rental: 2,048 nodes" and "budget" not in cloud["required"]
    assert banner(d, d.render(BOTH, {"context": "fleet", "act2.nodes": "1024"})) is None


def test_cloud_failure_reached_and_left(d):
    """Rented: at most 64 nodes. The default (Llama 3 8B on 64 nodes) meets the deadline; the
    70B run misses it on the largest rental; the 8B model again, or fewer tokens, leaves."""
    start = d.render(BOTH, {"context": "cloud"})
    assert d.node(start, "act2.nodes")["value"] == "64" and banner(d, start) is None
    assert d.node(start, "act2.model")["value"] == "llama3_8b"
    tree = d.render(BOTH, {"context": "cloud", "act2.model": "llama3_70b"})
    r = engine_sizing(Models.Llama3_70B, 15e12, [64], deadline="60 day", budget="300e6 USD",
                      price_per_hour=H100.price_per_hour)
    assert [v.name for v in r.violations] == ["deadline"]
    b = banner(d, tree)
    assert b["required"] == f"deadline: {fmt.num(r.violations[0].required.m_as('day'))} days"
    assert "more than one rental holds" in b["text"] and "Switch to Fleet" in b["text"]
    small = d.render(BOTH, {"context": "cloud", "act2.model": "llama3_8b"})
    assert banner(d, small) is None
    row = fastest(engine_sizing(Models.Llama3_8B, 15e12, [64]), 64)
    assert row["days"] <= 60
    items = {i["label"]: i["value"] for i in d.node(small, "act2.metrics")["items"]}
    assert items["Days to train"] == f"{fmt.num(row['days'])} days"
    rent = EconomicsModel().solve(duration=Q_(row["days"], "day"), fleet=cases.cluster(64),
                                  price_per_hour=H100.price_per_hour).total_cost.m_as("USD")
    assert items["Rental for the run"] == f"${fmt.num(rent / 1e6)} million"
    assert banner(d, d.render(BOTH, {"context": "cloud", "act2.model": "llama3_70b",
                                      "act2.tokens": 1.5})) is None


def test_memory_failure_names_the_engines_capacity(d):
    r = engine_sizing(Models.GPT3_175B, 15e12, [1])
    [v] = r.violations
    assert v.name.endswith("capacity")
    for ctx in ("cloud", "fleet"):
        b = banner(d, d.render(BOTH, {"context": ctx, "act2.model": "gpt3_175b",
                                       "act2.nodes": "1"}))
        assert b["required"] == f"{v.name}: {fmt.quantity(v.required)}"
        assert b["available"] == fmt.quantity(v.available)


def test_same_controls_different_verdicts_in_the_two_contexts(d):
    for nodes in ("1024", "2048"):
        v = {"act2.model": "llama3_70b", "act2.nodes": nodes}
        cloud = banner(d, d.render(BOTH, {"context": "cloud", **v}))
        fleet = banner(d, d.render(BOTH, {"context": "fleet", **v}))
        assert cloud is not None and (fleet is None or fleet["required"] != cloud["required"])


def test_sizing_metrics_equal_engine(d):
    tree = d.render(BOTH, {"context": "fleet", "act2.nodes": "1024", "act2.eta": "0.5"})
    items = {i["label"]: i["value"] for i in d.node(tree, "act2.metrics")["items"]}
    row = fastest(engine_sizing(Models.Llama3_70B, 15e12, [1024], eta=0.5), 1024)
    assert items["Days to train"] == f"{fmt.num(row['days'])} days"
    assert items["Effective MFU"] == fmt.percent(row["effective_mfu"])
    c = TrainingComputeModel().solve(model=Models.Llama3_70B, tokens=15e12)
    assert items["Training compute C = 6ND"] == f"{fmt.num(c.training_flops.m_as('FLOP'))} FLOP"
    assert items["Three years of ownership"] == f"${fmt.num(own_3y(1024).total_cost.m_as('USD') / 1e6)} million"
    rel = FleetReliabilityModel().solve(devices=8192)
    assert items["Failures during the run"] == fmt.num(rel.failures_per_day * row["days"])
    rows = d.node(tree, "act2.sizing")["table"]["rows"]
    assert [r[0] for r in rows] == [f"{k:,}" for k in cases.NODE_COUNTS]
    assert rows[10][2] == fmt.num(row["days"]) and rows[10][6] == "meets every constraint"
    assert rows[0][6] == "memory exceeded"


def test_step_breakdown_times_the_same_step(d):
    r = cases.step("llama3_70b", 512, 0.4)
    row = fastest(engine_sizing(Models.Llama3_70B, 1e12, [512]), 512)
    assert r.time_to_train.m_as("day") == pytest.approx(row["days"])
    assert sum(cases.breakdown("llama3_70b", 512, 0.4).values()) == pytest.approx(
        r.step_time.m_as("s"))


def test_reflection_break_even_from_the_economics(d):
    owned = own_3y(1).cost_per_device_hour.m_as("USD/hour")
    be = owned / H100.price_per_hour.m_as("USD/hour")
    assert 0.1 <= be < 0.4
    tree = d.render(BOTH, {"act2.reflection": "B"})
    fb = d.node(tree, "act2.reflection.feedback")
    assert fb["tone"] == "success" and fmt.percent(be, 0) in fb["text"]


def test_ledger_entry_matches_schema(d):
    for ctx in ("cloud", "fleet"):
        for model in ("llama3_8b", "gpt3_175b"):
            tree = d.render(BOTH, {"context": ctx, "act2.model": model, "act2.nodes": "1"})
            entry = validate_entry(d.node(tree, "ledger")["entry"], "vol2.ch01")
            assert entry["context"] == ctx and entry["act2"]["unit"] == "days"
            assert "_" not in entry["act2"]["decision"]


def test_stale_values_fall_back(d):
    tree = d.render(BOTH, {"context": "tiny", "act2.model": "vgg16", "act2.nodes": "3",
                           "act2.eta": "0.9", "act2.tokens": 99, "act1.gpus": 7})
    assert d.node(tree, "context")["value"] == "cloud"
    assert d.node(tree, "act2.model")["value"] == "llama3_8b"
    assert d.node(tree, "act2.nodes")["value"] == "64"
    assert d.node(tree, "act2.eta")["value"] == "0.4"
    assert d.node(tree, "act2.tokens")["value"] == 15.0
    assert d.node(tree, "act1.gpus")["value"] == 8


@pytest.mark.parametrize("context", ["cloud", "fleet"])
def test_table_verdicts_agree_with_the_engine_checks(context):
    """The table's verdict per size (read from cached sizes) names the constraints the
    optimizer-backed design names, size by size."""
    for model, tokens, eta in (("llama3_70b", 15e12, 0.4), ("gpt3_175b", 20e12, 0.3),
                               ("llama3_8b", 2e12, 0.5)):
        for k in cases.NODE_COUNTS:
            names = tuple("memory" if v.name.endswith("capacity") else v.name
                          for v in cases.design(context, model, tokens, k, eta).violations)
            assert cases.broken(context, model, tokens, k, eta) == names, (model, k)
