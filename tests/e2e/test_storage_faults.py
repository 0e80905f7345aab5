"""Fault injection for the student's record (issue 13): storage that is full, freed, corrupt,
and pages that reload. Each case asserts that nothing the student did is lost or misreported.

The store cases drive the real runtime module (assets/runtime/storage.js) in a real page with
real localStorage; the lab cases drive a whole lab."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = [pytest.mark.browser, pytest.mark.fault]
LAB = "vol1/01"
ASIDE = STORE_KEY + ":corrupt:"

# Every write fails while window.__full is true (a full quota), reads keep working.
QUOTA = """
window.__full = %s;
const realSetItem = Storage.prototype.setItem;
Storage.prototype.setItem = function (k, v) {
  if (window.__full) throw new DOMException('quota exceeded', 'QuotaExceededError');
  return realSetItem.call(this, k, v);
};
"""


def seed(page, site_url, doc) -> None:
    page.goto(site_url + "index.html")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, doc if isinstance(doc, str) else json.dumps(doc)])


def stored(page) -> dict:
    return json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))


def aside_keys(page) -> list[str]:
    return sorted(k for k in page.evaluate("() => Object.keys(localStorage)") if k.startswith(ASIDE))


def locked_doc(answer: str = "C") -> dict:
    return {"version": 1, "labs": {LAB: {"answers": {"act1.prediction": answer}, "values": {}}}, "ledger": {}}


def test_a_full_quota_at_page_load_still_shows_the_locked_answer(page, recorder, site_url):
    seed(page, site_url, locked_doc("B"))
    page.add_init_script(QUOTA % "true")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    # The saved prediction shows as locked before Python, and Python applies it.
    lab.section.locator('[data-key="act1.prediction"] .lab-locked-note').wait_for()
    assert "storage for this site is full" in lab.section.locator(".lab-notice").inner_text()
    lab.wait_ready()
    lab.wait_settled()
    assert lab.section.locator('[data-key="act1.prediction"] input[value="B"]').is_checked()
    assert lab.section.locator(".lab-overlay").count() >= 1   # instruments unlocked by the saved answer
    assert recorder.page_errors == []


def test_saving_resumes_when_space_is_freed_and_nothing_from_the_full_spell_is_lost(page, site_url):
    page.add_init_script(QUOTA % "false")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    page.evaluate("() => { window.__full = true; }")
    lab.lock_first_prediction(option_index=1)           # made while nothing can be written
    lab.wait_settled()
    notice = lab.section.locator(".lab-notice")
    assert "storage for this site is full" in notice.inner_text()
    raw = page.evaluate("k => localStorage.getItem(k)", STORE_KEY)
    assert raw is None or not json.loads(raw)["labs"].get(LAB, {}).get("answers")   # not written yet
    page.evaluate("() => { window.__full = false; }")   # the student frees space
    lab.set_control("context", "tiny")                  # the next change writes everything
    assert "Saving again" in notice.inner_text()
    doc = stored(page)
    assert doc["labs"][LAB]["answers"]["act1.prediction"] is not None
    assert doc["labs"][LAB]["values"]["context"] == "tiny"
    page.reload()
    lab = LabPage(page, LAB)
    lab.section.locator('[data-key="act1.prediction"] .lab-locked-note').wait_for()


def test_a_corrupt_record_is_set_aside_once_not_once_per_page_view(page, site_url):
    seed(page, site_url, '{"version": 1, "labs": ')
    for _ in range(3):
        page.goto(site_url + "ledger.html")
        page.locator(".ledger-actions").wait_for()
    keys = aside_keys(page)
    assert len(keys) == 1, keys
    assert page.evaluate("k => localStorage.getItem(k)", keys[0]) == '{"version": 1, "labs": '
    # The Ledger page offers it: download keeps the exact text, delete removes it.
    section = page.locator(".ledger-aside")
    assert section.is_visible() and keys[0] in section.inner_text()
    with page.expect_download() as info:
        section.locator("button.ledger-aside-download").click()
    assert open(info.value.path()).read() == '{"version": 1, "labs": '
    page.once("dialog", lambda d: d.accept())
    section.locator("button.ledger-aside-delete").click()
    page.wait_for_function("() => document.querySelector('.ledger-aside').hidden")
    assert aside_keys(page) == []


def test_a_corrupt_record_with_no_room_for_a_copy_is_never_written_over(page, site_url):
    seed(page, site_url, '{"broken')
    page.add_init_script(QUOTA % "true")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    assert "no room to keep a copy" in lab.section.locator(".lab-notice").inner_text()
    assert page.evaluate("k => localStorage.getItem(k)", STORE_KEY) == '{"broken'
    page.evaluate("() => { window.__full = false; }")   # room again: copy first, then write
    lab.set_control("context", "tiny")
    keys = aside_keys(page)
    assert len(keys) == 1 and page.evaluate("k => localStorage.getItem(k)", keys[0]) == '{"broken'
    assert stored(page)["labs"][LAB]["values"]["context"] == "tiny"


def test_reloading_a_finished_lab_keeps_its_completed_at(page, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.finish()
    first = stored(page)["ledger"]["vol1.ch01"]["completed_at"]
    page.wait_for_timeout(50)  # a new timestamp would differ
    page.reload()
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.wait_settled()
    lab.section.locator(".lab-ledger").wait_for()
    assert stored(page)["ledger"]["vol1.ch01"]["completed_at"] == first


def test_store_unit_cases_in_the_real_module(page, site_url):
    """Store-level faults, each with a fresh localStorage: the record a student would lose."""
    page.goto(site_url + "index.html")
    result = page.evaluate("""async () => {
      const { Store } = await import(new URL('assets/runtime/storage.js', location.href).href);
      const KEY = 'mlsysbook:v1';
      const out = {};
      // A deeply nested record (a hostile tool wrote it) is set aside, not parsed into a blank page.
      localStorage.clear();
      localStorage.setItem(KEY, '['.repeat(5000) + ']'.repeat(5000));
      let s = new Store();
      out.deepNotice = s.notice;
      out.deepEmpty = Object.keys(s.exportDocument().labs).length === 0;
      // Prototype keys in a stored record reach no prototype.
      localStorage.clear();
      localStorage.setItem(KEY, JSON.stringify({version: 1, labs: {}, ledger: {}}));
      s = new Store();
      s.lockAnswer('vol1/01', 'toString', 'A');
      out.toStringLocked = s.labState('vol1/01').answers.toString === 'A';
      out.prototypeClean = ({}).answers === undefined && ({}).toString === Object.prototype.toString;
      // A second Store (another tab) writes; this one reads it before its own next write.
      const a = new Store(), b = new Store();
      a.setValue('vol1/02', 'context', 'edge');
      b.setValue('vol1/03', 'context', 'tiny');
      const doc = JSON.parse(localStorage.getItem(KEY));
      out.bothKept = doc.labs['vol1/02']?.values.context === 'edge' && doc.labs['vol1/03']?.values.context === 'tiny';
      // Export returns what is stored now, not what the page loaded.
      a.saveLedger('vol1.ch01', {lab: 'vol1.ch01', context: 'cloud', act1: {prediction: 'A', correct: true, predicted_value: null, actual_value: null},
        act2: {prediction: 'B', correct: false, decision: 'x', result: 1, unit: 's'}, constraint_hit: false, completed_at: '2026-11-21T10:00:00Z'});
      out.exportFresh = 'vol1.ch01' in b.exportDocument().ledger;
      // An answer locked for an earlier version of the question is replaced, the old one kept.
      s = new Store();
      s.lockAnswer('vol1/05', 'act1.prediction', 'A', 'aaaaaaaaaaaa');
      out.firstWins = s.lockAnswer('vol1/05', 'act1.prediction', 'B', 'aaaaaaaaaaaa') === 'A';
      out.newVersion = s.lockAnswer('vol1/05', 'act1.prediction', 'C', 'bbbbbbbbbbbb') === 'C';
      const lab5 = JSON.parse(localStorage.getItem(KEY)).labs['vol1/05'];
      out.earlierKept = lab5.earlier['act1.prediction'] === 'A' && lab5.asked['act1.prediction'] === 'bbbbbbbbbbbb';
      localStorage.clear();
      return out;
    }""")
    assert "could not be read" in result.pop("deepNotice")
    assert all(result.values()), result


def test_an_answer_to_an_earlier_version_of_a_question_is_not_applied_to_the_new_one(page, site_url):
    # Saved when the question read differently (its version then was 000000000000).
    doc = locked_doc("B")
    doc["labs"][LAB]["asked"] = {"act1.prediction": "000000000000"}
    seed(page, site_url, doc)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.wait_settled()
    question = lab.section.locator('[data-key="act1.prediction"]')
    assert question.locator("button.lab-commit").count() == 1          # open to answer again
    assert "earlier version" in lab.section.locator('[data-key="act1.prediction.earlier"]').inner_text()
    lab.lock_first_prediction(option_index=2)
    lab.wait_settled()
    saved = stored(page)["labs"][LAB]
    version = question.get_attribute("data-version") or page.evaluate(
        "() => JSON.parse(document.querySelector('script.lab-initial').textContent).nodes"
        ".flatMap(function f(n) { return [n, ...(n.children || []).flatMap(f)]; })"
        ".find((n) => n.key === 'act1.prediction').version")
    assert saved["earlier"]["act1.prediction"] == "B"                  # kept, not lost
    assert saved["asked"]["act1.prediction"] == version != "000000000000"
    assert saved["answers"]["act1.prediction"] == question.locator("input[type=radio]").nth(2).get_attribute("value")
    assert lab.section.locator('[data-key="act1.prediction.earlier"]').count() == 0


def test_a_saved_answer_the_question_no_longer_takes_can_be_answered_again(page, site_url):
    seed(page, site_url, locked_doc("Z"))           # not an option of this question
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.wait_settled()
    assert "Answer again below" in lab.section.locator('[data-key="act1.prediction.stale"]').inner_text()
    lab.lock_first_prediction(option_index=1)
    lab.wait_settled()
    saved = stored(page)["labs"][LAB]
    assert saved["earlier"]["act1.prediction"] == "Z" and saved["answers"]["act1.prediction"] != "Z"
    assert lab.section.locator('[data-key="act1.prediction.stale"]').count() == 0
    assert lab.section.locator(".lab-overlay").count() >= 1
