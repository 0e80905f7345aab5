"""Fast start from the Pyodide memory snapshot, and the fallback when it is missing,
corrupt (its SHA-256 is checked) or stalled: the lab must reach `ready` either way, with no page error and no console error
(the fallback says what happened with a console warning only)."""
from __future__ import annotations

import json
import re

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
    warnings = boots_normally_with(page, site_url, manifest)
    assert any("fast start from the snapshot failed" in w for w in warnings), warnings
    assert recorder.page_errors == [] and recorder.console_errors == []


def boots_normally_with(page, site_url, manifest) -> list[str]:
    """Serve `manifest` as the snapshot's; the lab must boot the standard way and work.
    Returns the console warnings."""
    page.route("**/pyodide-snapshot.json", lambda route: route.fulfill(json=manifest))
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    return warnings


def shrink_config(page, **values) -> None:
    """Serve runtime/config.js with some limits changed (the documented place for them)."""
    def fulfill(route):
        body = route.fetch().text()
        for name, value in values.items():
            body, n = re.subn(rf"\b{name}: \d+", f"{name}: {value}", body)
            assert n == 1, f"config.js has no {name}"
        route.fulfill(content_type="text/javascript", body=body)
    page.route("**/assets/runtime/config.js", fulfill)


@pytest.mark.fault
def test_snapshot_whose_bytes_differ_from_its_sha256_is_not_used(page, recorder, site_url, book_dir):
    # Right file, right length, bytes that do not hash to the manifest's SHA-256 (here the
    # manifest's hash is changed: serving 38 MB altered through the router takes too long).
    manifest = json.loads((book_dir / "assets" / "pyodide-snapshot.json").read_text())
    flipped = manifest["sha256"][:-1] + ("0" if manifest["sha256"][-1] != "0" else "1")
    warnings = boots_normally_with(page, site_url, {**manifest, "sha256": flipped})
    assert any("fast start from the snapshot failed" in w and "SHA-256" in w for w in warnings), warnings
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.fault
def test_stalled_snapshot_falls_back_at_the_stall_limit_not_the_boot_deadline(page, recorder, site_url):
    page.route("**/pyodide-snapshot-*.bin", lambda route: None)  # never answers
    shrink_config(page, downloadStallMs=1500)  # the boot deadline stays at its 30 s
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready(timeout=20_000)
    assert boot_mode(page) == "standard"
    answer_and_see_instruments(lab)
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.fault
def test_slow_but_moving_snapshot_is_not_killed_and_shows_its_progress(page, context, recorder, site_url):
    # ~38 MB at 6 MB/s takes ~6 s, twice the (shrunk) deadline: only progress keeps it alive.
    shrink_config(page, bootTimeoutMs=3000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": 6e6, "uploadThroughput": -1})
    page.add_init_script("""
      window.__labStatus = [];
      new MutationObserver(() => {
        const s = document.querySelector('section.lab .lab-status');
        if (s && s.textContent !== window.__labStatus.at(-1)) window.__labStatus.push(s.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    """)
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    assert boot_mode(page) == "snapshot"
    seen = page.evaluate("() => window.__labStatus")
    downloading = [t for t in seen if re.fullmatch(r"Downloading Python: \d+ of 38 MB", t)]
    assert len(downloading) >= 3, seen
    assert recorder.page_errors == [] and recorder.console_errors == []
