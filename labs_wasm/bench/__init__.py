"""`python -m bench`: time a lab page against a naive Pyodide page in the same run.

Metrics (PROTOCOL pages, headless Debian chromium, this machine):
- first prediction visible: navigation start -> the first prediction fieldset is in the DOM
  and a frame has been painted;
- ready, cold (fresh browser context: empty HTTP cache and storage) and warm (reload in the
  same context);
- control change -> chart updated: input event dispatched -> the figure redrawn
  (runtime: "lab:plotted"; baseline: Plotly's "plotly_afterplot"), median and p95.
Results go to stdout and bench-results/bench.json.
"""
