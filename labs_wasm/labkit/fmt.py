"""Number formatting for lab text: every number a student reads goes through here."""
from __future__ import annotations

import math
import re

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
    places = digits - 1 - mag  # negative: round to tens, hundreds... (1,030,208 -> 1,030,000)
    decimals = max(0, places)
    text = f"{round(x, places):,.{decimals}f}"
    if "." in text:  # significant figures, not padding: "50.0" -> "50", "1.20" -> "1.2"
        text = text.rstrip("0").rstrip(".")
    return text


_PLAIN_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def tex(text: str) -> str:
    """A ``num`` result inside TeX math: "8.2 × 10⁹" -> "8.2 \\times 10^{9}", "1,030" ->
    "1{,}030" (a bare comma is punctuation in TeX and gets a space after it)."""
    mantissa, _, power = text.replace(",", "{,}").partition(" × 10")
    return f"{mantissa} \\times 10^{{{power.translate(_PLAIN_DIGITS)}}}" if power else mantissa


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


def gap_text(actual: float, predicted: float, close: float = 2.0,
             directions: tuple[str, str] = ("under-estimate", "over-estimate")
             ) -> tuple[float, str]:
    """The prediction gap as the ratio actual/predicted, and the sentence stating it.

    ``close``: factor within which a prediction counts as right ("within 1.2x").
    ``directions``: words for actual > predicted and actual < predicted.
    """
    if not (predicted > 0 and actual > 0):
        raise ValueError(f"gap needs positive values, got predicted={predicted!r}, "
                         f"actual={actual!r}")
    r = actual / predicted
    factor = max(r, 1 / r)
    if factor < close:
        return r, f"within {ratio(factor)}"
    direction = directions[0] if r > 1 else directions[1]
    return r, f"off by {ratio(factor)} ({direction})"


_SI = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")]
_BIN = [(2 ** 40, "Ti"), (2 ** 30, "Gi"), (2 ** 20, "Mi"), (2 ** 10, "Ki"), (1, "")]


def si(x: float, unit: str, digits: int = 3) -> str:
    """Decimal SI prefix: si(989e12, "FLOP/s") -> "989 TFLOP/s", si(0.05e9, "B/s") -> "50 MB/s"."""
    if x == 0:
        return f"0 {unit}"
    if abs(x) >= 1e21:   # past a million of the largest prefix: "6.35 × 10²⁴ FLOP"
        return f"{num(x, digits)} {unit}"
    for scale, prefix in _SI:
        if abs(x) >= scale:
            return f"{num(x / scale, digits)} {prefix}{unit}"
    return f"{num(x, digits)} {unit}"


def binary(x: float, unit: str = "B", digits: int = 3) -> str:
    """Binary prefix: binary(2 ** 20) -> "1 MiB"."""
    for scale, prefix in _BIN:
        if abs(x) >= scale:
            return f"{num(x / scale, digits)} {prefix}{unit}"
    return f"{num(x, digits)} {unit}"


def duration(seconds: float, digits: int = 3) -> str:
    """A time in the unit that reads best: 2.95e-5 -> "29.5 µs", 8.5 -> "8.5 s"."""
    for scale, unit in ((3600.0, "h"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if abs(seconds) >= scale:
            return f"{num(seconds / scale, digits)} {unit}"
    return f"{num(seconds, digits)} s"


def percent(fraction: float, decimals: int = 1) -> str:
    return f"{fraction * 100:.{decimals}f}%"


def usd(x: float) -> str:
    """Dollars: 50000 -> "$50,000", 0.05 -> "$0.05", 12.5 -> "$12.50"."""
    if abs(x) >= 100:
        return f"${x:,.0f}"
    return f"${x:,.2f}"


# Quantities by dimension: the unit a student reads for each (pint dimensionality strings).
_BY_DIMENSION = {
    "[information]": lambda m: si(m, "B"),
    "[time]": duration,
    "1 / [time]": lambda m: si(m, "/s"),
    "[information] / [time]": lambda m: si(m, "B/s"),
    "[compute]": lambda m: si(m, "FLOP"),
    "[compute] / [time]": lambda m: si(m, "FLOP/s"),
    "[currency]": usd,
    "[length] ** 2 * [mass] / [time] ** 3": lambda m: si(m, "W"),
    "[length] ** 2 * [mass] / [time] ** 2": lambda m: si(m / 3.6e6, "Wh") if m >= 3600 else si(m, "J"),
    "[carbon]": lambda m: si(m, "g") + "CO₂e",
    "dimensionless": num,
}
_BASE = {"[information]": "B", "[time]": "s", "1 / [time]": "1/s", "[information] / [time]": "B/s",
         "[compute]": "FLOP", "[compute] / [time]": "FLOP/s", "[currency]": "USD",
         "[length] ** 2 * [mass] / [time] ** 3": "W", "[length] ** 2 * [mass] / [time] ** 2": "J",
         "[carbon]": "gCO2e", "dimensionless": ""}


def quantity(q) -> str:
    """A pint Quantity from the engine in the unit that reads best for its dimension:
    quantity(Q_(141.2e9, "B")) -> "141 GB", a time -> fmt.duration, a rate -> "120 /s".
    Binary capacities stay decimal here: use fmt.binary for memories quoted in MiB."""
    dim, units = str(q.dimensionality), format(q.units, "D")  # full unit names
    if dim not in _BY_DIMENSION:
        return f"{num(q.magnitude)} {q.units:~P}"
    m = q.m_as(_BASE[dim]) if _BASE[dim] else q.m_as("")
    if not math.isfinite(m):
        return "unbounded"
    if dim == "[information]" and ("bibyte" in units or _binary_round(m)):
        return binary(m)                                   # a memory quoted in MiB stays MiB
    if dim == "1 / [time]":                               # "120 tokens/s", not "120 /s"
        counted = next((w for w in _COUNTS if w in units), None)
        if counted:
            return f"{num(m)} {_COUNTS[counted]}/s"
    return _BY_DIMENSION[dim](m)


def _binary_round(m: float) -> bool:
    """True for a byte count that is a whole number of KiB/MiB/GiB but not of kB/MB/GB (a
    capacity quoted in binary units that arithmetic turned into bytes: 2,097,152 B = 2 MiB)."""
    for k in (3, 2, 1):
        if m >= 1000 ** k:
            return m % 1000 ** k != 0 and m % 1024 ** k == 0
    return False


_COUNTS = {"token": "tokens", "request": "requests", "sample": "samples", "image": "images",
           "query": "queries", "inference": "inferences", "label": "labels"}


# ---- values from a student's saved state, shown in lab text --------------------------------
# Every ASCII punctuation character CommonMark lets a backslash escape, except the three that
# become entities: escaping them all also stops GFM autolinks ("http\\://"), emphasis, links,
# images, code spans and TeX (math.js keeps "\\$" as a dollar).
_MD_PUNCT = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Control characters (newlines would start Markdown blocks), the private-use pair math.js uses
# to mark formulas, and bidirectional overrides (they reorder the text around the value).
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ue000\ue001\u202a-\u202e\u2066-\u2069]")


def literal(value, limit: int = 60) -> str:
    """Any value (a saved answer, a control value, a ledger field) as inert Markdown: the
    student reads exactly its characters, and nothing in it is taken as Markdown, HTML or TeX.
    Longer than ``limit`` characters, it is cut and ends with an ellipsis.

    literal("<b>x</b>") -> "&lt;b&gt;x&lt;/b&gt;"; literal("$x$") -> "\\$x\\$".
    """
    text = value if isinstance(value, str) else _plain(value)
    text = _UNSHOWABLE.sub(" ", text)
    if len(text) > limit:
        text = text[: max(1, limit - 1)].rstrip() + "…"
    text = _MD_PUNCT.sub(r"\\\1", text)
    # The page links "@sec-..." in rendered text; an invisible word joiner after "@" keeps a
    # saved "@sec-intro" as the characters the student typed.
    return "".join(_ENTITIES.get(c, c) for c in text).replace("@", "@\u2060")


def _plain(value) -> str:
    """A non-string value as a student would write it: 42, 0.5, true, [1, 2]."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    try:
        return str(value)
    except (RecursionError, ValueError):   # a pathologically nested list, a huge int
        return type(value).__name__
