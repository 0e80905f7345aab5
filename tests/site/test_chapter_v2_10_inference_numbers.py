"""The numbers in Chapter 26 (Volume II, inference) are computed at build time with the engine,
through the cases module the chapter shares with Vol II Lab 10: they equal what the cases
compute, they follow the engine's data, and the chapter does not work out the cases the lab's
predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import inference_cases as cases
from labs.vol2 import lab_10_inference as lab

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/inference.qmd"
B = cases.CHAPTER_MODEL


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch10"), CHAPTER)


def test_chapter_states_the_worked_examples(chapter):
    assert "{python}" not in chapter
    # the KV cache per token: 2 x 32 x 8 x 128 x 2 B for Llama 3 8B, four times less than MHA
    assert "which is 128 KiB per token" in chapter
    assert "it would be 512 KiB, 4 times as much" in chapter
    # conversations that fit on one H100, by length (BatchingCapacityModel)
    for ctx in (2048, 4096, 8192):
        u = cases.users_that_fit(ctx, 1, B)
        assert (f"| {fmt.num(ctx, 9)} | {fmt.si(cases.cache_per_user(ctx, 1, B), 'B')} | "
                f"{fmt.num(u, 9)} |") in chapter
    # the prefill and a decoding step (PrefillDecodeModel)
    pre = cases.step(cases.CHAPTER_PROMPT, 1, 1, 1, B).prefill_time.m_as("s")
    assert f"one GPU needs {fmt.duration(pre)} for the prefill" in chapter
    # reserved against paged sequences
    c = cases.capacity(cases.CHAPTER_PROMPT, 1, cases.SERVICES["chapter"])
    assert (f"the engine counts {c.static_sequences} reserved sequences against "
            f"{c.continuous_sequences} paged ones") in chapter
    # the layouts, and the best one
    best = cases.best_layout("chapter", "continuous", cases.CHAPTER_PROMPT)
    rb = cases.serve("chapter", "continuous", best, cases.CHAPTER_PROMPT)
    assert f"{cases.GPUS // best} copies of {best} GPUs, with a P99 TTFT of " \
        f"{fmt.duration(rb.ttft)}" in chapter
    for tp in cases.TP_DEGREES:
        r = cases.serve("chapter", "continuous", tp, cases.CHAPTER_PROMPT)
        assert f"| {cases.GPUS // tp} × TP{tp} | {fmt.duration(r.prefill)} |" in chapter
    static1 = cases.serve("chapter", "static", 1, cases.CHAPTER_PROMPT)
    assert f"the P99 time to first token is {fmt.duration(static1.ttft)}" in chapter


def test_chapter_does_not_work_out_the_labs_predictions(chapter):
    """Lab 10 asks how many 4,096-token users Llama 3 70B holds on eight H100s (Act I) and which
    layout answers the 70B assistant first (Act II): the chapter works Llama 3 8B instead."""
    users, _ = lab.act1_truth()
    body = chapter.split("## Lab 10")[0]
    assert f" {users} " not in body and f"{users} users" not in body
    assert str(cases.users_that_fit(8192, 8)) not in body
    for tp, r in cases.layouts("latency", "continuous", cases.DEFAULT_PROMPT).items():
        if r.served:
            assert fmt.duration(r.ttft) not in body, tp
    static = cases.serve("latency", "static", cases.DEFAULT_TP, cases.DEFAULT_PROMPT)
    assert fmt.duration(static.ttft) not in body


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Give the H100 94 GB in a copy of the engine: one GPU holds more 8,192-token
    conversations of Llama 3 8B."""
    def edit(engine):
        set_value(engine / "hardware" / "data" / "cloud.toml", "H100.memory", "capacity",
                  "94 GB")
    changed = expand_real(tmp_path, CHAPTER, edit)
    before = cases.users_that_fit(8192, 1, B)
    after = int((94e9 * cases.MEMORY_FRACTION - cases.weights_per_gpu(1, B))
                // cases.cache_per_user(8192, 1, B))
    assert after > before
    assert f"| 8,192 | 1.07 GB | {fmt.num(after, 9)} |" in changed
    assert f"| 8,192 | 1.07 GB | {fmt.num(before, 9)} |" in chapter
