"""Every page the build writes carries a Content-Security-Policy (issue 13): the site works
under it with zero violations, and content that slipped into a lab's text cannot load from
another origin."""
from __future__ import annotations

import re

import pytest

from .conftest import LAB_PAGES, Recorder
from .labpage import LabPage

LAB = "vol1/01"
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')
REQUIRED = ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'",
            "base-uri 'none'", "worker-src 'self'", "connect-src 'self'", "form-action 'none'"]

# Collect violations from the first moment of each page (init scripts run before the page's own).
VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`));
"""


@pytest.fixture
def strict(browser):
    """A page in a context that enforces the policy (the shared `page` fixture bypasses it),
    with the same console and page-error recording."""
    ctx = browser.new_context()
    rec = Recorder()
    page = ctx.new_page()
    page.on("console", rec.on_console)
    page.on("pageerror", lambda e: rec.page_errors.append(str(e)))
    page.add_init_script(VIOLATIONS)
    yield ctx, page, rec
    ctx.close()


def violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def test_every_page_has_the_policy_in_its_head(book_dir):
    pages = sorted(book_dir.rglob("*.html"))
    assert len(pages) > 30
    for path in pages:
        html = path.read_text(encoding="utf-8")
        head = html[:html.index("</head>")]
        m = CSP_META.search(head)
        assert m, f"{path.relative_to(book_dir)} has no Content-Security-Policy meta in its head"
        assert all(d in m.group(1) for d in REQUIRED), m.group(1)
        # A meta policy only covers what comes after it: it must precede every script and link.
        assert head.index(m.group(0)) < min(head.find(t) for t in ("<script", "<link") if t in head)


@pytest.mark.browser
def test_index_ledger_and_search_work_with_no_violation(strict, site_url):
    _, page, recorder = strict
    page.goto(site_url + "index.html")
    page.fill("#search-input", "roofline")  # search.js fetches search.json (connect-src)
    page.locator("#search-results a").first.wait_for()
    assert violations(page) == []
    page.goto(site_url + "ledger.html")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    assert recorder.page_errors == [] and recorder.console_errors == []


@pytest.mark.browser
def test_a_full_lab_walk_raises_no_violation_and_remote_images_are_blocked(strict, site_url):
    context, page, recorder = strict
    remote = []
    context.route("http://images.example.com/**", lambda route: (remote.append(route.request.url), route.abort()))
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    assert lab.instruments().count() > 0 or lab.section.locator(".lab-figure").count() > 0
    page.wait_for_function("id => document.querySelector(`section.lab[data-lab=\"${id}\"] .lab-plot[data-plotted]`)", arg=LAB)
    while lab.open_predictions().count():  # Act II and the reflections
        lab.lock_first_prediction()
        lab.wait_settled()
    lab.set_control("act2.batch", 8)
    assert "Saved to your Design Ledger" in lab.section.locator(".lab-ledger").inner_text()
    assert violations(page) == [], violations(page)
    assert recorder.page_errors == [] and recorder.console_errors == []

    # Markup that reached a lab's text (a saved value, a lab's Markdown) cannot phone home.
    page.evaluate("""id => {
      const text = document.querySelector(`section.lab[data-lab="${id}"] .lab-root p`);
      text.insertAdjacentHTML('beforeend', '<img alt="" src="http://images.example.com/track.png">');
    }""", LAB)
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert violations(page) == ["img-src blocked http://images.example.com/track.png"], violations(page)
    assert remote == []
