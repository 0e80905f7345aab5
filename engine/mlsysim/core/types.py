"""Types used in annotations across the engine."""
from ._units import ureg

#: The quantity class of the engine's registry (``isinstance(x, Quantity)`` works).
Quantity = ureg.Quantity

__all__ = ["Quantity"]
