"""A lab with the keyboard only (issue 14, "Keyboard and focus"): a skip link reaches the lab,
locking a prediction keeps focus on its question, the reset confirm is never the default and
Escape cancels it, and charts put nothing in the Tab order."""
from __future__ import annotations

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"
QUESTION = '[data-key="act1.prediction"]'


def focused(page, selector: str) -> bool:
    """Whether the focused element is, or is inside, `selector`."""
    return page.evaluate("s => !!document.activeElement?.closest(s)", selector)


def lock_with_keyboard(page, lab: LabPage) -> None:
    lab.section.locator(f"{QUESTION} input[type=radio]").nth(1).focus()
    page.keyboard.press("Space")
    lab.section.locator(f"{QUESTION} button.lab-commit").focus()
    page.keyboard.press("Enter")
    lab.section.locator(f"{QUESTION} .lab-locked-note").wait_for()


def test_the_skip_link_reaches_the_labs_first_prediction_in_a_few_tabs(page, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the lab"
    page.keyboard.press("Enter")
    for tabs in range(1, 15):
        page.keyboard.press("Tab")
        if focused(page, f"{QUESTION} input[type=radio]"):
            break
    else:
        pytest.fail("15 Tabs after the skip link did not reach the first prediction")
    assert tabs <= 8, f"{tabs} Tabs from the skip link to the first prediction"
    # A page without a lab has no such link.
    page.goto(site_url + "index.html")
    assert page.locator("a.skip-link", has_text="Skip to the lab").count() == 0


@pytest.mark.parametrize("when", ["before Python", "with Python ready"])
def test_locking_a_prediction_keeps_focus_on_its_question(page, site_url, when):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.open_predictions().first.wait_for()
    if when == "with Python ready":
        lab.wait_ready()
    lock_with_keyboard(page, lab)
    lab.wait_ready()
    lab.wait_settled()
    assert focused(page, QUESTION), page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    # The next Tab goes on into what the answer unlocked, not back to the top of the page.
    page.keyboard.press("Tab")
    after = page.evaluate("""q => {
        const question = document.querySelector(q);
        return !!(question.compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""", f'section.lab[data-lab="{LAB}"] {QUESTION}')
    assert after


def test_the_reset_confirm_opens_on_cancel_and_escape_cancels(page, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lock_with_keyboard(page, lab)
    lab.wait_settled()
    ask = lab.section.locator(".lab-reset > button")
    confirm = lab.section.locator(".lab-reset-confirm")

    ask.focus()
    page.keyboard.press("Enter")
    assert confirm.is_visible() and focused(page, ".lab-reset-cancel")
    page.keyboard.press("Enter")                       # Enter, Enter must not wipe the lab
    assert confirm.is_hidden() and focused(page, ".lab-reset > button")
    assert lab.stored()["labs"][LAB]["answers"]

    page.keyboard.press("Enter")
    assert confirm.is_visible()
    page.keyboard.press("Escape")
    assert confirm.is_hidden() and focused(page, ".lab-reset > button")
    assert lab.stored()["labs"][LAB]["answers"]

    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")                   # the destructive button, chosen on purpose
    assert focused(page, ".lab-reset-confirm .lab-danger")
    page.keyboard.press("Enter")
    lab.open_predictions().first.wait_for()
    assert LAB not in lab.stored()["labs"]


def test_charts_have_no_toolbar_and_nothing_focusable_hides_from_screen_readers(page, site_url):
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()
    lab.lock_first_prediction()
    lab.wait_settled()
    lab.section.locator(".lab-figure .main-svg").first.wait_for()
    assert lab.section.locator(".modebar, .modebar-btn").count() == 0
    hidden_focusable = page.evaluate("""() => [...document.querySelectorAll('[aria-hidden="true"]')].flatMap((el) =>
        [...el.querySelectorAll('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]).length""")
    assert hidden_focusable == 0
