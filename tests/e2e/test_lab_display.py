"""What every lab shows, checked in the browser: TeX typeset by KaTeX (loaded only when a
text has math, never before the first prediction), slider boxes without float noise and in
display units, a header that names the chapter instead of its slug."""
from __future__ import annotations

import re

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage
from .test_labs import complete_predictions

pytestmark = pytest.mark.browser


def open_lab(page, base, lab_id) -> LabPage:
    page.goto(base + LAB_PAGES[lab_id])
    return LabPage(page, lab_id)


def katex_requests(recorder):
    return [u for u in recorder.requests if "katex.min.js" in u]


def test_mathpeek_tex_is_typeset_with_mathml_after_the_first_prediction(page, recorder, site_url):
    lab = open_lab(page, site_url, "vol1/09")
    lab.open_predictions().first.wait_for(timeout=5000)
    lab.wait_ready()
    assert katex_requests(recorder) == [], "KaTeX was loaded before any text had math"
    complete_predictions(lab)
    peek = lab.section.locator('[data-key="act1.mathpeek"]')
    peek.locator("summary").click()
    typeset = peek.locator(".lab-math-display[data-typeset] .katex-display")
    typeset.first.wait_for()
    assert len(katex_requests(recorder)) == 1
    # t^* keeps its star (it used to be eaten by Markdown), screen readers get MathML + TeX
    tex = peek.locator("annotation[encoding='application/x-tex']").all_text_contents()
    assert any("t^{*}" in t for t in tex), tex
    assert peek.locator("math").count() >= 2
    visible = peek.inner_text()
    assert "a_max" not in visible and "\\frac" not in visible and "^" not in visible
    # Table cells with math keep their structure
    assert peek.locator("td .lab-math[data-typeset]").count() >= 3
    assert recorder.console_errors == [] and recorder.page_errors == []


def test_lab01_mathpeeks_typeset_and_show_no_carets(page, site_url):
    lab = open_lab(page, site_url, "vol1/01")
    lab.wait_ready()
    complete_predictions(lab)
    for key in ("act1.mathpeek", "act2.mathpeek"):
        peek = lab.section.locator(f'[data-key="{key}"]')
        peek.locator("summary").click()
        peek.locator(".lab-math-display[data-typeset] .katex-display").first.wait_for()
        assert peek.locator(".lab-math:not([data-typeset])").count() == 0
        text = peek.inner_text()
        assert "^" not in text and "\\frac" not in text and "$" not in text, text[:300]


def box(lab, key):
    return lab.section.locator(f'[data-key="{key}"] input[type=number]')


def stored_value(lab, key):
    return lab.stored()["labs"][lab.lab_id]["values"][key]


def test_percent_slider_box_shows_and_accepts_percent(page, site_url):
    lab = open_lab(page, site_url, "vol1/09")
    lab.wait_ready()
    complete_predictions(lab)
    target = box(lab, "act1.target")
    assert target.input_value() == "80"
    assert lab.section.locator('[data-key="act1.target"] .lab-unit').inner_text() == "%"
    assert (target.get_attribute("min"), target.get_attribute("max"), target.get_attribute("step")) == ("50", "89", "1")
    target.fill("85")
    target.press("Tab")
    lab.wait_settled()
    assert stored_value(lab, "act1.target") == 0.85
    assert target.input_value() == "85"
    assert lab.section.locator('[data-key="act1.target"] output').inner_text() == "85%"


def test_slider_values_carry_no_float_noise(page, site_url):
    lab = open_lab(page, site_url, "vol1/09")
    lab.wait_ready()
    complete_predictions(lab)
    cost = lab.section.locator('[data-key="act2.cost"] input[type=range]')
    exact = box(lab, "act2.cost")
    assert exact.input_value() == "0.15"
    exact.fill("0.05")
    exact.press("Tab")
    lab.wait_settled()
    for expected in ("0.1", "0.15", "0.2", "0.25", "0.3"):   # 0.05 + k * 0.05 in floating point
        cost.focus()
        cost.press("ArrowRight")
        lab.wait_settled()
        assert exact.input_value() == expected
        assert repr(stored_value(lab, "act2.cost")) == expected
    texts = lab.section.inner_text()
    assert not re.search(r"\d\.\d*0000000\d", texts), "float noise on screen"


def test_header_names_the_chapter_not_its_slug(page, site_url):
    lab = open_lab(page, site_url, "vol1/09")
    kicker = lab.section.locator(".lab-kicker")
    kicker.wait_for()
    text = kicker.text_content()
    assert text.startswith("Volume I · Lab 09 · Chapter 9: Data Selection"), text
    assert "data_selection" not in text.lower()
    assert lab.section.get_attribute("aria-label") == "Lab 09: The data selection trade-off"
