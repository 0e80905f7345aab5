"""Charts read on a 390 px phone and on a desktop (issue 14, "Charts"): every text >= 11 px, no
text over another or under the legend, nothing cut or truncated, log axes with readable ticks,
no trace hidden under another (tests/e2e/legibility.py measures the drawn SVG).

Lab 09 had truncated category labels, its axis title under the legend and a curve under the
Pareto frontier; Lab 01 has a log axis (its Iron Law terms) and bar labels on a log chart."""
from __future__ import annotations

import pytest

from .conftest import LAB_PAGES
from .labpage import LabPage
from .legibility import chart_problems

pytestmark = pytest.mark.browser

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def redrawn_after(page, root: str, resize) -> None:
    """Run `resize` and wait until every drawn chart under `root` has been drawn again."""
    counts = page.eval_on_selector_all(f"{root} .lab-plot", "els => els.map((e) => Number(e.dataset.plotted ?? 0))")
    resize()
    page.wait_for_function(   # a chart fitted to a phone is fitted again to the wider page
        """([root, counts]) => [...document.querySelectorAll(`${root} .lab-plot`)]
             .every((e, i) => !counts[i] || Number(e.dataset.plotted ?? 0) > counts[i])""",
        arg=[root, counts], timeout=15_000)


@pytest.mark.parametrize("lab_id", ["vol1/09", "vol1/01"])
def test_every_chart_of_the_lab_is_legible_on_a_phone_and_a_desktop(browser, site_url, lab_id):
    # One page load: the phone first, then the same page widened (charts refit to the width).
    ctx = browser.new_context(viewport=PHONE)
    try:
        page = ctx.new_page()
        page.goto(site_url + LAB_PAGES[lab_id])
        lab = LabPage(page, lab_id)
        lab.wait_ready()
        lab.finish()   # every prediction locked: every instrument's chart is drawn
        root = f'section.lab[data-lab="{lab_id}"]'
        problems = chart_problems(page, root)   # waits for the charts being drawn
        drawn = page.locator(f"{root} .js-plotly-plot").count()
        assert drawn >= 2, f"only {drawn} charts drawn"
        assert problems == [], f"{len(problems)} legibility problems at 390 px:\n" + "\n".join(problems)
        redrawn_after(page, root, lambda: page.set_viewport_size(DESKTOP))
        problems = chart_problems(page, root)
        assert problems == [], f"{len(problems)} legibility problems at 1280 px:\n" + "\n".join(problems)
    finally:
        ctx.close()
