"""The book's one colour palette: charts (labkit.plot) and the lab's tones, banners and metric
borders (runtime/palette.css, written from this table) take their colours from here.

Sources:
- Okabe, M. & Ito, K. (2008), "Color Universal Design (CUD): how to make figures and
  presentations that are friendly to colorblind people", https://jfly.uni-koeln.de/color/ ;
  the same eight colours in Wong, B. (2011), "Points of view: Color blindness",
  Nature Methods 8:441. Every chart hue below is one of them, except:
- Tol, P. (2021), "Colour Schemes", SRON/EPS/TN/09-002, "muted" scheme: indigo #332288 and
  wine #882255, the two darker hues Okabe-Ito lacks (a chart needs up to eight at once).
- State text shades: the state's Okabe-Ito hue with its CIELAB lightness lowered (a* and b*
  kept) until it reads at >= 5:1 on its own tint, and the four stay apart under colour-vision
  deficiency (tests/labs/test_palette.py checks both, with Machado et al. 2009 and CIEDE2000).
  Tints are the hue at 12 % over white.

Colour is never the only signal: every chart has a title, axis titles and a legend or labels;
every tone a title or a symbol.
"""
from __future__ import annotations

#: One colour per deployment context (labkit.contexts keys) that charts colour by context.
#: Volume II's scenario contexts (ring/tree, nvme/distributed_fs, ...) pick two of these
#: hues in their lab.
CONTEXTS = {
    "cloud": "#0072B2",   # Okabe-Ito blue
    "edge": "#E69F00",    # Okabe-Ito orange
    "mobile": "#56B4E9",  # Okabe-Ito sky blue
    "tiny": "#CC79A7",    # Okabe-Ito reddish purple
    "fleet": "#332288",   # Tol muted indigo
}

#: Roles a chart uses beside the contexts: the highlighted choice ("your design"), the
#: background series, and reference lines and frontiers.
ROLES = {
    "accent": "#882255",  # Tol muted wine
    "muted": "#BBBBBB",   # light grey: kept light so it stays apart from reddish purple
    "ink": "#1D232B",     # the lab's text colour
}

#: Outcome states: ``mark`` for charts, ``text`` for words and borders (>= 4.5:1 on white and
#: on ``tint``), ``tint`` for the background of a notice, banner or overlay.
STATES = {
    "ok": {"mark": "#009E73", "text": "#00744D", "tint": "#E0F3EE"},    # Okabe-Ito bluish green
    "warn": {"mark": "#E69F00", "text": "#925900", "tint": "#FCF3E0"},  # Okabe-Ito orange
    "fail": {"mark": "#D55E00", "text": "#851700", "tint": "#FAECE0"},  # Okabe-Ito vermillion
    "info": {"mark": "#0072B2", "text": "#004C87", "tint": "#E0EEF6"},  # Okabe-Ito blue
}

#: The chart colours of labkit.plot.COLORS: contexts, roles, and the two outcome marks under
#: the names the labs use ("good", "bad").
CHART = {**CONTEXTS, **ROLES, "good": STATES["ok"]["mark"], "bad": STATES["fail"]["mark"]}


def css() -> str:
    """runtime/palette.css: the palette as CSS custom properties on :root."""
    lines = ["/* Generated from labs_wasm/labkit/palette.py by `python -m labkit.palette`; do not edit.",
             "   tests/labs/test_palette.py checks this file equals what the table writes. */",
             ":root {"]
    lines += [f"  --palette-{key}: {value.lower()};" for key, value in {**CONTEXTS, **ROLES}.items()]
    for state, shades in STATES.items():
        lines += [f"  --palette-{state}{'' if part == 'mark' else '-' + part}: {value.lower()};"
                  for part, value in shades.items()]
    return "\n".join(lines + ["}", ""])


if __name__ == "__main__":
    import sys
    from pathlib import Path
    out = Path(__file__).resolve().parents[1] / "runtime" / "palette.css"
    out.write_text(css(), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
