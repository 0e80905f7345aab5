"""Number formatting for lab text: every number a student reads goes through here."""
from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def num(x: float, digits: int = 3) -> str:
    """``digits`` significant figures, thousands separators, no scientific notation below
    10^9 (989000 -> "989,000", 0.0512 -> "0.0512", 2.5e10 -> "2.5 × 10¹⁰")."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        raise ValueError(f"cannot format {x}")
    mag = math.floor(math.log10(abs(x)))
    if abs(x) >= 1e9 or abs(x) < 1e-4:
        mantissa = round(x / 10 ** mag, digits - 1)
        if abs(mantissa) >= 10:  # rounding carried over (9.99 -> 10.0)
            mantissa, mag = mantissa / 10, mag + 1
        return f"{mantissa:g} × 10{str(mag).translate(_SUPERSCRIPT)}"
    decimals = max(0, digits - 1 - mag)
    rounded = round(x, decimals)
    return f"{rounded:,.{decimals}f}"


def pow10(exponent: int) -> str:
    """10 to a power with a superscript: pow10(6) -> "10⁶"."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def order_of_magnitude(x: float) -> int:
    """The nearest power of ten on a log scale: 989,000 -> 6; 3,162 -> 3 (rounds at 10^x.5)."""
    return round(math.log10(x))


def ratio(x: float) -> str:
    """A multiplicative factor: 7.36 -> "7.4x", 989000 -> "989,000x"."""
    if x < 10:
        return f"{x:.1f}x"
    return f"{num(x, 3)}x"


def gap_text(actual: float, predicted: float, close: float = 2.0) -> tuple[float, str]:
    """The prediction gap as the ratio actual/predicted, and the sentence stating it.

    ``close``: factor within which a prediction counts as right ("within 1.2x").
    """
    if not (predicted > 0 and actual > 0):
        raise ValueError(f"gap needs positive values, got predicted={predicted!r}, "
                         f"actual={actual!r}")
    r = actual / predicted
    factor = max(r, 1 / r)
    if factor < close:
        return r, f"within {ratio(factor)}"
    direction = "under-estimate" if r > 1 else "over-estimate"
    return r, f"off by {ratio(factor)} ({direction})"
