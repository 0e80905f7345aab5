"""Golden tests for labs_wasm/filter/lab.lua run by the real pandoc binary.

Each filter_golden/<case>.md is rendered with the filter (cwd = filter_golden, so the cases'
`lab-prerender-dir: prerender` points at the fixture pre-renders) and compared byte for byte
with <case>.html. quarto_offset.md runs through fake_quarto.lua, which loads the filter with a
Quarto-like global. To regenerate after an intended change, render the case the same way and
review the diff before committing it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pypandoc
import pytest

GOLDEN = Path(__file__).resolve().parent / "filter_golden"
LAB_LUA = Path(__file__).resolve().parents[2] / "labs_wasm" / "filter" / "lab.lua"
CASES = sorted(p.stem for p in GOLDEN.glob("*.md"))


def render(case: str) -> subprocess.CompletedProcess:
    filt = GOLDEN / "fake_quarto.lua" if case == "quarto_offset" else LAB_LUA
    return subprocess.run([pypandoc.get_pandoc_path(), f"{case}.md", "-f", "markdown", "-t", "html5",
                           "--lua-filter", str(filt)], cwd=GOLDEN, capture_output=True, text=True, timeout=60)


def test_filter_golden_cases_exist():
    assert {"lab_embed", "lab_missing_prerender", "ledger_view_site_root", "quarto_offset"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_filter_golden(case):
    proc = render(case)
    assert proc.returncode == 0, proc.stderr
    expected = (GOLDEN / f"{case}.html").read_text(encoding="utf-8")
    assert proc.stdout == expected


def test_filter_embedded_tree_round_trips_and_cannot_close_its_script():
    html = render("lab_embed").stdout
    initial = re.search(r'<script type="application/json" class="lab-initial">(.*?)</script>', html, re.S).group(1)
    assert "</script" not in initial and "<!--" not in initial
    assert json.loads(initial) == json.loads((GOLDEN / "prerender" / "vol1-01.json").read_text())
    xref = json.loads(re.search(r'class="lab-xref">(.*?)</script>', html, re.S).group(1))
    # hrefs in the pre-render are relative to the site root; on the page they are rebased
    assert xref["sec-intro-iron-law"]["href"] == "../vol1/introduction.html#sec-intro-iron-law"
    assert xref["sec-intro-iron-law"]["label"] == "Section 1.4"


def test_filter_missing_prerender_reports_file_and_lab_on_stderr():
    proc = render("lab_missing_prerender")
    assert proc.returncode == 0
    assert "lab_missing_prerender.md: lab vol1/42: missing pre-render prerender/vol1-42.json" in proc.stderr
    assert 'class="lab-unavailable"' in proc.stdout and 'data-lab=' not in proc.stdout


def test_filter_non_html_output_degrades_to_text():
    proc = subprocess.run([pypandoc.get_pandoc_path(), "lab_embed.md", "-t", "plain", "--lua-filter", str(LAB_LUA)],
                          cwd=GOLDEN, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "Interactive lab vol1/01: open the HTML edition to run it." in proc.stdout


def test_filter_lab_section_names_its_chapter_and_title_not_its_id():
    html = render("lab_embed").stdout
    section = re.search(r"<section class=\"lab\"[^>]*>", html).group(0)
    assert 'data-chapter-number="1"' in section and 'data-chapter-title="Introduction"' in section
    assert 'aria-label="Lab 01: Golden lab"' in section and 'aria-label="Lab vol1/01"' not in section


def test_filter_ledger_page_carries_the_labs_catalog_with_rebased_links():
    proc = subprocess.run([pypandoc.get_pandoc_path(), "ledger_view_site_root.md", "-f", "markdown", "-t", "html5",
                           "--metadata", "site-root=../", "--lua-filter", str(LAB_LUA)],
                          cwd=GOLDEN, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    catalog = json.loads(re.search(r'class="ledger-catalog">(.*?)</script>', proc.stdout, re.S).group(1))
    lab = catalog["labs"]["vol1.ch01"]
    assert lab["title"] == "Golden lab" and lab["contexts"] == ["cloud", "tiny"]
    assert lab["href"] == "../vol1/introduction.html#lab-vol1-01"
    assert catalog["contexts"]["tiny"] == "TinyML"
