import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.models.types import Workload
from mlsysim.resolvers import MemoryFootprintModel


def test_footprint_llama3_8b_fp16_fits_h100(h100, llama3_8b):
    # 8.03e9 params x 2 B = 16.06 GB of weights vs 80 GB HBM3.
    r = MemoryFootprintModel().solve(model=llama3_8b, hardware=h100)
    assert r.weight_bytes.m_as("GB") == pytest.approx(16.06)
    assert r.feasible and r.binding_memory == "HBM3" and r.violations == ()
    assert r.shortfall_ratio == pytest.approx(16.06 / 80)


def test_footprint_70b_fp16_does_not_fit_one_h100(h100):
    # Llama-3 70B: 70.6e9 x 2 B = 141 GB > 80 GB: needs at least two GPUs.
    w = Workload(name="70B", parameters=70.6e9)
    r = MemoryFootprintModel().solve(model=w, hardware=h100)
    assert not r.feasible
    [v] = r.violations
    assert v.name == "HBM3 capacity" and v.available.m_as("GB") == 80
    assert v.required.m_as("GB") == pytest.approx(141.2) and v.ratio == pytest.approx(141.2 / 80)
    assert r.shortfall_ratio == pytest.approx(141.2 / 80)


def test_footprint_mcu_weights_in_flash_activations_in_sram(cortex_m7, resnet50):
    # ResNet-50 int8: 25.6 MB of weights vs 2 MB flash (STM32H743): flash binds, 12.8x.
    r = MemoryFootprintModel().solve(model=resnet50, hardware=cortex_m7, precision="int8")
    assert not r.feasible
    assert r.binding_memory == "flash"
    # both memories overflow: flash with the weights, SRAM with the activations
    assert {v.name for v in r.violations} == {"flash capacity", "SRAM capacity"}
    assert r.shortfall_ratio == pytest.approx(12.8)
    assert set(r.checks) == {"flash", "SRAM"}
    # activations scale from fp16 registry size to int8: 25e6 x 1/2
    assert r.activation_bytes.m_as("MB") == pytest.approx(12.5)


def test_footprint_kws_fits_mcu(cortex_m7):
    # A DS-CNN keyword spotter (Zhang et al. 2017, "Hello Edge"): ~38.6 k params (S model),
    # activations well under 100 kB at int8.
    kws = Workload(name="DS-CNN-S", parameters=38.6e3)
    r = MemoryFootprintModel().solve(model=kws, hardware=cortex_m7, precision="int8",
                                     activation_bytes=Q_(60, "kB"))
    assert r.feasible
    assert r.checks["SRAM"]["required"].m_as("kB") == pytest.approx(60)
    assert r.binding_memory == "SRAM"  # 60 kB / 1 MB > 38.6 kB / 2 MB


def test_footprint_batch_scales_activations(h100, resnet50):
    one = MemoryFootprintModel().solve(model=resnet50, hardware=h100)
    many = MemoryFootprintModel().solve(model=resnet50, hardware=h100, batch_size=64)
    assert many.activation_bytes == one.activation_bytes * 64


@pytest.mark.parametrize("kwargs, name", [
    (dict(batch_size=0), "batch_size"),
    (dict(precision="fp9"), "precision"),
    (dict(activation_bytes=Q_(-5, "kB")), "activation_bytes"),
    (dict(activation_bytes=Q_(5, "s")), "activation_bytes"),
    (dict(hardware=None), "hardware"),
    (dict(model="resnet"), "model"),
    (dict(model=3), "model"),
])
def test_footprint_rejects_bad_inputs(h100, resnet50, kwargs, name):
    args = dict(model=resnet50, hardware=h100) | kwargs
    with pytest.raises(InvalidInputError, match=name):
        MemoryFootprintModel().solve(**args)


# ---- training memory: optimizers and the cost of recomputation ----
from mlsysim.resolvers import TrainingMemoryModel  # noqa: E402


@pytest.mark.parametrize("optimizer, per_param", [
    ("adam_mixed", 16),  # ZeRO (Rajbhandari et al. 2020, Sec. 3.1): 2 + 2 + 12
    ("adam_fp32", 16),   # fp32 weights 4 + gradients 4 + m 4 + v 4 (Kingma & Ba 2015)
    ("sgd_fp32", 12),    # with momentum: 4 + 4 + 4
    ("sgd_plain", 8),    # no momentum: 4 + 4
])
def test_optimizer_state_bytes(optimizer, per_param):
    w = Workload(name="7B", parameters=7e9)
    r = TrainingMemoryModel().solve(model=w, optimizer=optimizer)
    assert r.bytes_per_parameter == per_param
    assert r.total.m_as("GB") == pytest.approx(7 * per_param)  # Vol I Lab 08: 112 GB for Adam


def test_recompute_cost_full_and_selective(llama3_8b):
    # Full recomputation reruns the forward: +1/3 of a 3-forward step (Chen et al. 2016).
    full = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048, checkpointing="full")
    assert full.recompute_overhead == pytest.approx(1 / 3)
    # Selective recomputes the attention core only: 4 b s^2 h of the forward's
    # 24 b s h^2 + 4 b s^2 h (Korthikanti et al. 2022, Sec. 5): x / (3 (1 + x)), x = s / 6h.
    sel = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048, checkpointing="selective")
    x = 2048 / (6 * 4096)
    assert sel.recompute_overhead == pytest.approx(x / (3 * (1 + x)))
    assert sel.recompute_overhead < 0.03  # "much less" than full
    none = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048)
    assert none.recompute_overhead == 0
    assert full.activations < sel.activations < none.activations


def test_pipeline_first_stage_holds_in_flight_microbatches(llama3_8b):
    # 1F1B: the first of p stages holds p micro-batches of L/p layers = L layers' worth
    # (Korthikanti et al. 2022, Sec. 4.2.3), unless fewer micro-batches exist.
    one = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048)
    p4 = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048, pp=4)
    assert p4.activations == one.activations
    few = TrainingMemoryModel().solve(model=llama3_8b, seq_len=2048, pp=4, microbatches=2)
    assert few.activations.m_as("B") == pytest.approx(one.activations.m_as("B") / 2)


def test_training_memory_rejects_unknown_optimizer():
    with pytest.raises(InvalidInputError, match="optimizer"):
        TrainingMemoryModel().solve(model=Workload(name="x", parameters=1), optimizer="lion")
