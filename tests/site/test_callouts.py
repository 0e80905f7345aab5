"""Callouts: the five Quarto kinds, titles from attribute, heading or default."""

from __future__ import annotations

import re

from sitebuild.build import build


def callouts(html: str) -> list[tuple[str, str, str]]:
    """(kind, title text, body text) for each callout in document order."""
    found = []
    pattern = (r'<div class="callout callout-(\w+)" data-callout="\w+">\s*<div class="callout-title">(.*?)</div>'
               r'\s*<div class="callout-body">(.*?)</div>\s*</div>')
    for kind, title, body in re.findall(pattern, html, re.S):
        strip = lambda s: " ".join(re.sub(r"<[^>]+>", "", s).split())
        found.append((kind, strip(title), strip(body)))
    return found


def test_callouts_all_kinds_and_title_sources(tiny_project, tmp_path):
    root = tiny_project()
    out = build(root, tmp_path / "out", tmp_path / "bld", assets=False, log=lambda m: None).out_dir
    beta = (out / "vol1/beta.html").read_text()
    assert callouts(beta) == [
        ("warning", "Mind the gap", "Warning body."),       # title= attribute (Markdown allowed)
        ("tip", "Tip", "Tip body."),                       # default titles
        ("important", "Important", "Important body."),
        ("caution", "Caution", "Caution body."),
    ]
    assert "Mind the <strong>gap</strong>" in beta
    alpha = (out / "vol1/alpha.html").read_text()
    # a first heading becomes the title: not numbered, not a section, not in the TOC
    assert callouts(alpha) == [("note", "A callout title", "Callout body with @sec-inline-code-is-ignored.")]
    assert "a-callout-title" not in alpha
    toc = re.search(r'<aside class="page-toc">.*?</aside>', alpha, re.S).group(0)
    assert "A callout title" not in toc and "One A" in toc
