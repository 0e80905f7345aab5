"""The book's layout on a phone and a desktop (issue 14, "Layout and reading"): nothing pans
sideways or is clipped at 390 px, the chapter comes before the chapter list, every table and
display formula scrolls (and a keyboard reaches it only when it overflows), jump links land
below the sticky header, and search snippets read as text, not TeX."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .axe import inject, sideways_pan

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Two long chapters with wide tables and display math, the home page and the Ledger.
PAGES = ["index.html", "ledger.html", "vol1/hw_acceleration.html", "vol2/collective_communication.html"]
TABLE_PAGE = "vol1/hw_acceleration.html"
XREF_PAGE = "vol1/training.html"   # has cross-references to its own sections

# Elements of the book's text (labs excluded: theirs) that reach past the text column while no
# scroll box between them and the column holds them: cut off by the sections' paint
# containment (content-visibility), or panning the page.
CLIPPED = """() => {
    const main = document.querySelector('main');
    const box = main.getBoundingClientRect();
    const out = [];
    for (const el of main.querySelectorAll('*')) {
        if (el.closest('section.lab, .katex-mathml, .visually-hidden')) continue;
        const r = el.getBoundingClientRect();
        // 3 px of slack: KaTeX ends a subscript with an invisible 2 px strut (.vlist-s).
        if (r.width === 0 || (r.right <= box.right + 3 && r.left >= box.left - 3)) continue;
        let held = false;
        for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') { held = true; break; }
        }
        if (!held) out.push(el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    return out.slice(0, 8);
}"""

REGIONS = ".table-scroll, .math.display, main pre"
# Every scroll region's state once book.js has measured it: [overflows, tabindex, role, name].
REGION_STATES = """sel => [...document.querySelectorAll(sel)].filter((el) => !el.closest('section.lab')).map((el) => {
    const labelled = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label') || (labelled && document.getElementById(labelled)?.textContent.trim()) || '';
    return [el.scrollWidth > el.clientWidth + 1, el.getAttribute('tabindex'), el.getAttribute('role'), name];
})"""


def regions_settled(page) -> list:
    """Wait until every region that overflows is focusable and every one that fits is not."""
    page.wait_for_function(
        """sel => [...document.querySelectorAll(sel)].every((el) =>
            (el.scrollWidth > el.clientWidth + 1) === (el.getAttribute('tabindex') === '0'))""",
        arg=REGIONS, timeout=10_000)
    return page.evaluate(REGION_STATES, REGIONS)


def header_bottom(page) -> float:
    return page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().bottom")


def target_top(page) -> float:
    return page.evaluate("() => document.getElementById(decodeURIComponent(location.hash.slice(1))).getBoundingClientRect().top")


def wait_scrolled_to_hash(page, hash_: str) -> None:
    page.wait_for_function("h => location.hash === h", arg=hash_)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def assert_below_header(page, where: str) -> None:
    """The followed link's target settles just below the header (and stays there)."""
    below = """() => {
        const top = document.getElementById(decodeURIComponent(location.hash.slice(1))).getBoundingClientRect().top;
        const bottom = document.querySelector('.site-header').getBoundingClientRect().bottom;
        return bottom <= top && top <= bottom + 60; }"""
    try:
        page.wait_for_function(below, timeout=3000)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    except PlaywrightTimeout:
        pass
    top, bottom = target_top(page), header_bottom(page)
    assert bottom <= top <= bottom + 60, f"{where}: target top {top:.0f} px, header bottom {bottom:.0f} px"


def test_no_page_pans_sideways_or_clips_and_the_chapter_comes_first_on_a_phone(context, site_url):
    page = context.new_page()
    page.set_viewport_size(PHONE)
    for name in PAGES:
        page.goto(site_url + name)
        assert sideways_pan(page) == [], name
        assert page.evaluate(CLIPPED) == [], f"{name}: content cut off at the column's edge"
        title = page.locator("h1.title").bounding_box()
        assert title["y"] < PHONE["height"] / 3, f"{name}: the chapter title starts at y={title['y']:.0f}"
        assert page.locator("#book-contents").is_hidden(), f"{name}: the chapter list shows before the text"


def test_every_table_and_formula_scrolls_and_a_keyboard_reaches_it_only_when_it_overflows(context, site_url):
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(site_url + TABLE_PAGE)
    assert page.locator("main table").count() > 0
    assert page.evaluate("() => [...document.querySelectorAll('main table')].every((t) => t.closest('section.lab, .table-scroll'))")
    states = regions_settled(page)
    wide = [s for s in states if s[0]]
    assert wide, "no table or formula overflows at 390 px: the test needs a page that has one"
    for overflows, tabindex, role, name in states:
        if overflows:
            assert (tabindex, role) == ("0", "region") and name, (tabindex, role, name)
        else:
            assert tabindex is None and role is None
    # axe agrees (scrollable-region-focusable is serious).
    inject(page)
    found = page.evaluate("""async () => (await axe.run(document, { runOnly: ['scrollable-region-focusable'] }))
                             .violations.flatMap((v) => v.nodes.map((n) => n.html.slice(0, 120)))""")
    assert found == []
    # A keyboard scrolls a wide table; the first one's name is its caption.
    region = page.locator(".table-scroll[tabindex='0']").first
    assert region.get_attribute("aria-labelledby")
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
    # At desktop width the same tables fit: no Tab stops left behind.
    page.set_viewport_size(DESKTOP)
    states = regions_settled(page)
    assert all(s[1] is None for s in states if not s[0])
    assert any(not s[0] for s in states)
    # A table a script adds later, in the generic class, gets the same treatment both ways.
    page.set_viewport_size(PHONE)
    page.evaluate("""() => {
        const box = document.createElement('div');
        box.className = 'table-scroll'; box.id = 'late';
        const cells = Array.from({ length: 12 }, (_, i) => '<td>column-' + i + '</td>').join('');
        box.innerHTML = '<table><tr>' + cells + '</tr></table>';
        document.querySelector('main').prepend(box);
    }""")
    page.wait_for_function("() => document.getElementById('late').getAttribute('tabindex') === '0'")
    assert page.get_attribute("#late", "aria-label") == "Table"
    page.evaluate("() => { document.querySelector('#late tr').replaceChildren(Object.assign(document.createElement('td'), { textContent: 'one' })); }")
    page.wait_for_function("() => !document.getElementById('late').hasAttribute('tabindex')")
    assert page.get_attribute("#late", "role") is None


def test_the_phone_contents_menu_is_a_disclosure_showing_the_current_chapter(context, site_url):
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(site_url + TABLE_PAGE)
    button = page.locator("button.contents-toggle")
    panel = page.locator("#book-contents")
    assert button.get_attribute("aria-controls") == "book-contents"
    assert button.get_attribute("aria-expanded") == "false" and panel.is_hidden()
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true" and panel.is_visible()
    current = panel.locator('a[aria-current="page"]')
    box, shown = current.bounding_box(), panel.bounding_box()
    assert shown["y"] >= header_bottom(page) - 1
    assert shown["y"] <= box["y"] and box["y"] + box["height"] <= min(shown["y"] + shown["height"], PHONE["height"]), \
        "the current chapter is not in view when the menu opens"
    # Tab past the last chapter closes the menu rather than move focus under it.
    panel.locator("a").last.focus()
    page.keyboard.press("Tab")
    assert button.get_attribute("aria-expanded") == "false" and panel.is_hidden()
    button.click()
    current.focus()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and panel.is_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('contents-toggle')")
    # The desktop shows the sidebar and no menu button.
    page.set_viewport_size(DESKTOP)
    assert panel.is_visible() and button.is_hidden()


def test_without_javascript_the_contents_are_one_link_away_on_a_phone(browser, site_url):
    ctx = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = ctx.new_page()
        page.goto(site_url + TABLE_PAGE)
        assert page.locator("h1.title").bounding_box()["y"] < PHONE["height"] / 3
        assert page.locator("#book-contents").is_hidden()
        page.locator("a.contents-toggle").click()
        assert page.locator("#book-contents").is_visible()
        assert page.locator('#book-contents a[aria-current="page"]').is_visible()
    finally:
        ctx.close()


def test_jump_links_land_below_the_sticky_header(context, site_url):
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(site_url + TABLE_PAGE)
    toc_link = page.locator(".page-toc a").nth(-2)       # far down the page
    href = toc_link.get_attribute("href")
    toc_link.click()
    wait_scrolled_to_hash(page, href)
    assert_below_header(page, f"desktop, table of contents {href}")
    # Phone: a cross-reference inside the chapter, then a search result on another page.
    page.set_viewport_size(PHONE)
    page.goto(site_url + XREF_PAGE)
    xref = page.locator('main a.quarto-xref[href^="#"]').first
    href = xref.get_attribute("href")
    xref.click()
    wait_scrolled_to_hash(page, href)
    assert_below_header(page, f"phone, cross-reference {href}")
    page.locator("#search-input").fill("iron law")
    result = page.locator("#search-results a", has_text="Iron Law").first
    href = result.evaluate("a => a.href")
    result.click()
    page.wait_for_url(href)
    wait_scrolled_to_hash(page, "#" + href.split("#", 1)[1])
    assert_below_header(page, f"phone, search result {href}")


def test_search_reads_math_as_text_not_tex(page, site_url, book_dir):
    records = json.loads((book_dir / "search.json").read_text(encoding="utf-8"))
    tex = re.compile(r"\\(?:[A-Za-z]{2,}|[,;!])")
    leftovers = [(r["href"], m.group(0)) for r in records for m in tex.finditer(r["text"] + r["section"])]
    assert leftovers == [], leftovers[:10]
    iron = next(r for r in records if r["href"].endswith("#sec-introduction-iron-law"))
    assert "O/(R · η)" in iron["text"]
    # In the browser the snippet reads the same.
    page.goto(site_url + "vol1/introduction.html")
    page.locator("#search-input").fill("iron law")
    snippet = page.locator("#search-results a", has_text="Iron Law").first.locator(".search-hit-text")
    text = snippet.inner_text()
    assert "\\" not in text and "O/(R · η)" in text, text
