"""Public handles on the engine's one unit registry.

``ureg`` is the only pint registry of the engine; quantities from another registry cannot be
mixed with ours (pint raises), so always build them with ``Q_``::

    >>> from mlsysim.core.constants import Q_
    >>> (Q_("4 GFLOP") / Q_("989 TFLOPs/s")).to("us")
"""
from ._units import BYTES_PER_ELEMENT, Q_, ureg

__all__ = ["Q_", "ureg", "BYTES_PER_ELEMENT", "bytes_per_element"]


def bytes_per_element(precision: str):
    """Bytes per element of a named precision (``"fp16"`` -> 2 B)."""
    from .errors import InvalidInputError

    try:
        return Q_(BYTES_PER_ELEMENT[precision.lower()], "B")
    except (KeyError, AttributeError):
        raise InvalidInputError(
            "precision", f"one of {', '.join(BYTES_PER_ELEMENT)}", precision
        ) from None
