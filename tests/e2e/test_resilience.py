"""The lab under hostile conditions: storage that throws, corrupt saved JSON, a failed
Pyodide download (Retry must recover)."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"

def wait_for_error(page, timeout: int) -> None:
    # A function, not an expression string: Playwright evaluates expression predicates with
    # eval(), which the pages' Content-Security-Policy forbids.
    page.wait_for_function("id => document.querySelector(`section.lab[data-lab=\"${id}\"]`).dataset.state === 'error'",
                           arg=LAB, timeout=timeout)


THROWING_STORAGE = """
Object.defineProperty(window, 'localStorage', {
  configurable: true,
  get() { throw new DOMException('The user denied storage', 'SecurityError'); },
});
"""


def test_lab_works_and_says_so_when_storage_throws(page, recorder, site_url):
    page.add_init_script(THROWING_STORAGE)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    notice = lab.section.locator(".lab-notice")
    notice.wait_for()
    assert notice.inner_text().startswith("Not saving:") and "for this visit only" in notice.inner_text()
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator(".lab-overlay").first.wait_for()
    assert notice.inner_text().startswith("Not saving:")
    assert recorder.page_errors == []


FULL_QUOTA = """
// Reads work; once the page has loaded, every write fails as a full quota does.
const realSetItem = Storage.prototype.setItem;
window.addEventListener('load', () => {
  Storage.prototype.setItem = function () { throw new DOMException('quota exceeded', 'QuotaExceededError'); };
});
"""


def test_lab_keeps_working_and_says_not_saving_when_the_quota_is_full(page, recorder, site_url):
    page.add_init_script(FULL_QUOTA)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.lock_first_prediction()  # the first write after load hits the full quota
    lab.wait_settled()
    lab.section.locator(".lab-overlay").first.wait_for()  # still unlocked, in memory
    assert lab.section.locator(".lab-notice").inner_text().startswith("Not saving:")
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_corrupt_saved_json_is_set_aside_and_the_student_told(page, site_url):
    page.goto(site_url + "index.html")
    page.evaluate("([k]) => localStorage.setItem(k, '{\"version\": 1, \"labs\": ')", [STORE_KEY])
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    notice = lab.section.locator(".lab-notice")
    notice.wait_for()
    text = notice.inner_text()
    assert "could not be read" in text and f"{STORE_KEY}:corrupt:" in text
    keys = page.evaluate("() => Object.keys(localStorage)")
    aside = [k for k in keys if k.startswith(STORE_KEY + ":corrupt:")]
    assert len(aside) == 1, keys
    assert page.evaluate("k => localStorage.getItem(k)", aside[0]) == '{"version": 1, "labs": '
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    # The fresh document is valid and the set-aside copy is untouched.
    assert lab.stored()["version"] == 1 and lab.stored()["labs"][LAB]["answers"]
    assert page.evaluate("k => localStorage.getItem(k)", aside[0]) == '{"version": 1, "labs": '


def test_store_corrupted_after_load_is_set_aside_before_the_next_write(page, site_url):
    # Another tab (or a tool) leaves unreadable JSON under our key while this page is open:
    # the next save must keep a copy of it, not silently overwrite it.
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    page.evaluate("([k]) => localStorage.setItem(k, 'garbage{')", [STORE_KEY])
    lab.lock_first_prediction()
    lab.wait_settled()
    keys = page.evaluate("() => Object.keys(localStorage)")
    aside = [k for k in keys if k.startswith(STORE_KEY + ":corrupt:")]
    assert len(aside) == 1, keys
    assert page.evaluate("k => localStorage.getItem(k)", aside[0]) == "garbage{"
    assert "could not be read" in lab.section.locator(".lab-notice").inner_text()
    assert lab.stored()["labs"][LAB]["answers"], "the new answer is saved in a fresh document"


def test_other_keys_on_the_origin_survive(page, site_url):
    page.goto(site_url + "index.html")
    page.evaluate("() => localStorage.setItem('someone-else', 'keep me')")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    assert page.evaluate("() => localStorage.getItem('someone-else')") == "keep me"


def test_failed_pyodide_download_shows_error_and_retry_recovers(page, site_url):
    page.route("**/pyodide.asm.wasm*", lambda route: route.abort())  # the .gz and its plain fallback
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    # The pre-rendered prediction stays usable while Python is down.
    lab.open_predictions().first.wait_for(timeout=5000)  # the pre-rendered prediction, before Python
    wait_for_error(page, timeout=60_000)
    error = lab.section.locator(".lab-error[role=alert]")
    assert error.is_visible()
    assert len(error.inner_text()) > 40, error.inner_text()
    page.unroute("**/pyodide.asm.wasm*")
    error.locator("button.lab-retry").click()
    lab.wait_ready()
    assert lab.section.locator(".lab-error").count() == 0
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator(".lab-overlay").first.wait_for()


def test_hung_boot_times_out_with_retry(page, site_url):
    # Hold the wasm forever; shrink the deadline through the documented config module.
    page.route("**/pyodide.asm.wasm*", lambda route: None)
    page.route("**/assets/runtime/config.js", lambda route: route.fulfill(
        content_type="text/javascript",
        body=route.fetch().text().replace("bootTimeoutMs: 30000", "bootTimeoutMs: 1500")))
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    wait_for_error(page, timeout=30_000)
    assert "did not start: nothing happened for 2 s" in lab.section.locator(".lab-error").inner_text()
    assert lab.section.locator("button.lab-retry").is_visible()
