import math

import pytest

import mlsysim
from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.models.types import Workload
from mlsysim.resolvers import (CompileBreakEvenModel, DispatchOverheadModel, IronLawModel,
                               KernelCountModel)

M = mlsysim.Models


@pytest.mark.parametrize("key, eager, fused", [
    # torchvision ResNet-50 (He et al. 2016, Table 1): 53 conv, 53 BN, 49 ReLU, 16 adds,
    # 2 pools, 1 fc = 174 operators; fused = 53 conv + 2 pools + fc.
    ("ResNet50", 53 + 53 + 49 + 16 + 2 + 1, 53 + 2 + 1),
    # torchvision MobileNetV2 (Sandler et al. 2018, Table 2): 52 conv, 52 BN, 35 ReLU6,
    # 10 residual adds, pool, linear.
    ("MobileNetV2", 52 + 52 + 35 + 10 + 1 + 1, 52 + 1 + 1),
    # DS-CNN-S: 9 convs with BN and ReLU each, pool, fc.
    ("DS_CNN_S", 9 * 3 + 2, 9 + 2),
])
def test_cnn_kernel_counts_from_the_architecture(key, eager, fused):
    r = KernelCountModel().solve(model=M.get(key))
    assert (r.eager_kernels, r.fused_kernels) == (eager, fused) and not r.illustrative


def test_transformer_kernel_counts_are_per_layer_and_illustrative():
    r = KernelCountModel().solve(model=M.Llama3_8B, hardware=mlsysim.Hardware.H100)
    assert r.eager_kernels == 32 * 15 + 3 and r.fused_kernels == 32 * 7 + 3
    assert r.illustrative and "illustrative" in r.source
    assert r.eager_overhead.m_as("us") == pytest.approx(r.eager_kernels * 5)
    gpt2 = KernelCountModel().solve(model=M.GPT2)
    assert gpt2.eager_kernels == 12 * 13 + 3 and gpt2.eager_overhead is None


def test_compile_break_even_is_compile_time_over_saving():
    # Saving per request = (eager - fused launches) x dispatch overhead (the Iron Law's L
    # term; memory and compute are the same) = 118 x 5 us = 590 us on a GPU with 5 us
    # launches; a 60 s compile pays back after ceil(60 / 590e-6) = 101,695 requests.
    orin = mlsysim.Hardware.Edge.JetsonOrinNX
    r = CompileBreakEvenModel().solve(model=M.ResNet50, hardware=orin, compile_time="60 s",
                                      arrival_rate="10 request/s")
    d = orin.dispatch_overhead.m_as("s")
    assert r.saving_per_request.m_as("s") == pytest.approx((174 - 56) * d)
    assert r.break_even_requests == math.ceil(60 / ((174 - 56) * d))
    assert r.break_even_time.m_as("s") == pytest.approx(r.break_even_requests / 10)
    eager = IronLawModel().solve(hardware=orin, model=M.ResNet50, kernels=174).total
    assert r.eager_latency == eager
    # batching spreads the saving of one batch over its requests: more requests to repay
    b8 = CompileBreakEvenModel().solve(model=M.ResNet50, hardware=orin, compile_time="60 s",
                                       batch_size=8)
    assert b8.break_even_requests == pytest.approx(8 * r.break_even_requests, rel=1e-4)


def test_dispatch_share_of_a_small_model_at_batch_1():
    # Vol I Lab 07, Act I: at batch 1 on the H100, launch overhead dominates a small model.
    h = mlsysim.Hardware.H100
    k = KernelCountModel().solve(model=M.DS_CNN_S, hardware=h)
    law = IronLawModel().solve(hardware=h, model=M.DS_CNN_S, kernels=k.eager_kernels)
    assert law.share_overhead > 0.9


def test_kernel_count_errors():
    with pytest.raises(InvalidInputError, match="model"):
        KernelCountModel().solve(model=Workload(name="x", parameters=10))
    with pytest.raises(InvalidInputError, match="compile_time"):
        CompileBreakEvenModel().solve(model=M.ResNet50, hardware=mlsysim.Hardware.H100,
                                      compile_time="60 GB")
    with pytest.raises(InvalidInputError, match="dispatch_overhead"):
        DispatchOverheadModel().solve(kernels=3, compute_time="1 ms",
                                      dispatch_overhead="5 us", hardware="H100")
