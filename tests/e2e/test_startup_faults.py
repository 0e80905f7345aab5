"""Start-up always ends in a working lab or in a message that names what failed, with a
Retry that works once the fault is gone (issue 13, "Start-up"). Each case breaks one
download with Playwright's router: the page's own modules, the worker's modules, Pyodide,
the Python files (engine, toolkit, labs), the chart library."""
from __future__ import annotations

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"
ERROR_WAIT_MS = 30_000


def wait_for_state(page, state: str, timeout: int = ERROR_WAIT_MS) -> None:
    page.wait_for_function("([id, s]) => document.querySelector(`section.lab[data-lab=\"${id}\"]`)?.dataset.state === s",
                           arg=[LAB, state], timeout=timeout)


def break_url(page, pattern: str, how: str) -> None:
    """'abort' = the network fails; '404' = the server answers Not Found."""
    if how == "abort":
        page.route(pattern, lambda route: route.abort())
    else:
        page.route(pattern, lambda route: route.fulfill(status=404, body="not found"))


REASON = {"abort": "the network request failed", "404": "HTTP 404"}


@pytest.mark.fault
def test_a_page_module_that_fails_to_load_shows_an_error_with_retry(page, site_url):
    # render.js is deep in start.js's import graph; the browser only reports start.js.
    break_url(page, "**/assets/runtime/render.js", "404")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    wait_for_state(page, "error")
    assert lab.section.locator(".lab-status").inner_text() == "The lab could not start."
    error = lab.section.locator(".lab-error[role=alert]")
    text = error.inner_text()
    assert "render.js" in text and "HTTP 404" in text, text
    # The failed module graph is cached by the browser: Retry reloads the page.
    page.unroute("**/assets/runtime/render.js")
    with page.expect_navigation():
        error.locator("button.lab-retry").click()
    LabPage(page, LAB).wait_ready()


# What breaks, how, and the file name the student's message must carry.
WORKER_FAULTS = [
    ("**/assets/runtime/worker.js", "404", "worker.js"),
    ("**/assets/runtime/heap.js", "abort", "heap.js"),
    ("**/pyodide/pyodide.mjs", "404", "pyodide.mjs"),
    ("**/pyodide/pyodide.asm.wasm*", "404", "pyodide.asm.wasm"),   # the .gz, and the plain file it falls back to
    ("**/assets/python-files.tar.gz", "abort", "python-files.tar.gz"),
]


@pytest.mark.fault
@pytest.mark.parametrize("pattern, how, name", WORKER_FAULTS, ids=[f[2].strip(".") for f in WORKER_FAULTS])
def test_a_worker_download_that_fails_is_named_and_retry_recovers(page, recorder, site_url, pattern, how, name):
    break_url(page, pattern, how)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.open_predictions().first.wait_for(timeout=5000)  # the pre-rendered prediction still works
    wait_for_state(page, "error")
    text = lab.section.locator(".lab-error[role=alert]").inner_text()
    assert name in text and REASON[how] in text, text
    assert "Failed to fetch" not in text, text
    page.unroute(pattern)
    lab.section.locator("button.lab-retry").click()
    lab.wait_ready()
    assert lab.section.locator(".lab-error").count() == 0
    assert recorder.page_errors == []


@pytest.mark.fault
def test_plotly_failing_leaves_a_note_and_the_lab_working(page, recorder, site_url):
    break_url(page, "**/vendor/plotly-basic.min.js", "404")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    while lab.open_predictions().count():  # every prediction: both acts' charts appear
        lab.lock_first_prediction()
        lab.wait_settled()
    notes = lab.section.locator(".lab-figure .lab-figure-note")
    notes.first.wait_for()
    assert notes.count() == lab.section.locator(".lab-figure").count() >= 2
    text = notes.first.inner_text()
    assert "This chart could not load" in text and "plotly-basic.min.js" in text and "HTTP 404" in text, text
    assert lab.state() == "ready" and lab.section.locator(".lab-error").count() == 0
    lab.section.locator(".lab-ledger").wait_for()
    # The controls still answer: the failure state is reached and left.
    banner = lab.section.locator(".lab-banner[role=alert]")
    lab.set_control("context", "tiny")
    banner.first.wait_for()
    lab.set_control("context", "cloud")
    assert banner.count() == 0 and lab.state() == "ready"
    # Once the library can load, the next chart drawn brings every chart back.
    page.unroute("**/vendor/plotly-basic.min.js")
    lab.set_control("act2.batch", 8)  # a new Iron Law chart
    page.wait_for_function("id => [...document.querySelectorAll(`section.lab[data-lab=\"${id}\"] .lab-plot`)]"
                           ".every((p) => Number(p.dataset.plotted) > 0)", arg=LAB)
    assert notes.count() == 0
    assert recorder.page_errors == []
    # The browser logs the 404 itself; nothing else may reach the console as an error.
    assert [e for e in recorder.console_errors if "Failed to load resource" not in e] == []
