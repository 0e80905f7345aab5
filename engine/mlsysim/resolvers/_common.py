"""Helpers shared by the built-in resolvers: unit handles, input checks, magnitude access.

Resolvers compute with plain floats in SI-like base units (s, B, FLOP, W, USD) and wrap the
outputs in Quantities at the end: pint arithmetic costs microseconds per operation and a
resolver call must stay under 1 ms. Unit objects are built once here, never parsed from
strings in a hot path.
"""
from __future__ import annotations

from typing import Any

from ..core import validate
from ..core._units import Q_, ureg
from ..core.constants import precision_bytes  # noqa: F401  (re-exported for resolvers)
from ..core.errors import InvalidInputError
from ..core.results import Constraint

# Unit handles, built once.
S = ureg.second
MS = ureg.millisecond
US = ureg.microsecond
HOUR = ureg.hour
DAY = ureg.day
B = ureg.byte
GB = ureg.gigabyte
GIB = ureg.gibibyte
FLOP = ureg.FLOP
FLOPS = ureg.FLOP / ureg.second
B_PER_S = ureg.byte / ureg.second
GB_PER_S = ureg.gigabyte / ureg.second
FLOP_PER_B = ureg.FLOP / ureg.byte
W = ureg.watt
J = ureg.joule
KWH = ureg.kilowatt_hour
USD = ureg.dollar
G_CO2 = ureg.gram_CO2e
DIMLESS = ureg.dimensionless

# Dimension strings for validate.quantity (bracket form is the fast path).
TIME = "[time]"
BYTES = "[information]"
BANDWIDTH = "[information]/[time]"
COMPUTE = "[compute]"
COMPUTE_RATE = "[compute]/[time]"
POWER = "[mass]*[length]**2/[time]**3"
ENERGY = "[mass]*[length]**2/[time]**2"
CURRENCY = "[currency]"
RATE = "[time]**-1"


def q(value: float, unit) -> Any:
    """A Quantity from a float and a prebuilt unit object."""
    return Q_(value, unit)


def mag(x, unit) -> float:
    """Magnitude of Quantity ``x`` in ``unit`` (a unit object)."""
    return x.m_as(unit)


def qty(name: str, value, dimension: str, unit, *, allow_zero: bool = False,
        example: str | None = None) -> float:
    """Validate a non-negative quantity input and return its magnitude in ``unit``."""
    return validate.quantity(name, value, dimension, allow_zero=allow_zero,
                             example=example).m_as(unit)


def opt_qty(name: str, value, dimension: str, unit, **kw) -> float | None:
    return None if value is None else qty(name, value, dimension, unit, **kw)


def num(name: str, value, **kw):
    return validate.number(name, value, **kw)


def fraction(name: str, value, *, allow_zero: bool = False, allow_one: bool = True) -> float:
    """A number in (0, 1] (or [0, 1] / (0, 1) as asked)."""
    v = validate.number(name, value, lo=0.0, hi=1.0, lo_open=not allow_zero)
    if not allow_one and v == 1.0:
        raise InvalidInputError(name, "a number in (0, 1)", value)
    return v


def positive_int(name: str, value, *, lo: int = 1) -> int:
    return validate.number(name, value, lo=lo, integer=True)


def choice(name: str, value, options) -> str:
    if value not in options:
        raise InvalidInputError(name, f"one of {', '.join(map(repr, options))}", value)
    return value


def by_name(registry: str, value, name: str):
    """A registry entry given by name ("H100") -> the entry; anything else unchanged. An
    unknown name is an invalid input (naming the input and what exists)."""
    if isinstance(value, str):
        import mlsysim

        from ..core.errors import UnknownEntryError
        try:
            return getattr(mlsysim, registry).get(value)
        except UnknownEntryError as exc:
            raise InvalidInputError(name, f"an entry of mlsysim.{registry}", value,
                                    str(exc)) from None
    return value


def need_hardware(hardware, name: str = "hardware"):
    """A HardwareNode (or its registry name)."""
    hardware = by_name("Hardware", hardware, name)
    if not (hasattr(hardware, "compute") and hasattr(hardware, "memory")):
        raise InvalidInputError(name, "a HardwareNode (e.g. mlsysim.Hardware.Cloud.H100)",
                                hardware)
    return hardware


def need_model(model, name: str = "model"):
    """A Workload (or its registry name)."""
    model = by_name("Models", model, name)
    if not (hasattr(model, "parameters") and hasattr(model, "size_in_bytes")):
        raise InvalidInputError(name, "a Workload (e.g. mlsysim.Models.Language.Llama3_8B)",
                                model)
    return model


def precision_for(precision: str | None, hardware=None, model=None) -> str:
    """THE precision rule, used by every resolver. One precision describes a run: the bytes
    of its weights and activations and the arithmetic rate it gets. It is ``precision`` when
    given; otherwise the hardware's default (the format its datasheet peak is quoted in) when
    a device is an input; otherwise the model's default."""
    if precision is not None:
        precision_bytes(precision)  # raises InvalidInputError for an unknown name
        return precision.lower()
    if hardware is not None:
        return hardware.compute.default_precision
    if model is not None:
        return model.default_precision
    return "fp16"


def violation(name: str, required: float, available: float, unit) -> list:
    """[Constraint] when ``required`` exceeds ``available`` (floats in ``unit``), else []."""
    if required <= available:
        return []
    return [Constraint(name, q(required, unit), q(available, unit))]


def peak_flops(hardware, precision: str) -> float:
    """Dense peak FLOP/s of ``hardware`` at ``precision`` (raises naming the precisions the
    device lists when it has no peak at that one)."""
    return hardware.compute.peak(precision).m_as(FLOPS)


def forward_flops(model, name: str = "model") -> float:
    f = getattr(model, "flops_per_inference", None)
    if f is None:
        raise InvalidInputError(name, "a model with flops_per_inference",
                                getattr(model, "name", model),
                                "Pass ops= explicitly, or pick a registry model that has it.")
    return f.m_as(FLOP)


def bytes_of(model, precision: str) -> float:
    """Weight bytes of ``model`` at ``precision`` (parameters x bytes/element)."""
    return float(model.parameters) * precision_bytes(precision)


def fleet_parts(fleet, name: str = "fleet"):
    """(accelerator HardwareNode, number of accelerators, cluster-or-None) of a fleet input.

    Accepts a Cluster (node.hardware, total_accelerators), a Node (hardware, accelerators) or
    a bare HardwareNode (one device), or the registry name of any of them.
    """
    if isinstance(fleet, str):
        import mlsysim

        fleet = by_name("Systems" if fleet in mlsysim.Systems else "Hardware", fleet, name)
    if hasattr(fleet, "total_accelerators") and hasattr(fleet, "node"):
        return fleet.node.hardware, int(fleet.total_accelerators), fleet
    if hasattr(fleet, "accelerators") and hasattr(fleet, "hardware"):
        return fleet.hardware, int(fleet.accelerators), fleet
    if hasattr(fleet, "compute") and hasattr(fleet, "memory"):
        return fleet, 1, None
    raise InvalidInputError(name, "a Cluster, Node or HardwareNode "
                            "(e.g. mlsysim.Systems.Clusters.Frontier_8K)", fleet)
