"""The names table: one keyword per concept, across every built-in resolver.

Pipelines route one stage's result fields to the next stage's inputs *by name*, so a concept
must have the same name everywhere. Every parameter of a built-in resolver's ``solve`` is in
``NAMES`` (a test enforces it); ``engine/README.md`` prints the same table for readers.

Two small tables handle old spellings:

- ``SEED_SPELLINGS``: names the API contract document (seed 002) uses that this table spells
  differently. They are translated, once, where user inputs enter the engine (``solve`` of
  every resolver and ``Pipeline.run``), with a DeprecationWarning.
- ``RENAMED``: names of mlsysim 0.1. They are *not* translated (one way to do each thing); a
  call that uses one fails with an error naming the new name.
"""
from __future__ import annotations

import difflib
import warnings
from typing import Any, Callable, Iterable, Mapping

from .errors import InvalidInputError

# name -> meaning (and the form the value takes). Quantities may be given as Quantity or str
# ("10 ms"); registry entries as the object or its name ("H100").
NAMES: dict[str, str] = {
    # ---- what runs, and where
    "model": "the workload: a Workload from mlsysim.Models, or its name",
    "hardware": "one device: a HardwareNode from mlsysim.Hardware, or its name",
    "fleet": "many devices: a Cluster or Node from mlsysim.Systems, or one HardwareNode",
    "candidates": "devices an optimizer searches (HardwareNodes or names; default: all)",
    "grid": "an electricity grid region: a GridRegion from mlsysim.Systems.Grids, or its name",
    "link": "one interconnect: a Systems.Links entry or its name, or an Interconnect "
            "(hardware.interconnect('NVLink'))",
    "storage": "a storage tier: a StorageTier from mlsysim.Systems.Storage, or its name",
    # ---- numeric format
    "precision": "numeric format of weights, activations and arithmetic (fp32, fp16, bf16, "
                 "fp8, int8, int4); default: the precision rule (README)",
    "precisions": "precisions an optimizer searches",
    "baseline_precision": "the format a model is compressed from (default: its own)",
    "production_precision": "the precision production runs at (a benchmark may differ)",
    # ---- counts
    "devices": "number of accelerators (or servers, or parts) working or failing together",
    "devices_per_node": "accelerators in one node (server)",
    "servers": "identical servers behind one queue",
    "batch_size": "samples (images, sequences, requests) processed together",
    "batch_sizes": "batch sizes an optimizer searches",
    "production_batch_size": "the batch size production runs at (a benchmark may differ)",
    "node_counts": "numbers of nodes (servers) an optimizer searches",
    "max_batch": "largest batch a solver considers",
    "micro_batch_size": "sequences per pipeline micro-batch",
    "microbatches": "micro-batches per step per pipeline",
    "steps": "iterations: training steps, or composed mechanisms (DP-SGD steps)",
    "rounds": "federated-learning rounds",
    "clients_per_round": "clients that take part in one federated round",
    "clients": "clients (devices) in a federated population",
    "fan_out": "leaf calls one request waits for (scatter-gather width)",
    "retries": "retry attempts after a failed attempt (0: none)",
    "failures": "failures (interruptions) observed",
    "bins": "number of histogram bins",
    "warmup": "leading measurements discarded as warm-up runs",
    "kernels": "kernel launches (operators run as separate kernels)",
    "gemm_shape": "(M, N, K) of a matrix multiply C[M x N] = A[M x K] B[K x N]",
    "layers": "transformer layers",
    "hidden_size": "model width d",
    "heads": "attention heads",
    "kv_heads": "key/value heads (grouped-query attention; = heads for MHA)",
    "vocab_size": "vocabulary size",
    "ffn_hidden": "MLP inner width",
    "resolution": "input image size in pixels: an int (square) or (height, width)",
    "seq_len": "tokens in a sequence (context length)",
    "max_seq_len": "longest sequence a server must hold",
    "mean_seq_len": "average sequence length in service",
    "prompt_tokens": "tokens in the prompt (prefill)",
    "output_tokens": "tokens generated (decode)",
    "block_tokens": "tokens per KV-cache block (paged attention)",
    "tokens": "training tokens D",
    "parameters": "parameter count N",
    "tokens_per_parameter": "training tokens per parameter (D / N)",
    "global_batch_tokens": "tokens per optimizer step across the whole fleet",
    "dp": "data-parallel degree",
    "tp": "tensor-parallel degree",
    "pp": "pipeline-parallel degree",
    "zero_stage": "ZeRO stage 0-3 (what is sharded over the data-parallel ranks)",
    # ---- sizes (bytes)
    "data_bytes": "bytes moved: between memory and compute (Iron Law D), or over a link",
    "distance": "length of the path a signal travels (fibre route), e.g. '3000 km'",
    "message_bytes": "bytes in one collective or point-to-point message",
    "tensor_bytes": "bytes of one tensor",
    "model_bytes": "bytes of a model's weights or update",
    "bytes_per_sample": "bytes read per training sample",
    "activation_bytes": "activation bytes per sample",
    "byte_budget": "most bytes one client may send (a data plan or uplink budget)",
    # ---- work
    "ops": "arithmetic of one piece of work, FLOP (Iron Law O)",
    "training_flops": "training compute budget C, FLOP",
    "flops_per_sample": "training FLOP per sample (default 3x forward)",
    "arithmetic_intensity": "FLOP per byte moved",
    "achieved_flops": "measured FLOP/s",
    "memory_level": "where operands are read from: sram_8kb, sram_32kb, sram_1mb, dram",
    # ---- rates
    "bandwidth": "bytes per second of a memory, link or path",
    "intra_bandwidth": "per-device bandwidth inside a node (hierarchical collectives)",
    "storage_bandwidth": "bytes per second storage delivers",
    "storage_units": "units of a storage tier working in parallel (drives, appliances, prefixes)",
    "downlink": "bytes per second to a client",
    "uplink": "bytes per second from a client",
    "arrival_rate": "requests (or any count) arriving per second",
    "service_rate": "requests one server completes per second",
    "arrival_rates": "arrival rate of each priority class, highest priority first",
    "service_rates": "service rate of each priority class (or one for all)",
    "throughput": "work completed per second (requests, tokens, samples: any count/s)",
    "target_throughput": "the rate that must be sustained (any count/s)",
    # ---- times
    "duration": "how long a job or period lasts (a time Quantity)",
    "interval": "time between two events (checkpoints, retraining)",
    "latency": "fixed per-message time of a link (alpha)",
    "intra_latency": "per-message time inside a node (hierarchical collectives)",
    "overhead": "fixed time that is neither data movement nor arithmetic (Iron Law L)",
    "dispatch_overhead": "time to launch one kernel",
    "compile_time": "one-off time to compile a model (e.g. torch.compile) before serving",
    "compute_time": "time of useful work",
    "base_time": "fixed part of a batch's service time",
    "per_item_time": "service time added by each item of a batch",
    "local_compute_time": "client-side compute time per federated round",
    "checkpoint_time": "time to write one checkpoint",
    "restart_time": "time to restart after a failure",
    "repair_time": "mean time to repair or replace a failed part (MTTR)",
    "retrain_time": "time to retrain and redeploy a model once a problem is detected",
    "tolerated_time": "longest a violation (accuracy under its floor) may last",
    "straggler_delay": "mean extra time a client takes beyond the fastest (shifted "
                       "exponential client times)",
    "mtbf": "mean time between failures of one part",
    "window": "an SLO's measurement window",
    "downtime": "time out of service so far",
    "lifetime": "service life over which a device's cost or carbon is amortised",
    "time_in_system": "time a request spends in the system (Little's W)",
    "target_latency": "the latency that must not be exceeded",
    "queueing_time": "time a request waits in queues before it is served",
    "deadline": "time by which a job, a transfer or a federated round must be done",
    "max_stall": "longest the job may be paused (e.g. by a checkpoint write)",
    # ---- fractions and ratios (plain numbers)
    "mfu": "achieved fraction of peak FLOP/s, 0-1 (the Iron Law's eta; model FLOPs utilisation)",
    "utilization": "fraction of time (and of TDP) a device is busy, 0-1",
    "memory_fraction": "fraction of device memory usable for weights and caches, 0-1",
    "parallel_fraction": "fraction of a program that parallelises, 0-1",
    "sparsity": "fraction of weights pruned, 0-1",
    "compression": "size of an update relative to the model, 0-1",
    "percentile": "tail percentile as a fraction (0.99 for P99)",
    "percentiles": "percentiles as fractions (0.5, 0.9, 0.99)",
    "service_cv": "coefficient of variation of the service time (std / mean; 1 exponential, "
                  "0 deterministic)",
    "failure_probability": "probability one attempt (or call) fails, 0-1",
    "confidence": "confidence level of an interval, 0-1 (0.95)",
    "participation": "fraction of a federated population eligible at round time (idle, "
                     "charging, unmetered), 0-1",
    "dropout": "fraction of selected clients that drop out before reporting, 0-1",
    "overselection": "clients selected per round / clients_per_round, >= 1",
    "slo": "availability objective as a fraction (0.999)",
    "availabilities": "availability of each component, fractions",
    "pue": "power usage effectiveness, >= 1",
    "oversubscription": "upper-tier oversubscription ratio of a network, >= 1",
    "radix": "ports per network switch",
    "round_trips": "network round trips one request makes",
    "in_system": "requests in the system (Little's L)",
    # ---- money, power, carbon
    "power": "average electrical power of one device",
    "price_per_hour": "price of one device-hour (rented)",
    "electricity_price": "price of energy, e.g. '0.08 USD/kWh'",
    "cost_per_label": "price of one annotation",
    "budget": "money available",
    "switch_price": "price of one network switch",
    "optic_price": "price of the optics of one link end (transceiver and cable share)",
    "egress_price": "price per byte leaving a cloud ('0.09 USD/GB'), or an entry of "
                    "mlsysim.Systems.Egress, or its name",
    "retrain_cost": "money one retraining costs",
    "loss_per_point": "money lost per day per percentage point of accuracy lost",
    "max_unit_cost": "most a device may cost",
    "max_power": "most power a device may draw",
    "carbon_intensity": "grid carbon intensity, e.g. '400 gCO2e/kWh'",
    "embodied_carbon": "carbon emitted making one device",
    "carbon_budget": "most carbon a job may emit, e.g. '50 kgCO2e'",
    "profile": "hourly carbon-intensity shape: solar, coal, flat, or 24 intensities",
    "start_hour": "hour of day (0-24, local) a job starts",
    # ---- learning curves and quality
    "target_accuracy": "accuracy that must be reached, 0-1",
    "max_accuracy": "ceiling of an (illustrative) learning curve, 0-1",
    "base_accuracy": "floor of an (illustrative) learning curve, 0-1",
    "target_robust_accuracy": "accuracy under attack that must be reached, 0-1",
    "adversarial_fraction": "share of each training batch that is adversarial (0: standard, 1: PGD training)",
    "attack_steps": "PGD iterations per adversarial example (k)",
    "dataset": "named benchmark dataset (e.g. cifar10, mnist)",
    "strategy": "named strategy of a curve (curriculum, active learning)",
    "tau_steps": "time constant of an illustrative training curve, steps",
    "label_scale": "label count constant of an illustrative active-learning curve",
    "epsilon_scale": "epsilon constant of the illustrative DP-SGD utility curve",
    "decay_rate": "accuracy lost per unit time (e.g. '0.5 %/day'; for an exponential decay, "
                  "the initial loss rate)",
    "decay": "shape of an illustrative accuracy decay: linear or exponential",
    "initial_accuracy": "accuracy when a model is deployed or last retrained, 0-1",
    "regime": "training regime of the illustrative curriculum curves: normal, "
              "limited_budget, noisy_labels",
    # ---- benchmarking
    "measurements": "repeated measurements of one benchmark (numbers or Quantities of one "
                    "unit)",
    "baseline_measurements": "measurements of the baseline a speed-up is claimed against",
    "groups": "measurements by setting: {setting: [measurements]}",
    "claimed_speedup": "a claimed speed-up (baseline time / new time)",
    # ---- privacy
    "epsilon": "differential-privacy epsilon",
    "delta": "differential-privacy delta",
    "delta_prime": "slack delta of advanced composition",
    "sensitivity": "L2 sensitivity of a query",
    "noise_multiplier": "DP-SGD Gaussian noise std as a multiple of the clipping norm",
    "sampling_rate": "fraction of the dataset in one batch (DP-SGD Poisson sampling rate q)",
    # ---- fairness, drift
    "confusion": "per-group confusion counts {group: {tp, fp, tn, fn}}",
    "base_rate": "share of positives in a group, 0-1",
    "ppv": "positive predictive value, 0-1",
    "fnr": "false negative rate, 0-1",
    "score_distributions": "per-group binormal score model {group: {base_rate, pos_mean, neg_mean, pos_std, neg_std, share}}",
    "threshold": "decision threshold on a score: one number, or {group: number}",
    "max_gap": "largest tolerated gap between groups' rates (equalized odds), 0-1",
    "min_impact_ratio": "lowest tolerated ratio of selection rates (four-fifths rule: 0.8)",
    "gap": "difference between two groups' rates an audit must detect, 0-1",
    "rate": "the rate audited (e.g. a group's TPR), 0-1",
    "test_power": "probability that an audit detects a true gap (1 - beta), 0-1",
    "group_count": "number of groups audited",
    "expected": "reference (training) bin counts",
    "actual": "observed (serving) bin counts",
    "smoothing": "floor given to empty bins",
    # ---- behaviour switches
    "algorithm": "collective algorithm name",
    "access_pattern": "how a loader reads samples: sequential (packed shards), random, "
                      "small_files (one file per sample)",
    "optimizer": "training optimizer name (its state bytes per parameter)",
    "checkpointing": "activation checkpointing: none, selective, full",
    "pruning": "pruning kind: unstructured, structured, 2:4",
    "quantization": "quantization method: ptq (post-training) or qat (quantization-aware training)",
    "composition": "series or parallel",
    "overlap": "True: data movement and compute overlap (Iron Law max form)",
    "fused": "True: fused (Flash) attention that never stores the s x s score matrix",
    "training": "True: count training states, False: inference weights",
    "gated": "True for gated (SwiGLU) MLPs",
    "tied_embeddings": "True when input and output embeddings share weights",
    # ---- economics, sustainability, data
    "efficiency_gain": "factor by which work per unit energy improves, > 1",
    "elasticity": "price elasticity of demand, >= 0",
    "stages": "pipeline stage name -> rate",
    "points": "(cost, quality) pairs",
}


#: mlsysim 0.1 names -> their name now. Not translated: reported in the error.
RENAMED: dict[str, str] = {
    "workload": "model", "duration_days": "duration", "job_duration": "duration",
    "interval_days": "interval", "components": "devices", "workers": "devices",
    "endpoints": "devices", "efficiency": "mfu", "kernel_launches": "kernels",
    "latency_target": "target_latency", "accuracy_floor": "target_accuracy",
    "usable_fraction": "memory_fraction", "micro_batch": "micro_batch_size",
    "checkpoint_cost": "checkpoint_time", "amortization_years": "lifetime",
    "link_bandwidth": "bandwidth", "samples_per_second": "target_throughput",
    "accelerator_demand": "target_throughput", "price_per_device_hour": "price_per_hour",
    "cost_per_hour": "price_per_hour", "compute": "training_flops", "k": "steps",
    "eps": "smoothing", "embodied_per_device": "embodied_carbon",
    "non_private_accuracy": "max_accuracy", "floor_accuracy": "base_accuracy",
    "decay_per_day": "decay_rate", "value_per_point_day": "loss_per_point",
}


def _days(value):
    from .constants import Q_

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Q_(value, "day")
    return value


#: Spellings of the API contract document (seed 002) -> (name here, converter or None).
SEED_SPELLINGS: dict[str, tuple[str, Callable[[Any], Any] | None]] = {
    "duration_days": ("duration", _days),
}


def translate(inputs: Mapping[str, Any], accepted: Iterable[str] | None, where: str,
              strict: bool = True) -> dict[str, Any]:
    """``inputs`` with seed spellings translated. With ``strict``, a name not in ``accepted``
    raises InvalidInputError naming the closest accepted name (or the 0.1 rename)."""
    out = dict(inputs)
    accepted = set(accepted) if accepted is not None else None
    for old, (new, convert) in SEED_SPELLINGS.items():
        if old in out and (accepted is None or old not in accepted) and new not in out:
            warnings.warn(f"{where}: {old!r} is spelled {new!r} in mlsysim; translated",
                          DeprecationWarning, stacklevel=3)
            value = out.pop(old)
            out[new] = convert(value) if convert else value
    if strict and accepted is not None:
        for name in out:
            if name not in accepted:
                raise unknown_input(where, name, accepted)
    return out


def unknown_input(where: str, name: str, accepted: Iterable[str]) -> InvalidInputError:
    accepted = sorted(accepted)
    if name in RENAMED and RENAMED[name] in accepted:
        hint = f"It was renamed {RENAMED[name]!r} in mlsysim 0.2."
    else:
        close = difflib.get_close_matches(name, accepted, n=1)
        hint = f"Did you mean {close[0]!r}?" if close else ""
    return InvalidInputError(f"{where}.{name}", f"one of {', '.join(accepted)}",
                             "an unknown input", hint or None)


__all__ = ["NAMES", "SEED_SPELLINGS", "RENAMED", "translate", "unknown_input"]
