"""The site vendors Plotly's partial bundle (plotly.js-basic-dist-min: scatter, bar, pie), not
the full one: every trace type any lab can draw must be one it registers. Each lab is walked
under CPython with every prediction answered (so every act's figures are on screen), and the
trace types found are compared with the bundle's own list, read in Chromium."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.scenario import answer_everything
from labkit import catalog
from labkit.runtime import render
from labkit.serialize import walk

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "labs_wasm" / "runtime" / "config.js"
pytestmark = pytest.mark.browser


def trace_types_drawn() -> dict[str, set[str]]:
    drawn: dict[str, set[str]] = {}
    for lab in catalog.all_ids():
        for node in walk(render(lab, answer_everything(lab))["nodes"]):
            if node.get("kind") == "figure":
                for trace in node["figure"].get("data", []):
                    drawn.setdefault(trace.get("type", "scatter"), set()).add(lab)  # Plotly's default type
    return drawn


def vendored_bundle(book_dir: Path) -> Path:
    path = re.search(r'plotly: "([^"]+)"', CONFIG.read_text()).group(1)
    return book_dir / path


def test_every_trace_type_a_lab_draws_is_in_the_vendored_plotly_bundle(browser, book_dir):
    drawn = trace_types_drawn()
    assert drawn, "no lab drew a figure: the walk is broken"
    page = browser.new_page()
    try:
        page.add_script_tag(path=str(vendored_bundle(book_dir)))
        registered = set(page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
    finally:
        page.close()
    missing = {kind: sorted(labs) for kind, labs in drawn.items() if kind not in registered}
    assert missing == {}, f"trace types the vendored Plotly bundle lacks (with the labs that draw them): {missing}"
