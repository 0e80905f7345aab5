"""The bench's one table: a row per metric with our page's value, the naive page's, their
ratio (naive / ours: how many times better ours is), the target and whether it was met.
Pure Python (no browser), so its verdicts are unit-tested."""
from __future__ import annotations

from dataclasses import dataclass, field

MET, MISSED, NO_TARGET, UNMEASURED = "met", "missed", "", "not measured"
UNITS = ("ms", "s", "MB")


@dataclass(frozen=True)
class Target:
    """Every bound given must hold: ours <= at_most; naive / ours >= ratio_at_least;
    ours <= naive when not_above_naive."""
    at_most: float | None = None
    ratio_at_least: float | None = None
    not_above_naive: bool = False

    def describe(self, unit: str) -> str:
        parts = []
        if self.at_most is not None:
            parts.append(f"<= {self.at_most:g} {unit}")
        if self.ratio_at_least is not None:
            parts.append(f">= {self.ratio_at_least:g}x naive")
        if self.not_above_naive:
            parts.append("<= naive")
        return " and ".join(parts)

    def verdict(self, ours, naive) -> str:
        if not _is_number(ours):
            return MISSED if ours is not None else UNMEASURED
        needs_naive = self.ratio_at_least is not None or self.not_above_naive
        if needs_naive and not _is_number(naive) and not isinstance(naive, NotReady):
            return UNMEASURED
        ok = self.at_most is None or ours <= self.at_most
        if isinstance(naive, NotReady):  # the naive page never got there: it is slower than any ratio
            return MET if ok else MISSED
        if self.ratio_at_least is not None:
            ok = ok and ours > 0 and naive / ours >= self.ratio_at_least
        if self.not_above_naive:
            ok = ok and ours <= naive
        return MET if ok else MISSED


@dataclass(frozen=True)
class NotReady:
    """A page that was still not ready when the bench stopped waiting."""
    after_s: float

    def __str__(self) -> str:
        return f"not ready after {self.after_s:g} s"


@dataclass(frozen=True)
class Outcome:
    """A value that is a sentence, not a number (e.g. "full navigation, ready 950 ms")."""
    text: str
    verdict: str = MISSED

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    metric: str
    unit: str
    ours: float | Outcome | NotReady | None
    naive: float | NotReady | None = None
    target: Target | None = None
    notes: list[str] = field(default_factory=list)
    section: str = ""   # which part of the bench measured it (the report's notes use it)

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"{self.metric}: unit {self.unit!r} is not one of {UNITS}")

    @property
    def ratio(self) -> float | None:
        if _is_number(self.ours) and _is_number(self.naive) and self.ours > 0:
            return self.naive / self.ours
        return None

    def ratio_text(self) -> str:
        if self.ratio is not None:
            return f"{self.ratio:.1f}x"
        if isinstance(self.naive, NotReady) and self.unit == "ms" and _is_number(self.ours) and self.ours > 0:
            return f"> {self.naive.after_s * 1000 / self.ours:.1f}x"  # a lower bound: naive was still loading
        return ""

    @property
    def verdict(self) -> str:
        if isinstance(self.ours, Outcome):
            return self.ours.verdict
        if self.target is None:
            return NO_TARGET
        return self.target.verdict(self.ours, self.naive)

    def cells(self) -> list[str]:
        return [self.metric, _cell(self.ours, self.unit), _cell(self.naive, self.unit), self.ratio_text(),
                "" if self.target is None else self.target.describe(self.unit), self.verdict]

    def as_json(self) -> dict:
        def value(v):
            return v if v is None or _is_number(v) else str(v)
        return {"metric": self.metric, "unit": self.unit, "ours": value(self.ours), "naive": value(self.naive),
                "ratio_naive_over_ours": self.ratio,
                "target": None if self.target is None else self.target.describe(self.unit),
                "verdict": self.verdict, "notes": self.notes}


HEADER = ["metric", "ours", "naive", "ratio", "target", "met/missed"]


def render(rows: list[Row]) -> str:
    """A Markdown table, padded so it also reads in a terminal."""
    lines = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    def fmt(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    notes = [f"  {r.metric}: {n}" for r in rows for n in r.notes]
    return "\n".join([fmt(HEADER), rule, *map(fmt, lines[1:])] + (["", "notes:", *notes] if notes else []))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(v: float, unit: str) -> str:
    if unit == "ms":
        return f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms"
    if unit == "s":
        return f"{v:.1f} s"
    return f"{v:.1f} MB"


def _cell(v, unit: str) -> str:
    if v is None:
        return ""
    return _number(v, unit) if _is_number(v) else str(v)
