"""Controls: one base class, one conversion hook (``convert``), one ``KIND`` per widget.

A widget reads its value from the state the runtime sends (``answers`` for predictions,
``values`` for everything else). A value the widget cannot accept (a stale option from an
older version of the lab, a number out of range, a wrong type) falls back to the default.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from numbers import Real
from typing import Any, Callable, ClassVar

from .errors import LabDefinitionError
from .fmt import literal
from .serialize import check_markdown

_MISSING = object()

# A widget's name is its key in the browser's stored state: a plain identifier, optionally
# dotted or dashed ("act2.model"), and never a property every JavaScript object inherits
# (storing under "constructor" or "__proto__" would read or change Object.prototype).
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$")
JS_OBJECT_PROPERTIES = frozenset({
    "constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf",
    "propertyIsEnumerable", "toLocaleString", "__defineGetter__", "__defineSetter__",
    "__lookupGetter__", "__lookupSetter__"})


def check_name(kind: str, name: Any) -> str:
    """``name`` if the browser can store a value under it, else LabDefinitionError."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise LabDefinitionError(f"{kind} name {name!r}: use letters, digits and underscores, "
                                 f"starting with a letter, in parts joined by '.' or '-' "
                                 f"(e.g. 'act2.model')")
    if name in JS_OBJECT_PROPERTIES:
        raise LabDefinitionError(f"{kind} name {name!r} is a property of every JavaScript "
                                 f"object, so the browser cannot store it safely; choose "
                                 f"another name (e.g. 'act2.{name.strip('_')}_choice')")
    return name


def fingerprint(asked: dict) -> str:
    """The version of a question: 12 hex digits of sha256 over its canonical JSON, so the
    same question gives the same version in CPython and Pyodide (PROTOCOL.md, "Question
    versions"). What goes in is what makes an answer mean something: the options' values,
    the unit, and the author's ``revision``. Not the words: a question's words and option
    labels change with the deployment context and earlier answers, and switching context
    must not ask the student again."""
    text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _check_revision(name: str, revision: Any) -> int:
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise LabDefinitionError(f"prediction {name!r}: revision must be a whole number from 1 "
                                 f"(bump it when the question comes to mean something else), "
                                 f"got {revision!r}")
    return revision


class Widget:
    """Base of every control. Subclasses set ``KIND`` and override ``convert``/``props``."""

    KIND: ClassVar[str] = ""
    #: Predictions write into ``answers`` and lock; everything else writes into ``values``.
    locks: ClassVar[bool] = False

    def __init__(self, name: str, label: str, default: Any = None):
        self.name = check_name(self.KIND, name)
        self.label = check_markdown(f"{self.KIND} {name!r} label", label)
        self.default = default

    def convert(self, raw: Any) -> Any:
        """Return the widget value for a raw state value, or raise ValueError."""
        return raw

    def read(self, state_map: dict) -> tuple[Any, bool]:
        """(value, from_state): the state's value if acceptable, else the default."""
        raw = state_map.get(self.name, _MISSING)
        if raw is _MISSING or raw is None:
            return self.default, False
        try:
            return self.convert(raw), True
        except (ValueError, TypeError):
            return self.default, False

    def props(self, value: Any) -> dict:
        return {"label": self.label, "name": self.name, "value": value}


def _check_options(kind: str, name: str, options: dict[str, str], count: int | None) -> dict:
    if not isinstance(options, dict) or not options:
        raise LabDefinitionError(f"{kind} {name!r}: options must be a non-empty dict "
                                 f"{{value: label}}")
    if count is not None and len(options) != count:
        raise LabDefinitionError(f"{kind} {name!r}: expected exactly {count} options, got "
                                 f"{len(options)} ({list(options)})")
    for value, label in options.items():
        if not isinstance(value, str) or not value:
            raise LabDefinitionError(f"{kind} {name!r}: option values must be non-empty "
                                     f"strings, got {value!r}")
        check_markdown(f"{kind} {name!r} option {value!r}", label)
    return dict(options)


class _OptionWidget(Widget):
    count: ClassVar[int | None] = None

    def __init__(self, name, label, options: dict[str, str], default=None):
        super().__init__(name, label, default)
        self.options = _check_options(self.KIND, name, options, self.count)
        if default is not None and default not in self.options:
            raise LabDefinitionError(f"{self.KIND} {name!r}: default {default!r} is not one of "
                                     f"{list(self.options)}")

    def convert(self, raw):
        if not isinstance(raw, str) or raw not in self.options:
            raise ValueError(f"{raw!r} is not an option of {self.name!r}")
        return raw

    def option_list(self) -> list[dict]:
        return [{"value": v, "label": lab} for v, lab in self.options.items()]

    def props(self, value):
        return {"label": self.label, "name": self.name, "options": self.option_list(),
                "value": value}


class Select(_OptionWidget):
    KIND = "select"

    def __init__(self, name, label, options, default=None):
        super().__init__(name, label, options, default if default is not None else next(iter(options)))


class Toggle(_OptionWidget):
    """A segmented switch: two options (four only for a capstone's deployment-context toggle,
    which spans all four contexts)."""

    KIND = "toggle"
    count = 2

    def __init__(self, name, label, options, default=None, count: int = 2):
        self.count = count
        super().__init__(name, label, options, default if default is not None else next(iter(options)))


class Choice(_OptionWidget):
    """Radio group; value is None until answered. Used for reflections (not locking)."""

    KIND = "choice"

    def props(self, value):
        return {**super().props(value), "locks": self.locks, "locked": False}


@dataclass(frozen=True)
class Option:
    """A graded option: what the student reads, and the feedback it earns."""

    label: str
    feedback: str


def graded_options(kind: str, name: str, options: dict[str, Any],
                   correct: str) -> tuple[dict[str, str], dict[str, str]]:
    """Split ``{value: Option | (label, feedback)}`` into labels and feedback; check
    exactly 4 options and exactly one correct value."""
    if not isinstance(options, dict) or len(options) != 4:
        n = len(options) if isinstance(options, dict) else type(options).__name__
        raise LabDefinitionError(f"{kind} {name!r}: a graded choice needs exactly 4 options, got {n}")
    correct_values = [correct] if isinstance(correct, str) else list(correct)
    if len(correct_values) != 1:
        raise LabDefinitionError(f"{kind} {name!r}: exactly one option must be correct, got "
                                 f"{correct_values}")
    if correct_values[0] not in options:
        raise LabDefinitionError(f"{kind} {name!r}: correct={correct_values[0]!r} is not one of "
                                 f"{list(options)}")
    labels, feedback = {}, {}
    for value, opt in options.items():
        if isinstance(opt, tuple) and len(opt) == 2:
            opt = Option(*opt)
        if not isinstance(opt, Option):
            raise LabDefinitionError(f"{kind} {name!r} option {value!r}: give (label, feedback)")
        if not opt.feedback or not opt.feedback.strip():
            raise LabDefinitionError(f"{kind} {name!r} option {value!r}: feedback is empty; "
                                     f"every option needs its own feedback")
        labels[value] = opt.label
        feedback[value] = check_markdown(f"{kind} {name!r} feedback {value!r}", opt.feedback)
    return labels, feedback


class ChoicePrediction(Choice):
    """A locking 4-option prediction with exactly one correct option."""

    locks = True

    def __init__(self, name, label, options: dict[str, Any], correct: str, revision: int = 1):
        labels, self.feedback = graded_options("prediction", name, options, correct)
        super().__init__(name, label, labels)
        self.correct = correct
        # Not the grading either: fixing feedback or the correct option orphans no answer.
        self.version = fingerprint({"kind": self.KIND, "options": list(self.options),
                                    "revision": _check_revision(name, revision)})

    def props(self, value):
        return {**super().props(value), "locked": value is not None, "version": self.version}


def _is_number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and x == x and abs(x) != float("inf")


def _check_bounds(kind: str, name: str, lo, hi, step) -> None:
    if not (_is_number(lo) and _is_number(hi) and _is_number(step)):
        raise LabDefinitionError(f"{kind} {name!r}: min, max and step must be finite numbers")
    if lo >= hi:
        raise LabDefinitionError(f"Invalid bounds for {kind} {name!r}: min {lo} >= max {hi}")
    if step <= 0 or step > hi - lo:
        raise LabDefinitionError(f"Invalid step for {kind} {name!r}: {step} (must be > 0 and "
                                 f"<= max - min = {hi - lo})")


def decimals(x: float) -> int:
    """Decimal places of ``x`` as written shortest (0.05 -> 2, 250 -> 0, 1e-05 -> 5). The same
    rule as runtime/numbers.js (repr and JS String both give the shortest round trip)."""
    text = repr(float(x)).lower()
    mantissa, _, exponent = text.partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    return max(0, places - int(exponent or 0))


def clean(x: float) -> float:
    """``x`` to 12 significant digits: drops the float noise of a product (0.01 * 100)."""
    return float(f"{x:.12g}")


def grid_places(lo: float, step: float, scale: float = 1) -> int:
    """Decimal places of the grid ``lo + k * step`` shown at ``scale``."""
    return max(decimals(clean(step * scale)), decimals(clean(lo * scale)))


class Slider(Widget):
    """A range in stored units with a linked number box in display units (``scale``).

    Every value is snapped to the grid ``min + k * step`` and rounded to the grid's decimal
    places, here and in runtime/numbers.js, so 0.05 + 2 * 0.05 is 0.15, never
    0.15000000000000002.
    """

    KIND = "slider"

    def __init__(self, name, label, min, max, step, default, unit: str | None = None,
                 fmt: Callable[[float], str] | None = None, scale: float = 1):
        super().__init__(name, label, default)
        _check_bounds(self.KIND, name, min, max, step)
        if not _is_number(default) or not (min <= default <= max):
            raise LabDefinitionError(f"slider {name!r}: default {default!r} is outside "
                                     f"[{min}, {max}]")
        if not _is_number(scale) or scale <= 0:
            raise LabDefinitionError(f"slider {name!r}: scale {scale!r} must be a positive "
                                     f"number (100 shows a stored 0.8 as 80)")
        self.min, self.max, self.step, self.unit, self.scale = min, max, step, unit, scale
        self.integer = all(isinstance(v, int) for v in (min, max, step, default)) and scale == 1
        self.places = 0 if self.integer else grid_places(min, step)
        self.display_places = grid_places(min, step, scale)
        self.default = self.snap(default)
        self.fmt = fmt or self._default_fmt

    def snap(self, raw: float):
        """The nearest grid value within [min, max], rounded to the grid's places."""
        k = math.floor((raw - self.min) / self.step + 0.5)
        value = min(self.max, max(self.min, self.min + k * self.step))
        return int(round(value)) if self.integer else round(value, self.places)

    def to_display(self, value: float) -> float:
        return round(value * self.scale, self.display_places)

    def _default_fmt(self, value) -> str:
        shown = self.to_display(value)
        return f"{shown:,.{self.display_places}f}" if self.display_places else f"{round(shown):,}"

    def convert(self, raw):
        if not _is_number(raw) or not (self.min <= raw <= self.max):
            raise ValueError(f"{raw!r} is outside [{self.min}, {self.max}]")
        return self.snap(raw)

    def props(self, value):
        props = {"label": self.label, "name": self.name, "min": self.min, "max": self.max,
                 "step": self.step, "value": value, "display": self.fmt(value)}
        if self.unit:
            props["unit"] = self.unit
        if self.scale != 1:
            props["scale"] = self.scale
        return props


class NumberPrediction(Widget):
    """A locking bounded number; a stored answer out of bounds is reported, not used."""

    KIND = "number_input"
    locks = True

    def __init__(self, name, label, min, max, step, unit: str | None = None, revision: int = 1):
        super().__init__(name, label, None)
        _check_bounds(self.KIND, name, min, max, step)
        self.min, self.max, self.step, self.unit = min, max, step, unit
        # Bounds are not part of it: an answer outside new bounds is reported by check().
        self.version = fingerprint({"kind": self.KIND, "unit": unit,
                                    "revision": _check_revision(name, revision)})

    def check(self, raw) -> str | None:
        """None when ``raw`` is acceptable, else the reason (Markdown, for the error node;
        the saved value is shown through ``fmt.literal``)."""
        if not _is_number(raw):
            return f"the saved answer “{literal(raw)}” is not a number"
        if not (self.min <= raw <= self.max):
            return (f"the saved answer {literal(raw)} is outside the allowed range "
                    f"[{self.min:g}, {self.max:g}]")
        return None

    def convert(self, raw):
        reason = self.check(raw)
        if reason:
            raise ValueError(reason)
        return float(raw)

    def props(self, value):
        props = {"label": self.label, "name": self.name, "min": self.min, "max": self.max,
                 "step": self.step, "value": value, "locks": True, "locked": value is not None,
                 "version": self.version}
        if self.unit:
            props["unit"] = self.unit
        return props


class Tabs(_OptionWidget):
    KIND = "tabs"

    def __init__(self, name, options, default=None):
        super().__init__(name, "Tabs", options, default if default is not None else next(iter(options)))

    def props(self, value):  # children are attached by the container in ui.py
        return {"name": self.name, "value": value}
