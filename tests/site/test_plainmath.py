"""Search snippets read math as text (issue 14): sitebuild.plainmath turns the book's TeX into
plain text a reader understands and never leaves a control sequence behind."""
from __future__ import annotations

import re

import pytest

from sitebuild.htmlsections import parse_sections
from sitebuild.plainmath import tex_to_text


@pytest.mark.parametrize("tex, text", [
    (r"\frac{O}{R \cdot \eta}", "O/(R · η)"),
    (r"T_{\text{compute}} = \frac{D}{BW}", "T_compute = D/BW"),
    (r"x^{2} + 10^{-3}", "x² + 10⁻³"),
    (r"W^\top x_i", "Wᵀ xᵢ"),
    (r"\sqrt{\frac{2}{n}}", "√(2/n)"),
    (r"\left\lceil \frac{N}{B} \right\rceil", "⌈ N/B ⌉"),
    (r"\underbrace{a+b}_{\text{bytes moved}}", "a + b (bytes moved)"),
    (r"\mathrm{MFU} \approx 0.4\,\%", "MFU ≈ 0.4 %"),
    (r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "a = b; c = d"),
    (r"\min(a, b) \le \|x\|_2", "min(a, b) ≤ ‖x‖₂"),
    (r"\unknowncommand{y}", "unknowncommandy"),
])
def test_tex_reads_as_text(tex, text):
    assert tex_to_text(tex) == text
    assert not re.search(r"\\[A-Za-z]", tex_to_text(tex))


def test_search_sections_read_math_as_text():
    html = ('<section id="sec-a" class="level2" data-number="1.1"><h2><span class="header-section-number">1.1</span> '
            'Time <span class="math inline">T</span></h2><p>It is <span class="math inline">\\frac{O}{R \\cdot \\eta}</span>.</p>'
            '<p><span class="math display">\\[E = mc^2\\]</span></p></section>')
    sections, _ = parse_sections(html)
    assert sections[0].title == "Time T"
    assert "O/(R · η)" in sections[0].text and "E = mc²" in sections[0].text and "\\" not in sections[0].text
