"""Moving between chapters keeps Python alive (issue 12, "The next chapter"): a link to the
next chapter swaps the page in place (assets/navigate.js) and the new lab renders in the
worker the page already has. History, focus, scroll and the announcement follow; the old
lab's late render touches nothing; a page that cannot be fetched loads the normal way."""
from __future__ import annotations

import json

import pytest

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = pytest.mark.browser
FIRST, NEXT = "vol1/01", "vol1/02"
LEDGER_KEY = "vol1.ch01"

# Counts every Worker the document makes, lists the labs it asks a worker to render, and can
# hold each render reply for window.__renderDelay ms (a slow render still in flight when the
# reader moves on).
WORKERS = """
window.__workers = 0;
window.__asked = [];
window.__renderDelay = 0;
window.__heldReplies = 0;
const RealWorker = window.Worker;
window.Worker = class extends RealWorker {
  constructor(...args) { super(...args); window.__workers += 1; }
  postMessage(message, ...rest) {
    if (message?.type === 'render') window.__asked.push(message.lab);
    return super.postMessage(message, ...rest);
  }
  set onmessage(fn) {
    super.onmessage = (e) => {
      if (e.data?.type !== 'render' || !window.__renderDelay) return fn(e);
      setTimeout(() => { fn(e); window.__heldReplies += 1; }, window.__renderDelay);
    };
  }
  get onmessage() { return super.onmessage; }
};
"""


def open_ready(page, site_url) -> LabPage:
    page.add_init_script(WORKERS)
    page.goto(site_url + LAB_PAGES[FIRST])
    lab = LabPage(page, FIRST)
    lab.wait_ready()
    page.evaluate("() => { window.__sameDocument = true; }")   # gone if the page really reloads
    return lab


def follow_next_link(page) -> None:
    """The keyboard's way (no scrolling on the way): focus the next-chapter link, press Enter."""
    link = page.locator("nav.page-nav a.page-nav-next")
    link.evaluate("a => a.focus({ preventScroll: true })")
    link.press("Enter")


def block_top(page, selector: str) -> float:
    return page.evaluate("s => document.querySelector(s).getBoundingClientRect().top", selector)


def stored(page) -> dict:
    return json.loads(page.evaluate("k => localStorage.getItem(k)", STORE_KEY))


def test_next_chapter_keeps_the_worker_and_back_returns_to_the_same_place(page, recorder, site_url):
    open_ready(page, site_url)
    # The reader is mid-chapter: the table of contents took them to a section far down.
    heading = "#sec-introduction-memory-wall"
    page.locator(f'.page-toc a[href="{heading}"]').click()
    page.wait_for_function("""s => {
        const top = document.querySelector(s).getBoundingClientRect().top;
        const header = document.querySelector('.site-header').getBoundingClientRect().bottom;
        return header <= top && top <= header + 60; }""", arg=heading)
    before = block_top(page, heading)
    follow_next_link(page)

    page.wait_for_url("**/" + LAB_PAGES[NEXT])
    nxt = LabPage(page, NEXT)
    nxt.wait_ready()
    assert page.evaluate("() => window.__sameDocument") is True, "the page was reloaded"
    assert page.evaluate("() => window.__workers") == 1
    assert "ML Systems Across the Deployment Spectrum" in page.title()
    assert page.evaluate("() => document.activeElement === document.querySelector('#main h1')")
    assert page.evaluate("() => window.scrollY") == 0
    page.wait_for_function("() => document.getElementById('navigation-announcer')?.textContent === document.title")
    # Its own lab, live: the old one is gone, the skip link and the sidebar follow.
    assert page.locator("section.lab").count() == 1
    title = page.evaluate("() => JSON.parse(document.querySelector('section.lab script.lab-initial').textContent).title")
    assert title in nxt.section.inner_text()
    assert page.locator('a.skip-link[href="#lab-vol1-02"]').count() == 1
    assert page.locator('#book-contents a[aria-current="page"]').get_attribute("href").endswith("ml_systems.html")
    assert page.evaluate("() => performance.getEntriesByName('nav:shown').length") == 1
    nxt.lock_first_prediction()                      # the instruments answer in the kept worker
    nxt.wait_settled()

    page.go_back()
    page.wait_for_url("**/" + LAB_PAGES[FIRST] + heading)
    LabPage(page, FIRST).wait_ready()
    assert page.evaluate("() => window.__sameDocument") is True
    assert page.evaluate("() => window.__workers") == 1
    assert "Introduction" in page.title()
    page.wait_for_function("([s, y]) => Math.abs(document.querySelector(s).getBoundingClientRect().top - y) <= 2",
                           arg=[heading, before], timeout=3000)
    assert recorder.page_errors == []


@pytest.mark.fault
def test_a_render_of_the_old_lab_that_arrives_after_the_swap_changes_nothing(page, recorder, site_url):
    lab = open_ready(page, site_url)
    lab.finish()                                     # the ledger entry is saved, context "cloud"
    entry = stored(page)["ledger"][LEDGER_KEY]
    page.evaluate("() => { window.__renderDelay = 800; }")
    lab.section.locator('[data-key="context"] input[value="tiny"]').check()
    assert lab.section.get_attribute("data-busy") is not None     # its render (and entry) in flight
    follow_next_link(page)
    nxt = LabPage(page, NEXT)
    page.wait_for_url("**/" + LAB_PAGES[NEXT])
    nxt.wait_ready()
    nxt.wait_settled()
    # Watch the new lab while the held reply for the old one comes in.
    page.evaluate("""() => {
        window.__mutations = 0;
        new MutationObserver((records) => { window.__mutations += records.length; })
            .observe(document.querySelector('section.lab'), { subtree: true, childList: true, attributes: true, characterData: true });
    }""")
    page.wait_for_function("() => window.__heldReplies >= 1", timeout=5000)
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__mutations") == 0
    assert page.locator('section.lab[data-lab="vol1/01"]').count() == 0
    doc = stored(page)
    assert doc["labs"][FIRST]["values"]["context"] == "tiny"      # the change itself is kept
    assert doc["ledger"][LEDGER_KEY] == entry, "the old lab's late render saved its ledger entry"
    assert recorder.page_errors == []


@pytest.mark.fault
def test_a_page_that_cannot_be_fetched_loads_the_normal_way(page, recorder, site_url):
    target = LAB_PAGES[NEXT]
    tried = []

    def fail_the_fetch(route):       # every fetch of the page fails; the browser's own load works
        tried.append(route.request.resource_type)
        route.abort() if route.request.resource_type == "fetch" else route.continue_()

    page.route("**/" + target, fail_the_fetch)   # before the page loads: its idle prefetch fails too
    open_ready(page, site_url)
    follow_next_link(page)
    page.wait_for_url("**/" + target)
    LabPage(page, NEXT).wait_ready()
    assert tried[-2:] == ["fetch", "document"], tried   # the click tried again, then loaded normally
    assert page.evaluate("() => window.__sameDocument") is None, "expected a normal page load"
    # A page with other scripts (the Ledger page) is a normal load too, and its script runs.
    page.evaluate("() => { window.__sameDocument = true; }")
    page.locator('#book-contents a[href$="ledger.html"]').click()
    page.locator(".ledger-actions").wait_for()
    assert page.evaluate("() => window.__sameDocument") is None
    assert recorder.page_errors == []


def test_the_next_chapter_is_fetched_once_the_lab_is_live_and_a_resting_pointer_fetches_others(page, recorder, site_url):
    pages = []
    page.on("request", lambda r: pages.append(r.resource_type) if r.url.endswith(LAB_PAGES[NEXT]) else None)
    open_ready(page, site_url)
    # With no pointer and no key: the next chapter is fetched and its lab rendered once in the
    # worker, after this lab is live and before any click.
    page.wait_for_function("id => window.__asked.includes(id)", arg=NEXT)
    assert page.locator('section.lab[data-lab="vol1/02"]').count() == 0
    # A pointer resting on another chapter's link fetches that one and warms its lab too.
    prev = page.locator("nav.page-nav a.page-nav-prev")
    prev.hover()
    page.wait_for_function("() => window.__asked.includes('vol1/00')")
    page.locator("nav.page-nav a.page-nav-next").click()
    LabPage(page, NEXT).wait_ready()
    assert page.evaluate("() => window.__sameDocument") is True
    assert pages == ["fetch"], pages                 # the navigation used the page fetched early
    assert page.evaluate("() => window.__workers") == 1
    assert recorder.page_errors == []
