"""plot.js's withUpdate: a relayout-style update ({"legend.y": 0, "xaxis.tickvals": [...]})
laid into a layout, as Plotly.relayout would, so a chart's post-draw corrections can go into
its next draw (one Plotly pass per update)."""
from __future__ import annotations

from jsnode import run_js


def test_with_update_sets_nested_paths_without_touching_the_original():
    out = run_js("plot.js", """
        const layout = { height: 300, legend: { orientation: "h" }, xaxis: { type: "log" } };
        const next = m.withUpdate(layout, { "legend.y": 0, "legend.yref": "container", "xaxis.tickvals": [1, 10],
                                            "yaxis.title.text": "ms", height: 340, "margin.b": 80 });
        return { next, layout };""")
    assert out["next"] == {"height": 340, "legend": {"orientation": "h", "y": 0, "yref": "container"},
                           "xaxis": {"type": "log", "tickvals": [1, 10]}, "yaxis": {"title": {"text": "ms"}},
                           "margin": {"b": 80}}
    assert out["layout"] == {"height": 300, "legend": {"orientation": "h"}, "xaxis": {"type": "log"}}
