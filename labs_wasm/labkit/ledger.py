"""The Design Ledger entry (LAB_PROTOCOL.md, PROTOCOL.md section 5): one schema, one check.

``completed_at`` is left out by the toolkit: a render is pure (same state, same tree), so it
cannot read the clock. The runtime adds ``completed_at`` (ISO-8601, UTC) when it saves the
entry; ``validate_entry`` accepts it when present.
"""
from __future__ import annotations

import math
import re
from numbers import Real
from typing import Any

from .errors import LedgerSchemaError

LEDGER_KEY = re.compile(r"^vol[12]\.ch\d\d$")
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

# field -> (accepted types description, predicate)
_STR = ("a string", lambda v: isinstance(v, str) and v != "")
_BOOL = ("true or false", lambda v: isinstance(v, bool))
_NUM_OR_NULL = ("a finite number or null", lambda v: v is None or (
    isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)))

SCHEMA: dict[str, Any] = {
    "lab": _STR,
    "context": _STR,
    "act1": {"prediction": _STR, "correct": _BOOL, "predicted_value": _NUM_OR_NULL,
             "actual_value": _NUM_OR_NULL},
    "act2": {"prediction": _STR, "correct": _BOOL, "decision": _STR, "result": _NUM_OR_NULL,
             "unit": _STR},
    "constraint_hit": _BOOL,
}
OPTIONAL = {"completed_at": ("an ISO-8601 timestamp",
                             lambda v: isinstance(v, str) and bool(ISO_8601.match(v)))}


def _problems(entry: Any, schema: dict, where: str, optional: dict | None = None) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where} must be an object"]
    optional = optional or {}
    problems = []
    for field, rule in schema.items():
        path = f"{where}.{field}"
        if field not in entry:
            problems.append(f"{path} is missing")
        elif isinstance(rule, dict):
            problems += _problems(entry[field], rule, path)
        elif not rule[1](entry[field]):
            problems.append(f"{path} must be {rule[0]} (found {entry[field]!r})")
    for field, (what, ok) in optional.items():
        if field in entry and not ok(entry[field]):
            problems.append(f"{where}.{field} must be {what} (found {entry[field]!r})")
    extra = set(entry) - set(schema) - set(optional)
    if extra:
        problems.append(f"{where} has unknown field(s) {sorted(extra)}")
    return problems


def entry_problems(entry: Any, ledger_key: str | None = None) -> list[str]:
    problems = _problems(entry, SCHEMA, "entry", OPTIONAL)
    if isinstance(entry, dict) and isinstance(entry.get("lab"), str):
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


def make_entry(lab_key: str, context: str, act1, act1_values: tuple, act2, decision: str,
               result, unit: str, constraint_hit: bool) -> dict:
    """A ledger entry in the schema's shape. ``act1``/``act2`` are the answered Predictions
    (``.value``, ``.correct``); ``act1_values`` is (predicted value, actual value)."""
    predicted, actual = act1_values
    return {
        "lab": lab_key, "context": context,
        "act1": {"prediction": act1.value, "correct": act1.correct,
                 "predicted_value": predicted, "actual_value": actual},
        "act2": {"prediction": act2.value, "correct": act2.correct, "decision": decision,
                 "result": result, "unit": unit},
        "constraint_hit": constraint_hit,
    }


def summary(context_label: str, act1, act2, *rows: tuple[str, str]) -> list[tuple[str, str]]:
    """The HUD rows every lab shows (context, both predictions), then the lab's own ``rows``."""
    verdict = lambda p: f"{p.value} ({'correct' if p.correct else 'incorrect'})"  # noqa: E731
    return [("Context", context_label), ("Act I", verdict(act1)), ("Act II", verdict(act2)), *rows]
