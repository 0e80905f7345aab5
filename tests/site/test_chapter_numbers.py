"""The worked numbers in chapter text are written by hand; these tests recompute each with the
engine and find it in the chapter, so a registry change that moves a number fails here and
names the sentence to update (instead of the book and its labs quietly disagreeing)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from mlsysim import Hardware, Models
from mlsysim.core.solver import IronLawModel, MemoryFootprintModel

INTRO = Path(__file__).resolve().parents[2] / "book" / "vol1" / "introduction.qmd"
H100, MCU = Hardware.Cloud.H100, Hardware.Tiny.STM32H743
RESNET = Models.Vision.ResNet50


def chapter() -> str:
    return INTRO.read_text(encoding="utf-8")


def worked_example():
    # The chapter's example: weights only ("ignore activations for now"), FP16, batch 1.
    return IronLawModel().solve(hardware=H100, data_bytes=RESNET.size_in_bytes("fp16"),
                                ops=RESNET.flops_per_inference, precision="fp16")


def test_chapter1_iron_law_terms_match_the_engine():
    r = worked_example()
    compute_us, data_us = r.t_compute.m_as("us"), r.t_memory.m_as("us")
    text = chapter()
    assert rf"\approx {compute_us:.1f}\ \mu\text{{s}}" in text, f"O/R is {compute_us:.2f} us now"
    assert rf"\approx {data_us:.1f}\ \mu\text{{s}}" in text, f"D/BW is {data_us:.2f} us now"
    assert f"factor of ${data_us:.1f} / {compute_us:.1f} \\approx {data_us / compute_us:.1f}$" in text
    assert f"about {compute_us + data_us:.1f} µs" in text  # the additive sum


def test_chapter1_ridge_point_and_intensity_match_the_engine():
    r = worked_example()
    text = chapter()
    assert f"\\approx {r.ridge_point.m_as('FLOP/B'):.0f}$ FLOP" in text
    assert f"\\approx {r.arithmetic_intensity.m_as('FLOP/B'):.0f}$ FLOP per byte" in text
    # and the chapter's FP16 weight size is the registry's
    assert f"= {RESNET.size_in_bytes('fp16').m_as('MB'):.1f}$ MB" in text


def test_chapter1_gap_ratios_match_the_registry():
    text = chapter()
    bandwidth = (H100.memory.bandwidth / MCU.memory.bandwidth).m_as("")
    assert f"{bandwidth:,.0f}× in bandwidth" in text
    memory = (H100.memory.capacity / MCU.memory.sram).m_as("")
    assert f"about {round(memory, -3):,.0f}× in memory" in text
    compute = (H100.compute.peak("fp16") / MCU.compute.peak_flops).m_as("")
    assert 0.95e6 < compute < 1.1e6, "the chapter's ~10^6 compute gap"


def test_chapter1_mcu_cannot_hold_resnet50():
    fit = MemoryFootprintModel().solve(model=RESNET, hardware=MCU, precision="int8")
    assert not fit.feasible
    text = chapter()
    assert f"weights occupy {RESNET.size_in_bytes('int8').m_as('MB'):.1f} MB" in text
    assert f"has {MCU.memory.flash.m_as('MiB'):.0f} MB of flash" in text


def test_chapter9_training_time_matches_the_engine():
    from mlsysim.core.solver import TrainingTimeModel

    # 100,000 images x 90 epochs of ResNet-50 on one H100 at 40% MFU (the chapter's example).
    images, epochs, batch = 100_000, 90, 256
    r = TrainingTimeModel().solve(model=RESNET, hardware=H100, steps=images * epochs / batch, batch_size=batch, mfu=0.4)
    text = (INTRO.parent / "data_selection.qmd").read_text(encoding="utf-8")
    assert f"\\approx {round(r.total_time.m_as('s'), -1):.0f}$ s" in text
    assert f"\\approx {r.total_flops.m_as('FLOP') / 1e17:.1f} \\times 10^{{17}}" in text
