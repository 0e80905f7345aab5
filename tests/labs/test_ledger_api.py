"""Labs read the Design Ledger (PROTOCOL.md section 2): a fixture lab that reads earlier
entries and the home context, rendered under CPython with empty, valid and invalid ledgers."""
import copy

import pytest

from labkit import LedgerSchemaError, catalog, validate_entry
from labkit.ledger import ENTRY_VERSION, LedgerEntry, parse_ledger
from labkit.serialize import dumps, walk

from labfixtures.ledger_reader_lab import LAB


def entry(key, context="cloud", **extra):
    e = {"lab": key, "context": context,
         "act1": {"prediction": "C", "correct": True, "predicted_value": 1e6, "actual_value": 9.9e5},
         "act2": {"prediction": "B", "correct": False, "decision": f"decided in {key}",
                  "result": 29.9, "unit": "us"},
         "constraint_hit": True, "completed_at": "2026-11-21T10:00:00Z"}
    e.update(extra)
    return e


HOME_EDGE = entry("vol1.ch00", "edge")
LAB01 = entry("vol1.ch01", "tiny", schema=2,
              act1={"prediction": "C", "correct": True, "predicted_value": 1e6,
                    "actual_value": 9.9e5, "label": "About 10⁶ (a million times)"})
LAB09 = entry("vol1.ch09", "edge")


def render(ledger=None, values=None):
    state = {"answers": {}, "values": values or {}}
    if ledger is not None:
        state["ledger"] = ledger
    return LAB.render(state)


def node(tree, key):
    return next(n for n in walk(tree["nodes"]) if n["key"] == key)


def test_ledger_empty_state_is_the_prerender_state():
    # The build pre-renders with {"answers": {}, "values": {}, "ledger": {}}; a student with no
    # ledger (or an older runtime sending no ledger at all) must get the same first view.
    assert dumps(render({})) == dumps(render(None)) == dumps(LAB.render({}))
    tree = render({})
    assert node(tree, "context")["value"] == "cloud"
    assert node(tree, "home")["text"] == "Home context: not recorded."
    assert node(tree, "earlier")["rows"] == [] and node(tree, "intro")["text"] == "Lab 01 not done yet."


def test_ledger_valid_entries_are_read_typed_in_book_order():
    tree = render({"vol1.ch09": LAB09, "vol1.ch01": LAB01, "vol1.ch00": HOME_EDGE})
    assert node(tree, "earlier")["rows"] == [
        ["vol1.ch00", "Edge", "C", "no"],
        ["vol1.ch01", "TinyML", "About 10⁶ (a million times)", "no"],
        ["vol1.ch09", "Edge", "C", "no"]]
    assert node(tree, "intro")["text"] == "Lab 01 decision: decided in vol1.ch01."
    assert node(tree, "home")["text"] == "Home context: Edge."


def test_ledger_home_context_is_the_toggle_default():
    assert node(render({"vol1.ch00": HOME_EDGE}), "context")["value"] == "edge"


def test_ledger_students_own_choice_beats_the_home_context():
    tree = render({"vol1.ch00": HOME_EDGE}, values={"context": "cloud"})
    assert node(tree, "context")["value"] == "cloud"


def test_ledger_home_context_outside_the_labs_two_falls_back_to_the_first():
    tree = render({"vol1.ch00": entry("vol1.ch00", "tiny")})
    assert node(tree, "context")["value"] == "cloud"
    assert node(tree, "home")["text"] == "Home context: TinyML."   # still readable


@pytest.mark.parametrize("ledger", [
    {"vol1.ch00": {**HOME_EDGE, "context": 7}},                     # wrong type
    {"vol1.ch00": {**HOME_EDGE, "lab": "vol1.ch01"}},               # filed under another key
    {"vol1.ch00": {**HOME_EDGE, "schema": ENTRY_VERSION + 1}},      # a newer edition's entry
    {"vol1.ch00": {**HOME_EDGE, "act1": "C"}},                      # malformed act
    {"vol1.ch00": {**HOME_EDGE, "extra": True}},                    # unknown field
    {"vol1.ch00": {**HOME_EDGE, "context": "the moon"}},            # valid entry, no such context
    {"vol1.ch00": None}, {"not a key": HOME_EDGE}, {"vol1.ch00": []},
    [], "garbage", 42,
])
def test_ledger_invalid_or_foreign_entries_are_ignored(ledger):
    tree = render(ledger)
    assert node(tree, "context")["value"] == "cloud"
    assert node(tree, "home")["text"] in ("Home context: not recorded.",)
    rows = node(tree, "earlier")["rows"]
    assert rows == [] or rows == [["vol1.ch00", "the moon", "C", "no"]]


def test_ledger_invalid_entries_do_not_hide_the_valid_ones():
    tree = render({"vol1.ch00": {"lab": "vol1.ch00"}, "vol1.ch01": LAB01})
    assert [r[0] for r in node(tree, "earlier")["rows"]] == ["vol1.ch01"]


def test_ledger_a_lab_does_not_read_its_own_entry():
    own = entry("vol1.ch98")
    tree = render({"vol1.ch98": own, "vol1.ch01": LAB01})
    assert [r[0] for r in node(tree, "earlier")["rows"]] == ["vol1.ch01"]


def test_ledger_reads_are_pure_and_never_mutate_the_state():
    ledger = {"vol1.ch00": HOME_EDGE, "vol1.ch01": LAB01, "vol1.ch02": {"junk": 1}}
    before = copy.deepcopy(ledger)
    assert dumps(render(ledger)) == dumps(render(ledger))
    assert ledger == before


def test_ledger_entry_is_a_frozen_typed_view():
    e = LedgerEntry.from_dict(LAB01, "vol1.ch01")
    assert (e.volume, e.number, e.context, e.act1.label, e.act2.label) == (1, 1, "tiny", LAB01["act1"]["label"], None)
    assert e.act2.result == 29.9 and e.constraint_hit is True and e.schema == 2
    with pytest.raises(AttributeError):
        e.context = "cloud"
    assert e.to_dict() == LAB01
    assert LedgerEntry.from_dict(HOME_EDGE).to_dict() == HOME_EDGE
    with pytest.raises(LedgerSchemaError, match="must equal the lab's ledger key"):
        LedgerEntry.from_dict(LAB01, "vol1.ch02")


def test_parse_ledger_skips_what_it_cannot_use():
    parsed = parse_ledger({"vol1.ch09": LAB09, "vol1.ch01": LAB01, "vol2.ch07": {"lab": "vol2.ch07"}})
    assert list(parsed) == ["vol1.ch01", "vol1.ch09"]
    assert all(isinstance(e, LedgerEntry) for e in parsed.values())


@pytest.mark.parametrize("change, message", [
    ({"act1": {**LAB09["act1"], "label": "x"}}, r"entry.act1.label needs entry.schema 2 or later"),
    ({"schema": 2, "act2": {**LAB09["act2"], "label": ""}}, r"entry.act2.label must be a string"),
    ({"schema": 3}, r"schema 3 is newer than this book understands \(up to 2\)"),
    ({"schema": 0}, r"entry.schema must be a schema version"),
    ({"schema": "2"}, r"entry.schema must be a schema version"),
])
def test_ledger_schema_versions(change, message):
    with pytest.raises(LedgerSchemaError, match=message):
        validate_entry({**LAB09, **change})
    validate_entry({**LAB09, "schema": 2, "act2": {**LAB09["act2"], "label": "Uncertainty"}})


@pytest.mark.parametrize("lab_id", catalog.all_ids())
def test_ledger_real_labs_prerender_matches_an_empty_ledger(lab_id):
    lab = catalog.load(lab_id)
    prerendered = dumps(lab.render({"answers": {}, "values": {}, "ledger": {}}))   # sitebuild/prerender.py
    assert dumps(lab.render({"answers": {}, "values": {}})) == prerendered
    # Entries that change nothing for this lab leave the first view byte for byte the same.
    # (A capstone spans all four contexts: every home context is one of its own.)
    foreign = next((c for c in ("mobile", "tiny", "edge") if c not in lab.contexts), None)
    if foreign is not None:
        foreign_home = entry("vol1.ch00", foreign)
        assert dumps(lab.render({"answers": {}, "values": {}, "ledger": {"vol1.ch00": foreign_home}})) == prerendered
    own = entry(lab.ledger_key)
    assert dumps(lab.render({"answers": {}, "values": {}, "ledger": {lab.ledger_key: own}})) == prerendered
