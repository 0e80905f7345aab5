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

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lab_id", ["vol1/09", "vol1/01"])
def test_every_chart_of_the_lab_is_legible(browser, site_url, lab_id, viewport):
    ctx = browser.new_context(viewport=VIEWPORTS[viewport])
    try:
        page = ctx.new_page()
        page.goto(site_url + LAB_PAGES[lab_id])
        lab = LabPage(page, lab_id)
        lab.wait_ready()
        lab.finish()   # every prediction locked: every instrument's chart is drawn
        root = f'section.lab[data-lab="{lab_id}"]'
        drawn = page.locator(f"{root} .js-plotly-plot").count()
        assert drawn >= 2, f"only {drawn} charts drawn"
        problems = chart_problems(page, root)
        assert problems == [], f"{len(problems)} legibility problems at {viewport}:\n" + "\n".join(problems)
    finally:
        ctx.close()
