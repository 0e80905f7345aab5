"""Printing a chapter (issue 14, "Printable"): under print media the book's chrome and the
lab's buttons are gone, the text takes the page's width, no table or formula is cut at the
page's edge, links read as underlined text, and Chromium saves the page as a PDF. The Ledger
page's dashboard stays (its own print rules are the Ledger's)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
CHAPTER = "vol1/hw_acceleration.html"    # wide tables, display math, a lab
# A4 with book.css's @page margins leaves a ~670 CSS px column.
PAPER = {"width": 670, "height": 950}
CHROME = [".site-header", ".sidebar", ".page-toc", "#search-input", ".skip-link", ".page-nav", "section.lab button",
          "section.lab .lab-status"]

PRINTED = """chrome => {
    const main = document.querySelector('main');
    const shown = (el) => getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
    const visibleChrome = chrome.filter((sel) => [...document.querySelectorAll(sel)].some(shown));
    const cut = [...main.querySelectorAll('.table-scroll, .math.display, pre, table')]
        .filter((el) => !el.closest('section.lab'))
        .filter((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > innerWidth + 1)
        .map((el) => el.tagName.toLowerCase() + '.' + el.className + ' ' + el.scrollWidth + '/' + el.clientWidth);
    const skipped = [...main.querySelectorAll(':scope > section')].filter((s) => getComputedStyle(s).contentVisibility !== 'visible').length;
    const link = main.querySelector('.table-scroll ~ p a, p a') || main.querySelector('a');
    const ls = getComputedStyle(link);
    const r = main.getBoundingClientRect();
    return { visibleChrome, cut, skipped, mainWidth: r.width, mainLeft: r.left,
             linkColor: ls.color, bodyColor: getComputedStyle(document.body).color,
             linkUnderlined: ls.textDecorationLine.includes('underline') };
}"""


def test_a_chapter_prints_cleanly_and_saves_as_pdf(context, site_url):
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site_url + CHAPTER)
    page.locator("section.lab button").first.wait_for(state="attached")
    assert page.evaluate(PRINTED, CHROME)["visibleChrome"] == CHROME, "the screen shows its chrome"
    page.set_viewport_size(PAPER)
    page.emulate_media(media="print")
    printed = page.evaluate(PRINTED, CHROME)
    assert printed["visibleChrome"] == [], printed["visibleChrome"]
    assert printed["cut"] == [], printed["cut"]
    assert printed["skipped"] == 0, "sections are left to content-visibility on paper"
    assert printed["mainLeft"] <= 1 and printed["mainWidth"] >= PAPER["width"] - 2, printed
    assert printed["linkUnderlined"] and printed["linkColor"] == printed["bodyColor"], printed
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000, len(pdf)


def test_printing_the_ledger_keeps_its_dashboard(context, site_url):
    page = context.new_page()
    page.set_viewport_size(PAPER)
    page.goto(site_url + "ledger.html")
    page.emulate_media(media="print")
    view = page.locator(".ledger-view")
    assert view.count() == 1 and view.is_visible()
    assert page.locator(".site-header").is_hidden() and page.locator(".sidebar").is_hidden()
