"""The cases Chapter 3 (book/vol1/ml_workflow.qmd) and Lab 03 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number
the chapter states and the lab shows come from the same call and cannot differ. The accuracy
decay itself is the engine's ILLUSTRATIVE model (AccuracyDecayModel: a constant or a
proportional loss of accuracy per day, with detection half a monitoring interval after the
breach on average); the engine also gives the retraining-cadence trade-off, the model sizes,
the devices and the GPU price. This module fixes the scenarios: launch accuracy, floor, drift
rate, tolerated window, retraining policies and the phone's data budget. Every one of those is
a teaching value, labelled illustrative here, in the lab and in the chapter.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import AccuracyDecayModel, RetrainingCostModel, TrainingTimeModel

from labkit import contexts

#: Days in an average month: a Julian year of 365.25 days over 12 months (the convention
#: the engine's ``year`` unit uses). Updates per month = DAYS_PER_MONTH / cycle time.
DAYS_PER_MONTH = Q_(1, "year").m_as("day") / 12

# ---- the two deployment contexts ----------------------------------------------------------
# Cloud: the model is served from datacenter GPUs; a new version is a file copied inside the
# datacenter. Mobile: the model runs on the phone's NPU; a new version is a download to every
# phone. Each deploys at its device's default precision (the engine's precision rule: FP16 on
# the H100, INT8 on the A17 Pro's Neural Engine).
MACHINES = {"cloud": Hardware.Cloud.H100, "mobile": Hardware.Mobile.A17Pro}
CONTEXT_NAMES = {key: contexts.name(key) for key in MACHINES}


def precision(context: str) -> str:
    return MACHINES[context].compute.default_precision


@dataclass(frozen=True)
class Drift:
    """One illustrative drift scenario: launch accuracy, floor, initial loss rate."""
    initial: float          # accuracy at launch (and after each retraining), 0-1
    floor: float            # the accuracy the product must not go below, 0-1
    rate: float             # percentage points of accuracy lost per day at launch
    shape: str = "exponential"

    @property
    def decay_rate(self):
        return Q_(self.rate, "%/day")


# ---- the lab's product: a photo-tagging classifier (ResNet-50) ------------------------------
# ILLUSTRATIVE scenario values (no measured drift rate is claimed): a photo-tagging model that
# launches at 92% accuracy on fresh, labelled samples, a product floor of 88%, and a loss of
# 0.4 percentage points a day at launch, slowing in proportion to accuracy (exponential).
LAB_MODEL = Models.Vision.ResNet50
LAB_DRIFT = Drift(initial=0.92, floor=0.88, rate=0.4)
#: Longest the product may serve below its floor per incident. ILLUSTRATIVE: a product rule
#: ("no more than a week below the floor").
TOLERATED_DAYS = 7.0
#: Most model-update data the app may download per phone per month over cellular.
#: ILLUSTRATIVE scenario choice (a product team's cap, not a carrier or store limit).
DATA_BUDGET_MB = 50.0
#: Retraining policies: days from the check that finds the breach to a retrained, validated
#: model serving. The three stages follow Google Cloud's MLOps maturity levels ("MLOps:
#: Continuous delivery and automation pipelines in machine learning", 2020: level 0 manual
#: process, level 1 ML pipeline automation, level 2 CI/CD pipeline automation); the number of
#: days for each is ILLUSTRATIVE.
POLICIES = {"manual": 10.0, "pipeline": 3.0, "automated": 1.0}
#: The horizon the lab's charts and "share of the quarter" numbers use: a quarter, in days.
HORIZON_DAYS = 90

# ---- the chapter's worked example: a shelf-product recogniser (MobileNetV2) -----------------
# ILLUSTRATIVE, like the lab's: a MobileNetV2 that recognises products on store shelves,
# launching at 95% with a floor of 92% and losing 0.15 points a day at launch.
CHAPTER_MODEL = Models.Vision.MobileNetV2
CHAPTER_DRIFT = Drift(initial=0.95, floor=0.92, rate=0.15)
#: The two monitoring cadences the chapter compares (days between accuracy checks).
CHAPTER_INTERVALS = (14.0, 7.0)
#: The chapter's retraining job on one H100: ILLUSTRATIVE size (epochs over a refreshed
#: data set of labelled shelf photos) at the engine's default MFU.
CHAPTER_RETRAIN_IMAGES = 200_000
CHAPTER_RETRAIN_EPOCHS = 20
CHAPTER_BATCH = 256
#: Fresh labels bought per retraining and their price: ILLUSTRATIVE (a crowd judgement of a
#: few cents, three judgements per label, as in Chapter 9's illustrative prices).
CHAPTER_NEW_LABELS = 5_000
CHAPTER_LABEL_PRICE = 0.15
#: Engineer time to review and sign off one retrained model, USD: ILLUSTRATIVE (one day).
CHAPTER_REVIEW_COST = 800.0
#: Business loss per percentage point of accuracy lost, per day: ILLUSTRATIVE.
CHAPTER_LOSS_PER_POINT = 60.0


# ---- engine calls (cached: the arguments are hashable) --------------------------------------
@lru_cache(maxsize=512)
def decay(drift: Drift, interval: float | None = None, retrain: float | None = None,
          tolerated: float | None = None, duration: float | None = None, shape: str | None = None):
    """The engine's illustrative decay for ``drift``: days between checks ``interval`` (None:
    no monitoring), ``retrain`` days to a new model, ``tolerated`` days below the floor,
    accuracy after ``duration`` days without retraining."""
    days = (lambda x: None if x is None else Q_(x, "day"))
    return AccuracyDecayModel().solve(
        initial_accuracy=drift.initial, target_accuracy=drift.floor,
        decay_rate=drift.decay_rate, decay=shape or drift.shape, interval=days(interval),
        retrain_time=days(retrain), tolerated_time=days(tolerated), duration=days(duration))


def time_to_breach(drift: Drift, shape: str | None = None) -> float:
    """Days from launch (or a retraining) until accuracy falls below the floor."""
    return decay(drift, shape=shape).time_to_breach.m_as("day")


def accuracy_after(drift: Drift, days: float, shape: str | None = None) -> float:
    """Accuracy ``days`` after launch with no retraining (the engine's decay curve)."""
    return decay(drift, duration=float(days), shape=shape).accuracy_at_duration


@lru_cache(maxsize=8)
def curve(drift: Drift, shape: str | None = None, days: int = HORIZON_DAYS) -> tuple:
    """((day, accuracy), ...) for day 0..``days``: the unmonitored decay, one day apart."""
    return tuple((d, accuracy_after(drift, d, shape)) for d in range(days + 1))


def days_below(drift: Drift, days: float = HORIZON_DAYS) -> float:
    """Days of the first ``days`` an unmonitored model serves below its floor."""
    return max(0.0, days - time_to_breach(drift))


@dataclass(frozen=True)
class Loop:
    """The monitored loop of one context: the engine's decay result, what each retraining
    ships, and every violated constraint (the engine's window, and the phone's data)."""
    context: str
    interval: float
    policy: str
    result: object                 # AccuracyDecayResult
    update_bytes: float            # one update: the model's bytes at the deployed precision
    updates_per_month: float
    bytes_per_month: float
    violations: tuple

    @property
    def feasible(self) -> bool:
        return not self.violations

    def violation(self, name: str):
        return next((v for v in self.violations if v.name == name), None)


DATA_CONSTRAINT = "model updates per month"


@lru_cache(maxsize=512)
def loop(context: str, interval: float, policy: str, drift: Drift = LAB_DRIFT,
         model_name: str = "ResNet50", budget_mb: float = DATA_BUDGET_MB,
         tolerated: float = TOLERATED_DAYS) -> Loop:
    """Checks every ``interval`` days, retraining by ``policy`` after a breach is found. On
    Mobile every retraining is a download of the whole model to each phone: the updates of a
    month against the monthly data budget."""
    r = decay(drift, interval=float(interval), retrain=POLICIES[policy], tolerated=tolerated)
    size = Models.get(model_name).size_in_bytes(precision(context)).m_as("B")
    per_month = DAYS_PER_MONTH / r.cycle_time.m_as("day")
    data = size * per_month
    violations = list(r.violations)
    if context == "mobile" and data > budget_mb * 1e6:
        violations.append(Constraint(DATA_CONSTRAINT, Q_(data, "B"), Q_(budget_mb * 1e6, "B")))
    return Loop(context, float(interval), policy, r, size, per_month, data, tuple(violations))


def update_mb(context: str, model_name: str = "ResNet50") -> float:
    return Models.get(model_name).size_in_bytes(precision(context)).m_as("MB")


# ---- the chapter's retraining-cost example ----------------------------------------------------
@lru_cache(maxsize=1)
def chapter_retrain_compute():
    """One retraining of the chapter's MobileNetV2 on one H100 (engine TrainingTimeModel):
    (result, GPU cost in USD at the registry's rental price)."""
    h100 = MACHINES["cloud"]
    steps = CHAPTER_RETRAIN_IMAGES * CHAPTER_RETRAIN_EPOCHS / CHAPTER_BATCH
    run = TrainingTimeModel().solve(model=CHAPTER_MODEL, hardware=h100, steps=steps,
                                    batch_size=CHAPTER_BATCH)
    return run, run.hours * h100.price_per_hour.m_as("USD/hour")


def chapter_retrain_cost() -> float:
    """Money one retraining costs: GPU time + fresh labels + review (USD)."""
    _, gpu = chapter_retrain_compute()
    return gpu + CHAPTER_NEW_LABELS * CHAPTER_LABEL_PRICE + CHAPTER_REVIEW_COST


@lru_cache(maxsize=16)
def chapter_cadence(interval: float | None = None):
    """The engine's retraining-cadence trade-off for the chapter's case: retrain every
    ``interval`` days (None: the cost-optimal interval)."""
    return RetrainingCostModel().solve(
        retrain_cost=Q_(chapter_retrain_cost(), "USD"), decay_rate=CHAPTER_DRIFT.decay_rate,
        loss_per_point=Q_(CHAPTER_LOSS_PER_POINT, "USD/day"),
        interval=None if interval is None else Q_(interval, "day"))
