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
    registry; precisions a device lacks are recorded and skipped. Latencies and
    throughputs are Iron Law bounds at full peak (eta = 1), not measurements. With no feasible row the
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


class FleetSizingResult(CheckedOptimizerResult):
    table: list


def _pow2_up_to(n: int) -> tuple:
    out, k = [], 1
    while k <= n:
        out.append(k)
        k *= 2
    return tuple(out)


class FleetSizingOptimizer(BaseOptimizer):
    """Size a training cluster: the cheapest (nodes, tp, pp) that trains ``model`` on
    ``tokens`` within the deadline ``duration`` and the ``budget``.

    ``fleet`` is a Cluster used as the template (its node and fabric); ``node_counts`` are
    the sizes searched (default: powers of two up to twice the template's). Each size and
    split is evaluated by DistributedModel (C = 6 N D at ``mfu``, bubble, communication,
    memory per GPU) and EconomicsModel over the time it trains (``price_per_hour`` rented,
    else owned: purchase amortised over ``lifetime`` + electricity at ``pue``). A row is
    feasible when it fits in memory, finishes within ``duration`` and costs at most
    ``budget`` (either may be omitted). With no feasible row the result names what failed:
    memory (smallest per-GPU need), the deadline (fastest time found) or the budget
    (cheapest cost among the rows meeting the deadline)."""

    requires = ("model", "fleet", "tokens")
    produces = FleetSizingResult

    def solve(self, *, model, fleet, tokens, duration=None, budget=None, node_counts=None,
              mfu=None, seq_len=SEQ_LEN, zero_stage=ZERO_STAGE, checkpointing="full",
              global_batch_tokens=None, price_per_hour=None, lifetime=None,
              electricity_price=None) -> FleetSizingResult:
        from ..systems.types import Cluster
        from .economics import EconomicsModel

        model = c.need_model(model)
        hw, _, template = c.fleet_parts(fleet)
        if not hasattr(template, "fabric"):
            raise InvalidInputError("fleet", "a Cluster (its node and fabric are the "
                                    "template of the sizes searched)", fleet)
        deadline = c.opt_qty("duration", duration, c.TIME, c.S)
        cap_usd = c.opt_qty("budget", budget, c.CURRENCY, c.USD)
        counts = _pow2_up_to(2 * template.nodes) if node_counts is None else node_counts
        try:
            counts = sorted({c.positive_int("node_counts[]", k) for k in counts})
        except TypeError:
            raise InvalidInputError("node_counts", "a list of positive integers",
                                    node_counts) from None
        per_node = template.node.accelerators
        econ, table = EconomicsModel(), []
        for k in counts:
            cluster = Cluster(name=f"{k} x {template.node.name}", node=template.node,
                              nodes=k, fabric=template.fabric)
            n = cluster.total_accelerators
            for tp in _divisors(per_node):
                for pp in _divisors(n // tp):
                    if model.layers and pp > model.layers:
                        continue
                    d = DistributedModel().solve(
                        model=model, fleet=cluster, tokens=tokens, tp=tp, pp=pp, mfu=mfu,
                        seq_len=seq_len, zero_stage=zero_stage, checkpointing=checkpointing,
                        global_batch_tokens=global_batch_tokens)
                    secs = d.time_to_train.m_as(c.S)
                    cost = econ.solve(duration=c.q(secs, c.S), fleet=cluster,
                                      price_per_hour=price_per_hour, lifetime=lifetime,
                                      electricity_price=electricity_price
                                      ).total_cost.m_as(c.USD)
                    row = {"nodes": k, "devices": n, "dp": d.dp, "tp": tp, "pp": pp,
                           "days": secs / 86400.0, "cost_usd": cost,
                           "effective_mfu": d.effective_mfu, "fits": d.feasible,
                           "memory_per_gpu_GB": d.memory_per_gpu.m_as(c.GB),
                           "meets_deadline": deadline is None or secs <= deadline,
                           "within_budget": cap_usd is None or cost <= cap_usd}
                    row["ok"] = row["fits"] and row["meets_deadline"] and row["within_budget"]
                    table.append(row)
        ok = [r for r in table if r["ok"]]
        if ok:
            best = min(ok, key=lambda r: (r["cost_usd"], r["days"]))
            return FleetSizingResult(
                objective_value=c.q(best["cost_usd"], c.USD),
                best_config={k: best[k] for k in ("nodes", "devices", "dp", "tp", "pp",
                                                  "days")},
                total_searched=len(table), table=table)
        fits = [r for r in table if r["fits"]]
        timely = [r for r in fits if r["meets_deadline"]]
        if not fits:
            least = min(r["memory_per_gpu_GB"] for r in table)
            violations = c.violation(f"{hw.memory.kind or 'DRAM'} capacity", least,
                                     hw.memory.capacity.m_as(c.GB), c.GB)
        elif not timely:
            fastest = min(r["days"] for r in fits)
            violations = [c.Constraint("deadline", c.q(fastest, c.DAY),
                                       c.q(deadline / 86400.0, c.DAY))]
        else:
            cheapest = min(r["cost_usd"] for r in timely)
            violations = [c.Constraint("budget", c.q(cheapest, c.USD), c.q(cap_usd, c.USD))]
        return FleetSizingResult(objective_value=None, best_config={},
                                 total_searched=len(table), table=table,
                                 violations=violations)
