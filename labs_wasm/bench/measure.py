"""One visit of a page, timed inside the page: every time is performance.now() or a
performance mark (ms since that document's navigation start), so Playwright's own overhead
never counts. wait_for_function predicates are functions, never bare expressions: the book's
pages carry a Content-Security-Policy without 'unsafe-eval'."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conditions import Applied, Conditions, WorkerCpuLimit
from .traffic import Traffic

STORE_KEY = "mlsysbook:v1"
SW_TIMEOUT_S = 120
NEXT_CHAPTER_TIMEOUT_S = 60

# When the first prediction has been painted: its radio inputs exist (inserted by script, or
# by the parser when the page ships the first view as HTML), it is rendered (not hidden), and
# the frame that shows it has been painted: a rAF callback runs just before a frame's paint,
# a message posted from it is handled just after. Installed before the page's own scripts.
# (A first view shipped as HTML is in the DOM at parse time: it counts once painted.)
FIRST_PREDICTION_PROBE = """
(() => {
  const SELECTOR = "fieldset.lab-choice input[type=radio]";
  const rendered = () => {
    const fieldset = document.querySelector(SELECTOR)?.closest("fieldset");
    return !!fieldset && fieldset.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  };
  let watching = false;
  const everyFrame = () => requestAnimationFrame(() => {
    if (!rendered()) return everyFrame();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { window.__firstPrediction ??= performance.now(); };
    channel.port2.postMessage(null);
  });
  new MutationObserver((_, observer) => {
    if (watching || !document.querySelector(SELECTOR)) return;
    watching = true;
    window.__firstPredictionInDom = performance.now();
    observer.disconnect();
    everyFrame();
  }).observe(document, { childList: true, subtree: true });
})();
"""

FIRST_PAINT = "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
READY = "() => ['ready', 'error'].includes(document.querySelector('section.lab')?.dataset.state)"
READY_MARK = "() => performance.getEntriesByType('mark').find((m) => m.name.startsWith('lab:ready:'))?.startTime ?? null"
# The scenario's figure drawn, or the note that takes a chart's place when Plotly cannot load.
FIGURE_DRAWN = """(figure) => {
  const el = document.querySelector(`section.lab [data-key="${figure}"]`);
  const failed = el?.querySelector('.lab-figure-note');
  if (failed) return failed.textContent;
  return !!el?.querySelector('.js-plotly-plot') && !el.querySelector('[data-drawing]') && 'drawn';
}"""
# A service worker controls the page only once installed (its precache complete) and active.
SW_CONTROLS = "() => !!navigator.serviceWorker?.controller"

# Control change -> the scenario's figure redrawn ("lab:plotted" from inside it), one change
# at a time, each after the lab is idle. A slider takes an input event, a select a change, a
# toggle a click on its radio.
UPDATE_SWEEP = """
async ({ control, figure, values }) => {
  const section = document.querySelector("section.lab");
  const idle = () => new Promise((r) => setTimeout(r, 60));
  const change = (v) => {
    const field = section.querySelector(`[data-key="${control}"]`);
    const range = field?.querySelector("input[type=range]");
    const select = field?.querySelector("select");
    const radio = [...(field?.querySelectorAll("input[type=radio]") ?? [])].find((r) => r.value === String(v));
    if (range) { range.value = String(v); range.dispatchEvent(new Event("input", { bubbles: true })); }
    else if (select) { select.value = String(v); select.dispatchEvent(new Event("change", { bubbles: true })); }
    else if (radio) radio.click();
    else throw new Error(`no range, select or radio to set ${control} = ${v}`);
  };
  const times = [];
  for (const v of values) {
    while (section.hasAttribute("data-busy")) await idle();
    let onPlotted;
    const drawn = new Promise((resolve, reject) => {
      onPlotted = (e) => { if (e.target.closest(`[data-key="${figure}"]`)) resolve(); };
      section.addEventListener("lab:plotted", onPlotted);
      setTimeout(() => reject(new Error(`figure ${figure} not redrawn within 10 s of ${control} = ${v}`)), 10000);
    });
    const t0 = performance.now();
    change(v);
    await drawn.finally(() => section.removeEventListener("lab:plotted", onPlotted));
    times.push(performance.now() - t0);
    await idle();
  }
  return times;
}
"""

# Where the page is after the next-chapter link was followed: still this document (a soft
# navigation) or a new one, and the lab it now shows.
NAV_STATE = """() => ({
  sameDocument: window.__benchDocument === true,
  lab: document.querySelector('section.lab')?.dataset.lab ?? null,
  state: document.querySelector('section.lab')?.dataset.state ?? null,
  marks: performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]),
})"""


@dataclass(frozen=True)
class Plan:
    warm: bool = False           # reload in the same context, once a service worker (if any) is ready
    sweep: bool = False          # the scenario's control changes, figure redrawn each time
    next_chapter: bool = False   # follow the next-chapter link from the ready lab
    seed: str = "after_cold"     # when a returning student's answers enter storage: after_cold, before, never
    count_bytes: bool = False
    ready_timeout_s: float = 90


class NotReadyInTime(Exception):
    pass


def visit(browser, url: str, scenario, plan: Plan, conditions: Conditions, *,
          worker_limit: WorkerCpuLimit | None = None, service_worker_in_build: bool = False) -> dict:
    """One cold load in a fresh browser context (empty HTTP cache and storage), then what
    the plan asks for in the same context."""
    storage = None
    if plan.seed == "before":
        origin = url.split("/", 3)[:3]
        storage = {"cookies": [], "origins": [{"origin": "/".join(origin),
                                               "localStorage": [{"name": STORE_KEY, "value": _stored(scenario)}]}]}
    # Only the warm reload uses the service worker: elsewhere its precache download (which
    # starts once the lab is ready) would compete with what is measured.
    context = browser.new_context(service_workers="allow" if plan.warm else "block", storage_state=storage)
    try:
        page = context.new_page()
        applied = Applied(context, page, conditions, worker_limit)
        page.add_init_script(FIRST_PREDICTION_PROBE)
        traffic = Traffic(page) if plan.count_bytes else None
        page.goto(url, wait_until="commit")
        out = {}
        try:
            out["ready_cold_ms"] = _wait_ready(page, plan.ready_timeout_s)
        except NotReadyInTime:
            out["not_ready_after_s"] = plan.ready_timeout_s
            return out
        finally:
            out["slowed"] = applied.describe()
        # The probe's time is the end of the frame's main-thread paint; Chromium stamps the first
        # contentful paint when that frame is presented. Shown in the first frame, the
        # prediction was visible at the first contentful paint, not before it.
        out["first_prediction_in_dom_ms"] = page.evaluate("() => window.__firstPredictionInDom ?? null")
        out["first_prediction_painted_ms"] = page.evaluate("() => window.__firstPrediction ?? null")
        out["first_contentful_paint_ms"] = page.evaluate(FIRST_PAINT)
        if out["first_prediction_painted_ms"] is not None:
            out["first_prediction_ms"] = max(out["first_prediction_painted_ms"], out["first_contentful_paint_ms"] or 0)
        if traffic:
            out["traffic"] = traffic.before_ready(out["ready_cold_ms"], conditions.download_mbit)
        if plan.seed == "after_cold":  # the runtime reads answers from storage, as a returning student's page does
            page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, _stored(scenario)])
        if plan.warm:
            out["service_worker"] = _offline_copy(page, service_worker_in_build)
            page.reload(wait_until="commit")
            out["ready_warm_ms"] = _wait_ready(page, plan.ready_timeout_s)
            out["service_worker"]["controlled_warm_reload"] = page.evaluate("() => !!navigator.serviceWorker?.controller")
        elif plan.sweep and plan.seed == "after_cold":
            page.reload(wait_until="commit")   # to open the acts the seeded answers unlock
            out["ready_reload_ms"] = _wait_ready(page, plan.ready_timeout_s)
        if plan.sweep:
            drawn = page.wait_for_function(FIGURE_DRAWN, arg=scenario.figure_key, timeout=plan.ready_timeout_s * 1000).json_value()
            if drawn != "drawn":
                raise RuntimeError(f"{page.url}: figure {scenario.figure_key} was not drawn: {drawn}")
            page.wait_for_timeout(300)
            out["update_ms"] = page.evaluate(UPDATE_SWEEP, {"control": scenario.control_key, "figure": scenario.figure_key,
                                                            "values": scenario.values})
        if conditions.cpu_rate != 1:
            out["measured_slowdown"] = applied.measured_slowdown()
        if plan.next_chapter:
            out["next_chapter"] = _next_chapter(page)
        return out
    finally:
        context.close()


def _stored(scenario) -> str:
    return json.dumps({"version": 1, "labs": {scenario.lab: {"answers": scenario.state["answers"],
                                                             "values": scenario.state["values"]}}, "ledger": {}})


def _wait_ready(page, timeout_s: float) -> float:
    try:
        page.wait_for_function(READY, timeout=timeout_s * 1000, polling=50)
    except PlaywrightTimeout:
        raise NotReadyInTime(page.url) from None
    state = page.evaluate("() => document.querySelector('section.lab').dataset.state")
    if state != "ready":
        raise RuntimeError(f"{page.url}: lab ended in state {state!r}: {page.inner_text('section.lab')[:400]}")
    return page.evaluate(READY_MARK)


def _offline_copy(page, in_build: bool) -> dict:
    """Wait until the service worker controls the page (installed: its precache complete)."""
    if not in_build:
        return {"in_build": False}
    t0 = time.perf_counter()
    try:
        page.wait_for_function(SW_CONTROLS, timeout=SW_TIMEOUT_S * 1000, polling=100)
        controlled = True
    except PlaywrightTimeout:
        controlled = False
    return {"in_build": True, "controlled_before_reload": controlled, "waited_s": round(time.perf_counter() - t0, 1),
            "data_offline": page.evaluate("() => document.documentElement.dataset.offline ?? null")}


def _next_chapter(page) -> dict:
    """Follow the next-chapter link from a ready lab. A soft navigation keeps this document:
    the next lab is live `lab:ready:<id>` - `nav:shown` ms after its page showed. Otherwise
    a full navigation happened; its `lab:ready` (since that navigation) is reported."""
    before = page.evaluate("() => { window.__benchDocument = true; return document.querySelector('section.lab')?.dataset.lab; }")
    workers_before = list(page.workers)
    page.click("nav.page-nav a[rel=next]")
    deadline = time.monotonic() + NEXT_CHAPTER_TIMEOUT_S
    while True:
        try:
            s = page.evaluate(NAV_STATE)
            if s["lab"] and s["lab"] != before and s["state"] in ("ready", "error"):
                break
        except PlaywrightError:
            pass  # the old document went away mid-evaluate
        if time.monotonic() > deadline:
            raise RuntimeError(f"next chapter after {before}: no ready lab within {NEXT_CHAPTER_TIMEOUT_S} s ({page.url})")
        time.sleep(0.05)
    if s["state"] != "ready":
        raise RuntimeError(f"{page.url}: lab {s['lab']} ended in state {s['state']!r} after the next-chapter link")
    ready = [t for name, t in s["marks"] if name == f"lab:ready:{s['lab']}"]
    out = {"from": before, "to": s["lab"], "url": page.url, "soft": s["sameDocument"]}
    if not s["sameDocument"]:
        return {**out, "ready_ms": ready[-1] if ready else None}
    shown = [t for name, t in s["marks"] if name == "nav:shown"]
    out["worker_kept"] = bool(workers_before) and page.workers == workers_before
    out["nav_shown_ms"] = shown[-1] if shown else None
    out["live_after_shown_ms"] = ready[-1] - shown[-1] if shown and ready else None
    return out
