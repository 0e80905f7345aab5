"""Math is typeset at build time with KaTeX (sitebuild/mathrender.py): pages carry KaTeX's
HTML and MathML, no TeX is left for a script to render, and bad TeX fails the build. (Lab
text is typeset in the browser, lazily: tests/site/test_lab_math.py, tests/e2e.)"""
from __future__ import annotations

import re

MATH_SPAN = re.compile(r'<span\s+class="math (?:inline|display)">(.{0,40})', re.S)


def test_math_every_formula_typeset_in_the_built_book(built_site):
    pages = sorted(built_site.out_dir.rglob("*.html"))
    spans = [(p.name, m.group(1)) for p in pages for m in MATH_SPAN.finditer(p.read_text())]
    assert len(spans) > 50, "the introduction alone has dozens of formulas"
    raw = [(name, start) for name, start in spans if not start.startswith('<span class="katex')]
    assert raw == [], f"formulas left as raw TeX: {raw[:5]}"
    intro = (built_site.out_dir / "vol1" / "introduction.html").read_text()
    assert "<math" in intro and 'encoding="application/x-tex"' in intro  # MathML for screen readers


def test_math_pages_load_no_katex_script(built_site):
    # Book pages never run KaTeX; its script is vendored for lab text only, and only the lab
    # runtime names it (runtime/math.js loads it when a lab text has math: tests/e2e).
    for page in built_site.out_dir.rglob("*.html"):
        assert "katex.min.js" not in page.read_text(), page
    assert (built_site.out_dir / "assets" / "vendor" / "katex" / "katex.min.js").is_file()
    runtime = built_site.out_dir / "assets" / "runtime"
    naming = sorted(p.name for p in runtime.rglob("*.js") if "katex.min.js" in p.read_text())
    assert naming == ["config.js"]


def test_math_bad_tex_fails_the_build_naming_page_and_formula(tiny_project, tmp_path, cli):
    root = tiny_project({"book/vol1/beta.qmd": "# Beta {#sec-beta}\n\n## One {#sec-beta-one}\n\nBroken: $\\frac{1}{$ here.\n"})
    out = tmp_path / "out"
    proc = cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "beta.html: cannot typeset math" in proc.stderr and "\\\\frac{1}{" in proc.stderr
    assert not out.exists()
