"""The labs catalog (sitebuild/prerender.py from labkit.catalog.manifest): each lab's title,
contexts and chapter, the contexts' names. The filter puts the chapter on each lab's section
(the lab header names it) and the whole catalog on the Ledger page."""
from __future__ import annotations

import json
import re

from labkit import contexts

from sitebuild.build import build
from test_prerender import fake_labkit


def test_catalog_written_with_titles_chapters_and_context_names(built_site):
    catalog = json.loads((built_site.out_dir.parent / "_build" / "prerender" / "catalog" / "labs.json").read_text())
    assert catalog["contexts"] == contexts.names() and catalog["contexts"]["tiny"] == "TinyML"
    lab = catalog["labs"]["vol1.ch09"]
    assert (lab["id"], lab["number"], lab["title"], lab["contexts"]) == ("vol1/09", "09", "The data selection trade-off", ["cloud", "edge"])
    assert lab["chapter"] == {"slug": "data_selection", "number": 9, "title": "Data Selection", "href": "vol1/data_selection.html"}
    assert lab["href"] == "vol1/data_selection.html#lab-vol1-09"


def test_catalog_reaches_the_pages(built_site):
    page = (built_site.out_dir / "vol1" / "data_selection.html").read_text()
    section = re.search(r'<section class="lab"[^>]*>', page).group(0)
    assert 'data-chapter-number="9"' in section and 'data-chapter-title="Data Selection"' in section
    ledger = (built_site.out_dir / "ledger.html").read_text()
    embedded = json.loads(re.search(r'class="ledger-catalog">(.*?)</script>', ledger, re.S).group(1))
    assert embedded["labs"]["vol1.ch01"]["href"] == "vol1/introduction.html#lab-vol1-01"


def test_catalog_absent_for_a_labkit_without_manifest(tiny_project, tmp_path):
    root = tiny_project(fake_labkit())
    build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    assert not (tmp_path / "bld" / "prerender" / "catalog").exists()
    html = (tmp_path / "out" / "vol1" / "beta.html").read_text()
    assert "data-chapter-title" not in html and 'aria-label="Lab 02: Fake lab"' in html
