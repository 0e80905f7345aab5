"""The cases Chapter 13 (book/vol1/model_serving.qmd) and Lab 13 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call and cannot differ. Physics is the
engine's: IronLawModel times one decoding step of a language model on a device, MMcQueueModel
and ResponseTimeDistributionModel give the queue's waits and its response-time percentiles
(M/M/c, Erlang C), BatchingLatencyModel the wait for a batch to fill, LittlesLawModel the
requests in flight and FanOutTailModel the tail at scale. This module fixes which machine,
model, load and service a case means, and declares the scenario constants with their sources.

The service: a text-suggestion feature. Each request asks a language model for a short reply;
replies vary in length, so the service time varies from request to request, and we model it
as exponential (the M/M/c queue's assumption) with mean = tokens per reply x the time of one
decoding step. A batch of b requests is decoded together: one step serves all b, so a batch
takes tokens x (the Iron Law time at batch b) and is one job for the queue.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (BatchingLatencyModel, FanOutTailModel, IronLawModel,
                                 LittlesLawModel, MG1QueueModel, MMcQueueModel,
                                 ResponseTimeDistributionModel)

# ---- machines and models ---------------------------------------------------------------------
#: Lab 13's contexts: the feature served from a datacenter GPU, or on the phone itself. The
#: cloud serves the larger model (GPT-2 XL, 1.5 B parameters) at FP16; the phone runs GPT-2
#: (124 M) at INT8 on its neural engine (the registry's default precision for the A17 Pro).
MACHINES = {"cloud": Hardware.Cloud.H100, "mobile": Hardware.Mobile.A17Pro}
MODELS = {"cloud": Models.Language.GPT2_XL, "mobile": Models.Language.GPT2}
PRECISION = {"cloud": "fp16", "mobile": "int8"}
#: Servers a context can add: H100s behind one queue in the datacenter; the phone has one
#: neural engine, so its "server" count is fixed at 1.
MAX_SERVERS = {"cloud": 8, "mobile": 1}

#: The chapter's worked example (a case the lab does not ask about): the same feature on the
#: previous datacenter generation, the A100 SXM4 80 GB, serving GPT-2 XL at FP16.
CHAPTER_MACHINE = Hardware.Cloud.A100_80GB
CHAPTER_MODEL = Models.Language.GPT2_XL
CHAPTER_PRECISION = "fp16"
#: Requests per second the chapter's service receives. ILLUSTRATIVE scenario choice.
CHAPTER_RATE = 25.0

# ---- scenario constants (each with its source) -----------------------------------------------
#: The latency objective: 99% of suggestions within 200 ms. SCENARIO CHOICE, grounded in typing
#: speed: people type on phones at 36.2 words per minute on average (Palin et al. 2019, "How do
#: People Type on Mobile Devices? Observations from a Study with 37,000 Volunteers", MobileHCI),
#: i.e. 3.0 characters per second or one keystroke every ~330 ms; a suggestion that takes
#: longer than about 200 ms arrives after the next keystroke for a fast typist and is stale.
SLA = Q_(200, "ms")
PERCENTILE = 0.99
TYPING_WPM = 36.2
#: Characters per word in words-per-minute measures: the convention of text-entry research
#: (5 characters including the space; MacKenzie and Soukoreff 2002, HCI 17(2-3)).
CHARS_PER_WORD = 5
#: Mean tokens per suggested reply. ILLUSTRATIVE: suggestions are a few words long (Kannan et
#: al. 2016, "Smart Reply", KDD, keep replies short); about 8 GPT-2 tokens is a short phrase.
REPLY_TOKENS = 8
#: Requests per second at 1x load. Cloud: ILLUSTRATIVE, the feature's beta cohort before the
#: launch to every user. Mobile: the keyboard asks for a new suggestion at each keystroke, so
#: one typist sends the typing rate (Palin et al. 2019) in requests per second.
BASE_RATE = {"cloud": 30.0, "mobile": TYPING_WPM * CHARS_PER_WORD / 60.0}
#: The launch: ten times the beta's traffic (and, on the phone, every app's text field using
#: the model, up to ten times the keyboard's rate). ILLUSTRATIVE scenario choice.
LAUNCH_LOAD = 10


# ---- the service time -----------------------------------------------------------------------
@lru_cache(maxsize=128)
def step(context: str, batch: int = 1):
    """One decoding step (one token for each of ``batch`` replies) on the context's machine:
    the Iron Law at its precision (weights streamed once per step, activations per reply)."""
    return IronLawModel().solve(hardware=MACHINES[context], model=MODELS[context],
                                precision=PRECISION[context], batch_size=batch)


def service_time(context: str, batch: int = 1, tokens: int = REPLY_TOKENS) -> float:
    """Seconds to decode one batch of ``batch`` replies of ``tokens`` tokens (mean)."""
    return tokens * step(context, batch).total.m_as("s")


@lru_cache(maxsize=64)
def chapter_step(batch: int = 1):
    return IronLawModel().solve(hardware=CHAPTER_MACHINE, model=CHAPTER_MODEL,
                                precision=CHAPTER_PRECISION, batch_size=batch)


def chapter_service_time(batch: int = 1, tokens: int = REPLY_TOKENS) -> float:
    return tokens * chapter_step(batch).total.m_as("s")


def base_rate(context: str) -> float:
    return BASE_RATE[context]


# ---- one queue: M/M/c with exponential service ------------------------------------------------
@lru_cache(maxsize=2048)
def queue(rate: float, service: float, servers: int = 1):
    """M/M/c: ``rate`` arrivals per second, mean service ``service`` seconds, ``servers``."""
    return MMcQueueModel().solve(arrival_rate=Q_(rate, "1/s"), service_rate=Q_(1 / service, "1/s"),
                                 servers=servers, percentile=PERCENTILE)


@lru_cache(maxsize=512)
def distribution(rate: float, service: float, servers: int = 1):
    """The response-time distribution of that queue: percentiles and a histogram."""
    return ResponseTimeDistributionModel().solve(
        arrival_rate=Q_(rate, "1/s"), service_rate=Q_(1 / service, "1/s"), servers=servers,
        percentiles=(0.5, 0.9, PERCENTILE, 0.999), target_latency=SLA)


@lru_cache(maxsize=64)
def md1(rate: float, service: float):
    """The same single server with identical service times (M/D/1, Pollaczek-Khinchine)."""
    return MG1QueueModel().solve(arrival_rate=Q_(rate, "1/s"), service_rate=Q_(1 / service, "1/s"),
                                 service_cv=0.0)


@lru_cache(maxsize=512)
def fill(rate: float, batch: int):
    """The wait for a batch of ``batch`` to fill from ``rate`` Poisson arrivals: the batching
    model with no service part (the queue serves the batch). Its percentile latency is the
    first request's wait for b - 1 more arrivals (the worst position in the batch); its mean
    averages over positions, (b - 1) / (2 rate)."""
    return BatchingLatencyModel().solve(arrival_rate=Q_(rate, "1/s"), batch_size=batch,
                                        base_time=Q_(0, "s"), per_item_time=Q_(0, "s"),
                                        percentile=PERCENTILE)


def in_flight(rate: float, time_in_system: float) -> float:
    """Little's law: requests inside the system, L = lambda W."""
    return LittlesLawModel().solve(arrival_rate=Q_(rate, "1/s"),
                                   time_in_system=Q_(time_in_system, "s")).in_system


@lru_cache(maxsize=16)
def fan_out(leaves: int):
    return FanOutTailModel().solve(fan_out=leaves, percentile=PERCENTILE)


# ---- a serving design: load, servers, batch, reply length ------------------------------------
@dataclass(frozen=True)
class Design:
    """One serving design and what the engine says about it (times in seconds)."""

    context: str
    load: float           # multiple of the context's 1x rate
    servers: int
    batch: int
    tokens: int
    rate: float           # requests per second
    service: float        # seconds per batch
    queue: object         # MMc result for batches
    fill: object          # batching result: the wait for a batch to fill
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def stable(self) -> bool:
        return self.queue.utilization < 1

    @property
    def utilization(self) -> float:
        return self.queue.utilization

    @property
    def capacity(self) -> float:
        """Requests per second the servers can complete: c x b / S_b."""
        return self.servers * self.batch / self.service

    @property
    def fill_p99(self) -> float:
        return self.fill.p_latency.m_as("s")

    @property
    def fill_mean(self) -> float:
        return self.fill.mean_latency.m_as("s")

    @property
    def queue_p99(self) -> float:
        return self.queue.response_percentile.m_as("s")

    @property
    def p99(self) -> float:
        """P99 estimate: the fill wait's P99 plus the batch queue's response P99 (an upper
        estimate: the two tails rarely fall on the same request). Exact for batch 1."""
        return self.fill_p99 + self.queue_p99 if self.stable else math.inf

    @property
    def mean(self) -> float:
        """Mean latency: mean fill wait + the batch's mean response (exact by linearity)."""
        return self.fill_mean + self.queue.mean_response.m_as("s") if self.stable else math.inf

    @property
    def in_flight(self) -> float:
        return in_flight(self.rate, self.mean) if self.stable else math.inf


def _design(context: str, load: float, rate: float, service: float, servers: int, batch: int,
            tokens: int) -> Design:
    q = queue(rate / batch, service, servers)
    f = fill(rate, batch)
    if q.utilization >= 1:
        violations = (Constraint("server capacity", Q_(rate, "request/s"),
                                 Q_(servers * batch / service, "request/s")),)
        return Design(context, load, servers, batch, tokens, rate, service, q, f, violations)
    d = Design(context, load, servers, batch, tokens, rate, service, q, f, ())
    if d.p99 > SLA.m_as("s"):
        d = Design(context, load, servers, batch, tokens, rate, service, q, f,
                   (Constraint("P99 latency", Q_(d.p99 * 1e3, "ms"), SLA),))
    return d


@lru_cache(maxsize=4096)
def design(context: str, load: float, servers: int = 1, batch: int = 1,
           tokens: int = REPLY_TOKENS) -> Design:
    """The feature at ``load`` x its 1x rate on ``servers`` machines, decoding ``batch``
    replies of ``tokens`` tokens together. Violations: "server capacity" (arrivals at or above
    what the servers complete, in requests per second) or "P99 latency" (against the SLA)."""
    rate = load * BASE_RATE[context]
    return _design(context, load, rate, service_time(context, batch, tokens), servers, batch,
                   tokens)


@lru_cache(maxsize=256)
def chapter_design(load: float, servers: int = 1, batch: int = 1,
                   tokens: int = REPLY_TOKENS) -> Design:
    """The chapter's worked example: the A100 at ``load`` x CHAPTER_RATE."""
    return _design("chapter", load, load * CHAPTER_RATE, chapter_service_time(batch, tokens),
                   servers, batch, tokens)


def chapter_fewest_servers(load: float, batch: int = 1, limit: int = 64) -> int:
    return next((c for c in range(1, limit + 1) if chapter_design(load, c, batch).feasible), 0)


def fewest_servers(context: str, load: float, batch: int = 1, tokens: int = REPLY_TOKENS,
                   limit: int = 64) -> int:
    """The fewest servers that meet the SLA (0 when none up to ``limit`` does)."""
    return next((c for c in range(1, limit + 1) if design(context, load, c, batch, tokens).feasible), 0)


def capacity_servers(context: str, load: float, batch: int = 1,
                     tokens: int = REPLY_TOKENS) -> int:
    """The fewest servers whose queue is stable at all: floor(lambda S / b) + 1."""
    d = design(context, load, 1, batch, tokens)
    return math.floor(d.rate * d.service / batch) + 1


def longest_reply(context: str, load: float, servers: int = 1, batch: int = 1,
                  grid=tuple(range(2, 33, 2))) -> int:
    """The longest reply (tokens, on the slider's grid) that still meets the SLA; 0 if none."""
    ok = [n for n in grid if design(context, load, servers, batch, n).feasible]
    return max(ok) if ok else 0
