"""A dragged control updates its chart in one Plotly pass (plot.js carries the last draw's
post-draw corrections into the next draw), redraws only the figures whose JSON changed, and
leaves an opened data table open (renderers/data.js)."""
from __future__ import annotations

import json

from bench.scenario import answer_everything

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

LAB = "vol1/06"            # a log-axis chart with a legend: on a phone, each draw needed a relayout
SLIDER = "act2.seq_len"    # redraws act2.memory; act1.growth does not depend on it
PHONE = {"width": 390, "height": 844}


def open_answered(page, site_url, lab_id: str) -> LabPage:
    """The lab's page reloaded with every prediction answered (every act's charts on screen)."""
    page.goto(site_url + LAB_PAGES[lab_id])
    doc = {"version": 1, "labs": {lab_id: answer_everything(lab_id)}, "ledger": {}}
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])
    page.reload()
    lab = LabPage(page, lab_id)
    lab.wait_ready()
    return lab


def test_dragging_a_slider_is_one_plotly_pass_per_update_and_redraws_only_its_chart(browser, site_url):
    context = browser.new_context(viewport=PHONE, service_workers="block")
    try:
        page = context.new_page()
        lab = open_answered(page, site_url, LAB)
        plotted = lambda key: page.evaluate(  # noqa: E731
            "key => Number(document.querySelector(`[data-key=\"${key}\"] .lab-plot`)?.dataset.plotted ?? 0)", key)
        page.wait_for_function("() => document.querySelectorAll('.lab-plot[data-plotted]').length >= 2 && !document.querySelector('.lab-plot[data-drawing]')")
        page.locator('[data-key="act2.memory"] details summary').click()     # the student opens the data table
        page.evaluate("() => { window.__relayouts = 0; const real = Plotly.relayout;"
                      " Plotly.relayout = (...a) => { window.__relayouts++; return real(...a); }; }")
        growth, memory = plotted("act1.growth"), plotted("act2.memory")
        drag = [5120, 6144, 7168, 8192, 9216]   # neighbouring steps, as a drag gives them
        for value in drag:
            page.evaluate("""([key, v]) => new Promise((resolve) => {
                const range = document.querySelector(`[data-key="${key}"] input[type=range]`);
                document.querySelector('section.lab').addEventListener('lab:plotted', resolve, { once: true });
                range.value = String(v);
                range.dispatchEvent(new Event('input', { bubbles: true })); })""", [SLIDER, value])
            lab.wait_settled()
        page.wait_for_function("() => !document.querySelector('.lab-plot[data-drawing]')")
        assert plotted("act2.memory") == memory + len(drag)
        assert plotted("act1.growth") == growth, "a chart whose figure did not change was redrawn"
        relayouts = page.evaluate("() => window.__relayouts")
        assert relayouts <= 1, f"{relayouts} relayouts for {len(drag)} updates: each update should be one Plotly pass"
        assert page.locator('[data-key="act2.memory"] details').get_attribute("open") == ""
    finally:
        context.close()


def test_a_closed_mathpeek_catches_up_when_it_opens(page, site_url):
    """A closed accordion is not redrawn on each change (renderers/text.js); opening it shows
    the current state, never the one it was closed at."""
    lab_id, slider, peek_key = "vol1/01", "act2.batch", "act2.mathpeek"
    lab = open_answered(page, site_url, lab_id)
    peek = lab.section.locator(f'[data-key="{peek_key}"]')
    low, high = (float(lab.section.locator(f'[data-key="{slider}"] input[type=range]').get_attribute(a)) for a in ("min", "max"))
    text = lambda: peek.locator(".lab-children").inner_text()   # noqa: E731

    peek.locator("summary").click()
    lab.set_control(slider, int(low))
    at_low = text()
    lab.set_control(slider, int(high))
    assert text() != at_low, "this MathPeek does not follow the slider: pick another"
    peek.locator("summary").click()                              # closed while the slider moves
    lab.set_control(slider, int(low))
    peek.locator("summary").click()
    assert peek.get_attribute("open") == ""
    assert text() == at_low
