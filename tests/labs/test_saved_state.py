"""Saved state reaching Python (issue 13): saved values are shown as data, never as Markdown;
an answer given to an earlier version of a question is recognised; widget names are keys the
browser can store safely."""
import json

import pytest

from labkit import LabDefinitionError, fmt
from labkit.serialize import check_markdown, walk
from labkit.ui import _state_maps
from labkit.widgets import ChoicePrediction, NumberPrediction

from labdriver import OPTS, make_lab

# What a student's storage (or an imported file) may hold where an answer should be.
HOSTILE = {
    "html": "<b>x</b>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "md-remote-image": "![x](http://example.invalid/x.png)",
    "tex": "$\\frac{1}{0}$",
    "long": "A" * 10_000,
    "number-for-choice": 42,
    "autolink": "http://example.invalid www.example.invalid a@example.invalid",
    "code-and-math": "`$x$` $$y$$ \\$z$",
    "newlines": "x\n\n# heading\n- item",
    "math-markers": "\ue0000\ue001",
    "nested": [[[{"a": None}]]],
    "bool": True,
}


def page(ui):
    ui.toggle("context", "Context", {"cloud": "Cloud", "tiny": "TinyML"})
    ui.slider("act2.batch", "Batch", 1, 8, 1, 1)
    ui.select("act2.model", "Model", {"a": "Model A", "b": "Model B"})
    ui.predict_choice("act1.prediction", "Guess?", OPTS, correct="B")
    ui.predict_number("act2.prediction", "How many?", 1, 100, 1, unit="ms")
    ui.markdown("End of page.", key="end")


LAB = make_lab(page)


def node(tree, key):
    return next((n for n in walk(tree["nodes"]) if n["key"] == key), None)


def keys(tree):
    return [n["key"] for n in walk(tree["nodes"])]


def check_all_markdown(tree):
    for n in walk(tree["nodes"]):
        for prop in ("text", "label", "title"):
            if isinstance(n.get(prop), str):
                check_markdown(n["key"], n[prop])


# ---- 1. saved values are data --------------------------------------------------------------
@pytest.mark.fault
@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_saved_choice_answer_is_shown_as_text_and_asked_again(payload):
    tree = LAB.render({"answers": {"act1.prediction": payload}})
    check_all_markdown(tree)
    json.dumps(tree, allow_nan=False)
    stale = node(tree, "act1.prediction.stale")
    assert stale is not None and fmt.literal(payload) in stale["text"]
    choice = node(tree, "act1.prediction")
    assert choice["value"] is None and choice["locked"] is False
    assert keys(tree)[-1] == "act1.prediction.gate"


@pytest.mark.fault
@pytest.mark.parametrize("payload", ["<b>7</b>", "![x](http://example.invalid/x.png)",
                                     "$1$", 500, -3, 1e308, True, [5]],
                         ids=["html", "md-image", "tex", "above", "below", "huge", "bool", "list"])
def test_a_hostile_saved_number_answer_is_shown_as_text_and_keeps_the_gate(payload):
    tree = LAB.render({"answers": {"act1.prediction": "B", "act2.prediction": payload}})
    check_all_markdown(tree)
    err = node(tree, "act2.prediction.error")
    assert err is not None and fmt.literal(payload) in err["text"]
    assert node(tree, "act2.prediction")["locked"] is False
    assert keys(tree)[-1] == "act2.prediction.gate"


@pytest.mark.fault
@pytest.mark.parametrize("payload", list(HOSTILE.values()) + [1e308, -1, None],
                         ids=list(HOSTILE) + ["huge", "negative", "null"])
def test_hostile_saved_control_values_fall_back_to_their_defaults(payload):
    values = {"context": payload, "act2.batch": payload, "act2.model": payload}
    tree = LAB.render({"answers": {"act1.prediction": "B", "act2.prediction": 5},
                       "values": values})
    check_all_markdown(tree)
    assert node(tree, "context")["value"] == "cloud"
    assert node(tree, "act2.batch")["value"] == 1
    assert node(tree, "act2.model")["value"] == "a"
    assert keys(tree)[-1] == "end"


@pytest.mark.parametrize("state", [None, [], "x", {"answers": [], "values": 3, "asked": "v"},
                                   {"asked": {"act1.prediction": 7, "x": None}}])
def test_malformed_state_parts_count_as_empty(state):
    answers, values, ledger, asked = _state_maps(state)
    assert answers == {} and values == {} and ledger == {} and asked == {}
    assert keys(LAB.render(state))[-1] == "act1.prediction.gate"


@pytest.mark.parametrize("value, shown", [
    ("<b>x</b>", "&lt;b&gt;x&lt;\\/b&gt;"),
    ("$\\frac{1}{0}$", "\\$\\\\frac\\{1\\}\\{0\\}\\$"),
    ("![x](u)", "\\!\\[x\\]\\(u\\)"),
    ("a & b", "a &amp; b"),
    ("line\nbreak", "line break"),
    ("@sec-x", "\\@\u2060sec\\-x"),
    (42, "42"), (2.0, "2"), (0.5, "0\\.5"), (True, "true"), (None, "null"),
])
def test_literal_escapes_markdown_html_and_tex(value, shown):
    assert fmt.literal(value) == shown


def test_literal_cuts_long_values_with_an_ellipsis():
    text = fmt.literal("A" * 10_000, limit=60)
    assert text == "A" * 59 + "…"
    assert fmt.literal("B" * 60, limit=60) == "B" * 60


def test_literal_survives_values_str_cannot_show():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert fmt.literal(deep) == "list"
    assert fmt.literal(10 ** 5000) == "int"


# ---- 2. answers to an earlier version of a question ----------------------------------------
def choice_version(label="Guess?", options=OPTS, correct="B", revision=1):
    return ChoicePrediction("act1.prediction", label, options, correct, revision).version


def number_version(label="How many?", lo=1, hi=100, step=1, unit="ms", revision=1):
    return NumberPrediction("act2.prediction", label, lo, hi, step, unit, revision).version


def test_a_question_version_is_12_hex_digits_and_stable():
    v = choice_version()
    assert len(v) == 12 and all(c in "0123456789abcdef" for c in v)
    assert v == choice_version() and number_version() == number_version()
    tree = LAB.render({})
    assert node(tree, "act1.prediction")["version"] == v


def test_the_version_is_sha256_of_what_gives_an_answer_its_meaning():
    import hashlib
    asked = {"kind": "choice", "options": list(OPTS), "revision": 1}
    text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert choice_version() == hashlib.sha256(text.encode()).hexdigest()[:12]
    asked = {"kind": "number_input", "unit": "ms", "revision": 1}
    text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert number_version() == hashlib.sha256(text.encode()).hexdigest()[:12]


def with_option(value, label=None, feedback=None, rename=None):
    out = {}
    for v, (lab, fb) in OPTS.items():
        if v == value:
            lab, fb = label or lab, feedback or fb
            v = rename or v
        out[v] = (lab, fb)
    return out


@pytest.mark.parametrize("changed", [
    dict(options=with_option("C", rename="E")),
    dict(revision=2),
], ids=["option-value", "revision"])
def test_the_choice_version_changes_with_the_options_and_the_revision(changed):
    args = {"correct": "B", **changed}
    assert choice_version(**args) != choice_version()


@pytest.mark.parametrize("changed", [
    dict(label="Guess, for 1,024 GPUs?"),
    dict(options=with_option("C", label="about 2000")),
    dict(options=with_option("C", feedback="a different explanation")),
    dict(correct="C"),
], ids=["words", "option-words", "feedback", "correct-option"])
def test_the_choice_version_ignores_words_that_follow_the_context_and_the_grading(changed):
    # A lab's question and option words carry the context's numbers: switching context must
    # not turn a locked answer into an answer to "another" question.
    assert choice_version(**changed) == choice_version()


@pytest.mark.parametrize("changed", [dict(unit="s"), dict(unit=None), dict(revision=3)])
def test_the_number_version_changes_with_the_unit_and_the_revision(changed):
    assert number_version(**changed) != number_version()


@pytest.mark.parametrize("changed", [dict(label="How few?"), dict(lo=0), dict(hi=1000), dict(step=5)])
def test_the_number_version_ignores_words_and_bounds(changed):
    assert number_version(**changed) == number_version()


@pytest.mark.parametrize("revision", [0, -1, 1.5, "2", True])
def test_a_revision_is_a_whole_number_from_one(revision):
    with pytest.raises(LabDefinitionError, match="revision"):
        ChoicePrediction("act1.prediction", "Guess?", OPTS, "B", revision)


def test_a_matching_asked_version_uses_the_answer():
    asked = {"act1.prediction": choice_version(), "act2.prediction": number_version()}
    tree = LAB.render({"answers": {"act1.prediction": "C", "act2.prediction": 5},
                       "asked": asked})
    assert node(tree, "act1.prediction")["locked"] is True
    assert node(tree, "act2.prediction")["value"] == 5.0
    assert keys(tree)[-1] == "end"
    assert not any(k.endswith(".earlier") for k in keys(tree))


@pytest.mark.fault
@pytest.mark.parametrize("saved, shown", [("C", "“about 1000”"), ("Z", "“Z”"),
                                          ("<b>x</b>", "“&lt;b&gt;x&lt;\\/b&gt;”"),
                                          (["x"], "“\\[\\'x\\'\\]”")])
def test_an_answer_to_an_earlier_choice_question_is_not_applied(saved, shown):
    tree = LAB.render({"answers": {"act1.prediction": saved},
                       "asked": {"act1.prediction": "0123456789ab"}})
    check_all_markdown(tree)
    choice = node(tree, "act1.prediction")
    assert choice["value"] is None and choice["locked"] is False
    ks = keys(tree)
    assert ks[-2:] == ["act1.prediction.earlier", "act1.prediction.gate"]
    assert "act1.prediction.stale" not in ks
    note = node(tree, "act1.prediction.earlier")
    assert note["tone"] == "info" and shown in note["text"]
    for words in ("earlier version", "answer it again", "stays in your saved record"):
        assert words in note["text"]


@pytest.mark.fault
def test_an_answer_to_an_earlier_number_question_is_not_applied():
    tree = LAB.render({"answers": {"act1.prediction": "B", "act2.prediction": 5},
                       "asked": {"act1.prediction": choice_version(),
                                 "act2.prediction": "0123456789ab"}})
    number = node(tree, "act2.prediction")
    assert number["value"] is None and number["locked"] is False
    assert keys(tree)[-2:] == ["act2.prediction.earlier", "act2.prediction.gate"]
    assert "5 ms" in node(tree, "act2.prediction.earlier")["text"]


def test_answers_saved_before_versions_existed_behave_as_before():
    tree = LAB.render({"answers": {"act1.prediction": "C", "act2.prediction": 5},
                       "asked": {}})
    assert node(tree, "act1.prediction")["locked"] is True and keys(tree)[-1] == "end"
    tree = LAB.render({"answers": {"act1.prediction": "Z"}})
    assert "act1.prediction.stale" in keys(tree) and "act1.prediction.earlier" not in keys(tree)


def test_only_locking_predictions_carry_a_version():
    def reflective(ui):
        ui.reflection("act1.reflection", "Why?", OPTS, correct="B")
    tree = make_lab(reflective).render({})
    assert "version" not in node(tree, "act1.reflection")


# ---- 3. names the browser can store ----------------------------------------------------------
@pytest.mark.parametrize("name", ["__proto__", "constructor", "toString", "valueOf",
                                  "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable",
                                  "toLocaleString", "__defineGetter__", "__lookupSetter__",
                                  "", "1st", "act 1", "act1.", ".act1", "act1..x", "a/b",
                                  "é", "act1.prediction\n", None, 3])
def test_a_name_the_browser_cannot_store_is_refused(name):
    def bad(ui):
        ui.select(name, "Model", {"a": "A", "b": "B"})
    with pytest.raises(LabDefinitionError):
        make_lab(bad).render({})


@pytest.mark.parametrize("name", ["context", "act2.model", "act1.prediction", "x",
                                  "act2.batch-size", "A_b.c_d-e1"])
def test_plain_names_are_accepted(name):
    def good(ui):
        ui.select(name, "Model", {"a": "A", "b": "B"})
    assert node(make_lab(good).render({}), name)["name"] == name


def test_the_build_pre_renders_every_locking_prediction_with_its_version(tmp_path):
    """The initial trees embedded in the pages (sitebuild/prerender.py, under CPython) carry
    the same versions Python computes in the browser: same code, same canonical JSON."""
    from labdriver import REPO, section_ids
    from sitebuild.prerender import prerender

    sections = {s: {"label": s, "short": s, "number": "1", "title": s, "href": f"#{s}"}
                for s in section_ids()}
    ids = prerender(REPO, tmp_path, sections)
    locking = 0
    for path in (tmp_path / "prerender").glob("*.json"):
        if path.name.endswith(".xref.json"):
            continue
        for n in walk(json.loads(path.read_text(encoding="utf-8"))["nodes"]):
            if n.get("locks"):
                widget = (ChoicePrediction(n["name"], n["label"],
                                           {o["value"]: (o["label"], "x") for o in n["options"]},
                                           n["options"][0]["value"])
                          if n["kind"] == "choice" else
                          NumberPrediction(n["name"], n["label"], n["min"], n["max"], n["step"],
                                           n.get("unit")))
                assert n["version"] == widget.version, n["key"]
                locking += 1
    assert len(ids) >= 34 and locking >= len(ids) - 1   # Lab 00, the tour, may have none


@pytest.mark.fault
@pytest.mark.parametrize("lab_id", [i for i in __import__("labkit").catalog.all_ids()
                                    if len(__import__("labkit").catalog.load(i).contexts) > 1])
def test_switching_context_keeps_every_labs_locked_first_prediction(lab_id):
    """The words of a lab's question change with the context; the locked answer must not."""
    from labkit import catalog
    lab = catalog.load(lab_id)
    first = next(n for n in walk(lab.render({})["nodes"]) if n.get("locks"))
    answer = first["options"][0]["value"] if first["kind"] == "choice" else first["min"]
    state = {"answers": {first["name"]: answer}, "asked": {first["name"]: first["version"]}}
    toggle = next(n for n in walk(lab.render(state)["nodes"]) if n["kind"] == "toggle")
    for option in toggle["options"]:
        tree = lab.render({**state, "values": {toggle["name"]: option["value"]}})
        nodes = {n["key"]: n for n in walk(tree["nodes"])}
        assert f"{first['name']}.earlier" not in nodes, (lab_id, option["value"])
        assert nodes[first["key"]]["locked"] and nodes[first["key"]]["version"] == first["version"]
