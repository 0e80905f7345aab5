"""Chapter 29 (Volume II, security and privacy): its numbers are computed at build time through
security_privacy_cases.py, the module Lab 13 uses; they follow the engine's registry; and the
chapter does not work out the cases Lab 13's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import security_privacy_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/security_privacy.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch13"), CHAPTER)


def test_chapter_states_the_worked_examples(chapter):
    assert "{python}" not in chapter
    mean = cases.chapter_mean()
    assert f"= {fmt.num(mean.sigma)} text{{days}}" in chapter          # the private mean
    assert f"exact calibration needs {fmt.num(mean.analytic_sigma)} days" in chapter
    comp = cases.composition(1000, 0.01, 1e-6)
    assert (f"Basic composition charges {fmt.num(comp.basic_epsilon)}; advanced composition "
            f"with $delta' = 10^{{-6}}$ charges {fmt.num(comp.advanced_epsilon)}") in chapter
    assert f"The engine's accountant gives {fmt.num(cases.abadi().epsilon)}" in chapter
    run1, run4 = cases.chapter_run(), cases.chapter_run(4)
    assert f"| RDP accountant, sampled batches | {fmt.num(run1.epsilon)} |" in chapter
    assert f"| batch four times larger, same noise and epochs | {fmt.num(run4.epsilon)} |" \
        in chapter
    assert f"multiplies $varepsilon$ by {fmt.num(run4.epsilon / run1.epsilon, 2)}" in chapter
    s4 = cases.noise_for(run1.epsilon, 8000, 15, 200_000, 1e-6)
    assert f"takes a noise multiplier of {fmt.num(s4)} instead of 1.2" in chapter
    peg = cases.per_example_gradients()
    assert f"holds {fmt.si(peg['batch_b'], 'B')} of per-example gradients" in chapter
    assert f"holds at most {peg['fit']:,} of them" in chapter
    tee = cases.tee_load()
    assert f"takes {fmt.duration(tee['seconds'])} at the" in chapter


def test_chapter_does_not_work_out_lab13s_predictions(chapter):
    """Lab 13 asks the noise for one count at (1, 1e-5) (Act I) and how the accountant's epsilon
    changes from batch 256 to 4,096 on 50,000 records (Act II), and its reflections the noise at
    delta 1e-10 and the noise multipliers that spend a budget: the chapter works a mean at
    (0.5, 1e-6) and a run on 200,000 examples instead."""
    g = cases.count_release()
    tight = cases.gaussian(1.0, cases.TIGHT_DELTA)
    small = cases.run(1.0, 256, 10)
    big = cases.run(1.0, 4096, 10)
    texts = [fmt.num(g.sigma), fmt.num(g.analytic_sigma), fmt.num(1.96 * g.sigma),
             fmt.num(tight.sigma), fmt.num(small.epsilon), fmt.num(big.epsilon),
             f"{fmt.num(big.epsilon / small.epsilon, 2)} times"]
    for budget in cases.BUDGET.values():
        texts += [f"{cases.noise_for(budget, 256, 10):.2f}",
                  f"{cases.noise_for(budget, 4096, 10):.2f}"]
    for text in texts:
        assert f" {text} " not in chapter and f" {text}," not in chapter, text
    assert "50,000" not in chapter


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Double the H100's HBM in (a copy of) the engine: the per-example gradients that fit
    double, and the chapter says so."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "hardware/data/cloud.toml", "H100.memory", "capacity", "160 GB"))
    peg = cases.per_example_gradients()
    doubled = int(160e9 // peg["one_b"])
    assert f"holds at most {peg['fit']:,} of them" in chapter
    assert f"holds at most {doubled:,} of them" in changed
    assert f"holds at most {peg['fit']:,} of them" not in changed
    assert "the 160 GB of one H100" in changed
