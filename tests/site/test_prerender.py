"""Pre-render: every catalog lab's empty-state tree and crossref map, embedded in its page.

Uses a throwaway labkit inside a tiny project (the real one belongs to the toolkit); the
prerender step runs in its own process against the project's own labs_wasm."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sitebuild.build import build
from sitebuild.errors import BuildError

FAKE_CATALOG = '''\
"""A two-function catalog standing in for labkit.catalog."""


class _Lab:
    def __init__(self, lab_id):
        self.lab_id = lab_id

    def render(self, state):
        answered = "act1.prediction" in state["answers"]
        return {"protocol": 1, "lab": self.lab_id, "ledger_key": "vol1.ch02", "title": "Fake lab",
                "nodes": [{"kind": "markdown", "key": "intro",
                           "text": "Revisit @sec-alpha-one-a before predicting."},
                          {"kind": "gate", "key": "gate", "text": "answered" if answered else "locked"}]}


def all_ids():
    return ["vol1/02"]


def load(lab_id):
    if lab_id not in all_ids():
        raise KeyError(lab_id)
    return _Lab(lab_id)
'''

FAKE_LAB_SOURCE = '"""Lab 02."""\n\nREADING = "See @sec-beta-one and [-@sec-gamma-scale]."\n'


def fake_labkit(catalog: str = FAKE_CATALOG) -> dict[str, str]:
    return {"labs_wasm/labkit/__init__.py": "", "labs_wasm/labkit/catalog.py": catalog,
            "labs_wasm/labs/__init__.py": "", "labs_wasm/labs/vol1/lab_02_beta.py": FAKE_LAB_SOURCE}


def test_prerender_writes_tree_and_xref_and_page_embeds_them(tiny_project, tmp_path):
    root = tiny_project(fake_labkit())
    result = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    assert result.labs == ["vol1-02"]
    tree = json.loads((tmp_path / "bld/prerender/vol1-02.json").read_text())
    assert tree["lab"] == "vol1/02" and tree["nodes"][1]["text"] == "locked"   # empty state
    xref = json.loads((tmp_path / "bld/prerender/vol1-02.xref.json").read_text())
    assert set(xref) == {"sec-alpha-one-a", "sec-beta-one", "sec-gamma-scale"}  # source + tree
    assert xref["sec-gamma-scale"] == {"label": "Section 3.1", "short": "3.1", "number": "3.1",
                                       "title": "Scale", "href": "vol2/gamma.html#sec-gamma-scale"}
    html = (result.out_dir / "vol1/beta.html").read_text()
    section = re.search(r'<section class="lab" id="lab-vol1-02" data-lab="vol1/02" data-state="loading" '
                        r'data-site-root="\.\./" aria-label="Lab 02: Fake lab">(.*?)</section>', html, re.S)
    assert section, "lab embed missing"
    embedded = json.loads(re.search(r'class="lab-initial">(.*?)</script>', section.group(1), re.S).group(1))
    assert embedded == tree
    page_xref = json.loads(re.search(r'class="lab-xref">(.*?)</script>', section.group(1), re.S).group(1))
    assert page_xref["sec-alpha-one-a"]["href"] == "../vol1/alpha.html#sec-alpha-one-a"
    assert '<script type="module" src="../assets/runtime/boot.js"></script>' in html


def test_prerender_without_labkit_is_empty_not_an_error(tiny_project, tmp_path):
    result = build(tiny_project(), tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    assert result.labs == []
    assert 'class="lab-unavailable" data-missing-lab="vol1/02"' in (result.out_dir / "vol1/beta.html").read_text()


def test_prerender_broken_catalog_fails_the_build(tiny_project, tmp_path):
    root = tiny_project(fake_labkit("import not_a_module_anywhere\n"))
    with pytest.raises(BuildError, match=r"cannot import labkit.catalog: ModuleNotFoundError"):
        build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    assert not (tmp_path / "out").exists()


def test_prerender_lab_that_fails_to_render_names_the_lab(tiny_project, tmp_path):
    root = tiny_project(fake_labkit(FAKE_CATALOG.replace('answered = "act1.prediction" in state["answers"]',
                                                         'answered = 1 / 0')))
    with pytest.raises(BuildError, match=r"lab vol1/02: rendering the empty state failed"):
        build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)


def test_prerender_unknown_reference_in_rendered_tree_fails(tiny_project, tmp_path):
    root = tiny_project(fake_labkit(FAKE_CATALOG.replace("@sec-alpha-one-a", "@sec-made-up")))
    with pytest.raises(BuildError, match=r"lab vol1/02 \(rendered view\): unknown cross-reference @sec-made-up"):
        build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)


def test_prerender_standalone_hook_builds_its_own_index(tiny_project, tmp_path):
    """`python -m sitebuild.prerender` (Quarto's pre-render hook) works without a prior build."""
    import os
    import subprocess
    import sys
    root = tiny_project(fake_labkit())
    real_labs_wasm = Path(__file__).resolve().parents[2] / "labs_wasm"    # where sitebuild lives
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "labs_wasm"), str(real_labs_wasm)]))
    proc = subprocess.run([sys.executable, "-m", "sitebuild.prerender", "--root", str(root)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "prerender: 1 lab(s)" in proc.stderr
    assert json.loads((root / "_build/crossref.json").read_text())["sections"]["sec-beta-one"]["label"] == "Section 2.1"
    xref = json.loads((root / "_build/prerender/vol1-02.xref.json").read_text())
    assert xref["sec-beta-one"]["href"] == "vol1/beta.html#sec-beta-one"


def test_prerender_writes_the_first_view_as_html_into_the_page(tiny_project, tmp_path):
    """With the project's runtime (linked in here), each lab's view is drawn as HTML by the
    runtime's renderers in Node and put in its .lab-root, links rebased to the page."""
    repo = Path(__file__).resolve().parents[2]
    root = tiny_project(fake_labkit())
    (root / "labs_wasm" / "runtime").symlink_to(repo / "labs_wasm" / "runtime")
    (root / "node_modules").symlink_to(repo / "node_modules")
    result = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None)
    view = (tmp_path / "bld/prerender/vol1-02.html").read_text()
    assert 'data-key="intro" data-kind="markdown"' in view and "@@lab-site-root@@vol1/alpha.html#sec-alpha-one-a" in view
    html = (result.out_dir / "vol1/beta.html").read_text()
    root_div = re.search(r'<div class="lab-root" data-prerendered="">(.*?)</div>\s*<script', html, re.S)
    assert root_div, "the first view is not in the page"
    assert re.search(r'<a href="\.\./vol1/alpha\.html#sec-alpha-one-a" class="xref">[^<]+</a>', root_div.group(1))
    assert '<div class="lab-gate" data-key="gate" data-kind="gate"><div><p>locked</p>' in root_div.group(1)
    # The view is the lab's UI, not book text: search does not index it.
    search = (result.out_dir / "search.json").read_text()
    assert "Revisit" not in search and "locked" not in search
