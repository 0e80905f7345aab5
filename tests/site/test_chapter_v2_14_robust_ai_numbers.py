"""Chapter 30 (Volume II, robust AI): its numbers are computed at build time through
robust_ai_cases.py, the module Lab 14 uses; they follow the engine (a registry value and a
published point); and the chapter does not work out the CIFAR-10 cases Lab 14's predictions
ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import robust_ai_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/robust_ai.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch14"), CHAPTER)


def minutes(hours):
    return f"{fmt.num(hours * 60)} min" if hours < 1.5 else f"{fmt.num(hours)} h"


def test_chapter_states_the_worked_examples(chapter):
    assert "{python}" not in chapter
    # MNIST: the published points and the window for the chapter's targets
    (c0, r0), (c1, r1) = (cases.endpoints("mnist")[k] for k in ("standard", "adversarial"))
    assert (f"classifies {fmt.percent(c0, 1)} of the clean test digits correctly and "
            f"{fmt.percent(r0, 1)} of the attacked ones") in chapter
    w = cases.window("mnist", cases.CHAPTER_TARGETS["clean"], cases.CHAPTER_TARGETS["robust"])
    assert w.feasible and w.high == 1.0
    assert f"= {fmt.percent(w.f_min, 1)}, and the clean target" in chapter
    assert f"The window runs from {fmt.percent(w.low, 1)} to 100.0%" in chapter
    at = cases.adversarial("mnist", w.low)
    assert f"training costs {fmt.num(at.cost_multiplier)} times the passes" in chapter
    strict = cases.window("mnist", 0.99, cases.CHAPTER_TARGETS["robust"])
    assert not strict.feasible
    assert f"falls to {fmt.percent(strict.f_max, 1)}" in chapter
    # ResNet-50 on ImageNet on one DGX H100 node, standard and PGD-7
    std = cases.standard_imagenet()
    assert f"and takes {minutes(std.hours)}" in chapter
    k7 = cases.imagenet_adversarial(7).training_time.m_as("hour")
    assert f"goes from {minutes(std.hours)} to {minutes(k7)}" in chapter
    assert f"| 7 | 8 | {minutes(k7)} | {fmt.num(k7 * 8)} | {fmt.usd(cases.rent(k7, 8))} |" \
        in chapter
    # the perturbation table, smoothing and SDC
    assert "| ImageNet photo, 224×224×3 | 150,528 | 4/255 | 2,360 | 6.09 | 388 |" in chapter
    assert f"$R$ = {fmt.num(cases.smoothing()['radius'])}" in chapter
    assert f"| 1,024 (the engine's 8,192-GPU cluster) | {fmt.percent(cases.any_defective(1024), 1)} |" \
        in chapter


def test_chapter_does_not_work_out_lab14s_predictions(chapter):
    """Lab 14 asks CIFAR-10's accuracy under PGD (Act I) and whether any adversarial share
    meets the Hardened targets (Act II): the chapter works MNIST and ImageNet's cost instead."""
    (c0, r0), (c1, r1) = (cases.endpoints("cifar10")[k] for k in ("standard", "adversarial"))
    for x in (c0, r0, c1, r1):
        assert fmt.percent(x, 1) not in chapter, x
    for ctx in ("production", "hardened"):
        w = cases.context_window(ctx)
        assert fmt.percent(w.f_min, 1) not in chapter
        assert fmt.percent(w.f_max, 1) not in chapter
    assert cases.standard_cifar().hours * 60 > 1
    assert f"{fmt.num(cases.standard_cifar().hours * 60)} min" not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double ResNet-50's FLOP per inference in (a copy of) the registry: the ImageNet run's
    time doubles. Change MNIST's published robust accuracy: the window moves."""
    def edit(engine):
        set_value(engine / "models/data/vision.toml", "ResNet50", "flops_per_inference",
                  "16.4 GFLOP")
        robustness = engine / "resolvers/robustness.py"
        text = robustness.read_text(encoding="utf-8")
        assert '"adversarial": (0.988, 0.893)' in text
        robustness.write_text(text.replace('"adversarial": (0.988, 0.893)',
                                           '"adversarial": (0.988, 0.800)'), encoding="utf-8")

    changed = expand_real(tmp_path, CHAPTER, edit)
    std = cases.standard_imagenet().hours
    assert f"and takes {minutes(std)}" in chapter
    assert f"and takes {minutes(2 * std)}" in changed
    assert f"and takes {minutes(std)}" not in changed
    assert "16.4 GFLOP per forward pass" in changed
    # robust target 80% over a robust end point of 80%: the window starts at 100%
    assert "of the attacked ones correctly" in changed
    assert "and 80.0% of the attacked ones correctly" in changed
    assert "The window runs from 100.0% to 100.0%" in changed
