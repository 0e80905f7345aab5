import math

import pytest

import mlsysim
from mlsysim.core.errors import InvalidInputError
from mlsysim.models.types import Workload
from mlsysim.resolvers import ActivationMemoryModel

M = mlsysim.Models


@pytest.mark.parametrize("key, n_layers, first, last_spatial", [
    # He et al. 2016, Table 1: conv1 112x112x64, conv2_x 56x56, ..., conv5_x 7x7x2048;
    # 53 convolutions + max pool + avg pool + fc.
    ("ResNet50", 56, (64, 112, 112), (2048, 7, 7)),
    # Sandler et al. 2018, Table 2: 112x112x32 first, 7x7x1280 last; 52 convs + pool + fc.
    ("MobileNetV2", 54, (32, 112, 112), (1280, 7, 7)),
    # DS-CNN-S (Zhang et al. 2017; ARM ML-KWS-for-MCU): 49x10 input -> 25x5x64.
    ("DS_CNN_S", 11, (64, 25, 5), (64, 25, 5)),
])
def test_registry_layer_shapes_follow_the_papers(key, n_layers, first, last_spatial):
    shapes = M.get(key).layer_shapes
    assert len(shapes) == n_layers
    assert (shapes[0].channels, shapes[0].height, shapes[0].width) == first
    spatial = [s for s in shapes if (s.height, s.width) != (1, 1)][-1]
    assert (spatial.channels, spatial.height, spatial.width) == last_spatial


def test_per_layer_bytes_batch_and_precision():
    # conv1 of ResNet-50: 64 x 112 x 112 = 802,816 values; x batch 8 x 2 B (fp16).
    r = ActivationMemoryModel().solve(model=M.ResNet50, batch_size=8, precision="fp16")
    conv1 = r.layers[0]
    assert conv1["name"] == "conv1" and conv1["shape"] == (64, 112, 112)
    assert conv1["output_B"] == 802816 * 8 * 2
    assert r.input_bytes.m_as("B") == 3 * 224 * 224 * 8 * 2
    one = ActivationMemoryModel().solve(model=M.ResNet50, precision="fp16")
    assert r.peak == 8 * one.peak and r.stored == 8 * one.stored
    int8 = ActivationMemoryModel().solve(model=M.ResNet50, precision="int8")
    assert int8.peak * 2 == one.peak


def test_peaks_match_the_registry_where_its_definition_is_the_same():
    # MobileNetV2's peak is the 112x112x96 expansion and its 56x56x96 depthwise output
    # (1,505,280 values, the registry's peak_activation_bytes); DS-CNN-S two 25x5x64 int8
    # buffers (16,000 B, which with 22.6 kB of weights gives Hello Edge's 38.6 kB).
    mb = ActivationMemoryModel().solve(model=M.MobileNetV2, precision="fp16")
    assert mb.peak == M.MobileNetV2.peak_activation_bytes
    ds = ActivationMemoryModel().solve(model=M.DS_CNN_S, precision="int8")
    assert ds.peak == M.DS_CNN_S.peak_activation_bytes
    # ResNet-50: the registry counts block output + shortcut (1,605,632 values); the ledger
    # also counts the 1x1's 64-channel input: 200,704 more.
    rn = ActivationMemoryModel().solve(model=M.ResNet50, precision="fp16")
    assert rn.peak.m_as("B") == (1605632 + 200704) * 2 and rn.peak_layer == "conv2_1 1x1b"


def test_resolution_scales_spatial_maps_quadratically():
    # Doubling the input side quadruples every spatial map (stride arithmetic, ceil(R/s));
    # the pooled 1x1 layers do not change.
    a = ActivationMemoryModel().solve(model=M.ResNet50, precision="fp16")
    b = ActivationMemoryModel().solve(model=M.ResNet50, precision="fp16", resolution=448)
    assert b.layers[0]["shape"] == (64, 224, 224) and b.layers[-1]["shape"] == (1000, 1, 1)
    assert b.peak == 4 * a.peak
    odd = ActivationMemoryModel().solve(model=M.ResNet50, resolution=(200, 300))
    assert odd.layers[0]["shape"] == (64, 100, 150)
    assert odd.layers[-4]["shape"][1:] == (math.ceil(200 / 32), math.ceil(300 / 32))


def test_training_stores_every_layer_and_the_phone_budget_fails():
    # Vol I Lab 05's failure: training activations exceed an app's share of phone memory.
    a17 = mlsysim.Hardware.Mobile.A17Pro
    inf = ActivationMemoryModel().solve(model=M.ResNet50, batch_size=64, hardware=a17,
                                        precision="fp16", memory_fraction=0.5)
    assert inf.feasible
    tr = ActivationMemoryModel().solve(model=M.ResNet50, batch_size=64, training=True,
                                       hardware=a17, precision="fp16", memory_fraction=0.5)
    assert tr.stored.m_as("B") == pytest.approx(sum(r["output_B"] for r in tr.layers))
    assert tr.stored > 5 * inf.peak
    big = ActivationMemoryModel().solve(model=M.ResNet50, batch_size=256, training=True,
                                        hardware=a17, precision="fp16", memory_fraction=0.5)
    assert not big.feasible
    v = big.violations[0]
    assert v.available.m_as("GB") == pytest.approx(a17.memory.capacity.m_as("GB") / 2)


def test_mcu_activations_in_sram():
    mcu = mlsysim.Hardware.Tiny.STM32H743
    ok = ActivationMemoryModel().solve(model=M.DS_CNN_S, hardware=mcu, precision="int8")
    assert ok.feasible and ok.available == mcu.memory.sram
    rn = ActivationMemoryModel().solve(model=M.ResNet50, hardware=mcu, precision="int8")
    assert {v.name for v in rn.violations} == {"SRAM capacity", "flash capacity"}


@pytest.mark.parametrize("kwargs, name", [
    (dict(model=Workload(name="x", parameters=1)), "model"),
    (dict(model=M.ResNet50, resolution=(1, 2, 3)), "resolution"),
    (dict(model=M.ResNet50, resolution=0), "resolution"),
    (dict(model=M.ResNet50, batch_size=0), "batch_size"),
    (dict(model=M.ResNet50, training="yes"), "training"),
    (dict(model=M.ResNet50, memory_fraction=1.5), "memory_fraction"),
])
def test_rejects_bad_inputs(kwargs, name):
    with pytest.raises(InvalidInputError, match=name):
        ActivationMemoryModel().solve(**kwargs)
