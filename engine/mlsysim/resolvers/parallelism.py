"""Data, tensor and pipeline parallelism: memory and communication per GPU, the pipeline
bubble, and training throughput of a whole fleet (``DistributedModel``).

- Pipeline bubble with p stages and m micro-batches (GPipe, Huang et al. 2019; 1F1B,
  Narayanan et al. 2021): idle fraction (p - 1) / (m + p - 1).
- Tensor parallelism (Megatron-LM, Shoeybi et al. 2019): 4 AllReduces of the layer's
  activations (b s h) per layer per micro-batch (2 forward, 2 backward).
- Data parallelism: one AllReduce of the gradients per step.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from .communication import ring_allreduce
from .memory import TrainingMemoryModel
from .scaling import CHINCHILLA_TOKENS_PER_PARAM, DEFAULT_MFU, DEFAULT_MFU_SOURCE

#: Default global batch for LLM training, tokens: 4 M (Llama 3 started at 4 M tokens per
#: batch, Llama Team 2024, "The Llama 3 Herd of Models", Sec. 3.4.1).
DEFAULT_GLOBAL_BATCH_TOKENS = assume(
    "parallelism.DEFAULT_GLOBAL_BATCH_TOKENS", 4 * 1024 * 1024, "paper",
    "Llama Team 2024, The Llama 3 Herd of Models, Sec. 3.4.1",
    "https://arxiv.org/abs/2407.21783", "Llama 3 405B began training with 4M-token batches")


MICROBATCHES = assume(
    "parallelism.MICROBATCHES", 32, "illustrative",
    "teaching default: enough micro-batches to keep a short pipeline's bubble small", None,
    "Narayanan et al. 2021 use m >> p; the bubble is (p-1)/(m+p-1)")


def pipeline_bubble(p: int, m: int) -> float:
    """Idle fraction of a p-stage pipeline fed m micro-batches: (p-1)/(m+p-1)."""
    return (p - 1) / (m + p - 1)


class ParallelismResult(SolverResult):
    devices: int
    dp: int
    tp: int
    pp: int
    bubble_fraction: float
    memory_per_gpu: Quantity
    dp_bytes_per_gpu: Quantity
    tp_bytes_per_gpu: Quantity
    pp_bytes_per_gpu: Quantity
    communication_bytes_per_gpu: Quantity


class ParallelismModel(BaseModel):
    """Per-GPU memory and communication volume of one training step under dp x tp x pp.

    ``micro_batch_size`` sequences of ``seq_len`` tokens per micro-batch, ``microbatches``
    per step per pipeline; fp16/bf16 activations and gradients (2 B). Communication counts
    bytes each GPU sends per step (ring AllReduce sends 2(n-1)/n of the message)."""

    requires = ("model", "dp", "tp", "pp")
    produces = ParallelismResult

    def solve(self, *, model, dp=1, tp=1, pp=1, microbatches=1, micro_batch_size=1,
              seq_len=None, zero_stage=0, checkpointing="none") -> ParallelismResult:
        model = c.need_model(model)
        dp, tp, pp = (c.positive_int(n, v) for n, v in (("dp", dp), ("tp", tp), ("pp", pp)))
        m = c.positive_int("microbatches", microbatches)
        b = c.positive_int("micro_batch_size", micro_batch_size)
        s = c.positive_int("seq_len", seq_len if seq_len is not None
                           else (model.context_length or 1))
        mem = TrainingMemoryModel().solve(model=model, batch_size=b, seq_len=s,
                                          zero_stage=zero_stage, dp=dp, tp=tp, pp=pp,
                                          checkpointing=checkpointing)
        grad = 2.0 * float(model.parameters) / (tp * pp)
        dp_bytes = 2 * (dp - 1) / dp * grad
        h = model.hidden_size or 0
        layers = math.ceil((model.layers or 0) / pp)
        act = 2.0 * b * s * h
        tp_bytes = 4 * layers * m * 2 * (tp - 1) / tp * act if tp > 1 else 0.0
        pp_bytes = 2 * m * act / tp if pp > 1 else 0.0  # activations out, gradients back
        return ParallelismResult(
            devices=dp * tp * pp, dp=dp, tp=tp, pp=pp, bubble_fraction=pipeline_bubble(pp, m),
            memory_per_gpu=mem.total, dp_bytes_per_gpu=c.q(dp_bytes, c.B),
            tp_bytes_per_gpu=c.q(tp_bytes, c.B), pp_bytes_per_gpu=c.q(pp_bytes, c.B),
            communication_bytes_per_gpu=c.q(dp_bytes + tp_bytes + pp_bytes, c.B))


class DistributedResult(CheckedResult):
    hardware: object
    accelerators: int
    dp: int
    tp: int
    pp: int
    peak_flops: Quantity
    mfu: float
    effective_mfu: float
    compute_time_per_step: Quantity
    communication_time_per_step: Quantity
    step_time: Quantity
    bubble_fraction: float
    scaling_efficiency: float
    tokens_per_second: Quantity
    training_tokens: float
    time_to_train: Quantity
    tokens_in_duration: float | None
    memory_per_gpu: Quantity
    mfu_source: str


class DistributedModel(BaseModel):
    """Training throughput of ``model`` on a ``fleet`` (Cluster, Node or one HardwareNode).

    Step = 6 N x ``global_batch_tokens`` FLOP at ``mfu`` x peak on every accelerator,
    stretched by the pipeline bubble, plus the data-parallel gradient AllReduce (2 B per
    parameter, not overlapped with compute: a conservative bound). On a Cluster the
    AllReduce is hierarchical (ring inside the node over ``node.intra_node``, ring across
    nodes over ``fabric.bandwidth_per_gpu``). ``time_to_train`` covers ``tokens`` (default
    Chinchilla-optimal 20 N); ``tokens_in_duration`` counts tokens in ``duration``.

    Memory: each GPU must hold its share of the training states and activations
    (TrainingMemoryModel with mixed-precision Adam, ``zero_stage``, ``checkpointing``,
    ``micro_batch_size`` sequences of ``seq_len`` tokens); more than the GPU has is a
    violated "<memory> capacity" constraint (times are then those of a GPU that could).
    """

    requires = ("model", "fleet")
    produces = DistributedResult

    def solve(self, *, model, fleet, tokens=None, duration=None, mfu=None, tp=1, pp=1,
              microbatches=MICROBATCHES, global_batch_tokens=DEFAULT_GLOBAL_BATCH_TOKENS,
              precision=None, zero_stage=0, micro_batch_size=1, seq_len=None,
              checkpointing="none") -> DistributedResult:
        model = c.need_model(model)
        hw, n_acc, cluster = c.fleet_parts(fleet)
        tp, pp = c.positive_int("tp", tp), c.positive_int("pp", pp)
        if n_acc % (tp * pp):
            raise InvalidInputError("tp", f"tp x pp dividing the {n_acc} accelerators",
                                    (tp, pp))
        dp = n_acc // (tp * pp)
        m = c.positive_int("microbatches", microbatches)
        gbt = c.num("global_batch_tokens", global_batch_tokens, lo=0, lo_open=True)
        eff, src = (DEFAULT_MFU, DEFAULT_MFU_SOURCE) if mfu is None else \
            (c.fraction("mfu", mfu), "input")
        n_params = c.num("model.parameters", float(model.parameters), lo=0, lo_open=True)
        d_tokens = CHINCHILLA_TOKENS_PER_PARAM * n_params if tokens is None else \
            c.num("tokens", tokens, lo=0, lo_open=True)
        peak = c.peak_flops(hw, c.precision_for(precision, hw))
        bubble = pipeline_bubble(pp, m)
        t_comp = 6.0 * n_params * gbt / (n_acc * peak * eff) / (1.0 - bubble)
        grad = 2.0 * n_params / (tp * pp)
        t_comm = _dp_allreduce_time(grad, dp, tp, cluster, hw)
        step = t_comp + t_comm
        tok_s = gbt / step
        secs = c.opt_qty("duration", duration, c.TIME, c.S)
        mem = TrainingMemoryModel().solve(
            model=model, batch_size=micro_batch_size,
            seq_len=seq_len if seq_len is not None else (model.context_length or None),
            zero_stage=zero_stage, dp=dp, tp=tp, pp=pp, checkpointing=checkpointing,
            hardware=hw)
        scaling = t_comp * (1.0 - bubble) / step
        return DistributedResult(
            hardware=hw, accelerators=n_acc, dp=dp, tp=tp, pp=pp,
            peak_flops=c.q(peak * n_acc, c.FLOPS), mfu=eff, effective_mfu=eff * scaling,
            compute_time_per_step=c.q(t_comp, c.S), communication_time_per_step=c.q(t_comm, c.S),
            step_time=c.q(step, c.S), bubble_fraction=bubble, scaling_efficiency=scaling,
            tokens_per_second=c.q(tok_s, c.ureg.token / c.S), training_tokens=d_tokens,
            time_to_train=c.q(d_tokens / tok_s, c.S),
            tokens_in_duration=None if secs is None else tok_s * secs,
            memory_per_gpu=mem.total, mfu_source=src, violations=mem.violations)


def _dp_allreduce_time(grad_bytes, dp, tp, cluster, hw):
    if dp == 1:
        return 0.0
    if cluster is not None and hasattr(cluster, "fabric"):
        node = cluster.node
        g = max(1, node.accelerators // tp)
        inter_bw = cluster.fabric.bandwidth_per_gpu.m_as(c.B_PER_S)
        inter_a = cluster.fabric.latency.m_as(c.S)
        intra = node.intra_node
        intra_a = intra.latency.m_as(c.S) if intra.latency is not None else 0.0
        nodes = max(1, dp // g)
        return (ring_allreduce(grad_bytes, min(g, dp), intra.bandwidth.m_as(c.B_PER_S), intra_a)
                + ring_allreduce(grad_bytes / min(g, dp), nodes, inter_bw, inter_a))
    link = cluster.intra_node if cluster is not None and hasattr(cluster, "intra_node") else \
        (hw.interconnects[0] if hw.interconnects else None)
    if link is None:
        raise InvalidInputError("fleet", "a fleet whose devices list an interconnect",
                                getattr(hw, "name", hw))
    a = link.latency.m_as(c.S) if link.latency is not None else 0.0
    return ring_allreduce(grad_bytes, dp, link.bandwidth.m_as(c.B_PER_S), a)
