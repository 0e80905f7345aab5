"""The cases Chapter 14 (book/vol1/ml_ops.qmd) and Lab 14 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. The engine
gives the population stability index (PopulationStabilityModel), the illustrative accuracy
decay (AccuracyDecayModel, linear), the retraining-cadence trade-off (RetrainingCostModel),
what a retraining run costs on an H100 (TrainingTimeModel and the registry's rental price),
the model sizes, the devices, the LTE link and the cloud's egress price list.

This module fixes the scenarios, and every scenario value is ILLUSTRATIVE (a teaching value,
labelled so in the lab and in the chapter): how fast accuracy slides, how fast the input
feature's distribution moves (the drift trajectory below), the floor, label prices and
turnaround, rollout times, the loss per point of accuracy and the budgets.

The drift trajectory. One input feature (for a camera, the mean brightness of a frame),
standardised on the training data, is normally distributed there: N(0, 1). The reference
histogram is its ten deciles, 10% of the training frames in each. In week ``w`` after the
training snapshot the serving frames follow N(shift_per_week x w, spread): a deterministic,
illustrative model of a gradual covariate shift (brighter mornings as spring comes). Each
week's PSI compares the serving frames' shares in the training deciles with the 10% each.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_, Systems
from mlsysim.core.results import Constraint
from mlsysim.core.solver import (AccuracyDecayModel, PopulationStabilityModel,
                                 RetrainingCostModel, TrainingTimeModel)

from labkit import contexts
from labs.vol1.data_selection_cases import BATCH, CROWD_PRICE
from labs.vol1.ml_workflow_cases import CHAPTER_REVIEW_COST, DAYS_PER_MONTH

# ---- the two deployment contexts ----------------------------------------------------------
# Cloud: the cameras stream frames to H100 servers that run the model; a new model is a file
# copied inside the datacenter. Edge: every camera runs the model on its Jetson Orin NX's GPU
# (the engine's GPU-only entry: a framework's kernels run there); a new model is a download
# to every camera in the fleet. Retraining happens centrally on an H100 in both.
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU}
TRAINER = Hardware.Cloud.H100
CONTEXT_NAMES = {key: contexts.name(key) for key in MACHINES}
EGRESS = Systems.Egress.AWS_Internet     # bytes leaving the cloud towards the fleet
FLEET_LINK = Systems.Links.LTE           # each camera's cellular link (its downlink)

# ---- PSI conventions ------------------------------------------------------------------------
#: Bins of the reference histogram: the deciles of the training data (the usual PSI practice:
#: Siddiqi 2006, "Credit Risk Scorecards", Wiley, bins scores in ten groups).
BINS = 10
#: Siddiqi's (2006) rule of thumb: below 0.1 no significant shift, 0.1 to 0.25 moderate,
#: above 0.25 major (the engine's PopulationStabilityModel levels).
PSI_MODERATE, PSI_MAJOR = 0.1, 0.25
#: The alarm threshold the lab's Act I asks about: 0.2 is the default drift threshold of
#: CapyMOA's PSI detector (capymoa.drift.detectors.PSI, threshold=0.2), which cites D. Wu and
#: D. L. Olson, "Enterprise risk management: coping with model risk in a large bank", Journal
#: of the Operational Research Society 61(2), 2010.
PSI_ALARM = 0.2
#: How many weeks the lab's and chapter's weekly tables run (a quarter of a year).
WEEKS = 13
#: Horizon for "first week the alarm fires" searches.
SEARCH_WEEKS = 52

# ---- labelling, retraining and rollout (ILLUSTRATIVE) ---------------------------------------
#: Labelling services: (turnaround in days, USD per labelled image). The standard service is
#: Chapter 9's illustrative crowd price (3 judgements at $0.05); the expedited one, a rush
#: service at twice the price, is ILLUSTRATIVE.
LABELLING = {"standard": (14.0, CROWD_PRICE), "expedited": (4.0, 2 * CROWD_PRICE)}
#: Days to retrain, evaluate and sign off once the labels are in: ILLUSTRATIVE.
TRAIN_AND_REVIEW_DAYS = 2.0
#: Days from a signed-off model to every device serving it. Cloud: a one-day canary on a
#: slice of traffic, then the switch. Edge: a canary group of cameras, then waves across the
#: fleet until the last camera has the update. ILLUSTRATIVE.
ROLLOUT_DAYS = {"cloud": 1.0, "edge": 7.0}
#: Engineer time per retraining (review and sign-off), USD: the same illustrative engineer
#: day as Chapter 3 (ml_workflow_cases.CHAPTER_REVIEW_COST).
REVIEW_COST = CHAPTER_REVIEW_COST
#: Engineer time to run a staged rollout across a fleet (canary analysis, waves, stragglers):
#: two engineer days, ILLUSTRATIVE. A cloud rollout is part of the review day.
ROLLOUT_COST = {"cloud": 0.0, "edge": 2 * CHAPTER_REVIEW_COST}
#: Training epochs over the refreshed data set per retraining: ILLUSTRATIVE.
EPOCHS = 10


@dataclass(frozen=True)
class Scenario:
    """One illustrative product: how its accuracy and one input feature drift, and what
    retraining it costs. Accuracy is measured against the age of the model's training data
    (days since the snapshot), falling linearly from ``initial`` to ``slide_to`` in
    ``slide_weeks``."""
    name: str                 # what the product is, in words
    model_key: str            # engine registry name of the model
    initial: float            # accuracy on data like the training snapshot, 0-1
    floor: float              # the accuracy the product must not go below, 0-1
    slide_to: float           # accuracy after ``slide_weeks`` without retraining, 0-1
    slide_weeks: float
    shift_per_week: float     # the feature's mean moves this many training SDs per week
    spread: float             # the serving feature's SD, in training SDs
    fresh_labels: int         # labelled images bought per retraining
    train_images: int         # images in the refreshed training set
    loss_per_point: float     # USD the business loses per point of accuracy per day
    budget: float             # USD a month the team may spend on retraining
    fleet: int                # cameras (Edge) that must receive every update

    @property
    def model(self):
        return Models.get(self.model_key)

    @property
    def rate(self) -> float:
        """Percentage points of accuracy lost per day (linear)."""
        return (self.initial - self.slide_to) * 100 / (self.slide_weeks * 7)

    @property
    def decay_rate(self):
        return Q_(self.rate, "%/day")


# The lab's product: a ResNet-50 that classifies vehicles in traffic-camera frames. Its
# accuracy slid from 94% to 87% over 12 weeks (the issue's scenario) while the frames' mean
# brightness drifted 0.06 training SDs a week. Floor 90%; 20,000 fresh labels and 300,000
# images per retraining; $100 lost per point per day; $7,500 a month for retraining; 2,000
# cameras. All ILLUSTRATIVE.
LAB = Scenario(name="traffic-camera vehicle classifier", model_key="ResNet50", initial=0.94,
               floor=0.90, slide_to=0.87, slide_weeks=12, shift_per_week=0.06, spread=1.0,
               fresh_labels=20_000, train_images=300_000, loss_per_point=100.0,
               budget=7_500.0, fleet=2_000)

# The chapter's worked example: a MobileNetV2 that reads parcel images at sorting stations.
# 97% on fresh data, floor 95%, 3 points lost over 10 weeks; the parcel-size feature drifts
# 0.05 SDs a week; 8,000 labels, 150,000 images; $40 per point per day; $2,500 a month;
# 400 stations. All ILLUSTRATIVE.
CHAPTER = Scenario(name="parcel-sorting classifier", model_key="MobileNetV2", initial=0.97,
                   floor=0.95, slide_to=0.94, slide_weeks=10, shift_per_week=0.05,
                   spread=1.0, fresh_labels=8_000, train_images=150_000,
                   loss_per_point=40.0, budget=2_500.0, fleet=400)
#: The chapter's sudden shifts (a new camera at the stations, a packaging change): the
#: feature's (mean shift, spread) in training SDs. ILLUSTRATIVE.
CHAPTER_STEPS = {"mean": (0.3, 1.0), "spread": (0.0, 1.3), "both": (0.3, 1.3)}
#: Shifts for the chapter's table of PSI against the mean shift (training SDs).
CHAPTER_SHIFTS = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


# ---- the reference histogram and PSI ----------------------------------------------------------
def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@lru_cache(maxsize=1)
def decile_edges() -> tuple:
    """The nine inner edges of the training deciles of N(0, 1) (bisection on the CDF)."""
    edges = []
    for k in range(1, BINS):
        lo, hi = -10.0, 10.0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _cdf(mid) < k / BINS else (lo, mid)
        edges.append((lo + hi) / 2)
    return tuple(edges)


@lru_cache(maxsize=1024)
def shares(shift: float = 0.0, spread: float = 1.0) -> tuple:
    """Share of N(shift, spread) frames in each training decile (the drift trajectory's
    histogram; shift 0, spread 1 is the training histogram, 10% each)."""
    cuts = [0.0] + [_cdf((e - shift) / spread) for e in decile_edges()] + [1.0]
    return tuple(cuts[i + 1] - cuts[i] for i in range(BINS))


@lru_cache(maxsize=1024)
def psi(shift: float, spread: float = 1.0):
    """The engine's PSI of the serving histogram against the training deciles."""
    return PopulationStabilityModel().solve(expected=shares(0.0, 1.0),
                                            actual=shares(shift, spread))


def kl(shift: float, spread: float = 1.0) -> float:
    """KL divergence of the serving shares from the training shares (the actual-to-expected
    direction), on the same ten bins: sum a ln(a/e). PSI is this plus the reverse."""
    e, a = shares(0.0, 1.0), shares(shift, spread)
    return sum(ai * math.log(ai / ei) for ai, ei in zip(a, e))


def ks(shift: float, spread: float = 1.0, points: int = 4001) -> float:
    """Kolmogorov-Smirnov distance between N(0, 1) and N(shift, spread): the largest gap
    between the two CDFs (a grid over +-8 SDs; exact 2 Phi(shift/2) - 1 when spread is 1)."""
    if spread == 1.0:
        return 2 * _cdf(abs(shift) / 2) - 1
    xs = (-8 + 16 * i / (points - 1) for i in range(points))
    return max(abs(_cdf(x) - _cdf((x - shift) / spread)) for x in xs)


def shift_at(s: Scenario, week: float) -> float:
    return s.shift_per_week * week


def weekly_psi(s: Scenario, week: int) -> float:
    return psi(round(shift_at(s, week), 12), s.spread).psi


def alarm_week(s: Scenario, threshold: float = PSI_ALARM) -> int | None:
    """First week whose PSI exceeds ``threshold`` (None within SEARCH_WEEKS)."""
    return next((w for w in range(1, SEARCH_WEEKS + 1) if weekly_psi(s, w) > threshold), None)


def shift_for(threshold: float, spread: float = 1.0) -> float:
    """The mean shift (training SDs) at which PSI reaches ``threshold`` (bisection)."""
    lo, hi = 0.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if psi(mid, spread).psi < threshold else (lo, mid)
    return (lo + hi) / 2


# ---- accuracy (the engine's illustrative linear decay) -----------------------------------------
@lru_cache(maxsize=512)
def decay(s: Scenario, duration: float | None = None):
    return AccuracyDecayModel().solve(
        initial_accuracy=s.initial, target_accuracy=s.floor, decay_rate=s.decay_rate,
        decay="linear", duration=None if duration is None else Q_(duration, "day"))


def accuracy(s: Scenario, days: float) -> float:
    """Accuracy of a model whose training data is ``days`` old."""
    return decay(s, float(days)).accuracy_at_duration


def time_to_breach(s: Scenario) -> float:
    """Days from the training snapshot until accuracy falls below the floor."""
    return decay(s).time_to_breach.m_as("day")


def floor_week(s: Scenario) -> int:
    """First week whose end finds accuracy below the floor."""
    return math.ceil(time_to_breach(s) / 7 - 1e-9)


def label_delay_weeks(labelling: str = "standard") -> float:
    """Weeks from a week's frames to their labels (the labelling turnaround)."""
    return LABELLING[labelling][0] / 7


def labels_week(s: Scenario, labelling: str = "standard") -> float:
    """The week in which the labels show the floor breach (the breach week + label delay)."""
    return floor_week(s) + label_delay_weeks(labelling)


# ---- what one retraining costs, and how long it takes ---------------------------------------------
@lru_cache(maxsize=8)
def retrain_compute(s: Scenario):
    """One retraining on one H100: (TrainingTimeModel result, GPU cost in USD at the
    registry's rental price). EPOCHS over the refreshed set, Chapter 9's batch."""
    steps = s.train_images * EPOCHS / BATCH
    run = TrainingTimeModel().solve(model=s.model, hardware=TRAINER, steps=steps,
                                    batch_size=BATCH)
    return run, run.hours * TRAINER.price_per_hour.m_as("USD/hour")


def update_bytes(s: Scenario, context: str) -> float:
    """One update: the model's weights at the serving device's default precision."""
    return s.model.size_in_bytes(MACHINES[context].compute.default_precision).m_as("B")


def download_seconds(s: Scenario) -> float:
    """One camera's download of one update over the fleet link's downlink."""
    return update_bytes(s, "edge") * 8 / FLEET_LINK.downlink.m_as("bit/s")


@lru_cache(maxsize=32)
def retrain_cost(s: Scenario, context: str, labelling: str) -> dict:
    """USD per retraining, by part: labels, GPU, review, rollout (engineers) and egress (the
    update to every camera, at the registry's price list; Edge only)."""
    _, gpu = retrain_compute(s)
    fleet_bytes = update_bytes(s, context) * s.fleet if context == "edge" else 0.0
    parts = {"labels": s.fresh_labels * LABELLING[labelling][1], "gpu": gpu,
             "review": REVIEW_COST, "rollout": ROLLOUT_COST[context],
             "egress": EGRESS.cost_usd(fleet_bytes)}
    return {**parts, "total": sum(parts.values())}


def lag_days(context: str, labelling: str) -> float:
    """T_r: days from the training snapshot to the new model on every device."""
    return LABELLING[labelling][0] + TRAIN_AND_REVIEW_DAYS + ROLLOUT_DAYS[context]


@lru_cache(maxsize=64)
def cadence(s: Scenario, context: str, labelling: str, interval: float | None = None):
    """The engine's cost trade-off: retrain every ``interval`` days (None: the optimum)."""
    return RetrainingCostModel().solve(
        retrain_cost=Q_(retrain_cost(s, context, labelling)["total"], "USD"),
        decay_rate=s.decay_rate, loss_per_point=Q_(s.loss_per_point, "USD/day"),
        interval=None if interval is None else Q_(interval, "day"))


def optimum(s: Scenario, context: str, labelling: str) -> float:
    """T*, days: the engine's cost-optimal interval."""
    return cadence(s, context, labelling).optimal_interval.m_as("day")


AGE = "model age at replacement"
SPEND = "retraining spend per month"


@dataclass(frozen=True)
class Plan:
    """Retrain every ``interval`` days in ``context`` with ``labelling``: its cost per day,
    its lowest accuracy and every violated limit."""
    context: str
    labelling: str
    interval: float
    cost: float                # USD per retraining (K)
    lag: float                 # T_r, days
    engine: object             # RetrainingResult at this interval
    lag_cost: float            # USD/day: accuracy lost to the lag, V d T_r
    spend: float               # USD per month on retraining
    age: float                 # days of drift when the model is replaced (T + T_r)
    breach: float              # days of drift until the floor (t_b)
    lowest: float              # accuracy just before replacement
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def per_day(self) -> float:
        """Total USD per day: the engine's K/T + V d T/2, plus the lag's V d T_r."""
        return self.engine.cost_per_day.m_as("USD/day") + self.lag_cost

    @property
    def per_year(self) -> float:
        return self.per_day * 365.25

    def violation(self, name: str):
        return next((v for v in self.violations if v.name == name), None)


@lru_cache(maxsize=1024)
def plan(s: Scenario, context: str, labelling: str, interval: float) -> Plan:
    k = retrain_cost(s, context, labelling)["total"]
    lag = lag_days(context, labelling)
    t_b = time_to_breach(s)
    age = interval + lag
    spend = k * DAYS_PER_MONTH / interval
    violations = []
    # Limits compare with a relative tolerance: 48 days and 47.99999999999994 (float
    # arithmetic of the decay rate) are the same day.
    if age > t_b * (1 + 1e-9):
        violations.append(Constraint(AGE, Q_(age, "day"), Q_(t_b, "day")))
    if spend > s.budget * (1 + 1e-9):
        violations.append(Constraint(SPEND, Q_(spend, "USD"), Q_(s.budget, "USD")))
    return Plan(context, labelling, float(interval), k, lag,
                cadence(s, context, labelling, float(interval)),
                s.loss_per_point * s.rate * lag, spend, age, t_b, accuracy(s, age),
                tuple(violations))


def window(s: Scenario, context: str, labelling: str) -> tuple[float, float] | None:
    """The intervals (days) that meet both limits: from the budget's shortest to the floor's
    longest; None when the budget's shortest is longer than the floor allows."""
    k = retrain_cost(s, context, labelling)["total"]
    shortest = k * DAYS_PER_MONTH / s.budget
    longest = time_to_breach(s) - lag_days(context, labelling)
    return (shortest, longest) if shortest <= longest else None


def whole_days(s: Scenario, context: str, labelling: str) -> tuple[int, int] | None:
    """The whole-day intervals inside ``window`` (what the lab's slider can set)."""
    w = window(s, context, labelling)
    if w is None:
        return None
    lo, hi = math.ceil(w[0] - 1e-9), math.floor(w[1] + 1e-9)
    return (lo, hi) if lo <= hi else None


# ---- sampling: how many frames or labels a check needs (the chapter) -------------------------
#: The chapter's monitor: a weekly sample of serving images against a reference sample of
#: training images, both ILLUSTRATIVE sizes.
CHAPTER_WEEKLY_SAMPLE = 5_000
CHAPTER_REFERENCE_SAMPLE = 100_000
#: Features monitored at once, and each one's weekly false-alarm rate: ILLUSTRATIVE.
CHAPTER_FEATURES = 50
CHAPTER_FALSE_ALARM = 0.01
#: A labelled accuracy check: a 95% confidence half-width of one point (as in Chapter 3).
CHECK_HALF_WIDTH = 0.01
CHECK_CONFIDENCE = 0.95
#: A canary judged on labelled accuracy: detect an error rate rising by one point, one-sided
#: test at 5% significance with 80% power (the textbook conventions, Cohen 1988).
CANARY_RISE = 0.01
CANARY_ALPHA = 0.05
CANARY_POWER = 0.80


def z(p: float) -> float:
    """The standard normal quantile: P(Z < z) = p (bisection on the CDF)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2


def labels_for_check(acc: float, half_width: float = CHECK_HALF_WIDTH,
                     confidence: float = CHECK_CONFIDENCE) -> int:
    """Labelled samples for an accuracy estimate within +-``half_width`` (normal
    approximation of a binomial proportion)."""
    q = z((1 + confidence) / 2)
    return math.ceil(q * q * acc * (1 - acc) / half_width ** 2)


def canary_samples(acc: float, rise: float = CANARY_RISE, alpha: float = CANARY_ALPHA,
                   power: float = CANARY_POWER) -> int:
    """Labelled samples per arm (old model, canary) to detect the error rate rising from
    1 - ``acc`` by ``rise``: two-proportion test, normal approximation."""
    p1, p2 = 1 - acc, 1 - acc + rise
    k = z(1 - alpha) + z(power)
    return math.ceil(k * k * (p1 * (1 - p1) + p2 * (1 - p2)) / rise ** 2)


def psi_noise(n_reference: int, n_serving: int, bins: int = BINS) -> float:
    """Expected PSI between two samples of the SAME distribution: (B - 1)(1/n + 1/m), the
    chi-square approximation of PSI under no shift (Yurdakul 2018)."""
    return (bins - 1) * (1 / n_reference + 1 / n_serving)


def any_false_alarm(features: int = CHAPTER_FEATURES, rate: float = CHAPTER_FALSE_ALARM) -> float:
    """Chance that at least one of ``features`` independent monitors alarms in a week when
    nothing has changed."""
    return 1 - (1 - rate) ** features


def budget_for(s: Scenario, context: str, labelling: str) -> float:
    """The monthly budget the floor's longest interval needs (USD): K x 30.44 / (t_b - T_r)."""
    longest = time_to_breach(s) - lag_days(context, labelling)
    k = retrain_cost(s, context, labelling)["total"]
    return math.inf if longest <= 0 else k * DAYS_PER_MONTH / longest
