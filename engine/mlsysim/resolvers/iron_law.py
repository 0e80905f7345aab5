"""The Iron Law of ML performance and the roofline.

Time for one step of work (one batch of inferences, or one kernel):

    additive:    T = D / BW + O / (R * eta) + L
    overlapped:  T = max(D / BW, O / (R * eta)) + L

D bytes moved from memory, BW memory bandwidth, O operations (FLOP), R peak FLOP/s at the
precision, eta the achieved fraction of peak, L fixed overhead (dispatch/launch latency).
The additive form assumes no overlap of data movement and compute (a pessimistic bound);
the overlapped form assumes perfect overlap (an optimistic bound). Real kernels fall between.
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from ..core.errors import InvalidInputError
from . import _common as c

#: Default kernel launches per inference when the model does not say: one per layer, i.e.
#: each layer runs as one fused kernel (the best case; unfused graphs launch several kernels
#: per layer, see DispatchOverheadModel).
KERNELS_PER_LAYER = assume(
    "iron_law.KERNELS_PER_LAYER", 1, "illustrative",
    "teaching default: one fused kernel per layer (the best case)", None,
    "eager frameworks launch several kernels per layer; pass kernels= to override")


class IronLawResult(CheckedResult):
    data_bytes: Quantity
    weight_bytes: Quantity
    activation_bytes: Quantity
    ops: Quantity
    t_memory: Quantity
    t_compute: Quantity
    t_overhead: Quantity
    total: Quantity
    total_additive: Quantity
    total_overlapped: Quantity
    overlapped: bool
    binding: str
    arithmetic_intensity: Quantity
    ridge_point: Quantity
    share_memory: float
    share_compute: float
    share_overhead: float
    throughput: Quantity
    batch_size: int
    precision: str
    mfu: float
    kernels: int
    activation_note: str


def _data_and_ops(model, precision, batch, data_bytes, ops):
    """Bytes moved and FLOP for one batch: weights once + activations per sample."""
    if model is None:
        if data_bytes is None or ops is None:
            raise InvalidInputError("model", "a Workload, or both data_bytes and ops", None)
        d = c.qty("data_bytes", data_bytes, c.BYTES, c.B)
        o = c.qty("ops", ops, c.COMPUTE, c.FLOP)
        return d, 0.0, o, "explicit data_bytes and ops (batch_size not applied)"
    bpe = c.precision_bytes(precision)
    weights = float(model.parameters) * bpe
    act = getattr(model, "peak_activation_bytes", None)
    if act is not None:
        # Registry activation sizes are stored at the model's default precision.
        base = c.precision_bytes(model.default_precision, "model.default_precision")
        per_sample = act.m_as(c.B) * bpe / base
        note = "peak_activation_bytes per sample, scaled to the precision"
    else:
        per_sample = 0.0
        note = ("model has no peak_activation_bytes: weights only "
                "(a lower bound on data moved)")
    d = weights + batch * per_sample if data_bytes is None else c.qty(
        "data_bytes", data_bytes, c.BYTES, c.B)
    o = batch * c.forward_flops(model) if ops is None else c.qty(
        "ops", ops, c.COMPUTE, c.FLOP)
    return d, batch * per_sample, o, note


def _capacity(hardware, model, precision: str, activations: float) -> list:
    """A model that does not fit the device is a violated capacity constraint (the times are
    then those of a device that could hold it). Explicit data_bytes describe traffic, not a
    resident model, so they are not checked."""
    if model is None:
        return []
    from .memory import capacity_checks, capacity_violations
    weights = float(model.parameters) * c.precision_bytes(precision)
    return capacity_violations(capacity_checks(hardware, weights, activations))


class IronLawModel(BaseModel):
    """Latency of one batch: memory term, compute term, overhead, and which one binds.

    Data moved per batch of b inferences = weights once (parameters x bytes/element at the
    precision) + b x activations (``model.peak_activation_bytes`` per sample, scaled from
    the model's default precision; omitted, and said so, when the model lacks it).
    Ops = b x ``model.flops_per_inference``. Or give ``data_bytes`` and ``ops`` directly.
    ``mfu`` is the Iron Law's eta, the achieved fraction of peak (1: the best case).

    The model must fit the device first: weights and activations beyond its memory (flash and
    SRAM on a microcontroller) are violated "<memory> capacity" constraints, as in
    MemoryFootprintModel; the times are still computed.

    Overhead L, when not given: ``hardware.dispatch_overhead`` x ``kernels`` launches, by
    default one per layer of the model (``model.layers``; 1 if unknown). A device without
    ``dispatch_overhead`` gets L = 0.
    """

    requires = ("hardware",)
    produces = IronLawResult

    def solve(self, *, hardware, model=None, data_bytes=None, ops=None, precision=None,
              batch_size=1, mfu=1.0, overhead=None, kernels=None,
              overlap=False) -> IronLawResult:
        hardware = c.need_hardware(hardware)
        model = None if model is None else c.need_model(model)
        prec = c.precision_for(precision, hardware)
        batch = c.positive_int("batch_size", batch_size)
        eta = c.fraction("mfu", mfu)
        d, act_bytes, o, note = _data_and_ops(model, prec, batch, data_bytes, ops)
        if d <= 0 and o <= 0:
            raise InvalidInputError("data_bytes", "some data or ops to time", d)
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        peak = c.peak_flops(hardware, prec)
        if kernels is None:
            layers = getattr(model, "layers", None) if model is not None else None
            launches = KERNELS_PER_LAYER * layers if layers else 1
        else:
            launches = c.positive_int("kernels", kernels)
        if overhead is None:
            disp = getattr(hardware, "dispatch_overhead", None)
            t_o = disp.m_as(c.S) * launches if disp is not None else 0.0
        else:
            t_o = c.qty("overhead", overhead, c.TIME, c.S, allow_zero=True)
        t_m = d / bw
        t_c = o / (peak * eta)
        additive = t_m + t_c + t_o
        overlapped = max(t_m, t_c) + t_o
        total = overlapped if overlap else additive
        terms = {"memory": t_m, "compute": t_c, "overhead": t_o}
        binding = max(terms, key=terms.get)
        return IronLawResult(
            data_bytes=c.q(d, c.B), weight_bytes=c.q(d - act_bytes, c.B),
            activation_bytes=c.q(act_bytes, c.B), ops=c.q(o, c.FLOP),
            t_memory=c.q(t_m, c.S), t_compute=c.q(t_c, c.S), t_overhead=c.q(t_o, c.S),
            total=c.q(total, c.S), total_additive=c.q(additive, c.S),
            total_overlapped=c.q(overlapped, c.S), overlapped=bool(overlap),
            binding=binding,
            arithmetic_intensity=c.q(o / d if d > 0 else float("inf"), c.FLOP_PER_B),
            ridge_point=c.q(peak / bw, c.FLOP_PER_B),
            share_memory=t_m / additive, share_compute=t_c / additive,
            share_overhead=t_o / additive,
            throughput=c.q(batch / total, c.S ** -1), batch_size=batch, precision=prec,
            mfu=eta, kernels=launches, activation_note=note,
            violations=_capacity(hardware, model, prec, act_bytes))


class RooflineResult(SolverResult):
    peak_flops: Quantity
    memory_bandwidth: Quantity
    ridge_point: Quantity
    arithmetic_intensity: Quantity
    attainable_flops: Quantity
    bound: str
    mfu: float | None
    mfu_ceiling: float


class RooflineModel(BaseModel):
    """Attainable FLOP/s = min(peak, AI x BW); ridge point = peak / BW; MFU = achieved / peak.

    Give ``arithmetic_intensity`` (FLOP/byte), or ``ops`` and ``data_bytes``. ``mfu`` is a
    measurement: ``achieved_flops / peak`` when ``achieved_flops`` is given, else None (never
    the model's own bound dressed as a measurement). ``mfu_ceiling`` = attainable / peak is
    the most this kernel can reach on this device.
    """

    requires = ("hardware",)
    produces = RooflineResult

    def solve(self, *, hardware, arithmetic_intensity=None, ops=None, data_bytes=None,
              precision=None, achieved_flops=None) -> RooflineResult:
        hardware = c.need_hardware(hardware)
        if arithmetic_intensity is None:
            if ops is None or data_bytes is None:
                raise InvalidInputError("arithmetic_intensity",
                                        "a FLOP/byte quantity, or both ops and data_bytes",
                                        None)
            ai = c.qty("ops", ops, c.COMPUTE, c.FLOP) / c.qty(
                "data_bytes", data_bytes, c.BYTES, c.B)
        else:
            ai = c.qty("arithmetic_intensity", arithmetic_intensity,
                       "[compute]/[information]", c.FLOP_PER_B, example="100 FLOP/B")
        peak = c.peak_flops(hardware, c.precision_for(precision, hardware))
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        attainable = min(peak, ai * bw)
        ceiling = attainable / peak
        if achieved_flops is None:
            mfu = None
        else:
            mfu = c.qty("achieved_flops", achieved_flops, c.COMPUTE_RATE, c.FLOPS,
                        allow_zero=True) / peak
        return RooflineResult(
            peak_flops=c.q(peak, c.FLOPS), memory_bandwidth=c.q(bw, c.B_PER_S),
            ridge_point=c.q(peak / bw, c.FLOP_PER_B),
            arithmetic_intensity=c.q(ai, c.FLOP_PER_B),
            attainable_flops=c.q(attainable, c.FLOPS),
            bound="memory" if ai * bw < peak else "compute", mfu=mfu, mfu_ceiling=ceiling)


class GemmResult(SolverResult):
    ops: Quantity
    data_bytes: Quantity
    arithmetic_intensity: Quantity
    ridge_point: Quantity
    attainable_flops: Quantity
    mfu_ceiling: float
    bound: str
    t_memory: Quantity
    t_compute: Quantity
    total: Quantity
    precision: str


def _gemm_shape(value):
    try:
        m, n, k = value
    except (TypeError, ValueError):
        raise InvalidInputError("gemm_shape", "three positive integers (M, N, K)",
                                value) from None
    return tuple(c.positive_int(f"gemm_shape[{i}]", v) for i, v in enumerate((m, n, k)))


class GemmModel(BaseModel):
    """One matrix multiply C[M x N] = A[M x K] B[K x N] on the roofline.

    FLOP = 2 M N K; bytes = (M K + K N + M N) x bytes/element (each operand read once and
    the result written once: the ideal for a tiled kernel whose tiles fit on chip);
    arithmetic intensity = FLOP / bytes. For a linear layer at batch b (tokens or images),
    M = b, K = inputs, N = outputs: at small b the intensity is about 2 b / bytes-per-element
    FLOP/B, so batching moves a GEMM right along the roofline (Williams et al. 2009,
    "Roofline: an insightful visual performance model"). Attainable FLOP/s = min(peak,
    intensity x bandwidth); ``mfu_ceiling`` = attainable / peak is a bound, not a
    measurement. ``total`` = max(bytes / BW, FLOP / peak) (perfect overlap)."""

    requires = ("gemm_shape", "hardware")
    produces = GemmResult

    def solve(self, *, gemm_shape, hardware, precision=None) -> GemmResult:
        m, n, k = _gemm_shape(gemm_shape)
        hardware = c.need_hardware(hardware)
        prec = c.precision_for(precision, hardware)
        bpe = c.precision_bytes(prec)
        flops = 2.0 * m * n * k
        data = (m * k + k * n + m * n) * bpe
        ai = flops / data
        peak = c.peak_flops(hardware, prec)
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        attainable = min(peak, ai * bw)
        t_m, t_c = data / bw, flops / peak
        return GemmResult(
            ops=c.q(flops, c.FLOP), data_bytes=c.q(data, c.B),
            arithmetic_intensity=c.q(ai, c.FLOP_PER_B), ridge_point=c.q(peak / bw, c.FLOP_PER_B),
            attainable_flops=c.q(attainable, c.FLOPS), mfu_ceiling=attainable / peak,
            bound="memory" if ai * bw < peak else "compute", t_memory=c.q(t_m, c.S),
            t_compute=c.q(t_c, c.S), total=c.q(max(t_m, t_c), c.S), precision=prec)
