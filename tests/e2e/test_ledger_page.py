"""The Ledger page lists saved entries, exports them and refuses a malformed import."""
from __future__ import annotations

import json

import pytest

from .labpage import STORE_KEY

pytestmark = pytest.mark.browser

ENTRY = {"lab": "vol1.ch01", "context": "cloud",
         "act1": {"prediction": "C", "correct": True}, "act2": {"prediction": "B", "correct": False, "decision": "keep cloud"},
         "constraint_hit": True, "completed_at": "2026-11-21T10:00:00Z"}
DOC = {"version": 1, "labs": {"vol1/01": {"answers": {"act1.prediction": "C"}, "values": {}}}, "ledger": {"vol1.ch01": ENTRY}}


def open_ledger(page, site_url, doc=DOC):
    page.goto(site_url + "index.html")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])
    page.goto(site_url + "ledger.html")
    page.locator(".ledger-actions").wait_for()


def test_ledger_lists_saved_entries(page, recorder, site_url):
    open_ledger(page, site_url)
    row = page.locator('tr[data-ledger-key="vol1.ch01"]')
    assert row.count() == 1
    assert "keep cloud" in row.inner_text() and "C (right)" in row.inner_text()
    assert recorder.console_errors == [] and recorder.page_errors == []


def test_ledger_export_downloads_the_document(page, site_url):
    open_ledger(page, site_url)
    with page.expect_download() as info:
        page.click("button.ledger-export")
    data = json.loads(open(info.value.path()).read())
    assert data["ledger"]["vol1.ch01"] == ENTRY


def test_ledger_rejects_malformed_import_and_keeps_entries(page, site_url):
    open_ledger(page, site_url)
    page.set_input_files("#ledger-import", files=[{"name": "broken.json", "mimeType": "application/json", "buffer": b"{not json"}])
    message = page.locator(".ledger-message.is-error")
    message.wait_for()
    assert "broken.json" in message.inner_text() and "not valid JSON" in message.inner_text()
    page.set_input_files("#ledger-import", files=[{"name": "wrong.json", "mimeType": "application/json",
                                                    "buffer": json.dumps({"version": 1, "labs": {}, "ledger": {"vol1.ch02": {"lab": "x"}}}).encode()}])
    page.wait_for_function("document.querySelector('.ledger-message').textContent.includes('wrong.json')")
    assert "lab must equal its key" in page.locator(".ledger-message").inner_text()
    assert page.locator('tr[data-ledger-key="vol1.ch01"]').count() == 1
    assert json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))["ledger"]["vol1.ch01"] == ENTRY


def test_ledger_import_merges_without_losing_entries(page, site_url):
    open_ledger(page, site_url)
    other = {**ENTRY, "lab": "vol1.ch09", "context": "edge"}
    doc = {"version": 1, "labs": {}, "ledger": {"vol1.ch09": other}}
    page.set_input_files("#ledger-import", files=[{"name": "mine.json", "mimeType": "application/json", "buffer": json.dumps(doc).encode()}])
    page.wait_for_function("document.querySelectorAll('tr[data-ledger-key]').length === 2")
    saved = json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))
    assert set(saved["ledger"]) == {"vol1.ch01", "vol1.ch09"}
