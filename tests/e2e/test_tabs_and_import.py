"""Fault injection for the student's record (issue 13): two tabs of the book, a reset racing a
render, and hostile or stale import files. Each case asserts that nothing the student did
is lost, resurrected or misreported."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = [pytest.mark.browser, pytest.mark.fault]
LAB, KEY = "vol1/01", "vol1.ch01"

# Holds every render reply from the lab's worker for window.__renderDelay ms: a slow render.
SLOW_RENDERS = """
window.__renderDelay = 0;
const RealWorker = window.Worker;
window.Worker = class extends RealWorker {
  set onmessage(fn) {
    super.onmessage = (e) => (e.data?.type === 'render' && window.__renderDelay
      ? setTimeout(() => fn(e), window.__renderDelay) : fn(e));
  }
  get onmessage() { return super.onmessage; }
};
"""


def finished_lab(page, site_url) -> LabPage:
    """Lab 01 with every prediction locked and its ledger entry saved."""
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.finish()
    return lab


def stored(page) -> dict:
    return json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))


def reset(lab: LabPage) -> None:
    lab.section.locator(".lab-reset > button").click()
    lab.section.locator(".lab-reset-confirm button.lab-danger").click()


def test_a_stale_tab_does_not_write_its_old_context_into_the_ledger(context, site_url):
    a = finished_lab(context.new_page(), site_url)
    b = finished_lab(context.new_page(), site_url)
    a.set_control("context", "tiny")
    assert stored(a.page)["ledger"][KEY]["context"] == "tiny"
    # Tab B was opened before; it follows the change and then the student moves a slider there.
    b.page.wait_for_function(
        "() => document.querySelector('[data-key=\"context\"] input[value=\"tiny\"]').checked")
    b.set_control("act2.batch", 8)
    doc = stored(b.page)
    assert doc["ledger"][KEY]["context"] == "tiny" and doc["labs"][LAB]["values"]["context"] == "tiny"
    assert doc["labs"][LAB]["values"]["act2.batch"] == 8


def test_a_reset_in_one_tab_is_not_undone_by_another(context, site_url):
    a = finished_lab(context.new_page(), site_url)
    b = finished_lab(context.new_page(), site_url)
    reset(a)
    a.open_predictions().first.wait_for()
    # The other tab shows the reset lab instead of re-saving what it had.
    b.open_predictions().first.wait_for()
    b.wait_settled()
    assert "changed in another tab" in b.section.locator(".lab-status").inner_text()
    doc = stored(b.page)
    assert KEY not in doc["ledger"] and not doc["labs"].get(LAB, {}).get("answers")


def test_a_reset_while_a_render_is_in_flight_stays_reset(page, site_url):
    page.add_init_script(SLOW_RENDERS)
    lab = finished_lab(page, site_url)
    page.evaluate("() => { window.__renderDelay = 600; }")
    box = lab.section.locator('[data-key="act2.batch"] input[type=number]')
    box.fill("16")
    box.press("Tab")                       # a render is now in flight, with the entry in it
    assert lab.section.get_attribute("data-busy") is not None
    reset(lab)
    lab.open_predictions().first.wait_for()
    lab.wait_settled()
    page.wait_for_timeout(700)             # longer than any held reply
    doc = stored(page)
    assert KEY not in doc["ledger"] and LAB not in doc["labs"], doc
    assert lab.section.locator(".lab-ledger").count() == 0


# ---- the Ledger page: export and import ----------------------------------------------------
ENTRY = {"lab": KEY, "context": "tiny", "schema": 2,
         "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6, "actual_value": 1.03e6,
                  "label": "About 10⁶ (a million times)"},
         "act2": {"prediction": "B", "correct": False, "decision": "keep cloud", "result": 275.4, "unit": "us"},
         "constraint_hit": True, "completed_at": "2026-11-21T10:00:00Z"}
MINE = {"version": 1, "labs": {LAB: {"answers": {"act1.prediction": "C"}, "values": {}, "updated": "2026-11-21T10:00:00Z"}},
        "ledger": {KEY: ENTRY}}


def open_ledger(page, site_url, doc=MINE):
    page.goto(site_url + "index.html")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])
    page.goto(site_url + "ledger.html")
    page.locator(".ledger-actions").wait_for()


def import_file(page, doc, name="import.json") -> str:
    """Import `doc` (a dict or raw text) and return the message the student reads."""
    body = doc if isinstance(doc, str) else json.dumps(doc)
    page.evaluate("() => { document.querySelector('.ledger-message').textContent = ''; }")
    page.set_input_files("#ledger-import", files=[{"name": name, "mimeType": "application/json", "buffer": body.encode()}])
    page.wait_for_function("n => document.querySelector('.ledger-message').textContent.includes(n)", arg=name)
    return page.locator(".ledger-message").inner_text()


def entry(lab_key: str, **changes) -> dict:
    return {**ENTRY, "lab": lab_key, **changes}


def test_export_holds_what_another_tab_saved_after_this_page_loaded(context, site_url):
    page = context.new_page()
    open_ledger(page, site_url)
    other = context.new_page()
    other.goto(site_url + "index.html")
    other.evaluate("([k, e]) => { const d = JSON.parse(localStorage.getItem(k)); d.ledger['vol1.ch09'] = e; localStorage.setItem(k, JSON.stringify(d)); }",
                   [STORE_KEY, entry("vol1.ch09")])
    page.wait_for_function("() => document.querySelectorAll('tr[data-ledger-key]').length === 2")
    with page.expect_download() as info:
        page.click("button.ledger-export")
    assert set(json.loads(open(info.value.path()).read())["ledger"]) == {KEY, "vol1.ch09"}


@pytest.mark.parametrize("hostile", [
    {"version": 1, "labs": {"__proto__": {"answers": {"polluted": "yes"}, "values": {}}}, "ledger": {}},
    {"version": 1, "labs": {LAB: {"answers": {"constructor": "A", "toString": "B"}, "values": {}}}, "ledger": {}},
    {"version": 1, "labs": {"constructor": {"answers": {}, "values": {}}}, "ledger": {"__proto__": entry("vol1.ch02")}},
    {"version": 1, "labs": {LAB: {"answers": {}, "values": {}, "extra": [[[[1]]]]}}, "ledger": {}},
], ids=["proto-lab", "prototype-names", "proto-ledger", "unknown-field"])
def test_a_hostile_import_is_refused_whole_and_pollutes_nothing(page, site_url, hostile):
    open_ledger(page, site_url)
    # JSON.parse keeps "__proto__" as a plain key, exactly as a file would carry it.
    text = json.dumps(hostile)
    message = import_file(page, text, "hostile.json")
    assert "Nothing was imported" in message
    assert page.evaluate("() => ({}).polluted === undefined && ({}).answers === undefined && typeof ({}).toString === 'function'")
    assert stored(page) == MINE
    assert page.locator("tr[data-ledger-key]").count() == 1


def test_a_deeply_nested_file_is_refused_and_the_page_still_shows_the_ledger(page, site_url):
    open_ledger(page, site_url)
    deep = '{"version": 1, "labs": {}, "ledger": {"vol1.ch02": ' + "[" * 5000 + "]" * 5000 + "}}"
    message = import_file(page, deep, "deep.json")
    assert "nested" in message and "Nothing was imported" in message
    page.reload()
    page.locator('tr[data-ledger-key="vol1.ch01"]').wait_for()
    assert stored(page) == MINE


def test_an_older_entry_does_not_replace_a_newer_one(page, site_url):
    open_ledger(page, site_url)
    old = {"version": 1, "labs": {LAB: {"answers": {"act1.prediction": "C"}, "values": {}, "updated": "2026-01-01T00:00:00Z"}},
           "ledger": {KEY: entry(KEY, context="edge", completed_at="2026-01-01T00:00:00Z")}}
    message = import_file(page, old)
    assert "1 lab kept as it is here" in message
    assert stored(page)["ledger"][KEY] == ENTRY


def test_an_old_export_does_not_override_a_prediction_locked_since(page, site_url):
    # The student exported, reset the lab, locked a different prediction and finished again.
    now = {"version": 1, "labs": {LAB: {"answers": {"act1.prediction": "B"}, "values": {}, "updated": "2026-11-22T10:00:00Z"}},
           "ledger": {KEY: entry(KEY, act1={**ENTRY["act1"], "prediction": "B", "correct": False}, completed_at="2026-11-22T10:00:00Z")}}
    open_ledger(page, site_url, now)
    message = import_file(page, MINE, "old-export.json")
    assert "Kept your own work for Lab 01 · The magnitude gap" in message
    assert stored(page) == now


def test_the_import_message_counts_what_it_did(page, site_url):
    open_ledger(page, site_url)
    doc = {"version": 1,
           "labs": {"vol1/02": {"answers": {"act1.prediction": "A"}, "values": {}},
                    "vol1/09": {"answers": {"act1.prediction": "D"}, "values": {}}},
           "ledger": {"vol1.ch02": entry("vol1.ch02"), "vol1.ch09": entry("vol1.ch09")}}
    message = import_file(page, doc)
    assert "2 labs added" in message
    assert set(stored(page)["ledger"]) == {KEY, "vol1.ch02", "vol1.ch09"}
    assert page.locator("tr[data-ledger-key]").count() == 3


def test_an_import_that_cannot_be_saved_says_so(page, site_url):
    open_ledger(page, site_url)
    page.evaluate("() => { Storage.prototype.setItem = function () { throw new DOMException('quota', 'QuotaExceededError'); }; }")
    doc = {"version": 1, "labs": {}, "ledger": {"vol1.ch09": entry("vol1.ch09")}}
    message = import_file(page, doc)
    assert "1 lab added" in message and "not saving" in message
    assert page.locator(".ledger-message.is-error").count() == 1
