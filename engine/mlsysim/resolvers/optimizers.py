"""Design-space search. Every optimizer evaluates candidates with forward Models and returns
an OptimizerResult (objective_value, best_config, total_searched) plus a table of what it
evaluated. When no candidate is feasible the result says so (``feasible`` False, an empty
``best_config``, ``objective_value`` None) and lists the constraint each best-rejected
candidate broke; it does not raise."""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseOptimizer
from ..core.errors import InvalidInputError, MlsysimError
from ..core.results import CheckedOptimizerResult
from . import _common as c
from .iron_law import IronLawModel
from .memory import MemoryFootprintModel
from .parallelism import DistributedModel


SEQ_LEN = assume("optimizers.SEQ_LEN", 4096, "illustrative",
                 "teaching default: a 4k-token training context (Llama 2/3 pre-training)")
MICROBATCHES = assume("optimizers.MICROBATCHES", 32, "illustrative",
                      "teaching default: micro-batches per step per pipeline")
ZERO_STAGE = assume("optimizers.ZERO_STAGE", 1, "illustrative",
                    "teaching default: shard only the optimizer state (ZeRO-1)")


def _divisors(n: int, cap: int | None = None):
    return [d for d in range(1, (cap or n) + 1) if n % d == 0]


class ParallelismSearchResult(CheckedOptimizerResult):
    table: list


class ParallelismOptimizer(BaseOptimizer):
    """Fastest dp x tp x pp split of ``fleet`` for ``model`` whose per-GPU training memory
    (ZeRO stage ``zero_stage``) fits. Every candidate is evaluated by DistributedModel (one
    place for the physics: compute, recompute, pipeline bubble, and data-, tensor-,
    pipeline-parallel and ZeRO traffic over the links they use); its step breakdown is in
    the table. tp is limited to one node's accelerators (tensor parallelism needs the fast
    intra-node link). When no split fits, the smallest per-GPU memory found is reported
    against the GPU's capacity."""

    requires = ("model", "fleet")
    produces = ParallelismSearchResult

    def solve(self, *, model, fleet, seq_len=SEQ_LEN, micro_batch_size=1,
              microbatches=MICROBATCHES, zero_stage=ZERO_STAGE, checkpointing="full",
              mfu=None, global_batch_tokens=None) -> ParallelismSearchResult:
        model = c.need_model(model)
        hw, n, cluster = c.fleet_parts(fleet)
        per_node = cluster.node.accelerators if hasattr(cluster, "node") else n
        cap = hw.memory.capacity.m_as(c.B)
        table = []
        for tp in _divisors(n, min(per_node, n)):
            for pp in _divisors(n // tp):
                if model.layers and pp > model.layers:
                    continue
                dist = DistributedModel().solve(
                    model=model, fleet=fleet, tp=tp, pp=pp, microbatches=microbatches,
                    micro_batch_size=micro_batch_size, seq_len=seq_len, zero_stage=zero_stage,
                    checkpointing=checkpointing, mfu=mfu,
                    global_batch_tokens=global_batch_tokens)
                mem = dist.memory_per_gpu.m_as(c.B)
                row = {"dp": dist.dp, "tp": tp, "pp": pp, "step_time_s": dist.step_time.m_as(c.S),
                       "memory_per_gpu_GB": mem / 1e9, "fits": dist.feasible,
                       "bubble": dist.bubble_fraction, "effective_mfu": dist.effective_mfu}
                row.update({f"{k}_s": v.m_as(c.S) for k, v in dist.step_breakdown.items()})
                table.append(row)
        ok = [r for r in table if r["fits"]]
        if not ok:
            least = min(r["memory_per_gpu_GB"] for r in table) * 1e9
            return ParallelismSearchResult(
                objective_value=None, best_config={}, total_searched=len(table), table=table,
                violations=c.violation(f"{hw.memory.kind or 'DRAM'} capacity", least, cap,
                                       c.B))
        best = min(ok, key=lambda r: r["step_time_s"])
        return ParallelismSearchResult(
            objective_value=c.q(best["step_time_s"], c.S),
            best_config={k: best[k] for k in ("dp", "tp", "pp")}, total_searched=len(table),
            table=table)


def _candidates(candidates):
    if candidates is None:
        from ..hardware.registry import Hardware
        return list(Hardware.list())
    try:
        return [c.need_hardware(h, "candidates[]") for h in candidates]
    except TypeError:
        raise InvalidInputError("candidates", "a list of HardwareNode (or names)",
                                candidates) from None


class SweepResult(CheckedOptimizerResult):
    table: list


class DesignSweepOptimizer(BaseOptimizer):
    """Sweep device x batch size x precision with IronLawModel (overlapped) and
    MemoryFootprintModel; returns every row and the highest-throughput row that fits and
    meets ``target_latency`` (if given). ``candidates`` defaults to the whole hardware
    registry; precisions a device lacks are recorded and skipped. With no feasible row the
    result is infeasible, naming the smallest latency found against the target (or the
    tightest memory shortfall when nothing fits)."""

    requires = ("model",)
    produces = SweepResult

    def solve(self, *, model, candidates=None, batch_sizes=(1, 8, 32),
              precisions=("fp16", "int8"), target_latency=None) -> SweepResult:
        model = c.need_model(model)
        target = c.opt_qty("target_latency", target_latency, c.TIME, c.S)
        table = []
        for hw in _candidates(candidates):
            for prec in precisions:
                for b in batch_sizes:
                    row = {"hardware": hw.name, "precision": prec, "batch_size": b}
                    table.append(row)
                    try:
                        r = IronLawModel().solve(hardware=hw, model=model, precision=prec,
                                                 batch_size=b, overlap=True)
                        fit = MemoryFootprintModel().solve(model=model, hardware=hw,
                                                           precision=prec, batch_size=b)
                    except MlsysimError as exc:
                        row.update(ok=False, reason=str(exc))
                        continue
                    lat = r.total.m_as(c.S)
                    row.update(latency_s=lat, throughput_per_s=r.throughput.m_as(c.S ** -1),
                               binding=r.binding, fits=fit.feasible,
                               shortfall_ratio=fit.shortfall_ratio,
                               required_bytes=fit.required.m_as(c.B),
                               available_bytes=fit.available.m_as(c.B),
                               ok=fit.feasible and (target is None or lat <= target))
        ok = [r for r in table if r.get("ok")]
        if not ok:
            fitting = [r for r in table if r.get("fits")]
            if fitting:
                fastest = min(r["latency_s"] for r in fitting)
                violations = [c.Constraint("latency", c.q(fastest, c.S), c.q(target, c.S))]
            else:
                tight = min((r for r in table if "shortfall_ratio" in r),
                            key=lambda r: r["shortfall_ratio"], default=None)
                if tight is None:
                    raise InvalidInputError("candidates", "at least one device that can run "
                                            "the model at one of the precisions", candidates,
                                            "; ".join({r["reason"] for r in table}))
                violations = c.violation(f"memory of {tight['hardware']}",
                                         tight["required_bytes"], tight["available_bytes"], c.B)
            return SweepResult(objective_value=None, best_config={},
                               total_searched=len(table), table=table, violations=violations)
        best = max(ok, key=lambda r: r["throughput_per_s"])
        return SweepResult(objective_value=c.q(best["throughput_per_s"], c.S ** -1),
                           best_config={k: best[k] for k in ("hardware", "precision",
                                                             "batch_size")},
                           total_searched=len(table), table=table)
