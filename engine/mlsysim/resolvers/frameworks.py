"""Frameworks: kernel launch / dispatch overhead and what operator fusion saves.

Eager execution launches one kernel per operator; each launch costs a fixed dispatch time
(framework + driver, a few microseconds on GPUs) whether the kernel does much work or not.
Fusing k element-wise operators into one kernel removes k - 1 launches and k - 1 round
trips of the intermediate tensor through memory (write + read).
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.assumptions import assume
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from ..core.types import Quantity
from . import _common as c


class DispatchResult(SolverResult):
    overhead_time: Quantity
    compute_time: Quantity
    total: Quantity
    overhead_share: float


class DispatchOverheadModel(BaseModel):
    """Time of ``kernels`` launches each costing ``dispatch_overhead`` (default the
    hardware's) plus ``compute_time`` of useful work (serialised: no launch overlap)."""

    requires = ("kernels", "compute_time")
    produces = DispatchResult

    def solve(self, *, kernels, compute_time, dispatch_overhead=None, hardware=None
              ) -> DispatchResult:
        k = c.positive_int("kernels", kernels)
        work = c.qty("compute_time", compute_time, c.TIME, c.S, allow_zero=True)
        d = _dispatch(hardware, dispatch_overhead)
        over = k * d
        return DispatchResult(overhead_time=c.q(over, c.S), compute_time=c.q(work, c.S),
                              total=c.q(over + work, c.S), overhead_share=over / (over + work))


class FusionResult(SolverResult):
    unfused_time: Quantity
    fused_time: Quantity
    speedup: float
    bytes_saved: Quantity
    launches_saved: int


class FusionModel(BaseModel):
    """A chain of ``kernels`` element-wise operators on a tensor of ``tensor_bytes``: unfused,
    each reads and writes the tensor (2 x bytes) and launches once; fused, the chain reads
    once, writes once, launches once. Element-wise ops are memory-bound, so time = launches x
    dispatch + bytes / bandwidth."""

    requires = ("kernels", "tensor_bytes", "hardware")
    produces = FusionResult

    def solve(self, *, kernels, tensor_bytes, hardware, dispatch_overhead=None
              ) -> FusionResult:
        k = c.positive_int("kernels", kernels)
        n = c.qty("tensor_bytes", tensor_bytes, c.BYTES, c.B)
        hardware = c.need_hardware(hardware)
        bw = hardware.memory.bandwidth.m_as(c.B_PER_S)
        d_q = dispatch_overhead if dispatch_overhead is not None else hardware.dispatch_overhead
        d = 0.0 if d_q is None else c.qty("dispatch_overhead", d_q, c.TIME, c.S,
                                          allow_zero=True)
        unfused = k * d + k * 2 * n / bw
        fused = d + 2 * n / bw
        return FusionResult(unfused_time=c.q(unfused, c.S), fused_time=c.q(fused, c.S),
                            speedup=unfused / fused, bytes_saved=c.q((k - 1) * 2 * n, c.B),
                            launches_saved=k - 1)


#: Operators of one transformer layer run eagerly, one kernel each (GPT-2/Llama block):
#: norm, QKV projection, Q K^T, scale and mask, softmax, scores x V, output projection,
#: residual add, norm, MLP up, activation, MLP down, residual add = 13; a gated (SwiGLU)
#: MLP adds the gate projection and the product = 15.
EAGER_KERNELS_PER_LAYER = assume(
    "frameworks.EAGER_KERNELS_PER_LAYER", {"plain": 13, "gated": 15}, "illustrative",
    "one kernel per operator of the standard decoder block (Vaswani et al. 2017; Llama's "
    "SwiGLU MLP, Touvron et al. 2023)", None,
    "real eager counts are higher (dtype casts, views that copy, norms split in several ops)")
#: The same layer compiled: norm, QKV GEMM, one fused attention kernel (FlashAttention, Dao
#: et al. 2022), output GEMM (+ residual), norm, up GEMM (+ activation), down GEMM
#: (+ residual) = 7.
FUSED_KERNELS_PER_LAYER = assume(
    "frameworks.FUSED_KERNELS_PER_LAYER", 7, "illustrative",
    "element-wise work fused into GEMM epilogues and attention into one kernel "
    "(Dao et al. 2022, FlashAttention)", "https://arxiv.org/abs/2205.14135")
#: Embedding lookup, final norm, output projection.
MODEL_KERNELS = assume("frameworks.MODEL_KERNELS", 3, "illustrative",
                       "embedding lookup, final norm and vocabulary projection, one each")


class KernelCountResult(SolverResult):
    eager_kernels: int
    fused_kernels: int
    launches_saved: int
    eager_overhead: Quantity | None
    fused_overhead: Quantity | None
    source: str
    illustrative: bool


def kernel_counts(model) -> tuple[int, int, str, bool]:
    """(eager, fused, source, illustrative) kernel launches of one forward pass."""
    if model.kernels_eager and model.kernels_fused:
        prov = model.provenance.get("kernels_eager")
        return (model.kernels_eager, model.kernels_fused,
                prov.reference if prov else "registry", False)
    if model.layers and model.hidden_size:
        per = EAGER_KERNELS_PER_LAYER["gated" if model.gated else "plain"]
        return (model.layers * per + MODEL_KERNELS,
                model.layers * FUSED_KERNELS_PER_LAYER + MODEL_KERNELS,
                f"illustrative: {per} eager / {FUSED_KERNELS_PER_LAYER} fused kernels per "
                f"transformer layer + {MODEL_KERNELS}", True)
    raise InvalidInputError("model", "a model with kernel counts (kernels_eager and "
                            "kernels_fused) or a transformer shape (layers, hidden_size)",
                            getattr(model, "name", model))


class KernelCountModel(BaseModel):
    """Kernel launches of one forward pass of ``model``, eager (one per operator) and fused
    (normalisation folded, element-wise work in the epilogues, attention as one kernel).
    CNNs: counted from their implementations (registry ``kernels_eager``/``kernels_fused``);
    transformers: per-layer counts x layers (illustrative, see the constants). With
    ``hardware`` (or ``dispatch_overhead``) the launch overhead of each: kernels x dispatch."""

    requires = ("model",)
    produces = KernelCountResult

    def solve(self, *, model, hardware=None, dispatch_overhead=None) -> KernelCountResult:
        model = c.need_model(model)
        eager, fused, src, illus = kernel_counts(model)
        d = _dispatch(hardware, dispatch_overhead, required=False)
        return KernelCountResult(
            eager_kernels=eager, fused_kernels=fused, launches_saved=eager - fused,
            eager_overhead=None if d is None else c.q(eager * d, c.S),
            fused_overhead=None if d is None else c.q(fused * d, c.S), source=src,
            illustrative=illus)


def _dispatch(hardware, dispatch_overhead, required=True):
    if dispatch_overhead is not None and hardware is not None:
        raise InvalidInputError("dispatch_overhead", "either dispatch_overhead or hardware "
                                "(whose dispatch_overhead is used), not both",
                                dispatch_overhead)
    if dispatch_overhead is None and hardware is not None:
        dispatch_overhead = c.need_hardware(hardware).dispatch_overhead
    if dispatch_overhead is None and not required:
        return None
    return c.qty("dispatch_overhead", dispatch_overhead, c.TIME, c.S, example="5 us")


class CompileBreakEvenResult(SolverResult):
    eager_latency: Quantity
    compiled_latency: Quantity
    saving_per_request: Quantity
    break_even_requests: int | float
    break_even_time: Quantity | None
    eager_kernels: int
    fused_kernels: int
    source: str


class CompileBreakEvenModel(BaseModel):
    """Requests after which compiling pays for itself: ``compile_time`` / saving per request.

    Latency of one batch of ``batch_size`` requests, eager and compiled: IronLawModel
    (additive: memory + compute + launches x the device's dispatch overhead) with the eager
    and the fused kernel counts (KernelCountModel). Saving per request = (eager - compiled)
    / batch_size; break-even = ceil(compile time / saving). Only launch overhead is counted
    as saved (fusion also saves intermediate memory traffic, see FusionModel), so the
    break-even is an upper bound. With ``arrival_rate`` the time to reach it."""

    requires = ("model", "hardware", "compile_time")
    produces = CompileBreakEvenResult

    def solve(self, *, model, hardware, compile_time, batch_size=1, precision=None,
              arrival_rate=None) -> CompileBreakEvenResult:
        from .iron_law import IronLawModel

        model = c.need_model(model)
        hardware = c.need_hardware(hardware)
        t_compile = c.qty("compile_time", compile_time, c.TIME, c.S, example="60 s")
        lam = c.opt_qty("arrival_rate", arrival_rate, c.RATE, c.S ** -1)
        b = c.positive_int("batch_size", batch_size)
        eager, fused, src, _ = kernel_counts(model)
        law = IronLawModel()
        t_e = law.solve(hardware=hardware, model=model, batch_size=b, precision=precision,
                        kernels=eager).total.m_as(c.S)
        t_f = law.solve(hardware=hardware, model=model, batch_size=b, precision=precision,
                        kernels=fused).total.m_as(c.S)
        saving = (t_e - t_f) / b
        n = math.ceil(t_compile / saving) if saving > 0 else math.inf
        return CompileBreakEvenResult(
            eager_latency=c.q(t_e, c.S), compiled_latency=c.q(t_f, c.S),
            saving_per_request=c.q(saving, c.S), break_even_requests=n,
            break_even_time=None if lam is None else c.q(n / lam, c.S),
            eager_kernels=eager, fused_kernels=fused, source=src)
