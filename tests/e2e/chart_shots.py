"""Screenshots of every chart of every lab on a phone, for a person to review (not a test).

    PYTHONPATH=labs_wasm .venv/bin/python -m tests.e2e.chart_shots --book /tmp/c_book --out /tmp/shots
    ... --labs vol1/09 vol2/03 --width 1280 --height 900

For each lab: open its chapter, lock every prediction (the instruments' charts appear), then
shoot each drawn chart (every tab of every tab list in turn), then set the controls that reach
the lab's failure state (tests/e2e/test_labs.py FAILURES) and shoot again. Files are named
<lab>_<stage>_<figure key>.png. Prints chart_problems() for each stage, so the pictures and the
measured problems can be read side by side. Slow (about 10 s a lab): run it when charts change.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import BOOK, LAB_PAGES, _serve
from tests.e2e.labpage import LabPage
from tests.e2e.legibility import chart_problems
from tests.e2e.test_labs import FAILURES


def shoot_figures(page, lab: LabPage, out: Path, stem: str) -> int:
    """Screenshot every drawn figure of the lab, visiting each tab of each tab list."""
    shots = 0
    tabs = lab.section.locator("[role=tablist] [role=tab]")
    for t in range(max(1, tabs.count())):
        if tabs.count():
            tabs.nth(t).click()
            lab.wait_settled()
        figures = lab.section.locator("figure.lab-figure:visible")
        for i in range(figures.count()):
            fig = figures.nth(i)
            key = fig.evaluate("el => el.closest('[data-key]')?.dataset.key ?? 'figure'")
            name = out / f"{stem}_{key.replace('.', '-')}.png"
            if name.exists() and t:
                continue  # shot on an earlier tab
            fig.locator(".js-plotly-plot").wait_for(timeout=20_000)
            fig.scroll_into_view_if_needed()
            fig.screenshot(path=str(name))
            shots += 1
    return shots


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--book", type=Path, default=BOOK)
    ap.add_argument("--out", type=Path, default=Path("/tmp/chart_shots"))
    ap.add_argument("--labs", nargs="*", default=sorted(LAB_PAGES))
    ap.add_argument("--width", type=int, default=390)
    ap.add_argument("--height", type=int, default=844)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server, base = _serve(args.book)
    from playwright.sync_api import sync_playwright
    total, problems = 0, 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lab_id in args.labs:
            ctx = browser.new_context(viewport={"width": args.width, "height": args.height})
            page = ctx.new_page()
            page.goto(base + LAB_PAGES[lab_id])
            lab = LabPage(page, lab_id)
            lab.wait_ready()
            # The book's sticky header would lie over a tall chart's screenshot.
            page.evaluate("""() => { for (const el of document.querySelectorAll('body *')) {
                const p = getComputedStyle(el).position;
                if (p === 'sticky' || p === 'fixed') el.style.position = 'static'; } }""")
            lab.finish()
            stem = lab_id.replace("/", "-")
            for stage, controls in (("done", []), ("failure", FAILURES[lab_id][0])):
                for key, value in controls:
                    lab.set_control(key, value)
                n = shoot_figures(page, lab, args.out, f"{stem}_{stage}")
                found = chart_problems(page, f'section.lab[data-lab="{lab_id}"]')
                total += n
                problems += len(found)
                print(f"{lab_id} {stage}: {n} charts, {len(found)} problems", flush=True)
                for line in found:
                    print(f"    {line}")
            ctx.close()
        browser.close()
    server.shutdown()
    print(f"{total} screenshots in {args.out}; {problems} problems measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
