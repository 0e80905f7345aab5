"""Public handles on the engine's one unit registry.

``ureg`` is the only pint registry of the engine; quantities from another registry cannot be
mixed with ours (pint raises), so always build them with ``Q_``::

    >>> from mlsysim.core.constants import Q_
    >>> (Q_("4 GFLOP") / Q_("989 TFLOPs/s")).to("us")
"""
from ._units import BYTES_PER_ELEMENT, Q_, ureg

__all__ = ["Q_", "ureg", "BYTES_PER_ELEMENT", "bytes_per_element", "precision_bytes"]


def precision_bytes(precision: str, name: str = "precision") -> float:
    """Bytes per element of a named precision as a float (``"fp16"`` -> 2.0); ``name`` is the
    input named in the error. Resolvers use this form: floats in their hot paths."""
    from .errors import InvalidInputError

    try:
        return BYTES_PER_ELEMENT[precision.lower()]
    except (KeyError, AttributeError):
        raise InvalidInputError(name, f"one of {', '.join(BYTES_PER_ELEMENT)}", precision) from None


def bytes_per_element(precision: str):
    """Bytes per element of a named precision as a Quantity (``"fp16"`` -> 2 B)."""
    return Q_(precision_bytes(precision), "B")
