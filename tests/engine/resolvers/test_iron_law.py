import math
import time

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.resolvers import IronLawModel, RooflineModel


def test_iron_law_seed_errata_resnet_on_h100(h100):
    # seeds/README errata: 4 GFLOP at 989 TFLOP/s ~ 4 us; 100 MB at 3.35 TB/s ~ 30 us;
    # memory term ~ 7.4x the compute term.
    r = IronLawModel().solve(hardware=h100, data_bytes=Q_(100, "MB"), ops=Q_(4, "GFLOP"),
                             overhead=Q_(0, "s"))
    assert r.t_compute.m_as("us") == pytest.approx(4.044, rel=1e-3)
    assert r.t_memory.m_as("us") == pytest.approx(29.85, rel=1e-3)
    assert r.t_memory / r.t_compute == pytest.approx(7.38, rel=1e-2)
    assert r.binding == "memory"
    assert r.total == r.total_additive


def test_iron_law_h100_ridge_point_is_295_fp16_and_590_fp8(h100):
    # 989e12 / 3.35e12 = 295 FLOP/B (dense FP16); 1979e12 / 3.35e12 = 591 (FP8).
    r = IronLawModel().solve(hardware=h100, data_bytes=Q_(1, "MB"), ops=Q_(1, "GFLOP"))
    assert r.ridge_point.m_as("FLOP/B") == pytest.approx(295.2, rel=1e-3)
    r8 = IronLawModel().solve(hardware=h100, data_bytes=Q_(1, "MB"), ops=Q_(1, "GFLOP"),
                              precision="fp8")
    assert r8.ridge_point.m_as("FLOP/B") == pytest.approx(590.7, rel=1e-3)


def test_iron_law_workload_data_is_weights_once_plus_activations_per_sample(h100, resnet50):
    r = IronLawModel().solve(hardware=h100, model=resnet50, batch_size=8)
    # fp16: 25.6e6 x 2 B weights + 8 x 25e6 B activations; ops = 8 x 8.2 GFLOP
    assert r.weight_bytes.m_as("B") == pytest.approx(51.2e6)
    assert r.activation_bytes.m_as("B") == pytest.approx(200e6)
    assert r.data_bytes.m_as("B") == pytest.approx(251.2e6)
    assert r.ops.m_as("GFLOP") == pytest.approx(65.6)
    # default overhead: 5 us dispatch x 50 layers (one fused kernel per layer)
    assert r.kernels == 50
    assert r.t_overhead.m_as("us") == pytest.approx(250)
    assert r.share_memory + r.share_compute + r.share_overhead == pytest.approx(1)
    assert r.throughput.m_as("1/s") == pytest.approx(8 / r.total.m_as("s"))


def test_iron_law_int8_halves_weight_bytes(h100, resnet50):
    fp16 = IronLawModel().solve(hardware=h100, model=resnet50, precision="fp16")
    int8 = IronLawModel().solve(hardware=h100, model=resnet50, precision="fp8")
    assert int8.weight_bytes == fp16.weight_bytes / 2


def test_iron_law_overlapped_form_is_max_plus_overhead(h100):
    r = IronLawModel().solve(hardware=h100, data_bytes=Q_(100, "MB"), ops=Q_(4, "GFLOP"),
                             overhead=Q_(10, "us"), overlap=True)
    assert r.total == r.total_overlapped
    assert r.total.m_as("us") == pytest.approx(29.85 + 10, rel=1e-3)
    assert r.total_additive > r.total_overlapped


def test_iron_law_overhead_binds_for_tiny_kernels(h100):
    r = IronLawModel().solve(hardware=h100, data_bytes=Q_(1, "kB"), ops=Q_(1, "MFLOP"),
                             overhead=Q_(5, "us"))
    assert r.binding == "overhead"
    assert r.share_overhead > 0.99


def test_iron_law_efficiency_scales_compute_term(h100):
    full = IronLawModel().solve(hardware=h100, data_bytes=Q_(1, "MB"), ops=Q_(1, "TFLOP"))
    half = IronLawModel().solve(hardware=h100, data_bytes=Q_(1, "MB"), ops=Q_(1, "TFLOP"),
                                mfu=0.5)
    assert half.t_compute.m_as("s") == pytest.approx(2 * full.t_compute.m_as("s"))
    assert half.binding == "compute"


@pytest.mark.parametrize("kwargs, name", [
    (dict(mfu=0), "mfu"),
    (dict(mfu=1.5), "mfu"),
    (dict(efficiency=0.5), "renamed 'mfu'"),
    (dict(workload="ResNet50"), "renamed 'model'"),
    (dict(modle="ResNet50"), "Did you mean 'model'"),
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=2.5), "batch_size"),
    (dict(precision="fp7"), "precision"),
    (dict(overhead=Q_(-1, "us")), "overhead"),
    (dict(overhead=Q_(1, "GB")), "overhead"),
    (dict(kernels=0), "kernels"),
])
def test_iron_law_rejects_bad_inputs(h100, resnet50, kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        IronLawModel().solve(hardware=h100, model=resnet50, **kwargs)


@pytest.mark.parametrize("kwargs, name", [
    (dict(data_bytes=Q_(-1, "MB"), ops=Q_(1, "GFLOP")), "data_bytes"),
    (dict(data_bytes=Q_(1, "MB"), ops=Q_(1, "s")), "ops"),
    (dict(data_bytes=5, ops=Q_(1, "GFLOP")), "data_bytes"),
    (dict(data_bytes=Q_(1, "MB")), "model"),
    (dict(hardware="H200000", data_bytes=Q_(1, "MB"), ops=Q_(1, "GFLOP")), "H200000"),
    (dict(hardware=42, data_bytes=Q_(1, "MB"), ops=Q_(1, "GFLOP")), "hardware"),
])
def test_iron_law_rejects_bad_explicit_inputs(h100, kwargs, name):
    kwargs.setdefault("hardware", h100)
    with pytest.raises(InvalidInputError, match=name):
        IronLawModel().solve(**kwargs)


def _device(bw):
    return HardwareNode(name="x", release_year=2020,
                        compute=ComputeCore(peak_flops=Q_(100e12, "FLOP/s")),
                        memory=MemoryHierarchy(capacity=Q_(16, "GB"),
                                               bandwidth=Q_(bw, "B/s")))


@settings(max_examples=60, deadline=None)
@given(bw=st.floats(1e9, 1e13), factor=st.floats(1.0, 100.0),
       d=st.floats(1e3, 1e10), o=st.floats(1e6, 1e15), overlap=st.booleans())
def test_iron_law_more_bandwidth_is_never_slower(bw, factor, d, o, overlap):
    args = dict(data_bytes=Q_(d, "B"), ops=Q_(o, "FLOP"), overlap=overlap)
    slow = IronLawModel().solve(hardware=_device(bw), **args)
    fast = IronLawModel().solve(hardware=_device(bw * factor), **args)
    assert fast.total <= slow.total
    assert slow.total_overlapped <= slow.total_additive


def test_iron_law_single_call_under_1ms(h100, resnet50):
    model = IronLawModel()
    best = math.inf
    for _ in range(200):
        t0 = time.perf_counter()
        model.solve(hardware=h100, model=resnet50, batch_size=4)
        best = min(best, time.perf_counter() - t0)
    assert best < 1e-3, f"fastest IronLawModel call took {best * 1e6:.0f} us"


def test_roofline_h100_memory_and_compute_bound(h100):
    # AI = 10 FLOP/B: 10 x 3.35 TB/s = 33.5 TFLOP/s (memory bound), MFU ceiling 3.4 %.
    r = RooflineModel().solve(hardware=h100, arithmetic_intensity=Q_(10, "FLOP/B"))
    assert r.attainable_flops.m_as("TFLOP/s") == pytest.approx(33.5)
    assert r.bound == "memory"
    assert r.mfu_ceiling == pytest.approx(33.5 / 989, rel=1e-6)
    assert r.mfu is None, "with no measured throughput there is no MFU to report"
    r2 = RooflineModel().solve(hardware=h100, ops=Q_(1, "TFLOP"), data_bytes=Q_(1, "GB"))
    assert r2.bound == "compute" and r2.attainable_flops.m_as("TFLOP/s") == 989
    assert r2.ridge_point.m_as("FLOP/B") == pytest.approx(295.2, rel=1e-3)


def test_roofline_mfu_from_achieved(h100):
    # PaLM 540B reached 46.2 % MFU (Chowdhery et al. 2022): achieved = 0.462 x peak.
    r = RooflineModel().solve(hardware=h100, arithmetic_intensity=Q_(1000, "FLOP/B"),
                              achieved_flops=Q_(0.462 * 989, "TFLOP/s"))
    assert r.mfu == pytest.approx(0.462)


@pytest.mark.parametrize("kwargs, name", [
    (dict(arithmetic_intensity=Q_(-1, "FLOP/B")), "arithmetic_intensity"),
    (dict(arithmetic_intensity=Q_(1, "B/s")), "arithmetic_intensity"),
    (dict(), "arithmetic_intensity"),
    (dict(arithmetic_intensity=Q_(1, "FLOP/B"), achieved_flops=Q_(1, "GB")), "achieved_flops"),
])
def test_roofline_rejects_bad_inputs(h100, kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        RooflineModel().solve(hardware=h100, **kwargs)


@settings(max_examples=50, deadline=None)
@given(ai=st.floats(1e-3, 1e5))
def test_roofline_attainable_never_exceeds_either_roof(h100, ai):
    r = RooflineModel().solve(hardware=h100, arithmetic_intensity=Q_(ai, "FLOP/B"))
    assert r.attainable_flops.m_as("FLOP/s") <= 989e12 * (1 + 1e-12)
    assert r.attainable_flops.m_as("FLOP/s") <= ai * 3.35e12 * (1 + 1e-12)


# ---- GEMM arithmetic intensity (GemmModel) ----
from mlsysim.resolvers import GemmModel  # noqa: E402


def test_gemm_intensity_and_roofline_place(h100):
    # Square fp16 GEMM n x n x n: 2 n^3 FLOP over 3 n^2 x 2 B = n / 3 FLOP/B. n = 279 gives
    # 93 FLOP/B; the H100's ridge is 989e12 / 3.35e12 = 295 FLOP/B (datasheet), so the
    # kernel is memory-bound and reaches at most 93 / 295 = 31.5 % of peak (Vol I Lab 11).
    r = GemmModel().solve(gemm_shape=(279, 279, 279), hardware=h100)
    assert r.ops.m_as("FLOP") == 2 * 279 ** 3
    assert r.data_bytes.m_as("B") == 3 * 279 ** 2 * 2
    assert r.arithmetic_intensity.m_as("FLOP/B") == pytest.approx(93.0)
    assert r.ridge_point.m_as("FLOP/B") == pytest.approx(295.2, rel=1e-3)
    assert r.mfu_ceiling == pytest.approx(93.0 / 295.22, rel=1e-3)
    assert 0.31 < r.mfu_ceiling < 0.32 and r.bound == "memory"
    assert r.total.m_as("s") == pytest.approx(r.data_bytes.m_as("B") / 3.35e12)


def test_gemm_batch_moves_a_linear_layer_along_the_roofline(h100):
    # A 4096 x 4096 linear layer at batch b: intensity ~ b FLOP/B at fp16 for small b
    # (2 b d^2 / (2 d^2 + 4 b d) B), compute-bound only past the ridge.
    ai = [GemmModel().solve(gemm_shape=(b, 4096, 4096), hardware=h100)
          .arithmetic_intensity.m_as("FLOP/B") for b in (1, 8, 64, 512)]
    assert ai == sorted(ai) and ai[0] == pytest.approx(1.0, rel=1e-3)
    assert GemmModel().solve(gemm_shape=(1, 4096, 4096), hardware=h100).bound == "memory"
    assert GemmModel().solve(gemm_shape=(4096, 4096, 4096), hardware=h100).bound == "compute"
    # int8 halves the bytes: twice the intensity of the same shape
    fp8 = GemmModel().solve(gemm_shape=(64, 4096, 4096), hardware=h100, precision="fp8")
    fp16 = GemmModel().solve(gemm_shape=(64, 4096, 4096), hardware=h100)
    assert fp8.arithmetic_intensity == 2 * fp16.arithmetic_intensity


@pytest.mark.parametrize("shape", [(1, 2), (0, 4, 4), "4x4x4", (1.5, 2, 2)])
def test_gemm_rejects_bad_shape(h100, shape):
    with pytest.raises(InvalidInputError, match="gemm_shape"):
        GemmModel().solve(gemm_shape=shape, hardware=h100)


def test_iron_law_says_when_the_model_does_not_fit(resnet50):
    """The Iron Law prices work that fits: ResNet-50 at INT8 overflows the STM32H743's 2 MiB
    of flash (weights) and 1 MiB of SRAM (activations), as MemoryFootprintModel says; the
    times are still reported, for a device that could hold it."""
    from mlsysim import Hardware
    from mlsysim.resolvers import MemoryFootprintModel
    mcu = Hardware.Tiny.STM32H743
    r = IronLawModel().solve(hardware=mcu, model=resnet50, precision="int8")
    fit = MemoryFootprintModel().solve(model=resnet50, hardware=mcu, precision="int8")
    assert not r.feasible and r.violations == fit.violations
    assert r.total.m_as("s") > 0
    assert IronLawModel().solve(hardware=Hardware.Cloud.H100, model=resnet50).feasible
