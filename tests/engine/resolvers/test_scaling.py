import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.resolvers import ComputeOptimalSolver, TrainingComputeModel, TrainingTimeModel


def test_gpt3_training_compute():
    # Brown et al. 2020, Table D.1: GPT-3 175B on 300B tokens ~ 3.14e23 FLOP.
    r = TrainingComputeModel().solve(parameters=175e9, tokens=300e9)
    assert r.training_flops.m_as("FLOP") == pytest.approx(3.14e23, rel=0.01)


def test_chinchilla_compute_optimal_70b_1_4t():
    # Hoffmann et al. 2022: Chinchilla 70B on 1.4T tokens, C = 6 x 70e9 x 1.4e12 = 5.88e23.
    r = ComputeOptimalSolver().solve(training_flops=Q_(5.88e23, "FLOP"))
    assert r.parameters == pytest.approx(70e9, rel=1e-9)
    assert r.tokens == pytest.approx(1.4e12, rel=1e-9)


def test_training_time_is_3x_forward_over_mfu(h100, resnet50):
    # 8.2 GFLOP forward -> 24.6 GFLOP per training sample; ImageNet epoch 1.28e6 images,
    # 90 epochs at batch 256 = 450,000 steps; at 40 % of 989 TFLOP/s on 8 GPUs:
    # 24.6e9 x 256 x 450000 / (0.4 x 989e12 x 8) = 0.8955 h
    r = TrainingTimeModel().solve(model=resnet50, hardware=h100, steps=450_000,
                                  batch_size=256, devices=8)
    expected = 24.6e9 * 256 * 450_000 / (0.4 * 989e12 * 8)
    assert r.total_time.m_as("s") == pytest.approx(expected)
    assert r.mfu == 0.4 and "Chowdhery" in r.mfu_source


def test_training_time_h100_vs_jetson(h100, resnet50):
    jetson = HardwareNode(  # Jetson Orin NX 16GB: ~25 TFLOP/s dense FP16 (seeds/README)
        name="Orin NX", release_year=2023,
        compute=ComputeCore(peak_flops=Q_(25e12, "FLOP/s")),
        memory=MemoryHierarchy(capacity=Q_(16, "GB"), bandwidth=Q_(102.4e9, "B/s")))
    a = TrainingTimeModel().solve(model=resnet50, hardware=h100, steps=1000, batch_size=32)
    b = TrainingTimeModel().solve(model=resnet50, hardware=jetson, steps=1000, batch_size=32)
    assert b.hours / a.hours == pytest.approx(989 / 25)


@pytest.mark.parametrize("kwargs, name", [
    (dict(steps=0), "steps"), (dict(mfu=0), "mfu"), (dict(mfu=1.1), "mfu"),
    (dict(devices=0), "devices"), (dict(batch_size=-1), "batch_size"),
    (dict(precision="fp8"), "precision"),
])
def test_training_time_rejects_bad_inputs(kwargs, name, resnet50):
    hw = HardwareNode(name="x", release_year=2020,
                      compute=ComputeCore(peak_flops=Q_(1e12, "FLOP/s")),
                      memory=MemoryHierarchy(capacity=Q_(1, "GB"), bandwidth=Q_(1e9, "B/s")))
    args = dict(model=resnet50, hardware=hw, steps=10) | kwargs
    with pytest.raises(InvalidInputError, match=name):
        TrainingTimeModel().solve(**args)


@pytest.mark.parametrize("kwargs, name", [
    (dict(parameters=0, tokens=1), "parameters"), (dict(parameters=1, tokens=-1), "tokens"),
])
def test_training_compute_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        TrainingComputeModel().solve(**kwargs)


def test_compute_optimal_rejects_bad_compute():
    with pytest.raises(InvalidInputError, match="training_flops"):
        ComputeOptimalSolver().solve(training_flops=Q_(1, "s"))
