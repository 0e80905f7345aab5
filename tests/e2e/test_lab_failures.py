"""Every lab's failure state in a real browser: reached through the controls, shown as an
alert banner, and left again through the controls (LAB_PROTOCOL: "meet a failure state")."""
from __future__ import annotations

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage
from .test_labs import complete_predictions

pytestmark = pytest.mark.browser

# lab -> (controls that reach its failure state, controls that leave it), set in order.
# Every lab in the catalog must have a row (test_every_lab_has_a_failure_row).
FAILURES = {
    "vol1/00": ([("home", "tiny")], [("act2.model", "dscnn")]),
    "vol1/01": ([("context", "tiny")], [("context", "cloud")]),
    "vol1/02": ([("act2.distance", 3000)], [("context", "edge")]),
    "vol1/03": ([("act2.interval", 30)], [("act2.interval", 7)]),
    "vol1/04": ([("context", "edge")], [("act2.keep", 0.05)]),
    "vol1/05": ([("context", "mobile")], [("act2.batch", 56)]),
    "vol1/06": ([("context", "edge"), ("act2.seq_len", 16384)], [("act2.attention", "fused")]),
    "vol1/07": ([("context", "edge")], [("act2.execution", "fused")]),
    "vol1/08": ([("act2.batch", 3)], [("act2.checkpointing", "selective")]),
    "vol1/09": ([("context", "cloud"), ("act2.budget", 1000)], [("act2.budget", 10000)]),
    "vol1/10": ([("context", "mobile")], [("act2.model", "gpt2_xl"), ("act2.format", "int8")]),
    "vol1/11": ([("act2.phase", "decode")], [("act2.phase", "prefill")]),
    "vol1/12": ([("act2.precision", "fp16"), ("act2.batch", "1")], [("act2.claim", 1.25)]),
    "vol1/13": ([("act2.load", 10)], [("act2.servers", 4)]),
    "vol1/14": ([("context", "edge")], [("act2.interval", 22)]),
    "vol1/15": ([("context", "mobile")], [("context", "cloud")]),
    "vol1/16": ([("context", "edge")], [("act2.batch", 1)]),
}


def test_every_lab_has_a_failure_row():
    assert sorted(FAILURES) == sorted(LAB_PAGES)


@pytest.mark.parametrize("lab_id", sorted(FAILURES))
def test_failure_state_appears_and_leaves_through_the_controls(page, recorder, site_url, lab_id):
    reach, leave = FAILURES[lab_id]
    page.goto(site_url + LAB_PAGES[lab_id])
    lab = LabPage(page, lab_id)
    lab.wait_ready()
    complete_predictions(lab)
    banner = lab.section.locator(".lab-banner[role=alert]")
    for key, value in reach:
        lab.set_control(key, value)
    banner.first.wait_for()
    assert banner.first.inner_text().strip()
    for key, value in leave:
        lab.set_control(key, value)
    assert banner.count() == 0, f"{lab_id} failure did not clear: {banner.first.inner_text()}"
    assert recorder.console_errors == [] and recorder.page_errors == []
