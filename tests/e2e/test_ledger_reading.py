"""Labs read the Design Ledger in the browser (PROTOCOL.md section 2): real Pyodide, real
localStorage. Lab 00's entry records the student's home context; Lab 09 (Cloud / Edge)
starts on it once Python is ready, and on its first context without it. The ledger is read
fresh for every render, so an entry saved elsewhere (another tab) counts at the next one. The
Volume I capstone (Lab 16) reads every earlier lab's entry."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/09"

HOME = {"lab": "vol1.ch00", "context": "edge", "schema": 2,
        "act1": {"prediction": "A", "correct": True, "predicted_value": None, "actual_value": None},
        "act2": {"prediction": "A", "correct": True, "decision": "home context: edge",
                 "result": None, "unit": "none"},
        "constraint_hit": False, "completed_at": "2026-11-20T09:00:00Z"}


def seed(page, site_url, ledger):
    page.goto(site_url + "index.html")
    doc = {"version": 1, "labs": {}, "ledger": ledger}
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])


def context_shown(lab: LabPage) -> str:
    return lab.section.locator('[data-key="context"] input[type=radio]:checked').get_attribute("value")


def open_lab(page, site_url) -> LabPage:
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.open_predictions().first.wait_for(timeout=5000)
    return lab


def test_lab_starts_on_the_home_context_from_lab00(page, recorder, site_url):
    seed(page, site_url, {"vol1.ch00": HOME})
    lab = open_lab(page, site_url)
    lab.wait_ready()
    lab.wait_settled()
    assert context_shown(lab) == "edge"
    # The stakeholder's machine follows the context: the Edge device, not the H100.
    assert "Jetson" in lab.section.locator(".lab-stakeholder").first.inner_text()
    assert "context" not in lab.stored()["labs"].get(LAB, {}).get("values", {}), "a default is not a choice"
    assert recorder.console_errors == [] and recorder.page_errors == []


def test_lab_starts_on_its_first_context_without_lab00(page, site_url):
    seed(page, site_url, {})
    lab = open_lab(page, site_url)
    lab.wait_ready()
    lab.wait_settled()
    assert context_shown(lab) == "cloud"
    assert "H100" in lab.section.locator(".lab-stakeholder").first.inner_text()


def test_lab_ignores_an_invalid_home_entry(page, recorder, site_url):
    seed(page, site_url, {"vol1.ch00": {**HOME, "act1": "edge"}, "vol1.ch01": {"lab": "vol1.ch01"}})
    lab = open_lab(page, site_url)
    lab.wait_ready()
    lab.wait_settled()
    assert context_shown(lab) == "cloud"
    assert recorder.page_errors == []


def test_the_students_choice_beats_the_home_context(page, site_url):
    seed(page, site_url, {"vol1.ch00": HOME})
    lab = open_lab(page, site_url)
    lab.wait_ready()
    lab.wait_settled()
    lab.section.locator('[data-key="context"] label', has_text="Cloud").click()
    lab.wait_settled()
    page.reload()
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.wait_settled()
    assert context_shown(lab) == "cloud"


def test_the_ledger_is_read_fresh_for_every_render(page, site_url):
    seed(page, site_url, {})
    lab = open_lab(page, site_url)
    lab.wait_ready()
    lab.wait_settled()
    assert context_shown(lab) == "cloud"
    # Lab 00 finished in another tab: its entry lands in storage behind this page's back.
    page.evaluate("""([k, entry]) => { const doc = JSON.parse(localStorage.getItem(k));
                     doc.ledger["vol1.ch00"] = entry; localStorage.setItem(k, JSON.stringify(doc)); }""",
                  [STORE_KEY, HOME])
    lab.lock_first_prediction()      # any event renders again, with the ledger read now
    lab.wait_settled()
    assert context_shown(lab) == "edge"


def entry(number: int, predicted: float, actual: float, volume: int = 1) -> dict:
    key = f"vol{volume}.ch{number:02d}"
    return {"lab": key, "context": "cloud", "schema": 2,
            "act1": {"prediction": "C", "correct": True, "predicted_value": predicted,
                     "actual_value": actual},
            "act2": {"prediction": "B", "correct": False, "decision": "a design",
                     "result": 1.0, "unit": "ms"},
            "constraint_hit": False, "completed_at": "2026-11-20T09:00:00Z"}


def test_the_capstone_reads_a_partial_volume_one_ledger(page, recorder, site_url):
    """Lab 16 in the browser with two labs done: its calibration view counts them and names
    what is missing (the CPython tests cover empty, partial, full and malformed ledgers)."""
    seed(page, site_url, {"vol1.ch01": entry(1, 1e6, 9.9e5), "vol1.ch05": entry(5, 800.0, 100.0)})
    page.goto(site_url + LAB_PAGES["vol1/16"])
    lab = LabPage(page, "vol1/16")
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    chart = lab.section.locator('[data-key="act1.calibration"]')
    chart.wait_for()
    text = lab.section.inner_text()
    assert "2 of 15" in text, "the calibration summary does not count the two labs done"
    assert "Lab 02" in lab.section.locator('[data-key="act1.calibration.missing"]').inner_text()
    assert recorder.console_errors == [] and recorder.page_errors == []


def test_the_book_capstone_reads_a_partial_two_volume_ledger(page, recorder, site_url):
    """Volume II's Lab 17 in the browser with one lab of each volume done: it counts both
    volumes and names what is missing in each (the CPython tests cover empty, partial, full
    and malformed ledgers)."""
    seed(page, site_url, {"vol1.ch01": entry(1, 1e6, 9.9e5),
                          "vol2.ch05": entry(5, 800.0, 100.0, volume=2)})
    page.goto(site_url + LAB_PAGES["vol2/17"])
    lab = LabPage(page, "vol2/17")
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator('[data-key="act1.calibration"]').wait_for()
    summary = lab.section.locator('[data-key="act1.calibration.summary"]').inner_text()
    assert "2 of 32" in summary and "Volume I 1 of 16" in summary and "Volume II 1 of 16" in summary
    missing = lab.section.locator('[data-key="act1.calibration.missing"]').inner_text()
    assert "Lab 02" in missing and "Volume II" in missing
    assert recorder.console_errors == [] and recorder.page_errors == []
