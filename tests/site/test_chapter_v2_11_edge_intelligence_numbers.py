"""Chapter 27 (Volume II, edge intelligence): its numbers are computed at build time through
edge_intelligence_cases.py, the module Lab 11 uses; they follow the engine's registry; and the
chapter does not work out the cases Lab 11's predictions ask about."""
from __future__ import annotations

import pytest

from labkit import fmt
from labs.vol2 import edge_intelligence_cases as cases

from chapterdriver import expand_real, set_value

CHAPTER = "book/vol2/edge_intelligence.qmd"


@pytest.fixture(scope="module")
def chapter(tmp_path_factory):
    return expand_real(tmp_path_factory.mktemp("v2ch11"), CHAPTER)


def test_chapter_states_the_worked_example(chapter):
    ex = cases.chapter()
    u = cases.update_bytes("mobilenetv2")
    assert "{python}" not in chapter
    # the break-even: federated against centralized upload, in bytes and per phone
    assert (f"B_{{text{{fed}}}} = {fmt.num(cases.chapter_rounds())} times 100 times "
            f"text{{{fmt.si(u, 'B')}}} = text{{{fmt.si(ex.upload_bytes.m_as('B'), 'B')}}}") \
        in chapter
    assert f"= text{{{fmt.si(ex.raw_data_bytes.m_as('B'), 'B')}}}" in chapter
    assert f"uploads {fmt.percent(ex.upload_vs_raw, 1)} of what centralizing would" in chapter
    assert f"an average of {fmt.si(ex.uplink_per_client.m_as('B'), 'B')}" in chapter
    # the round and its stragglers
    assert f"round closes after {fmt.duration(ex.round_time.m_as('s'))}" in chapter
    tight = cases.chapter(deadline_min=1)
    assert f"only {fmt.num(tight.reporting_per_round)} of the 100 reports" in chapter
    # the compression table of the 5,000-phone pilot
    pilot = cases.chapter("fp16", population=5_000, budget_b=50e6)
    assert f"| 16-bit values | 0.5 | {fmt.si(u / 2, 'B')} | " \
           f"{fmt.si(pilot.uplink_per_client.m_as('B'), 'B')} | yes |" in chapter
    assert "| 32-bit values | 1 |" in chapter and "| no |" in chapter


def test_chapter_does_not_work_out_lab11s_predictions(chapter):
    """Lab 11 asks about BERT-Base on message text over a million phones (Act I) and the least
    compression for ResNet-50 on a 20,000-phone pilot (Act II): the chapter works MobileNetV2
    photos on 100,000 phones and a 5,000-phone pilot instead."""
    a1 = cases.act1()
    for text in (f"{fmt.num(a1.upload_vs_raw)} times", fmt.si(a1.upload_bytes.m_as("B"), "B"),
                 fmt.si(a1.raw_data_bytes.m_as("B"), "B"),
                 fmt.num(cases.act1(population=10_000_000).upload_vs_raw)):
        assert text not in chapter, text
    for key in cases.COMPRESSIONS:
        per = cases.act2(key).uplink_per_client.m_as("B")
        assert fmt.si(per, "B") not in chapter, key
    assert "ResNet-50 pilot" in chapter           # only in the lab's introduction
    assert chapter.count("ResNet-50") == 1


def test_chapter_follows_the_engine_data(tmp_path, chapter):
    """Halve LTE's uplink rate in (a copy of) the engine: the upload of one update takes twice
    as long in the link table, and the break-even bytes (which do not depend on the link) stay."""
    changed = expand_real(tmp_path, CHAPTER, lambda engine: set_value(
        engine / "systems/data/links.toml", "LTE", "bandwidth", "3.15 Mb/s"))
    u = cases.update_bytes("mobilenetv2")
    up = u / cases.LINKS["lte"].bandwidth.m_as("B/s")
    down = u / cases.LINKS["lte"].downlink.m_as("B/s")
    old = f"| LTE (4G) | 21.3 Mb/s | 6.3 Mb/s | {fmt.duration(down)} | {fmt.duration(up)} |"
    new = f"| LTE (4G) | 21.3 Mb/s | 3.15 Mb/s | {fmt.duration(down)} | {fmt.duration(2 * up)} |"
    assert old in chapter and old not in changed and new in changed
    ex = cases.chapter()
    assert f"= text{{{fmt.si(ex.upload_bytes.m_as('B'), 'B')}}}" in changed
