"""``Ui``: what a lab's page function writes to. It collects view-tree nodes in order.

Widgets read their value from the state and return it; blocks just append. An unanswered
prediction appends a ``gate`` node and stops the page (nothing after it renders).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from . import contexts as _contexts
from . import fmt
from .errors import LabDefinitionError
from .ledger import HOME_KEY, LedgerEntry, parse_ledger, validate_entry
from .serialize import make_node
from .widgets import (Choice, ChoicePrediction, NumberPrediction, Select, Slider, Tabs,
                      Toggle, Widget, graded_options)
from .words import verdict

TONES = ("info", "success", "warn", "danger")
# Props that are optional in PROTOCOL.md: omitted from the node when None.
_OPTIONAL_PROPS = frozenset({"subtitle", "title", "unit", "tone", "note", "table", "constraints"})


_NONE = object()  # "no earlier answer" (None and every JSON value can be a saved answer)


class GateClosed(Exception):
    """Raised by an unanswered prediction; ``Lab.render`` catches it and stops the page."""


@dataclass(frozen=True)
class Prediction:
    """A committed choice prediction, graded."""

    name: str
    value: str
    label: str
    correct: bool
    feedback: str
    correct_value: str
    correct_label: str


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    unit: str | None = None
    tone: str | None = None
    note: str | None = None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _state_maps(state: Any) -> tuple[dict, dict, dict, dict]:
    """``answers``, ``values``, ``ledger`` and ``asked`` from a state; malformed parts count
    as empty. ``asked`` maps a prediction's name to the version of the question its answer
    was given to; an entry that is not a version string is left out (as if never recorded)."""
    state = state if isinstance(state, dict) else {}
    maps = [state.get(name) for name in ("answers", "values", "ledger", "asked")]
    answers, values, ledger, asked = (m if isinstance(m, dict) else {} for m in maps)
    asked = {k: v for k, v in asked.items() if isinstance(k, str) and isinstance(v, str)}
    return answers, values, ledger, asked


class Ui:
    def __init__(self, lab, state: Any = None):
        self.lab = lab
        self.answers, self.values, raw_ledger, self.asked = _state_maps(state)
        # Other labs' entries only: a lab writes its own entry, it does not read it back (a
        # render that read its own output could change on every save).
        own = getattr(lab, "ledger_key", None)
        self._ledger = {k: e for k, e in parse_ledger(raw_ledger).items() if k != own}
        self.nodes: list[dict] = []
        self._stack: list[tuple[str, list]] = [("lab", self.nodes)]
        self._keys: set[str] = set()
        self._counts: dict[tuple[str, str], int] = {}

    # ---- plumbing -------------------------------------------------------------------
    def _key(self, kind: str, key: str | None) -> str:
        if key is None:
            parent = self._stack[-1][0]
            n = self._counts.get((parent, kind), 0) + 1
            self._counts[(parent, kind)] = n
            key = f"{parent}.{kind}{n}"
        if not isinstance(key, str) or not key:
            raise LabDefinitionError(f"node key must be a non-empty string, got {key!r}")
        if key in self._keys:
            raise LabDefinitionError(f"Duplicate node key {key!r}: every node and widget name "
                                     f"must be unique within a lab; rename one of them")
        self._keys.add(key)
        return key

    def _add(self, kind: str, props: dict, key: str | None = None,
             children: list | None = None) -> dict:
        props = {k: v for k, v in props.items() if not (v is None and k in _OPTIONAL_PROPS)}
        node = make_node(kind, self._key(kind, key), props, children)
        self._stack[-1][1].append(node)
        return node

    @contextmanager
    def _container(self, key: str, children: list) -> Iterator[None]:
        self._stack.append((key, children))
        try:
            yield
        finally:
            self._stack.pop()

    def _widget(self, widget: Widget, source: dict, key: str | None = None) -> tuple[Any, bool]:
        value, from_state = widget.read(source)
        self._add(widget.KIND, widget.props(value), key or widget.name)
        return value, from_state

    def _gate(self, name: str, text: str) -> None:
        self._add("gate", {"text": text}, f"{name}.gate")
        raise GateClosed(name)

    # ---- the Design Ledger, read side -------------------------------------------------
    def ledger_entry(self, key: str) -> LedgerEntry | None:
        """Another lab's saved entry (``"vol1.ch01"``), validated; None when absent or invalid."""
        return self._ledger.get(key)

    def ledger_entries(self) -> tuple[LedgerEntry, ...]:
        """Every other lab's valid saved entry, in book order (Vol I 00..16, Vol II 01..17)."""
        return tuple(self._ledger.values())

    @property
    def home_context(self) -> str | None:
        """The student's home deployment context, recorded by Lab 00 (ledger key vol1.ch00,
        field ``context``); None when there is no valid entry or it names no known context."""
        entry = self._ledger.get(HOME_KEY)
        if entry is None or entry.context not in _contexts.CONTEXTS:
            return None
        return entry.context

    def _context_default(self, default: str | None) -> str | None:
        """The home context when it is one of this lab's contexts, else ``default`` (else the
        toggle's first option). The student's own choice in ``values`` still wins."""
        home = self.home_context
        if home is not None and home in getattr(self.lab, "contexts", ()):
            return home
        return default

    # ---- containers -----------------------------------------------------------------
    @contextmanager
    def section(self, title: str, subtitle: str | None = None,
                key: str | None = None) -> Iterator[None]:
        children: list = []
        node = self._add("section", {"title": title, "subtitle": subtitle},
                         key or f"sec-{slug(title)}", children)
        with self._container(node["key"], children):
            yield

    @contextmanager
    def accordion(self, title: str, key: str | None = None) -> Iterator[None]:
        """A collapsible block; ``math_peek`` is the MathPeek use of it."""
        children: list = []
        node = self._add("accordion", {"title": title}, key, children)
        with self._container(node["key"], children):
            yield

    def math_peek(self, title: str, key: str | None = None):
        """MathPeek: the governing equation, each symbol defined, this case's numbers."""
        return self.accordion(f"MathPeek: {title}", key)

    @contextmanager
    def tabs(self, name: str, options: dict[str, str], default: str | None = None) -> Iterator[str]:
        """Yields the selected tab's value; blocks added inside go into that tab only."""
        widget = Tabs(name, options, default)
        value, _ = widget.read(self.values)
        tabs = [{"value": v, "label": label, "children": []} for v, label in widget.options.items()]
        self._add("tabs", {**widget.props(value), "tabs": tabs}, name)
        selected = next(t for t in tabs if t["value"] == value)
        with self._container(name, selected["children"]):
            yield value

    # ---- text blocks ----------------------------------------------------------------
    def markdown(self, text: str, key: str | None = None) -> None:
        self._add("markdown", {"text": text}, key)

    def callout(self, tone: str, text: str, title: str | None = None,
                key: str | None = None) -> None:
        if tone not in TONES:
            raise LabDefinitionError(f"callout tone {tone!r}: use one of {TONES}")
        self._add("callout", {"tone": tone, "title": title, "text": text}, key)

    def stakeholder(self, persona: str, text: str, key: str | None = None) -> None:
        self._add("stakeholder", {"persona": persona, "text": text}, key)

    # ---- controls -------------------------------------------------------------------
    def toggle(self, name: str, label: str, options: dict[str, str],
               default: str | None = None) -> str:
        """A two-way switch. The one named ``"context"`` is the deployment-context toggle:
        its options are the lab's contexts, each label starts with the context's name
        (labkit.contexts), and it starts on the student's home context when it can."""
        contexts = getattr(self.lab, "contexts", ())
        if name == "context" and contexts:
            if tuple(options) != tuple(contexts):
                raise LabDefinitionError(f"context toggle options {list(options)} must be the "
                                         f"lab's contexts {list(contexts)}, in that order")
            for key, text in options.items():
                if not (isinstance(text, str) and text.startswith(_contexts.name(key))):
                    raise LabDefinitionError(
                        f"context toggle option {key!r}: its label {text!r} must start with "
                        f"the context's name {_contexts.name(key)!r} (use "
                        f"labkit.contexts.label({key!r}, detail))")
            default = self._context_default(default)
            return self._widget(Toggle(name, label, options, default, count=len(contexts)),
                                self.values)[0]
        return self._widget(Toggle(name, label, options, default), self.values)[0]

    def context_toggle(self, details: dict[str, str] | None = None,
                       label: str = "Deployment context") -> str:
        """The deployment-context toggle over the lab's contexts, labelled from
        labkit.contexts (``details``: optional machine per context, "Cloud · NVIDIA H100")."""
        details = details or {}
        options = {key: _contexts.label(key, details.get(key)) for key in self.lab.contexts}
        return self.toggle("context", label, options)

    def select(self, name: str, label: str, options: dict[str, str],
               default: str | None = None) -> str:
        return self._widget(Select(name, label, options, default), self.values)[0]

    def slider(self, name: str, label: str, min: float, max: float, step: float,
               default: float, unit: str | None = None, fmt=None, scale: float = 1) -> float:
        """A range with a linked number box. ``min``/``max``/``step``/``default`` and the
        returned value are in stored units; ``scale`` converts them for the box (a percent
        slider: stored 0.8, ``scale=100, unit="%"``, the box shows and accepts 80). Values
        are rounded to the step's precision, so no float noise reaches the screen."""
        return self._widget(Slider(name, label, min, max, step, default, unit, fmt, scale),
                            self.values)[0]

    def choice(self, name: str, label: str, options: dict[str, str]) -> str | None:
        """An ungraded, non-locking choice (value None until picked)."""
        return self._widget(Choice(name, label, options), self.values)[0]

    # ---- predictions and reflections ------------------------------------------------
    def predict_choice(self, name: str, label: str, options: dict[str, Any],
                       correct: str, gate_text: str | None = None,
                       revision: int = 1) -> Prediction:
        """A locking 4-option prediction. ``options``: {value: (label, feedback)}.

        Unanswered: a gate node follows and the page stops here. The first answer stored in
        ``state["answers"]`` is the one used, unless it was given to an earlier version of
        the question (``state["asked"]``): then the student is asked again. Bump
        ``revision`` when a rewrite makes the question mean something else (its version
        follows the options' values and the revision, not its context-dependent words).
        """
        widget = ChoicePrediction(name, label, options, correct, revision)
        earlier = self._earlier_answer(widget)
        value, _ = self._widget(widget, {} if earlier is not _NONE else self.answers)
        if value is None:
            saved = self.answers.get(name)
            if earlier is not _NONE:
                still_an_option = isinstance(earlier, str) and earlier in widget.options
                shown = f"“{widget.options[earlier] if still_an_option else fmt.literal(earlier)}”"
                self._earlier_callout(name, shown)
            elif saved is not None:
                self.callout("warn", f"Your saved answer “{fmt.literal(saved)}” is not an "
                             "option of this version of the lab. Answer again below; the "
                             "earlier answer stays in your saved record.", key=f"{name}.stale")
            self._gate(name, gate_text or "Commit your prediction above to unlock the "
                       "instruments. Once committed, it cannot be changed.")
        return Prediction(name=name, value=value, label=widget.options[value],
                          correct=value == correct, feedback=widget.feedback[value],
                          correct_value=correct, correct_label=widget.options[correct])

    def predict_number(self, name: str, label: str, min: float, max: float, step: float,
                       unit: str | None = None, gate_text: str | None = None,
                       revision: int = 1) -> float:
        """A locking bounded number. A stored answer out of range shows an error node and
        keeps the gate closed (it is never silently clamped). An answer given to an earlier
        version of the question (another unit or ``revision``) is not used: asked again."""
        widget = NumberPrediction(name, label, min, max, step, unit, revision)
        earlier = self._earlier_answer(widget)
        value, _ = self._widget(widget, {} if earlier is not _NONE else self.answers)
        if value is None:
            raw = self.answers.get(name)
            if earlier is not _NONE:
                shown = fmt.literal(earlier) + (f" {fmt.literal(unit)}" if unit else "")
                self._earlier_callout(name, shown)
            elif raw is not None:
                self.callout("danger", f"Cannot use your answer: {widget.check(raw)}. Answer "
                             "again below; the earlier answer stays in your saved record.",
                             title="Answer out of range", key=f"{name}.error")
            self._gate(name, gate_text or "Commit your estimate above to unlock the instruments.")
        return value

    def _earlier_answer(self, widget: Widget) -> Any:
        """The saved answer when it was given to another version of this question, else
        ``_NONE``. Answers saved before versions were recorded (no ``asked`` entry) count as
        answers to this version."""
        name = widget.name
        saved = self.answers.get(name)
        asked = self.asked.get(name)
        if saved is None or asked is None or asked == widget.version:
            return _NONE
        return saved

    def _earlier_callout(self, name: str, shown: str) -> None:
        """``shown``: the earlier answer as safe Markdown (an option's label, or a value
        through ``fmt.literal``)."""
        self.callout("info", f"You answered an earlier version of this question: {shown}. "
                     "The question has changed since then, so answer it again below. Your "
                     "earlier answer stays in your saved record.",
                     title="This question has changed", key=f"{name}.earlier")

    def reflection(self, name: str, label: str, options: dict[str, Any], correct: str) -> str | None:
        """A graded 4-option question that does not lock; its feedback shows once picked."""
        labels, feedback = graded_options("reflection", name, options, correct)
        value = self._widget(Choice(name, label, labels), self.values)[0]
        if value is not None:
            right = value == correct
            self.callout("success" if right else "warn", feedback[value],
                         title=verdict(right).capitalize(), key=f"{name}.feedback")
        return value

    # ---- instruments ----------------------------------------------------------------
    def metrics(self, items: Iterable[Metric | dict], key: str | None = None) -> None:
        out = []
        for item in items:
            m = item if isinstance(item, Metric) else Metric(**item)
            if not isinstance(m.value, str):
                raise LabDefinitionError(f"metric {m.label!r}: value must be a formatted string, "
                                         f"got {m.value!r} (use labkit.fmt)")
            if m.tone is not None and m.tone not in TONES:
                raise LabDefinitionError(f"metric {m.label!r}: tone {m.tone!r} not in {TONES}")
            out.append({k: v for k, v in m.__dict__.items() if v is not None})
        self._add("metrics", {"items": out}, key)

    @staticmethod
    def _table_props(caption: str, columns: list[str], rows: list[list[str]]) -> dict:
        if not caption:
            raise LabDefinitionError("a table needs a caption")
        for i, row in enumerate(rows):
            if len(row) != len(columns):
                raise LabDefinitionError(f"table {caption!r} row {i} has {len(row)} cells, "
                                         f"expected {len(columns)} ({columns})")
            if not all(isinstance(c, str) for c in row):
                raise LabDefinitionError(f"table {caption!r} row {i}: cells must be formatted "
                                         f"strings, got {row!r}")
        return {"caption": caption, "columns": list(columns), "rows": [list(r) for r in rows]}

    def table(self, caption: str, columns: list[str], rows: list[list[str]],
              key: str | None = None) -> None:
        self._add("table", self._table_props(caption, columns, rows), key)

    def figure(self, figure: dict, caption: str, key: str | None = None,
               table: dict | None = None) -> None:
        """A Plotly figure (plain dict). ``caption`` is required: it is the text alternative."""
        if not isinstance(figure, dict) or not isinstance(figure.get("data"), list):
            raise LabDefinitionError("figure must be a dict with a 'data' list (Plotly JSON)")
        if not isinstance(caption, str) or not caption.strip():
            raise LabDefinitionError(f"figure {key!r}: a caption (text alternative) is required")
        props = {"figure": {"data": figure["data"], "layout": figure.get("layout", {})},
                 "caption": caption,
                 "table": self._table_props(**table) if table else None}
        self._add("figure", props, key)

    def banner(self, title: str, text: str, required: str, available: str,
               key: str | None = None, constraints: list[dict] | None = None) -> None:
        """The failure state: a physical constraint violated, required vs available.
        ``constraints`` lists every violated constraint ({name, required, available}, as
        formatted strings) when there is more than one; ``required``/``available`` are the
        headline. Labs with an engine result use ``failure`` instead."""
        if not (isinstance(required, str) and isinstance(available, str)):
            raise LabDefinitionError("banner required/available must be formatted strings")
        self._add("banner", {"title": title, "text": text, "required": required,
                             "available": available, "constraints": constraints}, key)

    def failure(self, title: str, violations, text: str, key: str | None = None,
                show=None) -> None:
        """The failure banner for an engine result's violated constraints (``result.violations``):
        every constraint with its required and available amounts, the worst (largest
        required / available) as the headline, so the banner states the engine's numbers and
        only those. ``show`` formats a Quantity (default ``fmt.quantity``)."""
        show = show or fmt.quantity
        violations = list(violations)
        if not violations:
            raise LabDefinitionError(f"failure {title!r}: no violated constraint to show")
        worst = max(violations, key=lambda v: v.ratio)
        rows = [{"name": v.name, "required": show(v.required), "available": show(v.available)}
                for v in violations]
        self.banner(title, text, required=f"{worst.name}: {show(worst.required)}",
                    available=show(worst.available), key=key,
                    constraints=rows if len(rows) > 1 else None)

    def reveal(self, prediction: "Prediction", actual_text: str, text: str,
               key: str | None = None) -> None:
        """Prediction vs reality for a CHOICE prediction: right or wrong, with the measured
        values (``actual_text``). A category has no ratio; numeric predictions use
        ``overlay``."""
        if not isinstance(prediction, Prediction):
            raise LabDefinitionError("reveal() takes the Prediction returned by predict_choice")
        self._add("overlay", {"mode": "choice", "predicted": prediction.label,
                              "actual": actual_text, "verdict": verdict(prediction.correct),
                              "text": text, "tone": "success" if prediction.correct else "warn"},
                  key)

    def overlay(self, predicted: float, actual: float, predicted_text: str, actual_text: str,
                text: str, close: float = 2.0, key: str | None = None,
                directions: tuple[str, str] = ("under-estimate", "over-estimate")) -> float:
        """Prediction vs reality for a NUMERIC prediction: the gap as the ratio
        actual/predicted. Returns the ratio. ``close``: factor within which the prediction
        counts as close. (A choice prediction uses ``reveal``: right or wrong, no ratio.)
        """
        ratio, ratio_text = fmt.gap_text(actual, predicted, close, directions)
        self._add("overlay", {"mode": "number", "predicted": predicted_text,
                              "actual": actual_text, "ratio": ratio, "ratio_text": ratio_text,
                              "text": text,
                              "tone": "success" if max(ratio, 1 / ratio) < close else "warn"},
                  key)
        return ratio

    # ---- ledger and reset -----------------------------------------------------------
    def ledger(self, entry: dict, summary: Iterable[tuple[str, str]], key: str = "ledger") -> None:
        validate_entry(entry, getattr(self.lab, "ledger_key", None))
        items = [{"label": str(label), "value": str(value)} for label, value in summary]
        self._add("ledger", {"entry": entry, "summary": items}, key)

    def reset(self, label: str = "Reset this lab", key: str = "reset") -> None:
        self._add("reset", {"label": label}, key)
