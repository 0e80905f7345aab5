"""The lab's first view is HTML in the page (sitebuild/prerender_html.mjs, filter/lab.lua):
its first prediction can be read and answered before any script runs, and the runtime adopts
it (render.js) keeping what the student chose, the focus and the layout."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from . import axe
from .conftest import LAB_PAGES
from .labpage import LabPage

LAB = "vol1/01"
RUNTIME_ENTRY = "**/assets/runtime/start.js"   # boot.js imports it: the runtime's module graph


class _FirstPrediction(HTMLParser):
    """Within .lab-root: the first prediction's radios (and whether disabled) and its Lock in."""

    def __init__(self):
        super().__init__()
        self.in_root = False
        self.in_choice = self.done = False
        self.radios: list[bool] = []   # disabled?
        self.lock_disabled = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "lab-root" in classes:
            self.in_root = True
        if not self.in_root or self.done:
            return
        if tag == "fieldset" and "lab-choice" in classes:
            self.in_choice = True
        elif self.in_choice and tag == "input" and a.get("type") == "radio":
            self.radios.append("disabled" in a)
        elif self.in_choice and tag == "button" and "lab-commit" in classes:
            self.lock_disabled = "disabled" in a

    def handle_endtag(self, tag):
        if self.in_choice and tag == "fieldset":
            self.in_choice, self.done = False, True


def test_every_lab_page_carries_its_first_prediction_as_html(book_dir):
    """All 34 labs: the built page has the first prediction's options as enabled native radios,
    Lock in disabled until the runtime runs, and a <noscript> note; no unreplaced link mark."""
    for lab_id, page in LAB_PAGES.items():
        html = (book_dir / page).read_text(encoding="utf-8")
        assert "@@lab-site-root@@" not in html, page
        section = re.search(rf'<section class="lab"[^>]*data-lab="{lab_id}".*?</section>', html, re.S).group(0)
        parser = _FirstPrediction()
        parser.feed(section)
        assert len(parser.radios) >= 2 and not any(parser.radios), f"{page}: first prediction of {lab_id} has no selectable options"
        assert parser.lock_disabled is True, f"{page}: Lock in must wait for the runtime"
        assert '<div class="lab-root" data-prerendered="">' in section
        assert "<noscript><p class=\"lab-hint lab-prejs-noscript\">" in section


def test_without_javascript_the_first_prediction_can_be_chosen_and_says_what_needs_script(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + LAB_PAGES[LAB])
        choice = page.locator(f'section.lab[data-lab="{LAB}"] fieldset.lab-choice').first
        assert choice.is_visible()
        radios = choice.locator("input[type=radio]")
        assert radios.count() == 4
        radios.nth(2).check()
        assert radios.nth(2).is_checked() and not radios.nth(0).is_checked()
        assert choice.locator("button.lab-commit").is_disabled()
        assert "need JavaScript" in choice.locator(".lab-prejs-noscript").inner_text()
        # "Loading Python…" would never end without script; the wait note is for script readers.
        assert not page.locator(f'section.lab[data-lab="{LAB}"] .lab-status').is_visible()
        assert not choice.locator(".lab-prejs-wait").is_visible()
        # (axe cannot run with scripting off; the same HTML is audited before adoption below.)
    finally:
        context.close()


def _rects(page):
    return page.evaluate("""() => [...document.querySelectorAll('.lab-root [data-key]')].map((e) => {
        const r = e.getBoundingClientRect(); return [e.dataset.key, r.top + scrollY, r.left, r.width, r.height]; })""")


def test_a_choice_made_before_the_runtime_is_adopted_with_focus_and_locks(page, site_url, recorder):
    held, released = [], []
    page.route(RUNTIME_ENTRY, lambda route: route.continue_() if released else held.append(route))
    page.goto(site_url + LAB_PAGES[LAB], wait_until="domcontentloaded")
    lab = LabPage(page, LAB)
    root = lab.section.locator(".lab-root")
    assert root.get_attribute("data-prerendered") == ""
    # The student answers in the page's HTML: a context, then an option of the prediction.
    lab.section.locator('[data-key="context"] input[type=radio]').nth(1).check()
    choice = lab.section.locator("fieldset.lab-choice").first
    choice.locator("input[type=radio]").nth(2).check()
    # The chapter above has settled (fonts, book.js's scroll regions) before the layout is taken.
    page.wait_for_function("() => document.fonts.status === 'loaded' && document.documentElement.dataset.scrollRegions === 'measured'")
    before = _rects(page)
    assert choice.locator(".lab-prejs-wait").is_visible()      # Lock in comes with the runtime
    assert choice.locator("button.lab-commit").is_disabled()
    assert axe.run(page, include=f'section.lab[data-lab="{LAB}"]') == []
    chosen_id = choice.locator("input[type=radio]").nth(2).get_attribute("id")
    assert page.evaluate("() => document.activeElement.id") == chosen_id
    assert held, "the runtime's module was not requested"
    released.append(True)
    for route in held:
        route.continue_()

    page.wait_for_function("() => !document.querySelector('.lab-root[data-prerendered]')")
    choice = lab.section.locator("fieldset.lab-choice").first
    assert choice.locator("input[type=radio]").nth(2).is_checked()
    assert page.evaluate("() => document.activeElement.id") == chosen_id
    assert choice.locator(".lab-prejs-wait").count() == 0
    # The context chosen early is the lab's (saved as the student's value).
    page.wait_for_function("() => JSON.parse(localStorage.getItem('mlsysbook:v1') ?? '{}').labs?.['vol1/01']?.values?.context === 'tiny'")
    # Nothing above the prediction moved, and the prediction itself did not move.
    after = dict((k, r) for k, *r in _rects(page))
    for key, *rect in before:
        if key in ("header", "reading", "context", "reset", "sec-act-i-calibration.stakeholder1", "sec-act-i-calibration.markdown1"):
            assert after[key] == rect, f"{key} moved on adoption: {rect} -> {after[key]}"
    assert after[choice.get_attribute("data-key")][:3] == next(r for k, *r in before if k == choice.get_attribute("data-key"))[:3]
    # Lock in works (before Python is up, it is saved and shown locked).
    lock = choice.locator("button.lab-commit")
    assert lock.is_enabled()
    lock.click()
    key = choice.get_attribute("data-key")
    page.locator(f'section.lab[data-lab="{LAB}"] [data-key="{key}"] .lab-locked-note').wait_for()
    assert lab.stored()["labs"][LAB]["answers"][key] == "C"
    lab.wait_ready()
    assert lab.section.locator(f'[data-key="{key}"] .lab-locked-note').is_visible()
    assert recorder.page_errors == [] and recorder.console_errors == []


def test_adopted_math_stays_typeset_without_loading_katex(page, site_url, recorder):
    """The pre-rendered view's formulas are typeset at build time; adopting them must neither
    show raw TeX nor fetch KaTeX (math.js redraws them from the page's own typeset copies)."""
    math_lab = "vol1/02"
    page.route("**/assets/runtime/worker.js", lambda route: None)   # no Python: only adoption runs
    page.goto(site_url + LAB_PAGES[math_lab])
    page.wait_for_function("() => !document.querySelector('.lab-root[data-prerendered]')")
    spans = page.evaluate("() => [...document.querySelectorAll('.lab-root .lab-math')].map((s) => s.hasAttribute('data-typeset') && !!s.querySelector('.katex'))")
    assert spans and all(spans), spans
    page.wait_for_timeout(300)   # a KaTeX load would have started by now
    assert not [u for u in recorder.requests if "katex.min.js" in u]
