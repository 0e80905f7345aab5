"""axe-core (npm devDependency, node_modules/axe-core) against a live page, and a check that
nothing makes a phone-width page pan sideways (issue 14, "Done means").

The site's Content-Security-Policy (script-src 'self') blocks an injected <script> tag with
inline text, and add_script_tag(path=...) is inlined the same way. page.evaluate of the source
runs through the DevTools protocol, which the page's CSP does not govern, so axe lands in
the page's own global scope with the CSP left on; inject() then checks that it really ran."""
from __future__ import annotations

import functools
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .legibility import chart_problems

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (the bar).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@functools.cache
def _source() -> str:
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency)"
    # Evaluated as a function body so its top-level `this`/`window` is the page's window.
    return AXE_JS.read_text(encoding="utf-8")


def inject(page) -> None:
    """Put axe into the page once per document (a reload or navigation drops it)."""
    if page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        return
    page.evaluate(_source() + "\n;undefined")
    version = page.evaluate("() => window.axe && window.axe.version")
    assert version and version.startswith(AXE_VERSION), f"axe-core did not load into the page (version {version!r})"


# Rules whose outcome depends on the layout, not only on the DOM: at a second width, with the
# same DOM, only these can find anything new.
LAYOUT_RULES = ["target-size", "scrollable-region-focusable"]


def run(page, include: str | None = None, contrast: bool = True, only: list[str] | None = None) -> list[str]:
    """Serious and critical WCAG 2.0-2.2 A/AA violations on the page (or only inside
    `include`, a CSS selector), one readable line per failing node. `contrast=False` leaves
    out color-contrast (~85% of a run's time on a lab page); `only` runs just those rules."""
    inject(page)
    result = page.evaluate(
        """async ([include, tags, contrast, only]) => {
            const context = include ? { include: [include] } : document;
            const runOnly = only ? { type: 'rule', values: only } : { type: 'tag', values: tags };
            const rules = only ? {} : { 'color-contrast': { enabled: contrast } };
            const r = await axe.run(context, { runOnly, rules, resultTypes: ['violations'] });
            return r.violations; }""", [include, TAGS, contrast, only])
    return _lines(result)


def _lines(violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        if v.get("impact") not in SERIOUS:
            continue
        for node in v["nodes"]:
            if node.get("impact") not in SERIOUS:
                continue
            html = " ".join(node["html"].split())[:160]
            summary = " ".join((node.get("failureSummary") or "").split())[:240]
            target = " > ".join(" ".join(t) if isinstance(t, list) else t for t in node["target"])
            lines.append(f"{v['id']} ({node['impact']}) at {target}: {html} -- {summary}")
    return lines


def check(page, where: str, include: str | None = None, contrast: bool = True,
          only: list[str] | None = None) -> list[str]:
    """run(), each line prefixed with `where` (page, viewport, state) for a failure message."""
    return [f"[{where}] {line}" for line in run(page, include, contrast, only)]


def sideways_pan(page) -> list[str]:
    """Why the page scrolls sideways at the current viewport: empty when it does not, else
    its width and the outermost elements reaching past the viewport's right edge, furthest
    first (those inside a scroll box that stops them are not counted)."""
    return page.evaluate(
        """() => {
            const root = document.scrollingElement, vw = window.innerWidth;
            if (root.scrollWidth <= vw) return [];
            const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + [...el.classList].slice(0, 3).map((c) => '.' + c).join('');
            const path = (el) => { const parts = []; for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) parts.unshift(name(e)); return parts.join(' > '); };
            const over = [], counted = new Set();
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.right <= vw + 0.5) continue;
                counted.add(el);
                if (counted.has(el.parentElement)) continue;  // name the outermost one only
                // Inside a scroller that stops it (overflow auto/hidden/scroll), it does not pan the page.
                let clipped = false;
                for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                    const ox = getComputedStyle(p).overflowX;
                    if (ox !== 'visible' && p.getBoundingClientRect().right <= vw + 0.5) { clipped = true; break; }
                }
                if (!clipped) over.push([Math.round(r.right), path(el)]);
            }
            over.sort((a, b) => b[0] - a[0]);
            const seen = new Set(), out = [`page is ${root.scrollWidth} px wide in a ${vw} px viewport`];
            for (const [right, p] of over) { if (seen.has(p)) continue; seen.add(p); out.push(`${p} reaches ${right} px`); if (out.length > 6) break; }
            return out; }""")


def settle(page) -> None:
    """Wait until every chart on the page is drawn at its box's current width (Plotly
    redraws ~100 ms after a resize) and the layout has had two frames."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.lab-plot')].every((gd) => {
            if (gd.hidden || gd.clientWidth === 0 || gd.closest('[hidden], details:not([open])')) return true;
            if (!gd.dataset.plotted || !gd._fullLayout) return !!gd.parentElement.querySelector('.lab-figure-note');
            return gd.layout?.width || Math.abs(gd._fullLayout.width - gd.clientWidth) <= 1; })""",
        timeout=15_000)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    # The book makes a box that overflows after the resize a focusable region (book.js, a
    # debounced resize handler, then <html data-scroll-regions="measured">): give it its
    # moment. What is still unreachable after it, axe reports (scrollable-region-focusable),
    # so a timeout here is not a failure.
    try:
        page.wait_for_function("() => document.fonts.status === 'loaded' && document.documentElement.dataset.scrollRegions !== 'pending'",
                               timeout=3_000)
    except PlaywrightTimeout:
        pass


class PageAudit:
    """axe and chart legibility at 1280x900 and 390x844 and the no-pan check at 390, at each state of one page
    walk. The viewport alternates (desktop, phone, then phone, desktop, ...) so each state
    costs one resize; findings are collected and asserted at the end of the walk, so every
    behaviour the walk checks is still checked when an audit finds something."""

    def __init__(self, page, name: str):
        self.page, self.name, self.found = page, name, []
        self.viewport = DESKTOP
        page.set_viewport_size(DESKTOP)

    def at(self, state: str, include: str | None = None) -> None:
        """Audit the current state at both viewports (axe only inside `include` when given;
        the sideways-pan check always covers the whole page)."""
        other = PHONE if self.viewport is DESKTOP else DESKTOP
        for viewport in (self.viewport, other):
            if viewport is not self.viewport:
                self.page.set_viewport_size(viewport)
                self.viewport = viewport
            settle(self.page)
            # From the top of the page: where the last action left the scroll, the sticky
            # header can sit over a control, and axe's target-size then counts it as covered.
            self.page.evaluate("() => window.scrollTo(0, 0)")
            where = f"{self.name}, {state}, {viewport['width']}x{viewport['height']}"
            # Every rule at desktop size. At phone size the whole page once (the book's chrome
            # changes with the width), then, inside the lab, whose DOM is the same at both widths,
            # only the rules that depend on layout. Colours do not change with the width.
            if viewport is DESKTOP:
                self.found += check(self.page, where, include)
            else:
                self.found += check(self.page, where, include, contrast=False, only=LAYOUT_RULES if include else None)
            pan = sideways_pan(self.page) if viewport is PHONE else []
            if pan:
                self.found.append(f"[{where}] sideways pan: " + "; ".join(pan))
            # Charts legible at this width (font sizes, overlaps, ticks: legibility.py).
            self.found += [f"[{where}] chart: {line}" for line in chart_problems(self.page, include or "section.lab")]

    def assert_clean(self) -> None:
        assert not self.found, f"{len(self.found)} accessibility finding(s):\n" + "\n".join(self.found)
