"""Plotly figures as plain dicts (Plotly.js draws them; no Python plotly in the browser)."""
from __future__ import annotations

import math
from typing import Any

from . import palette

#: One colour per deployment context, and a few roles, reused by every lab: the book's one
#: colour-blind-safe palette (labkit/palette.py, with its sources), shared with the lab's CSS.
COLORS = dict(palette.CHART)


def layout(title: str | None = None, height: int = 360, **extra: Any) -> dict:
    base = {
        "height": height,
        "margin": {"t": 48 if title else 24, "r": 16, "b": 56, "l": 64},
        "font": {"family": "system-ui, sans-serif", "size": 13},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        # A bar label that would have to shrink below 11 px to fit is left out (the caption
        # and the data table carry every value) instead of drawn at 5 px.
        "uniformtext": {"minsize": 11, "mode": "hide"},
    }
    if title:
        base["title"] = {"text": title, "x": 0.02, "font": {"size": 15}}
    base.update(extra)
    return base


def axis(title: str, log: bool = False, **extra: Any) -> dict:
    # automargin: Plotly widens the margin to fit long tick labels instead of clipping them.
    out = {"title": {"text": title}, "gridcolor": "#e2e8f0", "zeroline": False, "automargin": True}
    if log:
        out["type"] = "log"
        out["exponentformat"] = "power"
    out.update(extra)
    return out


def bar(x: list, y: list, colors: list[str] | str, text: list[str] | None = None,
        name: str | None = None, **extra: Any) -> dict:
    trace = {"type": "bar", "x": list(x), "y": list(y), "marker": {"color": colors}}
    if text is not None:
        trace.update({"text": list(text), "textposition": "outside", "cliponaxis": False,
                      "hoverinfo": "x+text"})
    if name:
        trace["name"] = name
    trace.update(extra)
    return trace


def line(x: list, y: list, name: str, color: str, dash: str = "solid", width: float = 2,
         **extra: Any) -> dict:
    trace = {"type": "scatter", "mode": "lines", "x": list(x), "y": list(y), "name": name,
             "line": {"color": color, "dash": dash, "width": width}}
    trace.update(extra)
    return trace


def points(x: list, y: list, name: str, color: str, symbol: str = "circle", size: int = 10,
           text: list[str] | None = None, **extra: Any) -> dict:
    trace = {"type": "scatter", "mode": "markers+text" if text else "markers", "x": list(x),
             "y": list(y), "name": name,
             "marker": {"color": color, "symbol": symbol, "size": size,
                        "line": {"color": "#ffffff", "width": 1.5}}}
    if text:
        trace.update({"text": list(text), "textposition": "top center"})
    trace.update(extra)
    return trace


def hline(y: float, color: str, dash: str = "dot") -> dict:
    """A horizontal reference line spanning the plot (a layout shape)."""
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y,
            "line": {"color": color, "dash": dash, "width": 1.5}}


def vline(x: float, color: str, dash: str = "dot") -> dict:
    return {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": x, "x1": x,
            "line": {"color": color, "dash": dash, "width": 1.5}}


def note(x: float, y: float, text: str, xref: str = "x", yref: str = "y", *, xlog: bool = False,
         ylog: bool = False, **extra: Any) -> dict:
    """A text at (x, y). ``xlog``/``ylog``: that axis is logarithmic and x/y are data values
    (Plotly places annotations on a log axis in log10 units, unlike shapes and traces)."""
    out = {"x": math.log10(x) if xlog else x, "y": math.log10(y) if ylog else y, "xref": xref,
           "yref": yref, "text": text, "showarrow": False, "font": {"size": 11}}
    out.update(extra)
    return out
