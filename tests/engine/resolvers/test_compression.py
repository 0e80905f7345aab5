"""CompressionModel accuracy from published points (issue 6: the old curve keyed to bits
removed gave 8.1 points for FP32 -> INT8 PTQ of ResNet-50)."""
import pytest

from mlsysim import Models
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import CompressionFrontierModel, CompressionModel

RESNET = Models.Vision.ResNet50


def test_int8_ptq_of_resnet50_is_nearly_lossless():
    # torchvision: ResNet50 IMAGENET1K_V1 76.130 top-1, IMAGENET1K_FBGEMM_V1 (post-training
    # int8) 75.920: a 0.21-point drop. The old curve gave 0.3 x (24/8)^3 = 8.1 points.
    r = CompressionModel().solve(model=RESNET, precision="int8", baseline_precision="fp32")
    assert r.accuracy_drop == pytest.approx(0.21, abs=1e-9)
    assert r.accuracy_drop < 1.0
    assert r.accuracy == pytest.approx(0.7592)
    assert not r.illustrative and "torchvision" in r.source
    assert r.compression_ratio == pytest.approx(4)


def test_baseline_float_format_does_not_change_the_published_drop():
    a = CompressionModel().solve(model=RESNET, precision="int8", baseline_precision="fp32")
    b = CompressionModel().solve(model=RESNET, precision="int8")  # registry default fp16
    assert a.accuracy_drop == b.accuracy_drop
    cast = CompressionModel().solve(model=RESNET, precision="fp16", baseline_precision="fp32")
    assert cast.accuracy_drop == 0 and cast.compression_ratio == pytest.approx(2)


def test_qat_points():
    # McKinstry et al. 2018 (FAQ) Table 1: 8-bit ResNet-50 76.52 vs 76.15 fp32 (a gain);
    # torchvision MobileNetV2 QAT int8: 71.878 -> 71.658.
    r = CompressionModel().solve(model=RESNET, precision="int8", quantization="qat")
    assert r.accuracy_drop == pytest.approx(76.15 - 76.52)
    m = CompressionModel().solve(model=Models.Vision.MobileNetV2, precision="int8",
                                 quantization="qat")
    assert m.accuracy_drop == pytest.approx(0.22) and not m.illustrative


def test_pruning_points_and_interpolation_are_labelled():
    at90 = CompressionModel().solve(model=RESNET, precision="fp16", sparsity=0.9)
    assert at90.accuracy_drop == pytest.approx(76.8 - 73.9) and not at90.illustrative
    mid = CompressionModel().solve(model=RESNET, precision="fp16", sparsity=0.85)
    assert mid.illustrative and "linear" in mid.source
    assert mid.accuracy_drop == pytest.approx((1.2 + 2.9) / 2)
    far = CompressionModel().solve(model=RESNET, precision="fp16", sparsity=0.95)
    assert far.illustrative and far.accuracy_drop > at90.accuracy_drop


def test_models_without_points_use_the_labelled_default():
    r = CompressionModel().solve(model=Models.Llama3_8B, precision="int4")
    assert r.illustrative and "illustrative" in r.source and r.accuracy is None
    assert r.compression_ratio == pytest.approx(4)  # bf16 -> int4
    both = CompressionModel().solve(model=RESNET, precision="int8", sparsity=0.5,
                                    pruning="structured")
    assert both.illustrative and "added" in both.source


def test_frontier_lists_published_points_smallest_first():
    f = CompressionFrontierModel().solve(model=RESNET)
    sizes = [p["size"].m_as("MB") for p in f.points]
    assert sizes == sorted(sizes) and len(f.points) >= 5
    assert f.original_size.m_as("MB") == pytest.approx(25_557_032 * 4 / 1e6)
    ptq8 = next(p for p in f.points if (p["method"], p["precision"]) == ("ptq", "int8"))
    assert ptq8["size"].m_as("MB") == pytest.approx(25.557032)
    assert CompressionFrontierModel().solve(model=Models.Llama3_8B).points == ()


def test_rejects_bad_method():
    with pytest.raises(InvalidInputError, match="quantization"):
        CompressionModel().solve(model=RESNET, quantization="gptq")
