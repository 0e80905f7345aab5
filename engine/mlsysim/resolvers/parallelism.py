"""Data, tensor and pipeline parallelism: memory and communication per GPU, the pipeline
bubble, and training throughput of a whole fleet (``DistributedModel``).

- Pipeline bubble with p stages and m micro-batches (GPipe, Huang et al. 2019; 1F1B,
  Narayanan et al. 2021): idle fraction (p - 1) / (m + p - 1).
- Tensor parallelism (Megatron-LM, Shoeybi et al. 2019, Sec. 3 and Fig. 4): 4 AllReduces
  of the layer's activations (b s h) per layer per micro-batch (2 forward, 2 backward); full
  activation recomputation reruns the forward, and with it its 2 AllReduces (Korthikanti et
  al. 2022, Sec. 3).
- Pipeline parallelism: each micro-batch sends its activations to the next stage and its
  gradients back (point to point); with tensor parallelism each rank sends 1/t of them (the
  scatter/gather optimisation, Narayanan et al. 2021, Sec. 4.1).
- Data parallelism: one AllReduce of the (fp16/bf16, 2 B) gradients per step. ZeRO stages 1
  and 2 keep that volume (a reduce-scatter plus an all-gather); stage 3 also all-gathers
  the parameters in the forward and again in the backward: 1.5x the data-parallel volume
  (Rajbhandari et al. 2020, Sec. 7.2).
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


def traffic_bytes(n_params, layers, hidden, dp, tp, pp, m, b, s, bpe, checkpointing,
                  zero_stage):
    """Bytes each GPU sends per training step, by kind (ring collectives send 2(n-1)/n of
    the message for an AllReduce, (n-1)/n for an all-gather), and the message sizes."""
    grad = 2.0 * n_params / (tp * pp)
    act = b * s * hidden * bpe
    n_ar = 6 if checkpointing == "full" else 4
    layers_here = math.ceil(layers / pp) if layers else 0
    tp_ars = n_ar * layers_here * m if tp > 1 and hidden else 0
    return {
        "dp": 2 * (dp - 1) / dp * grad,
        "zero3": (dp - 1) / dp * grad if zero_stage >= 3 and dp > 1 else 0.0,
        "tp": tp_ars * 2 * (tp - 1) / tp * act if tp_ars else 0.0,
        "pp": 2 * m * act / tp if pp > 1 else 0.0,
    }, {"grad": grad, "act": act, "tp_allreduces": tp_ars}


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
    zero_bytes_per_gpu: Quantity
    communication_bytes_per_gpu: Quantity


class ParallelismModel(BaseModel):
    """Per-GPU memory and communication volume of one training step under dp x tp x pp.

    ``micro_batch_size`` sequences of ``seq_len`` tokens per micro-batch, ``microbatches``
    per step per pipeline; fp16/bf16 activations and gradients (2 B). Communication counts
    bytes each GPU sends per step (ring AllReduce sends 2(n-1)/n of the message); ZeRO-3's
    extra parameter all-gather is ``zero_bytes_per_gpu`` (see the module doc)."""

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
                                          checkpointing=checkpointing, microbatches=m)
        vol, _ = traffic_bytes(float(model.parameters), model.layers or 0,
                               model.hidden_size or 0, dp, tp, pp, m, b, s, 2.0,
                               checkpointing, zero_stage)
        return ParallelismResult(
            devices=dp * tp * pp, dp=dp, tp=tp, pp=pp, bubble_fraction=pipeline_bubble(pp, m),
            memory_per_gpu=mem.total, dp_bytes_per_gpu=c.q(vol["dp"], c.B),
            tp_bytes_per_gpu=c.q(vol["tp"], c.B), pp_bytes_per_gpu=c.q(vol["pp"], c.B),
            zero_bytes_per_gpu=c.q(vol["zero3"], c.B),
            communication_bytes_per_gpu=c.q(sum(vol.values()), c.B))


class DistributedResult(CheckedResult):
    hardware: object
    accelerators: int
    dp: int
    tp: int
    pp: int
    microbatches: int
    peak_flops: Quantity
    mfu: float
    effective_mfu: float
    compute_time_per_step: Quantity
    recompute_time_per_step: Quantity
    bubble_time_per_step: Quantity
    dp_communication_time: Quantity
    zero_communication_time: Quantity
    tp_communication_time: Quantity
    pp_communication_time: Quantity
    communication_time_per_step: Quantity
    step_time: Quantity
    step_breakdown: dict
    bubble_fraction: float
    scaling_efficiency: float
    tokens_per_second: Quantity
    training_tokens: float
    time_to_train: Quantity
    tokens_in_duration: float | None
    memory_per_gpu: Quantity
    mfu_source: str


class DistributedModel(BaseModel):
    """Training step time and throughput of ``model`` on a ``fleet`` (Cluster, Node or one
    HardwareNode) split dp x ``tp`` x ``pp`` (dp = accelerators / (tp pp)).

    Step time = compute + recompute + pipeline bubble + exposed communication:

    - compute: 6 N x ``global_batch_tokens`` FLOP at ``mfu`` x peak on every accelerator
      (``mfu``: the fraction of peak the arithmetic achieves); ``checkpointing`` adds its
      recompute FLOP (TrainingMemoryModel.recompute_overhead).
    - bubble: (p - 1) / m of the time the stages work (compute, recompute and the tensor-
      parallel AllReduces inside each stage; the bubble fraction (p-1)/(m+p-1) of the
      pipeline's time), with ``microbatches`` m per step per pipeline (default: global
      batch / (dp x ``micro_batch_size`` x ``seq_len``)).
    - data parallel: the gradient AllReduce (2 B per parameter of the GPU's shard), ring
      inside the node over its link, then across nodes over ``fabric.bandwidth_per_gpu``
      (divided by the fabric's oversubscription);
      ZeRO-3 adds a parameter all-gather (1.5x in all).
    - tensor parallel: 4 AllReduces (6 with full recomputation) of b s h activations per
      layer per micro-batch, over the node's link when tp fits in a node, else the fabric.
    - pipeline: activations forward and gradients back per micro-batch, 1/tp each, over
      the node's link when the tp x pp ranks fit in one node, else the fabric.

    Communication is counted as exposed (not overlapped with compute: a conservative bound)
    unless ``overlap`` is True, which hides the data-parallel and ZeRO traffic behind the
    backward pass (2/3 of compute) as bucketed gradient reduction does; tensor- and
    pipeline-parallel traffic sits on the critical path either way.
    ``effective_mfu`` = model FLOP per step / (step time x peak of all GPUs): a model
    estimate, not a measurement. ``time_to_train`` covers ``tokens`` (default
    Chinchilla-optimal 20 N); ``tokens_in_duration`` counts tokens in ``duration``.

    Memory: each GPU must hold its share of the training states and activations
    (TrainingMemoryModel with ``optimizer``, ``zero_stage``, ``checkpointing``,
    ``micro_batch_size`` sequences of ``seq_len`` tokens, 1F1B's in-flight micro-batches);
    more than the GPU has is a violated "<memory> capacity" constraint (times are then those
    of a GPU that could).
    """

    requires = ("model", "fleet")
    produces = DistributedResult

    def solve(self, *, model, fleet, tokens=None, duration=None, mfu=None, tp=1, pp=1,
              microbatches=None, global_batch_tokens=None, precision=None, zero_stage=0,
              micro_batch_size=1, seq_len=None, checkpointing="none", optimizer="adam_mixed",
              overlap=False) -> DistributedResult:
        model = c.need_model(model)
        hw, n_acc, cluster = c.fleet_parts(fleet)
        tp, pp = c.positive_int("tp", tp), c.positive_int("pp", pp)
        if n_acc % (tp * pp):
            raise InvalidInputError("tp", f"tp x pp dividing the {n_acc} accelerators",
                                    (tp, pp))
        dp = n_acc // (tp * pp)
        gbt = DEFAULT_GLOBAL_BATCH_TOKENS if global_batch_tokens is None else \
            c.num("global_batch_tokens", global_batch_tokens, lo=0, lo_open=True)
        b = c.positive_int("micro_batch_size", micro_batch_size)
        s_in = seq_len if seq_len is not None else model.context_length
        s = None if s_in is None else c.positive_int("seq_len", s_in)
        if microbatches is not None:
            m = c.positive_int("microbatches", microbatches)
        elif s is not None:
            m = max(1, math.ceil(gbt / (dp * b * s)))
        else:
            m = MICROBATCHES
        if not isinstance(overlap, bool):
            raise InvalidInputError("overlap", "True or False", overlap)
        eff, src = (DEFAULT_MFU, DEFAULT_MFU_SOURCE) if mfu is None else \
            (c.fraction("mfu", mfu), "input")
        n_params = c.num("model.parameters", float(model.parameters), lo=0, lo_open=True)
        d_tokens = CHINCHILLA_TOKENS_PER_PARAM * n_params if tokens is None else \
            c.num("tokens", tokens, lo=0, lo_open=True)
        prec = c.precision_for(precision, hw)
        peak = c.peak_flops(hw, prec)
        mem = TrainingMemoryModel().solve(
            model=model, batch_size=b, seq_len=s, zero_stage=zero_stage, dp=dp, tp=tp, pp=pp,
            checkpointing=checkpointing, optimizer=optimizer, microbatches=m, hardware=hw)
        bubble = pipeline_bubble(pp, m)
        model_flops = 6.0 * n_params * gbt
        t_comp = model_flops / (n_acc * peak * eff)
        t_recomp = t_comp * mem.recompute_overhead
        per_node, intra, inter = _links(cluster, hw)
        _, sizes = traffic_bytes(n_params, model.layers or 0, model.hidden_size or 0, dp, tp,
                                 pp, m, b, s or 0, c.precision_bytes(prec), checkpointing,
                                 zero_stage)
        t_dp = _dp_allreduce_time(sizes["grad"], dp, tp, per_node, intra, inter)
        t_zero = t_dp / 2 if zero_stage >= 3 else 0.0  # one more all-gather = half an AR
        tp_link = intra if tp <= per_node or inter is None else inter
        t_tp = sizes["tp_allreduces"] * ring_allreduce(sizes["act"], tp, *tp_link) \
            if sizes["tp_allreduces"] else 0.0
        t_bubble = (t_comp + t_recomp + t_tp) * (pp - 1) / m
        pp_link = intra if tp * pp <= per_node or inter is None else inter
        t_pp = 2 * m * (pp_link[1] + sizes["act"] / tp / pp_link[0]) if pp > 1 else 0.0
        exposed_dz = t_dp + t_zero
        if overlap:
            exposed_dz = max(0.0, exposed_dz - (2.0 / 3.0) * (t_comp + t_recomp))
        t_comm = exposed_dz + t_tp + t_pp
        step = t_comp + t_recomp + t_bubble + t_comm
        tok_s = gbt / step
        secs = c.opt_qty("duration", duration, c.TIME, c.S)
        scaling = t_comp / step
        exposed_dp = exposed_dz * t_dp / (t_dp + t_zero) if t_dp + t_zero > 0 else 0.0
        breakdown = {"compute": t_comp, "recompute": t_recomp, "pipeline_bubble": t_bubble,
                     "dp_communication": exposed_dp,
                     "zero_communication": exposed_dz - exposed_dp,
                     "tp_communication": t_tp, "pp_communication": t_pp}
        return DistributedResult(
            hardware=hw, accelerators=n_acc, dp=dp, tp=tp, pp=pp, microbatches=m,
            peak_flops=c.q(peak * n_acc, c.FLOPS), mfu=eff, effective_mfu=eff * scaling,
            compute_time_per_step=c.q(t_comp, c.S), recompute_time_per_step=c.q(t_recomp, c.S),
            bubble_time_per_step=c.q(t_bubble, c.S),
            dp_communication_time=c.q(t_dp, c.S), zero_communication_time=c.q(t_zero, c.S),
            tp_communication_time=c.q(t_tp, c.S), pp_communication_time=c.q(t_pp, c.S),
            communication_time_per_step=c.q(t_comm, c.S), step_time=c.q(step, c.S),
            step_breakdown={k: c.q(v, c.S) for k, v in breakdown.items()},
            bubble_fraction=bubble, scaling_efficiency=scaling,
            tokens_per_second=c.q(tok_s, c.ureg.token / c.S), training_tokens=d_tokens,
            time_to_train=c.q(d_tokens / tok_s, c.S),
            tokens_in_duration=None if secs is None else tok_s * secs,
            memory_per_gpu=mem.total, mfu_source=src, violations=mem.violations)


def _link(interconnect):
    """(bandwidth B/s, latency s) of an Interconnect or Fabric. A fabric's per-GPU bandwidth
    is divided by its upper tiers' oversubscription (traffic between nodes crosses them;
    Leiserson 1985, Al-Fares et al. 2008): 2:1 halves it."""
    per_gpu = getattr(interconnect, "bandwidth_per_gpu", None)
    if per_gpu is not None:
        bw = per_gpu.m_as(c.B_PER_S) / float(getattr(interconnect, "oversubscription", 1.0))
    else:
        bw = interconnect.bandwidth.m_as(c.B_PER_S)
    lat = interconnect.latency
    return bw, (lat.m_as(c.S) if lat is not None else 0.0)


def _links(cluster, hw):
    """(accelerators per node, intra-node link, inter-node link or None) of a fleet."""
    if cluster is not None and hasattr(cluster, "fabric"):
        return cluster.node.accelerators, _link(cluster.node.intra_node), _link(cluster.fabric)
    if cluster is not None and hasattr(cluster, "intra_node"):
        return cluster.accelerators, _link(cluster.intra_node), None
    if hw.interconnects:
        return 1, _link(hw.interconnects[0]), None
    return 1, (math.inf, 0.0), None


def _dp_allreduce_time(grad_bytes, dp, tp, per_node, intra, inter):
    """Gradient AllReduce over the dp ranks: ring inside the node (the dp ranks that share
    it), then ring across nodes over the fabric with 1/g of the data (hierarchical)."""
    if dp == 1:
        return 0.0
    g = min(dp, max(1, per_node // tp))
    if inter is None:
        return ring_allreduce(grad_bytes, dp, *intra)
    nodes = max(1, dp // g)
    return ring_allreduce(grad_bytes, g, *intra) + ring_allreduce(grad_bytes / g, nodes, *inter)
