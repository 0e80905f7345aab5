"""Choice predictions whose options are bands of a computed value ("2x to 4x"): which option
holds the engine's answer, and one representative value of an option for the ledger."""
from __future__ import annotations

import math


def band_of(value: float, bands: dict[str, tuple[float, float]]) -> str:
    """The key of the band ``lo <= value < hi`` holding ``value``."""
    for key, (lo, hi) in bands.items():
        if lo <= value < hi:
            return key
    raise ValueError(f"{value!r} lies in none of the bands {bands}: widen them")


def log_middle(bands: dict[str, tuple[float, float]], key: str) -> float:
    """A band's middle on a log scale (its geometric mean), for bands of ratios; an open band
    counts as twice its lower edge, a band from zero as half its upper edge."""
    lo, hi = bands[key]
    if hi == math.inf:
        return lo * 2
    return hi / 2 if lo == 0 else math.sqrt(lo * hi)
