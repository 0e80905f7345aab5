"""Browser-side timing. Every time is taken inside the page with performance.now() (ms
since navigation start), so Playwright's own overhead never counts."""
from __future__ import annotations

import json

STORE_KEY = "mlsysbook:v1"
READY_TIMEOUT_MS = 90_000

# Records when the first prediction fieldset is in the DOM *and painted* (two frames later).
FIRST_PREDICTION_PROBE = """
(() => {
  const seen = () => document.querySelector("fieldset.lab-choice input[type=radio]");
  const record = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__firstPrediction ??= performance.now();
  }));
  new MutationObserver((_, obs) => { if (seen()) { obs.disconnect(); record(); } })
    .observe(document, { childList: true, subtree: true });
})();
"""

LATENCY_LOOP = """
async ({ key, values }) => {
  const section = document.querySelector("section.lab");
  const range = section.querySelector(`[data-key="${key}"] input[type=range]`);
  const idle = () => new Promise((r) => setTimeout(r, 60));
  const times = [];
  for (const v of values) {
    while (section.hasAttribute("data-busy")) await idle();
    const drawn = new Promise((resolve, reject) => {
      section.addEventListener("lab:plotted", resolve, { once: true });
      setTimeout(() => reject(new Error(`no redraw within 10 s after setting ${key} = ${v}`)), 10000);
    });
    const t0 = performance.now();
    range.value = String(v);
    range.dispatchEvent(new Event("input", { bubbles: true }));
    await drawn;
    times.push(performance.now() - t0);
    await idle();
  }
  return times;
}
"""


# wait_for_function predicates are functions, never bare expressions: the book's pages carry
# a Content-Security-Policy without 'unsafe-eval', under which Playwright cannot eval a string.
def _wait_ready(page) -> float:
    page.wait_for_function("() => ['ready', 'error'].includes(document.querySelector('section.lab')?.dataset.state)",
                           timeout=READY_TIMEOUT_MS)
    state = page.evaluate("document.querySelector('section.lab').dataset.state")
    if state != "ready":
        raise RuntimeError(f"{page.url}: lab ended in state {state!r}: {page.inner_text('section.lab')[:400]}")
    return page.evaluate("(() => { const m = performance.getEntriesByType('mark').find((m) => m.name.startsWith('lab:ready:')); return m ? m.startTime : null; })()")


def _wait_plotted(page) -> None:
    page.wait_for_function("() => document.querySelector('section.lab .lab-plot[data-plotted], section.lab .js-plotly-plot')",
                           timeout=READY_TIMEOUT_MS)


def time_page(browser, url: str, scenario, *, seed_state: bool) -> dict:
    """One cold load (fresh context), one warm reload, then the latency sweep."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(FIRST_PREDICTION_PROBE)
        page.goto(url)
        cold = _wait_ready(page)
        first = page.evaluate("window.__firstPrediction ?? null")
        if seed_state:  # the runtime page reads answers from localStorage, as a returning student's would
            doc = {"version": 1, "labs": {scenario.lab: {"answers": scenario.state["answers"], "values": scenario.state["values"]}}, "ledger": {}}
            page.evaluate("([k, v]) => localStorage.setItem(k, v)", [STORE_KEY, json.dumps(doc)])
        page.reload()
        warm = _wait_ready(page)
        _wait_plotted(page)
        page.wait_for_timeout(300)
        times = page.evaluate(LATENCY_LOOP, {"key": scenario.control_key, "values": scenario.values})
        return {"first_prediction_ms": first, "ready_cold_ms": cold, "ready_warm_ms": warm, "update_ms": times}
    finally:
        context.close()
