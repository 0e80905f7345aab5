"""Crossref numbering (Quarto book style) and every reference form, on a tiny project."""

from __future__ import annotations

import json
import re

import pytest

from sitebuild.build import build


@pytest.fixture
def tiny_site(tiny_project, tmp_path):
    root = tiny_project()
    result = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    index = json.loads((tmp_path / "bld" / "crossref.json").read_text())
    return result.out_dir, index


def page(out, rel):
    return (out / rel).read_text(encoding="utf-8")


def test_crossref_chapters_number_across_parts_skipping_unnumbered(tiny_site):
    _, index = tiny_site
    numbers = {c["src"]: c["number"] for c in index["chapters"]}
    assert numbers == {"book/index.qmd": None, "book/vol1/orientation.qmd": None,
                       "book/vol1/alpha.qmd": 1, "book/vol1/beta.qmd": 2,
                       "book/vol2/gamma.qmd": 3, "book/ledger.qmd": None}


def test_crossref_section_numbers_and_labels(tiny_site):
    _, index = tiny_site
    s = index["sections"]
    assert s["sec-alpha"]["label"] == "Chapter 1" and s["sec-alpha"]["chapter"] is True
    assert s["sec-alpha-one"]["label"] == "Section 1.1"
    # the callout's heading is its title, so it neither numbers nor shifts "One A"
    assert s["sec-alpha-one-a"]["number"] == "1.1.1"
    assert s["sec-alpha-two"]["label"] == "Section 1.2"
    assert s["sec-alpha-aside"]["number"] is None and s["sec-alpha-aside"]["label"] == "Aside"
    # Pandoc continues numbering under an unnumbered heading; the index must agree
    assert s["sec-alpha-under-aside"]["number"] == "1.2.1"
    assert s["sec-beta-one"]["label"] == "Section 2.1"
    assert s["sec-gamma-scale"]["label"] == "Section 3.1"
    assert s["sec-orientation"]["label"] == "Orientation" and s["sec-orientation"]["number"] is None
    assert s["sec-orientation-labs"]["label"] == "Labs"
    assert s["sec-gamma"]["href"] == "vol2/gamma.html#sec-gamma"
    assert "sec-not-an-id-in-code" not in json.dumps(index)


def test_crossref_index_numbers_match_rendered_pages(tiny_site):
    out, index = tiny_site
    for sec_id, entry in index["sections"].items():
        if entry["chapter"] or entry["number"] is None:
            continue
        rel, anchor = entry["href"].split("#")
        m = re.search(rf'<section id="{anchor}"[^>]*data-number="([^"]+)"', page(out, rel))
        assert m and m.group(1) == entry["number"], sec_id


def test_crossref_reference_forms(tiny_site):
    out, _ = tiny_site
    html = " ".join(page(out, "vol1/alpha.html").split())
    link = r'<a href="{href}" class="quarto-xref">{text}</a>'
    expect = [
        link.format(href="#sec-alpha-one", text="Section 1.1"),                         # @sec-x
        link.format(href="#sec-alpha-one-a", text="Section 1.1.1"),                     # [@sec-x]
        link.format(href="../vol1/beta.html#sec-beta-one", text="2.1"),                 # [-@sec-x]
        "see " + link.format(href="../vol1/beta.html#sec-beta-one", text="Section 2.1"),  # [see @sec-x]
        link.format(href="../vol1/beta.html#sec-beta", text="Chapter 2"),               # chapter id
        link.format(href="../vol1/orientation.html#sec-orientation-labs", text="Labs"),  # unnumbered
        "see " + link.format(href="#sec-alpha-two", text="Section 1.2") + ", p. 3",
    ]
    for fragment in expect:
        assert fragment in html, fragment
    # code is left alone
    assert "@sec-not-an-id-in-code" in html
    assert "<code>@sec-inline-code-is-ignored</code>" in html


def test_crossref_from_front_page_and_other_volume(tiny_site):
    out, _ = tiny_site
    front = " ".join(page(out, "index.html").split())
    assert '<a href="vol1/alpha.html#sec-alpha" class="quarto-xref">Chapter 1</a>' in front
    assert '<a href="vol1/alpha.html#sec-alpha-two" class="quarto-xref">1.2</a>' in front
    gamma = " ".join(page(out, "vol2/gamma.html").split())
    assert '<a href="../vol1/alpha.html#sec-alpha-one-a" class="quarto-xref">Section 1.1.1</a>' in gamma


def test_crossref_chapter_title_and_sections_numbered_on_page(tiny_site):
    out, _ = tiny_site
    beta = page(out, "vol1/beta.html")
    assert ('<h1 class="title" id="sec-beta"><span class="chapter-number">Chapter 2</span>&ensp;'
            '<span class="chapter-title">Beta</span></h1>') in beta
    assert '<span class="header-section-number">2.1</span>' in beta
    orientation = page(out, "vol1/orientation.html")
    assert "header-section-number" not in orientation
    assert "Chapter" not in re.search(r'<h1 class="title".*?</h1>', orientation).group(0)


def test_crossref_broken_reference_in_chapter_fails_with_file_line_id(tiny_project, tmp_path, cli):
    root = tiny_project({"book/vol2/gamma.qmd": "# Gamma {#sec-gamma}\n\nFine.\n\nBroken: see @sec-nope here.\n"})
    out = tmp_path / "out"
    proc = cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "book/vol2/gamma.qmd:5: unknown cross-reference @sec-nope" in proc.stderr
    assert not out.exists(), "a failed build must not leave an output folder behind"


def test_crossref_broken_bracketed_reference_fails(tiny_project, tmp_path, cli):
    root = tiny_project({"book/vol1/beta.qmd": "# Beta {#sec-beta}\n\n## First {#sec-beta-one}\n\nAs [-@sec-gone] shows.\n"})
    proc = cli(root, "--out", str(tmp_path / "out"), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "book/vol1/beta.qmd:5: unknown cross-reference @sec-gone" in proc.stderr


def test_crossref_broken_reference_in_lab_source_fails(tiny_project, tmp_path, cli):
    lab = '"""A lab."""\n\nINTRO = "Read @sec-alpha-one first"\nMORE = "then @sec-missing-part."\n'
    root = tiny_project({"labs_wasm/labs/vol1/lab_02_beta.py": lab})
    proc = cli(root, "--out", str(tmp_path / "out"), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "labs_wasm/labs/vol1/lab_02_beta.py:4: unknown cross-reference @sec-missing-part" in proc.stderr
    assert "sec-alpha-one" not in proc.stderr


def test_crossref_failed_rebuild_keeps_previous_site(tiny_project, tmp_path, cli):
    root = tiny_project()
    out = tmp_path / "out"
    assert cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld")).returncode == 0
    before = (out / "vol2/gamma.html").read_text()
    (root / "book/vol2/gamma.qmd").write_text("# Gamma {#sec-gamma}\n\n@sec-nope\n")
    proc = cli(root, "--out", str(out), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0 and "book/vol2/gamma.qmd:3: unknown cross-reference @sec-nope" in proc.stderr
    assert (out / "vol2/gamma.html").read_text() == before


def test_crossref_duplicate_id_fails(tiny_project, tmp_path, cli):
    root = tiny_project({"book/vol2/gamma.qmd": "# Gamma {#sec-gamma}\n\n## Again {#sec-alpha-one}\n"})
    proc = cli(root, "--out", str(tmp_path / "out"), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "book/vol2/gamma.qmd: duplicate section id #sec-alpha-one (also in book/vol1/alpha.qmd)" in proc.stderr


def test_crossref_missing_chapter_file_fails(tiny_project, tmp_path, cli):
    root = tiny_project()
    (root / "book/vol1/beta.qmd").unlink()
    proc = cli(root, "--out", str(tmp_path / "out"), "--build-dir", str(tmp_path / "bld"))
    assert proc.returncode != 0
    assert "chapter book/vol1/beta.qmd does not exist" in proc.stderr
