"""Every chapter that has a lab is written to the book's standard (issues 8-11, "Per
chapter"): 2,500 words or more of prose, five or more section ids, a Key takeaways section,
no "Forthcoming" notice, the lab embedded once, and every section the lab cites defined in it.
The orientation page (Lab 00's) teaches no invariant: it is held to the last three only."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from labkit import catalog

REPO = Path(__file__).resolve().parents[2]
MIN_WORDS = 2500
MIN_SECTIONS = 5


def chapter_of(lab) -> Path:
    return REPO / "book" / f"vol{lab.volume}" / f"{lab.chapter}.qmd"


def prose_words(text: str) -> int:
    """Words a reader reads: code cells, display math, inline Python and table rules removed
    (an inline value counts as one word)."""
    text = re.sub(r"^```.*?^```", " ", text, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"`\{python\}[^`]*`", " N ", text)
    text = re.sub(r"\{#sec-[^}]*\}|\{\.[^}]*\}", " ", text)
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*", text))


LABS = [catalog.load(i) for i in catalog.all_ids()]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_chapter_with_a_lab_meets_the_standard(lab):
    path = chapter_of(lab)
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(REPO)
    assert "Forthcoming" not in text, f"{name} still carries the Forthcoming notice"
    ids = re.findall(r"#(sec-[A-Za-z0-9_-]+)", text)
    assert text.count(f'lab="{lab.id}"') == 1, f"{name} must embed {lab.id} exactly once"
    cited = {ref.lstrip("@") for ref, _ in lab.reading}
    assert cited <= set(ids), f"{lab.id} cites sections {name} does not define: {cited - set(ids)}"
    if lab.chapter == "orientation":
        return  # the orientation page explains the book; it teaches no invariant
    words = prose_words(text)
    assert words >= MIN_WORDS, f"{name}: {words} words of prose, the standard is {MIN_WORDS}"
    assert len(ids) >= MIN_SECTIONS + 1, f"{name}: {len(ids) - 1} section ids besides the chapter's"
    assert re.search(r"^## Key takeaways", text, re.M), f"{name} has no 'Key takeaways' section"


def test_prose_words_ignores_code_math_and_inline_values():
    text = "One two.\n\n```{python}\nx = 1 + 2\n```\n\n$$a = b$$ and `{python} M(x)` three {#sec-a}\n"
    assert prose_words(text) == 5  # One two and N three
