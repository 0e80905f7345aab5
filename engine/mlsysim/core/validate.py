"""Input checks shared by every resolver: one place for the message style."""
from __future__ import annotations

from numbers import Real
from typing import Any

import pint

from ._units import Q_, ureg
from .errors import InvalidInputError


def quantity(name: str, value: Any, dimension: str, *, positive: bool = True,
             allow_zero: bool = False, example: str | None = None):
    """Return ``value`` as a Quantity of ``dimension`` (e.g. ``"[time]"``, ``"B/s"``), or raise.

    Strings are parsed ("10 ms"). Plain numbers are rejected for dimensioned inputs, since a
    bare 10 could be seconds or milliseconds.
    """
    expected = f"a {'positive ' if positive else ''}quantity of {dimension}"
    if example:
        expected += f" (e.g. {example!r})"
    try:
        q = Q_(value) if isinstance(value, str) else value
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        raise InvalidInputError(name, expected, value) from None
    if not isinstance(q, ureg.Quantity):
        raise InvalidInputError(name, expected, value, "Attach a unit with Q_().")
    wanted = (ureg.get_dimensionality(dimension) if dimension.startswith("[")
              else ureg.parse_units(dimension).dimensionality)
    if q.dimensionality != wanted:
        raise InvalidInputError(name, expected, value)
    if positive:
        m = q.magnitude
        if m != m or m < 0 or (m == 0 and not allow_zero):
            raise InvalidInputError(name, expected, value)
    return q


def number(name: str, value: Any, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, integer: bool = False):
    """Return a plain number within [lo, hi] (or (lo, hi] with ``lo_open``), or raise."""
    if isinstance(value, ureg.Quantity) and value.dimensionless:
        value = value.to("").magnitude
    ok = isinstance(value, Real) and not isinstance(value, bool) and value == value
    if ok and integer:
        ok = float(value).is_integer()
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value <= hi
    if not ok:
        lo_s = "-inf" if lo is None else lo
        hi_s = "inf" if hi is None else hi
        kind = "an integer" if integer else "a number"
        raise InvalidInputError(name, f"{kind} in {'(' if lo_open else '['}{lo_s}, {hi_s}]", value)
    return int(value) if integer else value
