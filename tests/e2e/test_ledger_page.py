"""The Ledger page lists saved entries in the book's words (lab titles linked to their
chapters, context names, the chosen option's words with the labs' verdict words, local
dates), exports them and refuses a malformed import."""
from __future__ import annotations

import json

import pytest

from .labpage import STORE_KEY

pytestmark = pytest.mark.browser

ENTRY = {"lab": "vol1.ch01", "context": "tiny", "schema": 2,
         "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6, "actual_value": 1.03e6,
                  "label": "About 10⁶ (a million times)"},
         "act2": {"prediction": "B", "correct": False, "decision": "keep cloud", "result": 275.4,
                  "unit": "us"},
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
    text = row.inner_text()
    assert "keep cloud" in text and "About 10⁶ (a million times) (correct)" in text
    assert "Option B (incorrect)" in text          # a schema-1 act: no words stored, the letter
    assert recorder.console_errors == [] and recorder.page_errors == []


def test_ledger_rows_speak_the_books_words_not_internal_names(page, site_url):
    open_ledger(page, site_url)
    row = page.locator('tr[data-ledger-key="vol1.ch01"]')
    link = row.locator("th a")
    assert link.inner_text() == "Lab 01 · The magnitude gap"
    assert link.get_attribute("href") == "vol1/introduction.html#lab-vol1-01"
    assert "Volume I · Chapter 1: Introduction" in row.locator("th").inner_text()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "TinyML" and cells[4] == "275 µs" and cells[5] == "yes"
    local = page.evaluate("iso => new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(iso))",
                          ENTRY["completed_at"])
    assert cells[6] == local and row.locator("time").get_attribute("datetime") == ENTRY["completed_at"]
    text = row.inner_text()
    for internal in ("vol1.ch01", "tiny", "2026-11-21T10:00:00Z", "right", "wrong"):
        assert internal not in text, internal
    link.click()
    page.wait_for_url("**/vol1/introduction.html#lab-vol1-01")


def test_ledger_lists_an_entry_it_cannot_read_and_keeps_it(page, site_url):
    newer = {**ENTRY, "lab": "vol1.ch09", "schema": 7}
    doc = {**DOC, "ledger": {"vol1.ch01": ENTRY, "vol1.ch09": newer}}
    open_ledger(page, site_url, doc)
    row = page.locator('tr[data-ledger-key="vol1.ch09"]')
    assert "Lab 09 · The data selection trade-off" in row.inner_text()
    assert "cannot be read by this edition" in row.inner_text() and "newer" in row.inner_text()
    assert page.locator('tr[data-ledger-key="vol1.ch01"] a').count() == 1
    stored = json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))
    assert stored["ledger"]["vol1.ch09"] == newer      # never set aside or rewritten


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
    page.wait_for_function("() => document.querySelector('.ledger-message').textContent.includes('wrong.json')")
    assert "lab must equal its key" in page.locator(".ledger-message").inner_text()
    assert page.locator('tr[data-ledger-key="vol1.ch01"]').count() == 1
    assert json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))["ledger"]["vol1.ch01"] == ENTRY


def test_ledger_import_merges_without_losing_entries(page, site_url):
    open_ledger(page, site_url)
    other = {**ENTRY, "lab": "vol1.ch09", "context": "edge"}
    doc = {"version": 1, "labs": {}, "ledger": {"vol1.ch09": other}}
    page.set_input_files("#ledger-import", files=[{"name": "mine.json", "mimeType": "application/json", "buffer": json.dumps(doc).encode()}])
    page.wait_for_function("() => document.querySelectorAll('tr[data-ledger-key]').length === 2")
    saved = json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))
    assert set(saved["ledger"]) == {"vol1.ch01", "vol1.ch09"}
