"""An answer locked before Python is ready: right below it the lab says what is happening,
with real download progress, and says it truthfully until the instruments unlock, or until
start-up fails (then why, with a Retry there). Issue 14, "While Python loads"."""
from __future__ import annotations

import re

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"
MB = 1e6  # as the worker counts


def throttle(page, bytes_per_second: int) -> None:
    """DevTools network emulation (it applies to the lab's worker downloads too)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20,
             "downloadThroughput": bytes_per_second, "uploadThroughput": bytes_per_second})


def lock_early(page, site_url) -> tuple[LabPage, str]:
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.open_predictions().first.wait_for(timeout=5000)
    return lab, lab.lock_first_prediction()


def test_progress_below_an_early_answer_is_real_and_gives_way_to_the_instruments(page, site_url):
    throttle(page, 3 * MB)  # ~14 MB (a 6 MB snapshot) takes ~5 s: long enough to watch
    lab, key = lock_early(page, site_url)
    assert lab.state() == "loading", lab.section.inner_text()[:500]
    gate = lab.section.locator(f'[data-key="{key}"] + .lab-gate[data-waiting]')
    assert "Your prediction is saved" in gate.inner_text()
    assert "Commit your prediction" not in gate.inner_text()
    # Real bytes: the bar moves between 0 and the snapshot's size, and the words agree with it.
    page.wait_for_function("""(key) => {
        const bar = document.querySelector(`[data-key="${key}"] + .lab-gate progress`);
        return bar && bar.max > 1 && bar.value > 0 && bar.value < bar.max;
    }""", arg=key, timeout=30_000)
    text = gate.locator(".lab-gate-loading").inner_text()
    shown = re.search(r"Downloading Python: (\d+) of (\d+) MB", text)
    assert shown, text
    total = gate.locator("progress").evaluate("b => b.max")
    assert int(shown.group(2)) == round(total / MB)
    lab.wait_ready()
    lab.wait_settled()
    # Python's tree replaces the waiting gate: the instruments are open, nothing says "loading".
    assert lab.section.locator(".lab-gate[data-waiting]").count() == 0
    assert "gate" not in lab.after(key)[:1]


@pytest.mark.fault
def test_a_start_up_failure_is_said_below_the_early_answer_with_a_retry_there(page, site_url):
    page.route("**/assets/python-files.tar.gz", lambda route: route.fulfill(status=404, body="not found"))
    lab, key = lock_early(page, site_url)
    gate = lab.section.locator(f'[data-key="{key}"] + .lab-gate[data-waiting]')
    gate.locator("button.lab-gate-retry").wait_for(timeout=30_000)
    text = gate.inner_text()
    assert "Your prediction is saved" in text and "could not start" in text and "HTTP 404" in text, text
    assert lab.stored()["labs"][LAB]["answers"][key] is not None
    page.unroute("**/assets/python-files.tar.gz")
    gate.locator("button.lab-gate-retry").click()
    lab.wait_ready()
    assert lab.section.locator(".lab-error, .lab-gate[data-waiting]").count() == 0
