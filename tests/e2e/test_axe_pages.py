"""Every page without a lab (the book's front page, the Ledger, any other) at 1280x900 and
390x844: axe-core finds no serious or critical WCAG 2.0-2.2 A/AA violation and nothing makes
the page pan sideways on a phone. Lab pages are audited state by state in test_labs.py."""
from __future__ import annotations

import json

import pytest

from .axe import PageAudit
from .conftest import BOOK
from .labpage import STORE_KEY

pytestmark = pytest.mark.browser


def _pages_without_a_lab() -> list[str]:
    """Built pages (relative paths) with no lab section; found in the build, so a new page
    (the class view, say) is audited without being listed here."""
    pages = sorted(p.relative_to(BOOK).as_posix() for p in BOOK.rglob("*.html") if "assets" not in p.parts)
    return [p for p in pages if 'class="lab"' not in (BOOK / p).read_text(encoding="utf-8")]


PAGES = _pages_without_a_lab() if BOOK.is_dir() else ["index.html", "ledger.html"]

# One saved entry, so the Ledger page shows its table (with none it shows a sentence).
ENTRY = {"lab": "vol1.ch01", "context": "tiny", "schema": 2,
         "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6, "actual_value": 1.03e6,
                  "label": "About 10⁶ (a million times)"},
         "act2": {"prediction": "B", "correct": False, "decision": "keep cloud", "result": 275.4, "unit": "us"},
         "constraint_hit": True, "completed_at": "2026-11-21T10:00:00Z"}
DOC = {"version": 1, "labs": {"vol1/01": {"answers": {"act1.prediction": "C"}, "values": {}}},
       "ledger": {"vol1.ch01": ENTRY}}


def test_the_build_has_pages_without_a_lab():
    assert {"index.html", "ledger.html"} <= set(PAGES), PAGES


@pytest.mark.parametrize("path", PAGES)
def test_page_without_a_lab_passes_axe_on_desktop_and_phone(page, recorder, site_url, book_dir, path):
    audit = PageAudit(page, path)
    page.goto(site_url + path)
    page.wait_for_load_state("networkidle")
    audit.at("as loaded, nothing saved")
    # The same page with a saved ledger entry (the Ledger page then shows its table).
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(DOC)])
    page.reload()
    page.wait_for_load_state("networkidle")
    audit.at("one ledger entry saved")
    # Search results open over the page (the search box is in every page's header).
    page.locator("#search-input").fill("memory bandwidth")
    page.locator("#search-results:not([hidden])").wait_for()
    audit.at("search results open")
    assert recorder.console_errors == [] and recorder.page_errors == []
    audit.assert_clean()
