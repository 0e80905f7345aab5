"""The palette (labkit/palette.py) reads for everyone: chart colours stay apart under simulated
colour-vision deficiency, state colours used as text meet WCAG AA, and the CSS the lab uses is
the same table.

Colour-vision deficiency: Machado, Oliveira & Fernandes (2009), "A physiologically-based model
for simulation of color vision deficiency", IEEE TVCG 15(6):1291-1298, severity 1.0 matrices
(protanopia, deuteranopia, tritanopia), applied to linear sRGB. Difference: CIEDE2000 (Sharma,
Wu & Dalal 2005, Color Res. Appl. 30(1):21-30) in CIELAB under D65. A difference of about 2 is
just noticeable between large patches side by side; a chart asks a reader to match a thin line
or a bar to its legend at a glance, so we ask for MIN_DELTA_E = 10 between every pair.
Contrast: WCAG 2.x relative luminance and contrast ratio, AA for text = 4.5:1.
"""
from __future__ import annotations

import ast
import itertools
import math
import re
from pathlib import Path

import pytest

from labkit import contexts, palette, plot

ROOT = Path(__file__).resolve().parents[2]
MIN_DELTA_E = 10.0
AA_TEXT = 4.5

MACHADO_2009 = {  # severity 1.0
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISION = [None, *MACHADO_2009]  # None: typical colour vision


def linear_rgb(hex_colour: str) -> list[float]:
    h = hex_colour.lstrip("#")
    out = []
    for i in (0, 2, 4):
        c = int(h[i:i + 2], 16) / 255
        out.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return out


def simulate(hex_colour: str, deficiency: str | None) -> list[float]:
    rgb = linear_rgb(hex_colour)
    if deficiency is None:
        return rgb
    m = MACHADO_2009[deficiency]
    return [min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)]


def cielab(rgb: list[float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29  # noqa: E731
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(lab1, lab2) -> float:
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    cbar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cbar ** 7 / (cbar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p + 180) % 360 - 180
    dhp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lbar, cbarp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbar = (h1p + h2p) / 2
    else:
        hbar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hbar - 30)) + 0.24 * math.cos(math.radians(2 * hbar))
         + 0.32 * math.cos(math.radians(3 * hbar + 6)) - 0.20 * math.cos(math.radians(4 * hbar - 63)))
    dtheta = 30 * math.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbarp ** 7 / (cbarp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / math.sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cbarp, 1 + 0.015 * cbarp * t
    rt = -math.sin(math.radians(2 * dtheta)) * rc
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh))


def luminance(hex_colour: str) -> float:
    r, g, b = linear_rgb(hex_colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def too_close(colours: dict[str, str]) -> list[str]:
    bad = []
    for (ka, a), (kb, b) in itertools.combinations(colours.items(), 2):
        for vision in VISION:
            d = ciede2000(cielab(simulate(a, vision)), cielab(simulate(b, vision)))
            if d < MIN_DELTA_E:
                bad.append(f"{ka} {a} vs {kb} {b}: ΔE00 {d:.1f} under {vision or 'typical vision'}")
    return bad


# ---- the colour science itself, against published values ---------------------------------

def test_ciede2000_matches_sharma_2005_test_data():
    # Pairs 1, 7 and 17 of Sharma, Wu & Dalal (2005), Table 1.
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, 0, 0), (50, -1, 2)) == pytest.approx(2.3669, abs=1e-4)
    assert ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def test_simulation_merges_what_each_deficiency_confuses():
    # Red and green a protanope/deuteranope confuses; blue and green a tritanope confuses
    # more than a typical viewer does. (A check that the matrices are wired the right way.)
    red, green = "#D55E00", "#3B8B00"
    typical = ciede2000(cielab(simulate(red, None)), cielab(simulate(green, None)))
    assert ciede2000(cielab(simulate(red, "deuteranopia")), cielab(simulate(green, "deuteranopia"))) < typical / 3
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


# ---- the palette -------------------------------------------------------------------------

def test_every_pair_of_context_colours_stays_apart_under_colour_vision_deficiency():
    assert too_close(palette.CONTEXTS) == []


def test_every_pair_of_chart_colours_stays_apart_under_colour_vision_deficiency():
    # Labs mix contexts with the roles and outcomes in one chart (a failing bar among context
    # bars, a highlighted strategy among muted ones), so every chart colour counts.
    assert too_close(palette.CHART) == []


def test_state_text_colours_meet_wcag_aa_on_white_and_on_their_tint_and_stay_apart():
    for state, shades in palette.STATES.items():
        for bg in ("#ffffff", shades["tint"]):
            assert contrast(shades["text"], bg) >= AA_TEXT, (state, bg)
        # The page's body text on the tint (a banner's sentences) too.
        assert contrast(palette.ROLES["ink"], shades["tint"]) >= AA_TEXT, state
        # White words on the text shade (a danger button).
        assert contrast("#ffffff", shades["text"]) >= AA_TEXT, state
    assert too_close({s: v["text"] for s, v in palette.STATES.items()}) == []


def test_state_text_shades_keep_their_marks_hue():
    for state, shades in palette.STATES.items():
        _, a1, b1 = cielab(linear_rgb(shades["mark"]))
        _, a2, b2 = cielab(linear_rgb(shades["text"]))
        turn = abs((math.degrees(math.atan2(b2, a2) - math.atan2(b1, a1)) + 180) % 360 - 180)
        # Darkening keeps a* and b*; bringing the colour back into sRGB turns it a little.
        assert turn < 15, f"{state}: the text shade turns the hue by {turn:.0f} degrees"


def test_charts_use_the_palette_and_every_colour_name_labs_use_exists():
    assert plot.COLORS == palette.CHART
    deployment = [k for k, c in contexts.CONTEXTS.items() if c.deployment]
    assert set(deployment) <= set(palette.CONTEXTS)
    # Every plot.COLORS["name"] a lab writes names a palette colour (else a KeyError on a path
    # the lab tests might not take).
    used = set()
    for src in (ROOT / "labs_wasm" / "labs").rglob("*.py"):
        for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                    and isinstance(node.value, ast.Attribute | ast.Name)
                    and (getattr(node.value, "attr", None) or getattr(node.value, "id", None)) == "COLORS"
                    and isinstance(node.slice.value, str)):
                used.add(node.slice.value)
    assert used and used - set(palette.CHART) <= {"ring", "tree"}  # lab 06's own COLORS table


def test_the_lab_css_palette_is_the_table():
    css_file = ROOT / "labs_wasm" / "runtime" / "palette.css"
    assert css_file.read_text(encoding="utf-8") == palette.css(), \
        "runtime/palette.css is stale: run `PYTHONPATH=labs_wasm python -m labkit.palette`"
    # lab.css takes its tone colours from the palette, not from hex values of its own.
    lab_css = (ROOT / "labs_wasm" / "runtime" / "lab.css").read_text(encoding="utf-8")
    for tone, state in (("info", "info"), ("success", "ok"), ("warn", "warn"), ("danger", "fail")):
        assert re.search(rf"--lab-{tone}:\s*var\(--palette-{state}-text\)", lab_css), tone
    for rule in (".lab-banner", ".lab-notice", ".lab-error"):
        body = re.search(rf"{re.escape(rule)}\s*\{{([^}}]*)\}}", lab_css).group(1)
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b", body), f"{rule} has its own hex colour: {body}"
