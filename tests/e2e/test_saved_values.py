"""Saved values are data, never Markdown (issue 13): a hostile answer in localStorage (or in
an imported file) reaches Python and the lab's text, and must come out as the literal
characters the student saved. Nothing runs, nothing is fetched from another origin, the lab
does not stop, and the prediction is open to answer again."""
from __future__ import annotations

import json

import pytest

from labkit import Lab

from .conftest import LAB_PAGES
from .labpage import STORE_KEY, LabPage

pytestmark = pytest.mark.browser
LAB = "vol1/01"          # the lab template; its first prediction is a locking choice
NAME = "act1.prediction"

CHOICE_ANSWERS = {
    "html": "<b>x</b>",
    "img-onerror": '<img src=x onerror="window.__ran = 1">',
    "md-remote-image": "![x](http://example.invalid/x.png)",
    "tex": "$\\frac{1}{0}$",
    "long": "L" * 10_000,
    "number-for-choice": 42,
}


def shown(value) -> str:
    """What the student reads: the value's characters, cut at 60 with an ellipsis."""
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def seed(page, answers: dict) -> None:
    """Store `answers` for Lab 01 before any page script runs (one navigation, no reload)."""
    doc = {"version": 1, "labs": {LAB: {"answers": answers, "values": {}}}, "ledger": {}}
    page.add_init_script(f"localStorage.setItem({json.dumps(STORE_KEY)}, {json.dumps(json.dumps(doc))});")


@pytest.mark.fault
@pytest.mark.parametrize("answer", CHOICE_ANSWERS.values(), ids=CHOICE_ANSWERS.keys())
def test_a_hostile_saved_answer_is_shown_as_text_and_asked_again(page, recorder, site_url, answer):
    seed(page, {NAME: answer})
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()

    note = lab.section.locator(f'[data-key="{NAME}.stale"]')
    assert f"“{shown(answer)}”" in note.text_content()
    # Rendered as text: no element, formula or image came out of the value.
    assert note.locator("b, img, a, code, .lab-math, .katex").count() == 0
    assert lab.section.locator("img").count() == 0
    assert page.evaluate("() => window.__ran") is None

    prediction = lab.section.locator(f'[data-key="{NAME}"]')
    assert prediction.locator("button.lab-commit").count() == 1
    assert prediction.locator("input[type=radio]:disabled").count() == 0
    assert lab.after(NAME)[-1] == "gate"

    assert recorder.page_errors == [] and recorder.console_errors == []
    assert recorder.foreign_requests(site_url) == []


NUMBER_ANSWERS = {"string": "![n](http://example.invalid/n.png) <b>7</b> $7$", "out-of-range": 1e6,
                  "crossref": "[-@sec-x] @sec-x"}
XREF = {"sec-x": {"href": "#x", "label": "Section 1.1"}}   # the page would link these


def number_messages() -> dict[str, str]:
    """The text Python gives a number prediction's saved answer (no lab has one yet), and
    the earlier-version note, for each hostile value."""
    lab = Lab(id="vol1/99", chapter="testing", title="Test lab", hook="A hook.",
              invariants=["x"], minutes=5, contexts=("cloud", "tiny"), reading=[])
    lab.page(lambda ui: ui.predict_number("act2.prediction", "How many?", 1, 100, 1, unit="ms"))
    texts = {}
    for case, value in NUMBER_ANSWERS.items():
        for asked, key in (({}, "error"), ({"act2.prediction": "0123456789ab"}, "earlier")):
            tree = lab.render({"answers": {"act2.prediction": value}, "asked": asked})
            texts[f"{case}/{key}"] = next(n["text"] for n in tree["nodes"]
                                          if n["key"] == f"act2.prediction.{key}")
    return texts


@pytest.mark.fault
def test_number_answer_messages_render_as_text(page, recorder, site_url):
    """Python's messages for hostile number answers, through the page's own Markdown
    renderer (marked, DOMPurify, the math and crossref passes)."""
    page.goto(site_url + "index.html")
    rendered = page.evaluate("""async ([texts, xref]) => {
        const { renderMarkdown } = await import(new URL("assets/runtime/markdown.js", document.baseURI));
        const out = {};
        for (const [case_, text] of Object.entries(texts)) {
          const el = renderMarkdown(text, xref);
          document.body.append(el);
          out[case_] = { text: el.textContent, elements: el.querySelectorAll("b, img, a, code, .lab-math").length };
        }
        return out; }""", [number_messages(), XREF])
    for case, got in rendered.items():
        value = NUMBER_ANSWERS[case.split("/")[0]]
        expected = "1000000" if value == 1e6 else shown(value)
        assert expected in got["text"].replace("\u2060", ""), (case, got["text"])
        assert got["elements"] == 0, case
    assert recorder.page_errors == [] and recorder.console_errors == []
    assert recorder.foreign_requests(site_url) == []


@pytest.mark.fault
def test_an_answer_to_an_earlier_version_of_the_question_is_asked_again(page, recorder, site_url):
    """The stored answer was locked for another version of the question (`asked`): the lab
    says so, shows the earlier answer, and asks again; the new answer replaces it and the
    earlier one stays in the saved record."""
    doc = {"version": 1, "ledger": {}, "labs": {LAB: {
        "answers": {NAME: "C"}, "values": {}, "asked": {NAME: "0123456789ab"}}}}
    page.add_init_script(f"localStorage.setItem({json.dumps(STORE_KEY)}, {json.dumps(json.dumps(doc))});")
    page.goto(site_url + LAB_PAGES[LAB])
    lab = LabPage(page, LAB)
    lab.wait_ready()

    note = lab.section.locator(f'[data-key="{NAME}.earlier"]')
    prediction = lab.section.locator(f'[data-key="{NAME}"]')
    option_c = prediction.locator('input[value="C"] + label').text_content()
    assert f"“{option_c}”" in note.text_content() and "earlier version" in note.text_content()
    assert prediction.locator("button.lab-commit").count() == 1
    assert lab.after(NAME)[-2:] == ["callout", "gate"]

    version = page.evaluate(
        "([id, name]) => JSON.parse(document.querySelector(`section.lab[data-lab=\"${id}\"] script.lab-initial`).textContent)"
        ".nodes.flatMap(function walk(n) { return [n, ...(n.children ?? []).flatMap(walk)]; })"
        ".find((n) => n.name === name).version", [LAB, NAME])
    assert lab.lock_first_prediction(option_index=1) == NAME
    lab.wait_settled()
    saved = lab.stored()["labs"][LAB]
    assert saved["answers"][NAME] == "B" and saved["asked"][NAME] == version
    assert saved["earlier"][NAME] == "C"
    assert lab.section.locator(f'[data-key="{NAME}.earlier"]').count() == 0
    assert recorder.page_errors == [] and recorder.console_errors == []
