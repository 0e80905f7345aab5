"""Design-space search. Every optimizer evaluates candidates with forward Models and returns
an OptimizerResult (objective_value, best_config, total_searched) plus a table of what it
evaluated."""
from __future__ import annotations

from ..core._base import BaseOptimizer
from ..core.errors import InfeasibleError, InvalidInputError, MlsysimError
from ..core.results import OptimizerResult
from . import _common as c
from .iron_law import IronLawModel
from .memory import MemoryFootprintModel
from .parallelism import DistributedModel, ParallelismModel
from .queueing import BatchingLatencyModel


def _divisors(n: int, cap: int | None = None):
    return [d for d in range(1, (cap or n) + 1) if n % d == 0]


class ParallelismSearchResult(OptimizerResult):
    table: list


class ParallelismOptimizer(BaseOptimizer):
    """Fastest dp x tp x pp split of ``fleet`` for ``model`` whose per-GPU training memory
    (ZeRO stage ``zero_stage``) fits. Step time = DistributedModel step + tensor-parallel
    traffic over the node's link + pipeline traffic over the fabric. tp is limited to one
    node's accelerators (tensor parallelism needs the fast intra-node link)."""

    requires = ("model", "fleet")
    produces = ParallelismSearchResult

    def solve(self, model, fleet, *, seq_len=4096, micro_batch=1, microbatches=32,
              zero_stage=1, checkpointing="full") -> ParallelismSearchResult:
        hw, n, cluster = c.fleet_parts(fleet)
        per_node = cluster.node.accelerators if hasattr(cluster, "node") else n
        intra = cluster.node.intra_node if hasattr(cluster, "node") else \
            (cluster.intra_node if cluster is not None else None)
        intra_bw = intra.bandwidth.m_as(c.B_PER_S) if intra is not None else \
            hw.memory.bandwidth.m_as(c.B_PER_S)
        inter_bw = cluster.fabric.bandwidth_per_gpu.m_as(c.B_PER_S) \
            if hasattr(cluster, "fabric") else intra_bw
        cap = hw.memory.capacity.m_as(c.B)
        table = []
        for tp in _divisors(n, min(per_node, n)):
            for pp in _divisors(n // tp):
                if model.layers and pp > model.layers:
                    continue
                dp = n // (tp * pp)
                par = ParallelismModel().solve(workload=model, dp=dp, tp=tp, pp=pp,
                                               microbatches=microbatches,
                                               micro_batch=micro_batch, seq_len=seq_len,
                                               zero_stage=zero_stage,
                                               checkpointing=checkpointing)
                dist = DistributedModel().solve(model=model, fleet=fleet, tp=tp, pp=pp,
                                                microbatches=microbatches)
                t = (dist.step_time.m_as(c.S) + par.tp_bytes_per_gpu.m_as(c.B) / intra_bw
                     + par.pp_bytes_per_gpu.m_as(c.B) / inter_bw)
                mem = par.memory_per_gpu.m_as(c.B)
                table.append({"dp": dp, "tp": tp, "pp": pp, "step_time_s": t,
                              "memory_per_gpu_GB": mem / 1e9, "fits": mem <= cap,
                              "bubble": par.bubble_fraction})
        ok = [r for r in table if r["fits"]]
        if not ok:
            raise InfeasibleError("no dp x tp x pp split fits in memory; add GPUs, raise "
                                  "zero_stage or enable checkpointing")
        best = min(ok, key=lambda r: r["step_time_s"])
        return ParallelismSearchResult(
            objective_value=c.q(best["step_time_s"], c.S),
            best_config={k: best[k] for k in ("dp", "tp", "pp")}, total_searched=len(table),
            table=table)


class BatchingSearchResult(OptimizerResult):
    table: list


class BatchingOptimizer(BaseOptimizer):
    """Batch size with the highest serving capacity (batch / service time) whose P99 latency
    at ``arrival_rate`` meets ``latency_target`` and whose utilisation is below 1.
    ``batch_sizes`` is the candidate list (default powers of two to 256)."""

    requires = ("arrival_rate", "base_time", "per_item_time", "latency_target")
    produces = BatchingSearchResult

    def solve(self, arrival_rate, base_time, per_item_time, latency_target, *,
              batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256), percentile=0.99
              ) -> BatchingSearchResult:
        target = c.qty("latency_target", latency_target, c.TIME, c.S)
        table = []
        for b in batch_sizes:
            r = BatchingLatencyModel().solve(arrival_rate=arrival_rate, batch_size=b,
                                             base_time=base_time, per_item_time=per_item_time,
                                             percentile=percentile)
            p = r.p_latency.m_as(c.S)
            cap = b / r.service_time.m_as(c.S) if r.service_time.m_as(c.S) > 0 else float("inf")
            table.append({"batch_size": b, "p_latency_s": p, "capacity_per_s": cap,
                          "utilization": r.utilization, "ok": r.stable and p <= target})
        ok = [r for r in table if r["ok"]]
        if not ok:
            raise InfeasibleError(f"no batch size meets latency_target {target:g} s stably")
        best = max(ok, key=lambda r: r["capacity_per_s"])
        return BatchingSearchResult(objective_value=c.q(best["capacity_per_s"], c.S ** -1),
                                    best_config={"batch_size": best["batch_size"]},
                                    total_searched=len(table), table=table)


def _candidates(hardware):
    if hardware is None:
        from ..hardware.registry import Hardware
        return list(Hardware.list())
    try:
        return [c.need_hardware(h, "hardware[]") for h in hardware]
    except TypeError:
        raise InvalidInputError("hardware", "a list of HardwareNode", hardware) from None


class HardwareSearchResult(OptimizerResult):
    table: list


class HardwareSelectionOptimizer(BaseOptimizer):
    """Device with the highest throughput for ``workload`` at ``batch_size`` (IronLawModel,
    overlapped form) among ``hardware`` (default: the whole registry) whose memory holds the
    model, whose unit cost is at most ``max_unit_cost`` and whose TDP is at most
    ``max_power``; devices missing a constrained field are skipped."""

    requires = ("workload",)
    produces = HardwareSearchResult

    def solve(self, workload, hardware=None, *, max_unit_cost=None, max_power=None,
              batch_size=1, precision=None) -> HardwareSearchResult:
        c.need_workload(workload)
        cost_cap = c.opt_qty("max_unit_cost", max_unit_cost, c.CURRENCY, c.USD)
        power_cap = c.opt_qty("max_power", max_power, c.POWER, c.W)
        cands = _candidates(hardware)
        table = []
        for hw in cands:
            row = {"hardware": hw.name, "ok": False}
            table.append(row)
            if cost_cap is not None and (hw.unit_cost is None or
                                         hw.unit_cost.m_as(c.USD) > cost_cap):
                row["reason"] = "cost"
                continue
            if power_cap is not None and (hw.tdp is None or hw.tdp.m_as(c.W) > power_cap):
                row["reason"] = "power"
                continue
            try:
                fit = MemoryFootprintModel().solve(workload=workload, hardware=hw,
                                                   precision=precision, batch_size=batch_size)
                r = IronLawModel().solve(hardware=hw, workload=workload, precision=precision,
                                         batch_size=batch_size, overlap=True)
            except MlsysimError as exc:  # e.g. a precision this device lacks
                row["reason"] = str(exc)
                continue
            if not fit.fits:
                row["reason"] = f"memory ({fit.binding_memory})"
                continue
            row.update(ok=True, throughput_per_s=r.throughput.m_as(c.S ** -1),
                       latency_s=r.total.m_as(c.S), binding=r.binding)
        ok = [r for r in table if r["ok"]]
        if not ok:
            raise InfeasibleError("no device meets the memory, cost and power limits")
        best = max(ok, key=lambda r: r["throughput_per_s"])
        return HardwareSearchResult(objective_value=c.q(best["throughput_per_s"], c.S ** -1),
                                    best_config={"hardware": best["hardware"]},
                                    total_searched=len(cands), table=table)


class SweepResult(OptimizerResult):
    table: list


class DesignSweepOptimizer(BaseOptimizer):
    """Sweep hardware x batch size x precision with IronLawModel (overlapped) and
    MemoryFootprintModel; returns every row and the highest-throughput row that fits and
    meets ``latency_target`` (if given). Precisions a device lacks are recorded and skipped."""

    requires = ("workload",)
    produces = SweepResult

    def solve(self, workload, hardware=None, *, batch_sizes=(1, 8, 32),
              precisions=("fp16", "int8"), latency_target=None) -> SweepResult:
        c.need_workload(workload)
        target = c.opt_qty("latency_target", latency_target, c.TIME, c.S)
        table = []
        for hw in _candidates(hardware):
            for prec in precisions:
                for b in batch_sizes:
                    row = {"hardware": hw.name, "precision": prec, "batch_size": b}
                    table.append(row)
                    try:
                        r = IronLawModel().solve(hardware=hw, workload=workload,
                                                 precision=prec, batch_size=b, overlap=True)
                        fit = MemoryFootprintModel().solve(workload=workload, hardware=hw,
                                                           precision=prec, batch_size=b)
                    except MlsysimError as exc:
                        row.update(ok=False, reason=str(exc))
                        continue
                    lat = r.total.m_as(c.S)
                    row.update(latency_s=lat, throughput_per_s=r.throughput.m_as(c.S ** -1),
                               binding=r.binding, fits=fit.fits,
                               ok=fit.fits and (target is None or lat <= target))
        ok = [r for r in table if r.get("ok")]
        if not ok:
            raise InfeasibleError("no configuration fits memory and meets the latency target")
        best = max(ok, key=lambda r: r["throughput_per_s"])
        return SweepResult(objective_value=c.q(best["throughput_per_s"], c.S ** -1),
                           best_config={k: best[k] for k in ("hardware", "precision",
                                                             "batch_size")},
                           total_searched=len(table), table=table)
