"""The cases Chapter 16 (book/vol1/conclusion.qmd) and Lab 16 both compute, in one place.

Volume I's capstone puts one design (a model, a precision, a batch size, an execution mode)
in front of the four deployment contexts at once, each with its own requirement: a request
rate and a latency deadline. Every check is an engine call, reused from the chapters that
introduced it: the machines, models and Iron Law launches of Chapter 1
(introduction_cases.py), the camera rate and deadlines of Chapter 2 (ml_systems_cases.py),
the phone's app budget (phone.py), the engine's MemoryFootprintModel (capacity before speed),
IronLawModel (T = D/BW + O/R + L) and BatchingLatencyModel (a batch's fill time plus its
service time, and the server's capacity b/T(b)). This module fixes the scenario and declares
its few constants with their sources; it also reads a student's Volume I ledger into a
calibration (log10 of predicted over actual, per lab).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import BatchingLatencyModel, IronLawModel, MemoryFootprintModel

from labkit import contexts, fmt
from labs.vol1 import introduction_cases as intro
from labs.vol1 import ml_systems_cases as systems
from labs.vol1 import phone

# ---- machines and models: Chapter 1's, so one case has one number ----------------------------
CONTEXTS = ("cloud", "edge", "mobile", "tiny")
MACHINES = intro.MACHINES
MODELS = intro.MODELS                    # resnet50, mobilenetv2, dscnn
ITEM = intro.ITEM
EXECUTIONS = intro.EXECUTIONS            # eager: one launch per layer; graph: one launch
launches = intro.launches

#: The two precisions a design can pick. "float" is the device's floating-point inference
#: format: FP16 on the GPUs and the phone's NPU; FP32 on the Cortex-M7, whose FPU has no FP16
#: arithmetic (the engine lists fp32 and int8 for it). "int8" is 8-bit integers everywhere.
PRECISION_CHOICES = ("float", "int8")


def precision(context: str, choice: str) -> str:
    """The engine's precision for a design's precision choice on a context's machine."""
    if choice == "int8":
        return "int8"
    return "fp32" if context == "tiny" else "fp16"


# ---- the four requirements (one product, four places to run it) ------------------------------
@dataclass(frozen=True)
class Requirement:
    """What a context asks of the design: requests per second arriving at one device, and the
    latency within which 99 % of them must be answered."""

    context: str
    rate: float          # requests/s arriving at the one device
    deadline: float      # seconds, on the P99 latency
    what: str            # the workload, in words


#: Cloud: requests per second reaching one H100 at the service's peak. ILLUSTRATIVE scenario
#: choice (a photo service's peak traffic routed to one GPU).
CLOUD_RATE = 25_000.0
#: Edge: cameras on one Jetson. ILLUSTRATIVE scenario choice (an inspection line); each sends
#: Chapter 2's 30 frames/s and must get its verdict within Chapter 2's 10 ms control deadline.
EDGE_CAMERAS = 8
#: TinyML: the doorbell's microcontroller classifies one 1-second window per second, and must
#: finish before the next window arrives. The 1 s window is DS-CNN's input (Zhang et al. 2017,
#: "Hello Edge", Sec. 3: 40 ms frames over a 1 s clip); the same pace is used for its camera.
CLIP_SECONDS = 1.0

REQUIREMENTS = {
    # The cloud reply has Nielsen's 0.1 s for a response that feels instantaneous (Nielsen
    # 1993, through Chapter 2's PHONE_SLA).
    "cloud": Requirement("cloud", CLOUD_RATE, systems.PHONE_SLA.m_as("s"),
                         "a photo service's peak traffic on one GPU"),
    "edge": Requirement("edge", EDGE_CAMERAS * systems.FRAMES_PER_CAMERA,
                        systems.FACTORY_SLA.m_as("s"),
                        f"{EDGE_CAMERAS} inspection cameras at {systems.FRAMES_PER_CAMERA} "
                        "frames/s each"),
    # A live-camera app keeps up only if each frame is answered before the next one arrives:
    # the deadline is one frame interval.
    "mobile": Requirement("mobile", float(systems.FRAMES_PER_CAMERA),
                          1.0 / systems.FRAMES_PER_CAMERA,
                          f"a live camera view at {systems.FRAMES_PER_CAMERA} frames/s"),
    "tiny": Requirement("tiny", 1.0 / CLIP_SECONDS, CLIP_SECONDS,
                        "one 1-second window per second on a battery doorbell"),
}

#: What each constraint is, in words (the lab's tables and the chapter's).
KINDS = {"memory": "memory capacity", "app": "app memory budget",
         "throughput": "throughput", "latency": "P99 latency"}


# ---- one design in one context ----------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    model: str
    precision: str       # "float" or "int8"
    batch: int
    execution: str       # "eager" or "graph"


@dataclass(frozen=True)
class Check:
    """One constraint of a context, satisfied or not: required against available."""

    kind: str            # memory, app, throughput, latency
    constraint: Constraint
    ratio: float = 0.0   # required / available (the constraint's, computed once)
    met: bool = True     # fits when required <= available; a server keeps up only below 1


def check(kind: str, constraint: Constraint) -> Check:
    r = constraint.ratio
    return Check(kind, constraint, r, r < 1.0 if kind == "throughput" else r <= 1.0)


@dataclass(frozen=True)
class Verdict:
    """A design in a context: the Iron Law, the fit, the batching queue, every check."""

    context: str
    design: Design
    precision: str       # the engine's precision (fp16, fp32, int8)
    per_item: float      # s: the Iron Law time each extra item adds
    base: float          # s: the Iron Law time of a batch that does not grow with it
    fit: object          # MemoryFootprintResult
    queue: object        # BatchingLatencyResult
    checks: tuple        # Check, every one (met or not)
    violations: tuple    # the violated constraints (Constraint), in check order
    binding: Check       # the check with the least headroom (largest required / available)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def service_time(self) -> float:
        """Seconds one batch takes on the device (Iron Law, additive form)."""
        return self.base + self.design.batch * self.per_item

    @property
    def capacity(self) -> float:
        """Requests per second the device completes at this batch: b / T(b)."""
        return self.design.batch / self.service_time

    @property
    def stable(self) -> bool:
        return self.queue.feasible

    @property
    def p99(self) -> float:
        """Seconds: the batch's fill time (P99) plus its service time; inf when unstable."""
        return self.queue.p_latency.m_as("s") if self.stable else math.inf


@lru_cache(maxsize=256)
def iron_law(context: str, model: str, precision_choice: str, execution: str,
             batch: int = 1):
    """The Iron Law of one batch on the context's machine (Chapter 1's launches)."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[model],
                                precision=precision(context, precision_choice),
                                batch_size=batch, kernels=launches(model, execution))


@lru_cache(maxsize=128)
def service_terms(context: str, model: str, precision_choice: str,
                  execution: str) -> tuple[float, float]:
    """(base, per item) in seconds: the Iron Law is linear in the batch (weights and launches
    once per batch; activations and arithmetic once per item), so two batches fix it."""
    t1 = iron_law(context, model, precision_choice, execution, 1).total.m_as("s")
    t2 = iron_law(context, model, precision_choice, execution, 2).total.m_as("s")
    per = t2 - t1
    return t1 - per, per


@lru_cache(maxsize=4096)
def verdict(context: str, model: str, precision_choice: str, batch: int,
            execution: str) -> Verdict:
    """Every check of a design in a context: memory (each memory of the device; on the phone
    also the app's budget), throughput (arrivals against b / T(b)) and, when the device keeps
    up, the P99 latency (fill time + service) against the deadline."""
    design = Design(model, precision_choice, batch, execution)
    req = REQUIREMENTS[context]
    prec = precision(context, precision_choice)
    fit = MemoryFootprintModel().solve(model=MODELS[model], hardware=MACHINES[context],
                                       precision=prec, batch_size=batch)
    base, per = service_terms(context, model, precision_choice, execution)
    queue = BatchingLatencyModel().solve(arrival_rate=Q_(req.rate, "1/s"), batch_size=batch,
                                         base_time=Q_(base, "s"), per_item_time=Q_(per, "s"))
    checks = [check("memory", Constraint(f"{memory} capacity", v["required"].to("B"),
                                         v["available"].to("B")))
              for memory, v in fit.checks.items()]
    if context == "mobile":
        total = fit.weight_bytes + fit.activation_bytes
        checks.append(check("app", Constraint("app memory budget", total.to("B"),
                                              Q_(phone.app_budget_bytes(MACHINES[context]),
                                                 "B"))))
    if queue.feasible:   # an unstable queue has no finite latency to compare
        checks.append(check("latency", Constraint("P99 latency", queue.p_latency.to("ms"),
                                                  Q_(req.deadline, "s").to("ms"))))
    capacity = batch / (base + batch * per)
    checks.append(check("throughput", Constraint("server capacity", Q_(req.rate, "1/s"),
                                                 Q_(capacity, "1/s"))))
    return Verdict(context, design, prec, per, base, fit, queue, tuple(checks),
                   tuple(c.constraint for c in checks if not c.met),
                   max(checks, key=lambda c: c.ratio))


def verdicts(model: str, precision_choice: str, batch: int, execution: str) -> dict:
    """The same design in all four contexts."""
    return {c: verdict(c, model, precision_choice, batch, execution) for c in CONTEXTS}


def passes(model: str, precision_choice: str, batch: int, execution: str) -> tuple[str, ...]:
    """The contexts in which the design meets every requirement."""
    return tuple(c for c, v in verdicts(model, precision_choice, batch, execution).items()
                 if v.feasible)


@lru_cache(maxsize=1)
def universal_designs(max_batch: int = 8) -> tuple[Design, ...]:
    """Every design (batch up to ``max_batch``) that passes all four contexts."""
    out = []
    for model in MODELS:
        for p in PRECISION_CHOICES:
            for ex in EXECUTIONS:
                for b in range(1, max_batch + 1):
                    if len(passes(model, p, b, ex)) == len(CONTEXTS):
                        out.append(Design(model, p, b, ex))
    return tuple(out)


def largest_batch(context: str, model: str, precision_choice: str, execution: str,
                  limit: int = 64) -> int:
    """The largest batch (<= ``limit``) that passes the context; 0 when none does."""
    ok = [b for b in range(1, limit + 1) if verdict(context, model, precision_choice, b,
                                                    execution).feasible]
    return max(ok) if ok else 0


def smallest_batch(context: str, model: str, precision_choice: str, execution: str,
                   limit: int = 64) -> int:
    """The smallest batch (<= ``limit``) at which the device keeps up; 0 when none does."""
    for b in range(1, limit + 1):
        if verdict(context, model, precision_choice, b, execution).stable:
            return b
    return 0


# ---- the chapter's worked example and the lab's questions (different cases) -----------------
#: Chapter 16 works MobileNetV2 at INT8, batch 1, compiled, across the four contexts; then the
#: keyword spotter on the doorbell.
CHAPTER = Design("mobilenetv2", "int8", 1, "graph")
#: Lab 16 Act I: which constraint binds ResNet-50 at FP16, batch 1, eager, on the Cloud.
ACT1 = Design("resnet50", "float", 1, "eager")
ACT1_CONTEXT = "cloud"
#: Lab 16 Act II: in how many contexts does MobileNetV2 at INT8, batch 8, compiled, pass?
ACT2 = Design("mobilenetv2", "int8", 8, "graph")


def of(design: Design, context: str) -> Verdict:
    return verdict(context, design.model, design.precision, design.batch, design.execution)


# ---- the Volume I ledger, read as a calibration ---------------------------------------------
#: Volume I's labs with a chapter (Lab 00, the orientation tour, records the home context and
#: asks no estimate). Chapter titles as the book prints them; the invariant each lab teaches
#: (LAB_PROTOCOL's catalog).
VOLUME1 = {
    1: ("Introduction", "the D·A·M triad and the Iron Law"),
    2: ("ML Systems", "the Iron Law across the spectrum; the latency waterfall"),
    3: ("The ML Workflow", "the loop; silent accuracy decay"),
    4: ("Data Engineering", "the slowest stage bounds throughput; data gravity"),
    5: ("Neural Network Computation", "activation memory; the memory hierarchy"),
    6: ("Neural Network Architectures", "attention's n² memory; depth against width"),
    7: ("ML Frameworks", "dispatch overhead; kernel fusion"),
    8: ("Model Training", "weights + gradients + optimizer state + activations"),
    9: ("Data Selection", "the annotation budget's Pareto frontier"),
    10: ("Model Compression", "the quantization and pruning frontier"),
    11: ("Hardware Acceleration", "the roofline and its ridge point"),
    12: ("Benchmarking", "benchmark validity; Amdahl's law"),
    13: ("Model Serving", "Little's law; P99 against the mean; batching"),
    14: ("ML Operations", "drift detection and the cost of retraining"),
    15: ("Responsible Engineering", "fairness against accuracy; the cost of an audit"),
}
#: A prediction "within 2x" of reality: |log10(predicted / actual)| <= log10(2) (the close
#: band of the labs' own numeric overlays, labkit.fmt.gap_text's default).
CLOSE_FACTOR = 2.0


def log_ratio(predicted, actual) -> float | None:
    """log10(predicted / actual), or None when either is missing, zero, negative or not
    finite (a category question, or an estimate that has no scale)."""
    try:
        p, a = float(predicted), float(actual)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(p) and math.isfinite(a) and p > 0 and a > 0):
        return None
    return math.log10(p / a)


def estimate_text(lr) -> str:
    """One estimate's miss as a student reads it: "3.2x over", "on the mark" (both capstones)."""
    if lr is None:
        return "no numeric estimate"
    factor = 10 ** abs(lr)
    if factor < 1.005:
        return "on the mark"
    return f"{fmt.ratio(factor)} {'over' if lr > 0 else 'under'}"


@dataclass(frozen=True)
class LabRecord:
    number: int
    context: str
    log_ratio: float | None
    predicted: float | None
    actual: float | None
    act1_correct: bool
    act2_correct: bool
    constraint_hit: bool


@dataclass(frozen=True)
class Calibration:
    done: tuple          # LabRecord, book order
    missing: tuple       # lab numbers not yet done

    @property
    def numeric(self) -> tuple:
        return tuple(r for r in self.done if r.log_ratio is not None)

    @property
    def within(self) -> int:
        limit = math.log10(CLOSE_FACTOR)
        return sum(1 for r in self.numeric if abs(r.log_ratio) <= limit + 1e-12)

    @property
    def share_within(self) -> float | None:
        return self.within / len(self.numeric) if self.numeric else None

    @property
    def median_abs(self) -> float | None:
        values = sorted(abs(r.log_ratio) for r in self.numeric)
        if not values:
            return None
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    @property
    def mean_signed(self) -> float | None:
        """The mean log ratio: > 0 leans to over-estimates, < 0 to under-estimates."""
        n = self.numeric
        return sum(r.log_ratio for r in n) / len(n) if n else None

    def share(self, field: str) -> float | None:
        if not self.done:
            return None
        return sum(1 for r in self.done if getattr(r, field)) / len(self.done)


def calibration(entries) -> Calibration:
    """Volume I's labs 01-15 from a ledger's valid entries (``labkit.ledger.LedgerEntry``),
    in book order; other volumes and Lab 00 are left out."""
    done = {}
    for e in entries:
        if e.volume != 1 or e.number not in VOLUME1:
            continue
        done[e.number] = LabRecord(
            e.number, e.context, log_ratio(e.act1.predicted_value, e.act1.actual_value),
            e.act1.predicted_value, e.act1.actual_value, e.act1.correct, e.act2.correct,
            e.constraint_hit)
    return Calibration(tuple(done[n] for n in sorted(done)),
                       tuple(n for n in VOLUME1 if n not in done))


def context_name(key: str) -> str:
    return contexts.name(key) if key in contexts.CONTEXTS else key
