'''Every code example of the API contract ("Extending the Engine", seeds/002) runs unchanged.

The examples are executed in order in one namespace, as a reader running the page would; the
indentation lost in the captured copy is restored, nothing else is changed. The seed's
callback example is pseudo-code around Weights & Biases: a small stand-in ``wandb`` module
that records what it is given is placed in the namespace (no network service is involved).
'''
import types

import pytest

EXAMPLE_MODEL = '''
from mlsysim.core.solver import BaseModel
from mlsysim.core.results import SolverResult
from mlsysim.core.constants import Q_
from mlsysim.hardware.types import HardwareNode
from mlsysim.core.types import Quantity
# 1. Define the strictly typed Output
class PowerEfficiencyResult(SolverResult):
    flops_per_watt: Quantity
    is_efficient: bool
# 2. Implement the Model
class PowerEfficiencyModel(BaseModel):
    """Evaluates the compute efficiency per watt of an accelerator."""
    requires = ("hardware",)
    produces = PowerEfficiencyResult
    def solve(self, hardware: HardwareNode) -> PowerEfficiencyResult:
        if hardware.tdp is None:
            raise ValueError(f"{hardware.name} has no TDP specified.")
        fpw = hardware.compute.peak_flops / hardware.tdp
        threshold = Q_("1 TFLOPs/s / W")
        is_eff = fpw > threshold
        return PowerEfficiencyResult(
            flops_per_watt=fpw.to("TFLOPs/s/W"),
            is_efficient=is_eff
        )
'''

EXAMPLE_SOLVER = '''
from mlsysim.core.solver import BaseSolver
from mlsysim.core.results import SolverResult
from mlsysim.models.types import Workload
from mlsysim.core.types import Quantity
class RequiredBandwidthResult(SolverResult):
    required_bw: Quantity
class RequiredBandwidthSolver(BaseSolver):
    """Solves for the exact memory bandwidth needed to hit an SLA."""
    requires = ("workload", "target_latency")
    produces = RequiredBandwidthResult
    def solve(self, model: Workload, target_latency: Quantity) -> RequiredBandwidthResult:
        weight_bytes = model.size_in_bytes()
        t_target = target_latency.to("s")
        # Algebraic inversion
        required_bw = (weight_bytes / t_target).to("GB/s")
        return RequiredBandwidthResult(required_bw=required_bw)
'''

EXAMPLE_OPTIMIZER = '''
from mlsysim.core.solver import BaseOptimizer
from mlsysim.core.results import OptimizerResult
from mlsysim.hardware.registry import Hardware
from typing import Dict, Any
# Inherit from OptimizerResult, which requires specific fields
class CheapestHardwareResult(OptimizerResult):
    cheapest_cost: float
    hardware_name: str
class CheapestHardwareOptimizer(BaseOptimizer):
    requires = ("min_tflops",)
    produces = CheapestHardwareResult
    def solve(self, min_tflops: float) -> CheapestHardwareResult:
        candidates = []
        target = Q_(min_tflops, "TFLOPs/s")
        # 1. Define Search Space
        for hw in Hardware.list():
            if hw.unit_cost is None:
                continue
            # 2. Evaluate Constraint
            if hw.compute.peak_flops >= target:
                candidates.append({
                    "name": hw.name,
                    "cost": hw.unit_cost.magnitude
                })
        if not candidates:
            raise ValueError("No hardware meets the requirement.")
        # 3. Optimize Objective (Minimize cost)
        best = min(candidates, key=lambda x: x["cost"])
        # 4. Return standard OptimizerResult structure
        return CheapestHardwareResult(
            objective_value=best["cost"], # Standard field
            best_config={"hardware": best["name"]}, # Standard field
            total_searched=len(Hardware.list()), # Standard field
            cheapest_cost=best["cost"],
            hardware_name=best["name"]
        )
'''

EXAMPLE_PIPELINE = '''
from mlsysim.core.pipeline import Pipeline
from mlsysim.core.solver import DistributedModel, EconomicsModel
# Build a pipeline with your custom solver in the middle
my_pipeline = Pipeline([
    DistributedModel(),
    PowerEfficiencyModel(), # Your custom model
    EconomicsModel()
])
# Run the pipeline
results = my_pipeline.run(
    model=mlsysim.Models.Llama3_8B,
    fleet=mlsysim.Systems.Clusters.Frontier_8K,
    duration_days=30
)
# Access individual stage results
print(results["PowerEfficiencyModel"].flops_per_watt)
'''

EXAMPLE_CALLBACK = '''
class WandbLogger:
    def on_stage_end(self, stage_name: str, result: SolverResult):
        # Example pseudo-code
        wandb.log({f"{stage_name}/{k}": v for k, v in result.dict().items()})
my_pipeline.register_callback(WandbLogger())
'''

EXAMPLE_FACTORY = '''
from mlsysim.core.resolver_factory import ResolverFactory
# This will now include 'PowerEfficiencyModel', etc.
print(ResolverFactory.list_available().keys())
'''

EXAMPLE_TESTS = '''
import pytest
from mlsysim import Hardware
def test_power_efficiency_h100():
    model = PowerEfficiencyModel()
    result = model.solve(hardware=Hardware.Cloud.H100)
    assert result.flops_per_watt.units == "TFLOPs/s/W"
    assert result.flops_per_watt.magnitude > 0
    assert isinstance(result.is_efficient, bool)
def test_power_efficiency_no_tdp():
    """Hardware without TDP should raise ValueError."""
    from mlsysim.hardware.types import HardwareNode, ComputeCore, MemoryHierarchy
    from mlsysim.core.constants import Q_
    hw = HardwareNode(
        name="NoTDP",
        release_year=2024,
        compute=ComputeCore(peak_flops=Q_("100 TFLOPs/s")),
        memory=MemoryHierarchy(capacity=Q_("80 GB"), bandwidth=Q_("2 TB/s")),
        tdp=None,
    )
    with pytest.raises(ValueError, match="has no TDP"):
        PowerEfficiencyModel().solve(hardware=hw)
'''


@pytest.fixture(scope="module")
def ns():
    import mlsysim

    logged = []
    wandb = types.SimpleNamespace(log=logged.append)
    namespace = {"mlsysim": mlsysim, "wandb": wandb, "_logged": logged, "__name__": "seed_page"}
    for block in (EXAMPLE_MODEL, EXAMPLE_SOLVER, EXAMPLE_OPTIMIZER):
        exec(compile(block, "<seed example>", "exec"), namespace)
    return namespace


def test_custom_model_on_h100(ns):
    import mlsysim

    result = ns["PowerEfficiencyModel"]().solve(hardware=mlsysim.Hardware.Cloud.H100)
    # 989 TFLOP/s / 700 W = 1.41 TFLOP/s per W (NVIDIA H100 SXM datasheet values)
    assert result.flops_per_watt.magnitude == pytest.approx(989 / 700)
    assert result.is_efficient is True or result.is_efficient == True  # noqa: E712
    assert isinstance(result.is_efficient, bool)


def test_custom_solver_inverts_time(ns):
    import mlsysim
    from mlsysim.core.constants import Q_

    solver = ns["RequiredBandwidthSolver"]()
    out = solver.solve(model=mlsysim.Models.Llama3_8B, target_latency=Q_("50 ms"))
    # 8.03e9 parameters x 2 B (fp16) / 0.05 s = 321.2 GB/s
    assert out.required_bw.to("GB/s").magnitude == pytest.approx(321.2)


def test_custom_optimizer_picks_cheapest(ns):
    import mlsysim

    out = ns["CheapestHardwareOptimizer"]().solve(min_tflops=500)
    eligible = [h for h in mlsysim.Hardware.list() if h.unit_cost is not None
                and h.compute.peak_flops.to("TFLOP/s").magnitude >= 500]
    cheapest = min(eligible, key=lambda h: h.unit_cost.magnitude)
    assert out.best_config == {"hardware": cheapest.name}
    assert out.objective_value == out.cheapest_cost == cheapest.unit_cost.magnitude
    assert out.total_searched == len(mlsysim.Hardware.list())
    with pytest.raises(ValueError, match="No hardware"):
        ns["CheapestHardwareOptimizer"]().solve(min_tflops=1e9)


def test_pipeline_and_callback_examples(ns, capsys):
    # The seed spells the period `duration_days=30`; the engine's name is `duration` (a
    # time Quantity). Pipeline.run translates the seed spelling, saying so.
    with pytest.warns(DeprecationWarning, match="duration_days"):
        exec(compile(EXAMPLE_PIPELINE, "<seed pipeline>", "exec"), ns)
    printed = capsys.readouterr().out
    assert "TFLOP" in printed
    results = ns["results"]
    assert list(results) == ["DistributedModel", "PowerEfficiencyModel", "EconomicsModel"]
    assert results["EconomicsModel"].duration.m_as("day") == 30
    assert results["PowerEfficiencyModel"].flops_per_watt.magnitude == pytest.approx(989 / 700)
    exec(compile(EXAMPLE_CALLBACK, "<seed callback>", "exec"), ns)
    with pytest.warns(DeprecationWarning):
        ns["my_pipeline"].run(model=ns["mlsysim"].Models.Llama3_8B,
                              fleet=ns["mlsysim"].Systems.Clusters.Frontier_8K,
                              duration_days=30)
    logged = ns["_logged"]
    assert len(logged) == 3
    assert any(k.startswith("PowerEfficiencyModel/flops_per_watt") for k in logged[1])


def test_factory_example_lists_builtins(ns, capsys):
    exec(compile(EXAMPLE_FACTORY, "<seed factory>", "exec"), ns)
    printed = capsys.readouterr().out
    assert "dict_keys([" in printed and "IronLawModel" in printed


def test_seed_extension_tests_pass(ns):
    exec(compile(EXAMPLE_TESTS, "<seed tests>", "exec"), ns)
    ns["test_power_efficiency_h100"]()
    ns["test_power_efficiency_no_tdp"]()
