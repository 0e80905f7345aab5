"""The toolkit: gates, locking, definition errors, overlay arithmetic, keys, serialization,
ledger schema, state fallbacks."""
import json
import math

import pytest

from labkit import Lab, LabDefinitionError, LedgerSchemaError, fmt, validate_entry
from labkit.serialize import dumps, make_node, walk
from labkit.ui import Ui

from labdriver import OPTS, make_lab


def gated_page(ui):
    ui.toggle("context", "Context", {"cloud": "Cloud", "tiny": "TinyML"})
    with ui.section("Act I"):
        ui.markdown("Before the prediction.")
        pred = ui.predict_choice("act1.prediction", "Guess?", OPTS, correct="B")
        ui.markdown(f"After: {pred.feedback}", key="after")
    ui.markdown("End of page.", key="end")


def keys(tree):
    return [n["key"] for n in walk(tree["nodes"])]


def test_gate_nothing_after_an_unanswered_prediction():
    tree = make_lab(gated_page).render({})
    ks = keys(tree)
    assert ks[-1] == "act1.prediction.gate"
    assert "after" not in ks and "end" not in ks
    assert tree["nodes"][-1]["children"][-1]["kind"] == "gate"


def test_gate_opens_once_answered():
    tree = make_lab(gated_page).render({"answers": {"act1.prediction": "C"}})
    ks = keys(tree)
    assert "act1.prediction.gate" not in ks and ks[-1] == "end"
    after = next(n for n in walk(tree["nodes"]) if n["key"] == "after")
    assert after["text"] == "After: too big"
    choice = next(n for n in walk(tree["nodes"]) if n["key"] == "act1.prediction")
    assert choice["locks"] is True and choice["locked"] is True and choice["value"] == "C"


def test_locking_answers_win_over_values():
    # A later change lands in `values` (never in `answers`): the first answer is used.
    tree = make_lab(gated_page).render({"answers": {"act1.prediction": "A"},
                                        "values": {"act1.prediction": "B"}})
    after = next(n for n in walk(tree["nodes"]) if n["key"] == "after")
    assert after["text"] == "After: too small"


def test_stale_answer_keeps_gate_and_asks_again():
    tree = make_lab(gated_page).render({"answers": {"act1.prediction": "Z"}})
    ks = keys(tree)
    assert "act1.prediction.stale" in ks and ks[-1] == "act1.prediction.gate"
    stale = next(n for n in walk(tree["nodes"]) if n["key"] == "act1.prediction.stale")
    assert "Answer again below" in stale["text"] and "stays in your saved record" in stale["text"]


@pytest.mark.parametrize("options, correct, message", [
    ({k: OPTS[k] for k in "ABC"}, "A", "exactly 4 options, got 3"),
    ({**OPTS, "E": ("x", "y")}, "A", "exactly 4 options, got 5"),
    (OPTS, ["A", "B"], "exactly one option must be correct"),
    (OPTS, "Q", "correct='Q' is not one of"),
    ({**OPTS, "D": ("x", "")}, "A", "feedback is empty"),
])
def test_choice_prediction_definition_errors(options, correct, message):
    def page(ui):
        ui.predict_choice("p", "Guess?", options, correct=correct)
    with pytest.raises(LabDefinitionError, match=message):
        make_lab(page).render({})


def test_reflection_needs_four_options_and_one_correct():
    def page(ui):
        ui.reflection("r", "Why?", {k: OPTS[k] for k in "AB"}, correct="A")
    with pytest.raises(LabDefinitionError, match="exactly 4 options, got 2"):
        make_lab(page).render({})


def test_reflection_feedback_per_option_and_no_gate():
    def page(ui):
        ui.reflection("r", "Why?", OPTS, correct="B")
        ui.markdown("after", key="after")
    lab = make_lab(page)
    assert "after" in keys(lab.render({}))
    for value, (_, feedback) in OPTS.items():
        tree = lab.render({"values": {"r": value}})
        fb = next(n for n in walk(tree["nodes"]) if n["key"] == "r.feedback")
        assert fb["text"] == feedback
        assert fb["tone"] == ("success" if value == "B" else "warn")


def test_duplicate_keys_name_the_duplicate():
    def page(ui):
        ui.markdown("one", key="same")
        ui.callout("info", "two", key="same")
    with pytest.raises(LabDefinitionError, match="Duplicate node key 'same'"):
        make_lab(page).render({})


def test_duplicate_widget_names_rejected():
    def page(ui):
        ui.slider("n", "N", 1, 10, 1, 5)
        ui.select("n", "N again", {"a": "A"})
    with pytest.raises(LabDefinitionError, match="Duplicate node key 'n'"):
        make_lab(page).render({})


def test_reserved_keys_rejected():
    with pytest.raises(LabDefinitionError, match=r"reserved key\(s\) \['kind'\]"):
        make_node("markdown", "k", {"kind": "x", "text": "t"})
    with pytest.raises(LabDefinitionError, match="reserved"):
        make_node("section", "k", {"children": []})


def test_raw_html_rejected():
    def page(ui):
        ui.markdown("Hello <b>world</b>")
    with pytest.raises(LabDefinitionError, match="raw HTML is not allowed"):
        make_lab(page).render({})
    make_node("markdown", "ok", {"text": "a < b and b <= c"})  # comparisons are fine


def test_context_toggle_exactly_two():
    def page(ui):
        ui.toggle("mode", "Mode", {"a": "A", "b": "B", "c": "C"})
    with pytest.raises(LabDefinitionError, match="expected exactly 2 options, got 3"):
        make_lab(page).render({})
    with pytest.raises(LabDefinitionError, match="has 2 contexts"):
        make_lab(gated_page, contexts=("cloud", "tiny", "edge"))


def test_capstone_context_toggle_spans_all_four_contexts(driver):
    four = ("cloud", "edge", "mobile", "tiny")

    def page(ui):
        ui.context_toggle()
        ui.toggle("mode", "Mode", {"a": "A", "b": "B", "c": "C", "d": "D"})
    with pytest.raises(LabDefinitionError, match="expected exactly 2 options, got 4"):
        make_lab(page, contexts=four).render({})   # only the context toggle may have four

    def capstone(ui):
        ui.context_toggle()
    d = driver(make_lab(capstone, contexts=four))
    toggle = d.node(d.render({}, {"context": "tiny"}), "context")
    assert [o["value"] for o in toggle["options"]] == list(four) and toggle["value"] == "tiny"


def test_context_toggle_must_match_lab_contexts():
    def page(ui):
        ui.toggle("context", "Context", {"cloud": "Cloud", "edge": "Edge"})
    with pytest.raises(LabDefinitionError, match="must be the lab's contexts"):
        make_lab(page).render({})


def test_unknown_state_values_fall_back_to_defaults():
    seen = {}

    def page(ui):
        seen["ctx"] = ui.toggle("context", "Context", {"cloud": "Cloud", "tiny": "TinyML"})
        seen["sel"] = ui.select("model", "Model", {"a": "A", "b": "B"}, default="b")
        seen["n"] = ui.slider("n", "N", 1, 10, 1, 5)
        seen["x"] = ui.slider("x", "X", 0.0, 1.0, 0.1, 0.5)
    lab = make_lab(page)
    lab.render({"values": {"context": "mobile", "model": "old", "n": 99, "x": "0.2"}})
    assert seen == {"ctx": "cloud", "sel": "b", "n": 5, "x": 0.5}
    lab.render({"values": {"context": "tiny", "model": "a", "n": 7, "x": 0.2}})
    assert seen == {"ctx": "tiny", "sel": "a", "n": 7, "x": 0.2}
    lab.render({"values": [], "answers": "garbage"})  # malformed state: defaults, no crash
    assert seen["ctx"] == "cloud"


def test_slider_bounds_checked_at_definition():
    def page(ui):
        ui.slider("n", "N", 5, 3, 1, 4)
    with pytest.raises(LabDefinitionError, match="Invalid bounds for slider 'n': min 5 >= max 3"):
        make_lab(page).render({})


def test_number_prediction_bounds_and_error_node():
    got = {}

    def page(ui):
        got["v"] = ui.predict_number("guess", "How many?", 1, 100, 1, unit="x")
        ui.markdown("after", key="after")
    lab = make_lab(page)
    tree = lab.render({"answers": {"guess": 500}})
    ks = keys(tree)
    assert "guess.error" in ks and ks[-1] == "guess.gate" and "after" not in ks
    err = next(n for n in walk(tree["nodes"]) if n["key"] == "guess.error")
    assert err["tone"] == "danger" and "outside the allowed range [1, 100]" in err["text"]
    tree = lab.render({"answers": {"guess": 42}})
    assert got["v"] == 42.0 and "after" in keys(tree)
    node = next(n for n in walk(tree["nodes"]) if n["key"] == "guess")
    assert node["kind"] == "number_input" and node["locked"] is True


@pytest.mark.parametrize("predicted, actual, ratio, text", [
    (1e4, 989_000, 98.9, "off by 98.9x (under-estimate)"),
    (1e6, 989_000, 0.989, "within 1.0x"),
    (100.0, 120.0, 1.2, "within 1.2x"),
    (8.1, 1.0, 1 / 8.1, "off by 8.1x (over-estimate)"),
])
def test_overlay_gap_ratio(predicted, actual, ratio, text):
    def page(ui):
        ui.overlay(predicted, actual, "p", "a", "t", key="ov")
    tree = make_lab(page).render({})
    ov = next(n for n in walk(tree["nodes"]) if n["key"] == "ov")
    assert ov["ratio"] == pytest.approx(ratio)
    assert ov["ratio_text"] == text
    assert ov["tone"] == ("success" if text.startswith("within") else "warn")


def test_overlay_rejects_non_positive():
    with pytest.raises(ValueError, match="positive"):
        fmt.gap_text(1.0, 0.0)


def test_figure_needs_caption():
    def page(ui):
        ui.figure({"data": [], "layout": {}}, caption=" ")
    with pytest.raises(LabDefinitionError, match="caption"):
        make_lab(page).render({})


def test_tabs_only_selected_children():
    def page(ui):
        with ui.tabs("view", {"chart": "Chart", "table": "Table"}) as tab:
            ui.markdown(f"showing {tab}", key="inside")
    lab = make_lab(page)
    tree = lab.render({"values": {"view": "table"}})
    tabs = next(n for n in tree["nodes"] if n["kind"] == "tabs")
    assert tabs["value"] == "table"
    assert tabs["tabs"][0]["children"] == []
    assert tabs["tabs"][1]["children"][0]["text"] == "showing table"


GOOD_ENTRY = {"lab": "vol1.ch99", "context": "cloud",
              "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6,
                       "actual_value": 9.89e5},
              "act2": {"prediction": "B", "correct": True, "decision": "resnet50 on cloud",
                       "result": 29.9, "unit": "us"},
              "constraint_hit": False}


def test_ledger_schema_accepts_good_entry():
    assert validate_entry(GOOD_ENTRY, "vol1.ch99") is GOOD_ENTRY
    validate_entry({**GOOD_ENTRY, "completed_at": "2026-11-21T10:00:00Z"})


@pytest.mark.parametrize("change, message", [
    ({"lab": "ch01"}, "entry.lab must look like 'vol1.ch01'"),
    ({"constraint_hit": "yes"}, "entry.constraint_hit must be true or false"),
    ({"act1": {**GOOD_ENTRY["act1"], "correct": 1}}, "entry.act1.correct must be true or false"),
    ({"act2": {k: v for k, v in GOOD_ENTRY["act2"].items() if k != "unit"}},
     "entry.act2.unit is missing"),
    ({"act1": {**GOOD_ENTRY["act1"], "actual_value": float("nan")}}, "finite number or null"),
    ({"completed_at": "yesterday"}, "ISO-8601"),
    ({"extra": 1}, r"unknown field\(s\) \['extra'\]"),
])
def test_ledger_schema_rejects(change, message):
    with pytest.raises(LedgerSchemaError, match=message):
        validate_entry({**GOOD_ENTRY, **change})


def test_ledger_key_must_match_lab():
    def page(ui):
        ui.ledger({**GOOD_ENTRY, "lab": "vol1.ch01"}, [("Context", "cloud")])
    with pytest.raises(LedgerSchemaError, match="must equal the lab's ledger key 'vol1.ch99'"):
        make_lab(page).render({})


def test_serialization_is_json_and_rejects_nan():
    def page(ui):
        ui.ledger(GOOD_ENTRY, [("Context", "cloud")])
        ui.reset()
    tree = make_lab(page).render({})
    assert tree["protocol"] == 1 and tree["lab"] == "vol1/99" and tree["ledger_key"] == "vol1.ch99"
    assert json.loads(dumps(tree)) == tree
    assert [n["kind"] for n in tree["nodes"]] == ["header", "callout", "ledger", "reset"]
    with pytest.raises(LabDefinitionError, match=r"tree.bad.*not a finite number"):
        dumps({"bad": float("inf")})


def test_render_is_pure():
    lab = make_lab(gated_page)
    state = {"answers": {"act1.prediction": "B"}, "values": {"context": "tiny"}}
    assert dumps(lab.render(state)) == dumps(lab.render(state))


@pytest.mark.parametrize("x, text", [(989_000, "989,000"), (0.0512, "0.0512"),
                                     (3350, "3,350"), (2.5e10, "2.5 × 10¹⁰"), (7.36, "7.36")])
def test_fmt_num(x, text):
    assert fmt.num(x) == text


@pytest.mark.parametrize("x, text", [(989e12, "989 TFLOP"), (2.5e18, "2,500 PFLOP"),
                                     (6.35e24, "6.35 × 10²⁴ FLOP"), (0.5, "0.5 FLOP")])
def test_fmt_si_uses_a_power_of_ten_past_the_largest_prefix(x, text):
    assert fmt.si(x, "FLOP") == text


def test_ledger_make_entry_and_summary_build_the_schema_shape():
    from types import SimpleNamespace
    from labkit import ledger

    p1, p2 = SimpleNamespace(value="C", correct=True), SimpleNamespace(value="A", correct=False)
    entry = ledger.make_entry("vol1.ch99", "cloud", p1, (1e6, 9.89e5), p2, decision="resnet50",
                              result=29.9, unit="us", constraint_hit=True)
    assert validate_entry(entry, "vol1.ch99") is entry
    assert entry["act1"] == {"prediction": "C", "correct": True, "predicted_value": 1e6,
                             "actual_value": 9.89e5}
    assert entry["act2"]["correct"] is False and entry["constraint_hit"] is True
    assert ledger.summary("Cloud", p1, p2, ("Design", "x")) == [
        ("Context", "Cloud"), ("Act I", "C (correct)"), ("Act II", "A (incorrect)"), ("Design", "x")]


@pytest.mark.parametrize("text, shown", [
    ("141.2e9 B", "141 GB"), ("2097152 B", "2 MiB"), ("2 MiB", "2 MiB"), ("25557032 B", "25.6 MB"),
    ("45 ms", "45 ms"), ("1200 token/s", "1,200 tokens/s"), ("3 request/s", "3 requests/s"),
    ("120 1/s", "120 /s"), ("989 TFLOP/s", "989 TFLOP/s"), ("4300 USD", "$4,300"),
    ("inf s", "unbounded"),
])
def test_fmt_quantity_reads_as_a_student_expects(text, shown):
    """Engine Quantities in a banner or overlay: the unit that reads best for the dimension,
    capacities quoted in binary units kept binary even after arithmetic in bytes."""
    from mlsysim import Q_
    assert fmt.quantity(Q_(text)) == shown


@pytest.mark.parametrize("text, tex", [("8.2 × 10⁹", r"8.2 \times 10^{9}"),
                                       ("1,030", "1{,}030"), ("2.5 × 10⁻⁶", r"2.5 \times 10^{-6}")])
def test_fmt_tex_puts_formatted_numbers_into_math(text, tex):
    assert fmt.tex(text) == tex


def test_bands_pick_the_half_open_band_and_a_log_middle():
    from labkit import bands
    b = {"A": (0.0, 2.0), "B": (2.0, 8.0), "C": (8.0, math.inf)}
    assert [bands.band_of(v, b) for v in (0.5, 2.0, 7.99, 1e9)] == ["A", "B", "B", "C"]
    with pytest.raises(ValueError, match="none of the bands"):
        bands.band_of(-1.0, b)
    assert [bands.log_middle(b, k) for k in "ABC"] == [1.0, 4.0, 16.0]
