"""The Design Ledger entry (LAB_PROTOCOL.md, PROTOCOL.md section 5): one schema, one check,
and the typed view of an entry that labs read (``LedgerEntry``).

``completed_at`` is left out by the toolkit: a render is pure (same state, same tree), so it
cannot read the clock. The runtime adds ``completed_at`` (ISO-8601, UTC) when it saves the
entry; ``validate_entry`` accepts it when present.

Entry schema versions (the optional ``schema`` field; an entry without it is version 1):
  1  the original entry;
  2  adds ``act1.label`` and ``act2.label`` (optional): the words of the chosen option, so
     the HUD and the Ledger page show what the student chose rather than a letter.
An entry from a newer schema than ENTRY_VERSION is foreign: rejected here, ignored by labs.
``runtime/schema.js`` mirrors this table field for field (tests/site/test_schema_agreement.py).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from numbers import Real
from typing import Any

from .errors import LedgerSchemaError
from .words import verdict

LEDGER_KEY = re.compile(r"^vol[12]\.ch\d\d$")
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
ENTRY_VERSION = 2
#: Lab 00's ledger key: its ``context`` is the student's home deployment context.
HOME_KEY = "vol1.ch00"

# A rule: (what it must be, predicate).
_STR = ("a string", lambda v: isinstance(v, str) and v != "")
_BOOL = ("true or false", lambda v: isinstance(v, bool))
_NUM_OR_NULL = ("a finite number or null", lambda v: v is None or (
    isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)))
_ISO = ("an ISO-8601 timestamp", lambda v: isinstance(v, str) and bool(ISO_8601.match(v)))
_VERSION = (f"a schema version from 1 to {ENTRY_VERSION}",
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1)

#: Required fields; a nested dict is an object with its own fields.
SCHEMA: dict[str, Any] = {
    "lab": _STR,
    "context": _STR,
    "act1": {"prediction": _STR, "correct": _BOOL, "predicted_value": _NUM_OR_NULL,
             "actual_value": _NUM_OR_NULL},
    "act2": {"prediction": _STR, "correct": _BOOL, "decision": _STR, "result": _NUM_OR_NULL,
             "unit": _STR},
    "constraint_hit": _BOOL,
}
#: Optional fields, by dotted path: (the schema version that introduced it, rule).
OPTIONAL: dict[str, tuple[int, tuple]] = {
    "completed_at": (1, _ISO),
    "schema": (1, _VERSION),
    "act1.label": (2, _STR),
    "act2.label": (2, _STR),
}


def schema_table() -> dict[str, list]:
    """{dotted path: [rule description, required?, since version]} (compared with schema.js)."""
    table: dict[str, list] = {}

    def walk(schema: dict, prefix: str) -> None:
        for field, rule in schema.items():
            if isinstance(rule, dict):
                table[prefix + field] = ["an object", True, 1]
                walk(rule, prefix + field + ".")
            else:
                table[prefix + field] = [rule[0], True, 1]
    walk(SCHEMA, "")
    for path, (since, rule) in OPTIONAL.items():
        table[path] = [rule[0], False, since]
    return table


def _problems(value: Any, schema: dict, path: str, version: int) -> list[str]:
    where = f"entry{'.' + path if path else ''}"
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    prefix = path + "." if path else ""
    problems = []
    for field, rule in schema.items():
        at = f"entry.{prefix}{field}"
        if field not in value:
            problems.append(f"{at} is missing")
        elif isinstance(rule, dict):
            problems += _problems(value[field], rule, prefix + field, version)
        elif not rule[1](value[field]):
            problems.append(f"{at} must be {rule[0]} (found {value[field]!r})")
    optional = {p[len(prefix):]: spec for p, spec in OPTIONAL.items()
                if p.startswith(prefix) and "." not in p[len(prefix):]}
    for field, (since, (what, ok)) in optional.items():
        if field not in value:
            continue
        if since > version:
            problems.append(f"entry.{prefix}{field} needs entry.schema {since} or later "
                            f"(found schema {version})")
        elif not ok(value[field]):
            problems.append(f"entry.{prefix}{field} must be {what} (found {value[field]!r})")
    extra = set(value) - set(schema) - set(optional)
    if extra:
        problems.append(f"{where} has unknown field(s) {sorted(extra)}")
    return problems


def entry_problems(entry: Any, ledger_key: str | None = None) -> list[str]:
    if not isinstance(entry, dict):
        return ["entry must be an object"]
    version = entry.get("schema", 1)
    if _VERSION[1](version) and version > ENTRY_VERSION:
        return [f"entry.schema {version} is newer than this book understands (up to "
                f"{ENTRY_VERSION}): the entry was made by a newer edition"]
    if not _VERSION[1](version):
        version = 1   # reported by the field check below
    problems = _problems(entry, SCHEMA, "", version)
    if isinstance(entry.get("lab"), str):
        if not LEDGER_KEY.match(entry["lab"]):
            problems.append(f"entry.lab must look like 'vol1.ch01' (found {entry['lab']!r})")
        elif ledger_key is not None and entry["lab"] != ledger_key:
            problems.append(f"entry.lab must equal the lab's ledger key {ledger_key!r} "
                            f"(found {entry['lab']!r})")
    return problems


def validate_entry(entry: Any, ledger_key: str | None = None) -> dict:
    """Return ``entry`` if it matches the schema, else raise LedgerSchemaError listing
    every problem."""
    problems = entry_problems(entry, ledger_key)
    if problems:
        raise LedgerSchemaError(problems)
    return entry


# ---- the typed view labs read -------------------------------------------------------------
@dataclass(frozen=True)
class ActOne:
    """Act I of an entry: the calibration prediction."""

    prediction: str
    correct: bool
    predicted_value: float | None
    actual_value: float | None
    label: str | None = None     # the option's words (schema 2)


@dataclass(frozen=True)
class ActTwo:
    """Act II of an entry: the design prediction and the decision the student left."""

    prediction: str
    correct: bool
    decision: str
    result: float | None
    unit: str
    label: str | None = None     # the option's words (schema 2)


@dataclass(frozen=True)
class LedgerEntry:
    """One saved ledger entry, validated. Build it with ``LedgerEntry.from_dict``."""

    lab: str                     # the ledger key, "vol1.ch01"
    context: str                 # a key of labkit.contexts
    act1: ActOne
    act2: ActTwo
    constraint_hit: bool
    completed_at: str | None = None
    schema: int = 1

    @property
    def volume(self) -> int:
        return int(self.lab[3])

    @property
    def number(self) -> int:
        """The lab's number in its volume (00 for the orientation tour)."""
        return int(self.lab[-2:])

    @classmethod
    def from_dict(cls, raw: Any, ledger_key: str | None = None) -> "LedgerEntry":
        """Validate ``raw`` (a stored entry) and return it typed; LedgerSchemaError if not."""
        validate_entry(raw, ledger_key)
        return cls(lab=raw["lab"], context=raw["context"], act1=ActOne(**raw["act1"]),
                   act2=ActTwo(**raw["act2"]), constraint_hit=raw["constraint_hit"],
                   completed_at=raw.get("completed_at"), schema=raw.get("schema", 1))

    def to_dict(self) -> dict:
        """Back to the stored shape (optional fields only when set)."""
        def act(a) -> dict:
            return {k: v for k, v in a.__dict__.items() if not (k == "label" and v is None)}
        out = {"lab": self.lab, "context": self.context, "act1": act(self.act1),
               "act2": act(self.act2), "constraint_hit": self.constraint_hit}
        if self.completed_at is not None:
            out["completed_at"] = self.completed_at
        if self.schema != 1:
            out["schema"] = self.schema
        return out


def _book_order(key: str) -> tuple[int, int]:
    return int(key[3]), int(key[-2:])


def parse_ledger(raw: Any) -> dict[str, LedgerEntry]:
    """The valid entries of a stored ledger map ``{ledger_key: entry}``, in book order.

    Anything else (not a map, a malformed key, an entry that fails the schema or is filed
    under another key, a newer schema) is skipped: a lab never fails on someone's ledger.
    """
    if not isinstance(raw, dict):
        return {}
    out = {}
    for key, value in raw.items():
        if not (isinstance(key, str) and LEDGER_KEY.match(key)):
            continue
        try:
            out[key] = LedgerEntry.from_dict(value, key)
        except (LedgerSchemaError, TypeError, ValueError):
            continue
    return dict(sorted(out.items(), key=lambda kv: _book_order(kv[0])))


# ---- writing an entry ---------------------------------------------------------------------
def make_entry(lab_key: str, context: str, act1, act1_values: tuple, act2, decision: str,
               result, unit: str, constraint_hit: bool) -> dict:
    """A ledger entry in the schema's shape. ``act1``/``act2`` are the answered Predictions
    (``.value``, ``.correct``, ``.label``); ``act1_values`` is (predicted value, actual value)."""
    predicted, actual = act1_values
    entry = {
        "lab": lab_key, "context": context, "schema": ENTRY_VERSION,
        "act1": {"prediction": act1.value, "correct": act1.correct,
                 "predicted_value": predicted, "actual_value": actual},
        "act2": {"prediction": act2.value, "correct": act2.correct, "decision": decision,
                 "result": result, "unit": unit},
        "constraint_hit": constraint_hit,
    }
    for act, pred in (("act1", act1), ("act2", act2)):
        label = getattr(pred, "label", None)
        if label:
            entry[act]["label"] = label
    return entry


def prediction_text(pred) -> str:
    """How a graded prediction reads in the HUD: its words, then the verdict."""
    words = getattr(pred, "label", None) or pred.value
    return f"{words} ({verdict(pred.correct)})"


def summary(context_label: str, act1, act2, *rows: tuple[str, str]) -> list[tuple[str, str]]:
    """The HUD rows every lab shows (context, both predictions), then the lab's own ``rows``."""
    return [("Context", context_label), ("Act I", prediction_text(act1)),
            ("Act II", prediction_text(act2)), *rows]
