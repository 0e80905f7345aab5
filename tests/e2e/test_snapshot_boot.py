"""Fast start from the Pyodide memory snapshot, and the fallback when it is missing or
corrupt: the lab must reach `ready` either way, with no page error and no console error
(the fallback says what happened with a console warning only)."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"


def boot_mode(page) -> str:
    return page.get_attribute(f'section.lab[data-lab="{LAB}"]', "data-boot")


def answer_and_see_instruments(lab: LabPage) -> None:
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator(".lab-overlay").first.wait_for()


def test_snapshot_boot_is_used_when_present(page, recorder, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "snapshot"
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_missing_snapshot_falls_back_to_standard_boot(page, recorder, site_url):
    page.route("**/pyodide-snapshot-*.bin", lambda route: route.abort())
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_corrupt_snapshot_falls_back_to_standard_boot(page, recorder, site_url, book_dir):
    # Point the manifest at a real file that is not a snapshot (right size, wrong bytes):
    # Pyodide itself must reject it, and the worker must boot normally.
    manifest = json.loads((book_dir / "assets" / "pyodide-snapshot.json").read_text())
    bundle = book_dir / "assets" / "labs_bundle.zip"
    manifest.update(file="labs_bundle.zip", bytes=bundle.stat().st_size)
    page.route("**/pyodide-snapshot.json", lambda route: route.fulfill(json=manifest))
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "standard"
    assert any("fast start from the snapshot failed" in w for w in warnings), warnings
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []
