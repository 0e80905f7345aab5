"""Hand-built devices and workloads (datasheet numbers, cited) so resolver tests do not
depend on the registry files."""
import pytest

from mlsysim.core.constants import Q_
from mlsysim.hardware.types import ComputeCore, HardwareNode, MemoryHierarchy
from mlsysim.models.types import Workload


@pytest.fixture(scope="session")
def h100():
    # NVIDIA H100 SXM5 datasheet: 989 TFLOP/s dense FP16/BF16 tensor, 1979 dense FP8,
    # 80 GB HBM3 at 3.35 TB/s, 700 W.
    return HardwareNode(
        name="H100 SXM", release_year=2022,
        compute=ComputeCore(peak_flops=Q_(989e12, "FLOP/s"),
                            precision_flops={"fp8": Q_(1979e12, "FLOP/s")}),
        memory=MemoryHierarchy(capacity=Q_(80, "GB"), bandwidth=Q_(3.35e12, "B/s"),
                               kind="HBM3"),
        tdp=Q_(700, "W"), unit_cost=Q_(30000, "USD"),
        dispatch_overhead=Q_(5, "us"))


@pytest.fixture(scope="session")
def cortex_m7():
    # STM32H743 (Cortex-M7 at 480 MHz): 2 MB flash, 1 MB SRAM (ST DS12110).
    # ~1 GFLOP/s is a fair fp32 peak for a 480 MHz M7 with FPU (seeds/README).
    return HardwareNode(
        name="STM32H743", release_year=2017,
        compute=ComputeCore(peak_flops=Q_(1e9, "FLOP/s"), default_precision="fp32"),
        memory=MemoryHierarchy(capacity=Q_(1, "MB"), bandwidth=Q_(3.84e9, "B/s"),
                               kind="SRAM", sram=Q_(1, "MB"), flash=Q_(2, "MB")))


@pytest.fixture(scope="session")
def resnet50():
    # He et al. 2016: 25.6 M parameters, ~4.1 G multiply-adds = 8.2 GFLOP at 224x224.
    return Workload(name="ResNet-50", parameters=25.6e6,
                    flops_per_inference=Q_(8.2e9, "FLOP"), layers=50,
                    peak_activation_bytes=Q_(25e6, "B"))


@pytest.fixture(scope="session")
def llama3_8b():
    # Meta Llama 3 8B config: 32 layers, hidden 4096, 32 heads, 8 KV heads, 8k context,
    # vocab 128256; ~8.03 B parameters; ~2 x params FLOP per token forward.
    return Workload(name="Llama-3 8B", parameters=8.03e9,
                    flops_per_inference=Q_(2 * 8.03e9, "FLOP"), layers=32,
                    hidden_size=4096, heads=32, kv_heads=8, context_length=8192,
                    vocab_size=128256)
