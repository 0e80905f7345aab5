"""The cases Chapter 15 (book/vol1/responsible_engr.qmd) and Lab 15 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a rate, a
gap or an audit size the chapter states and the lab shows come from the same engine call.
Physics is the engine's (GroupFairnessModel: confusion counts to rates and gaps;
ThresholdSweepModel: per-group rates at per-group thresholds on a binormal score model;
AuditSampleSizeModel: the two-proportion power calculation); this module fixes the two
illustrative scenarios (the lab's skin-check app, the chapter's resume screen), the rules a
design must meet, and the prices of audit labels.

Everything about the score distributions, the groups' sizes and base rates, the rules and
the prices is ILLUSTRATIVE: a scenario built to show the mechanisms, not a measurement of any
product. The lab and the chapter say so wherever the numbers appear.
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import AuditSampleSizeModel, GroupFairnessModel, ThresholdSweepModel
from mlsysim.resolvers._stats import normal_quantile
from mlsysim.resolvers.fairness import DEFAULT_AUDIT_RATE, FOUR_FIFTHS

from labs.vol1 import phone

GROUPS = ("A", "B")

# ---- the lab's scenario: a skin-check app (ILLUSTRATIVE) ----------------------------------
#: Share of the app's users in each group: group B (darker skin tones) is the smaller group
#: and, as in public dermatology image sets, under-represented in the training photos
#: (Daneshjou et al. 2022, Science Advances, "Disparities in dermatology AI performance on a
#: diverse, curated clinical image set"). Illustrative shares.
SHARE = {"A": 0.8, "B": 0.2}
#: Share of submitted photos that need a dermatologist (the positives), per group.
#: Illustrative; lower in group B, as skin-cancer incidence is lower in darker skin.
BASE_RATE = {"A": 0.4, "B": 0.2}
#: The binormal score model per context and group: (mean score of photos that need a
#: dermatologist, mean score of photos that do not), both with standard deviation 1 (Pepe
#: 2003, Sec. 4.4; the engine's ThresholdSweepModel). ILLUSTRATIVE. The server model
#: (ResNet-50 class) separates group B less well than group A; the on-device model
#: (MobileNetV2 class, a seventh of the parameters) loses a little on group A and more on
#: group B: compression costs under-represented groups more (Hooker et al. 2020,
#: "Characterising Bias in Compressed Models", arXiv:2010.03058).
SCORES = {"cloud": {"A": (2.05, 0.0), "B": (1.2, -0.35)},
          "mobile": {"A": (1.95, 0.0), "B": (0.9, -0.35)}}
#: The model that runs in each context (registry entries; their sizes are the engine's).
MODELS = {"cloud": Models.Vision.ResNet50, "mobile": Models.Vision.MobileNetV2}
PHONE = Hardware.Mobile.A17Pro
#: The launch threshold: a photo is referred to a dermatologist when its score exceeds it
#: (one threshold for everyone; an illustrative product choice).
LAUNCH_THRESHOLD = 1.0
#: The validation report of Act I: expected counts on 2,000 labelled photos drawn like the
#: app's users (illustrative size).
VALIDATION_PHOTOS = 2000

# ---- the rules a design must meet (ILLUSTRATIVE scenario choices) --------------------------
#: The ethics board's rule: true- and false-positive rates within 10 percentage points
#: across groups (equalized odds, Hardt, Price & Srebro 2016, with a tolerance).
MAX_GAP = 0.10
#: The product's floor: overall accuracy of at least 80% (refer-everyone or refer-no-one
#: designs trivially equalize the rates; this floor rules them out).
MIN_ACCURACY = 0.80
#: The audit must detect a true-positive-rate gap of this size between the groups...
AUDIT_GAP = 0.05
#: ...with this power (Cohen 1988's customary 80%, the engine's default) at two-sided 95%
#: confidence, planned at the rate that maximizes p(1 - p) (the engine's conservative
#: default, 0.5): the rates are not known before the audit.
AUDIT_POWER = 0.8
AUDIT_CONFIDENCE = 0.95
AUDIT_RATE = DEFAULT_AUDIT_RATE
#: What the audit may cost (USD, illustrative).
AUDIT_BUDGET = 50_000.0
#: USD per labelled photo. Cloud: the photos are already on the server; a dermatologist reviews
#: each (illustrative: about $180 an hour at a photo a minute). Mobile: the photos never leave
#: the phones, so each audit photo comes from a consented donation study: recruiting,
#: consent and an incentive (illustrative $9) on top of the same review.
LABEL_PRICE = {"cloud": 3.0, "mobile": 12.0}
REVIEW_PRICE = 3.0

#: The thresholds the sliders offer (score units) and the audit gaps (fractions).
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(41))          # 0.00 .. 2.00
GAP_GRID = tuple(round(0.02 + 0.005 * i, 3) for i in range(17))        # 0.020 .. 0.100

# ---- the chapter's scenario: a resume screen (ILLUSTRATIVE) --------------------------------
#: A cloud service that advances applicants to an interview (the positive decision) when a
#: model's score exceeds a threshold; positives are applicants a recruiter's review judges
#: qualified. Group 1 is 70% of applicants.
CHAPTER_SHARE = {"1": 0.7, "2": 0.3}
CHAPTER_BASE_RATE = {"1": 0.5, "2": 0.3}
CHAPTER_SCORES = {"1": (1.9, 0.0), "2": (1.4, -0.2)}
CHAPTER_THRESHOLD = 0.9
CHAPTER_APPLICANTS = 10_000
#: The chapter's audit: detect a 3-point gap in true-positive rates; a recruiter's review at
#: an illustrative $4 a resume.
CHAPTER_AUDIT_GAP = 0.03
CHAPTER_LABEL_PRICE = 4.0


def _spec(scores: dict, base_rate: dict, share: dict) -> dict:
    return {g: {"base_rate": base_rate[g], "pos_mean": pos, "neg_mean": neg, "share": share[g]}
            for g, (pos, neg) in scores.items()}


def score_model(case: str) -> dict:
    """The engine's ``score_distributions`` for a case: "cloud", "mobile" or "chapter"."""
    if case == "chapter":
        return _spec(CHAPTER_SCORES, CHAPTER_BASE_RATE, CHAPTER_SHARE)
    return _spec(SCORES[case], BASE_RATE, SHARE)


def groups(case: str) -> tuple[str, ...]:
    return tuple(CHAPTER_SHARE) if case == "chapter" else GROUPS


def shares(case: str) -> dict:
    return CHAPTER_SHARE if case == "chapter" else SHARE


def base_rates(case: str) -> dict:
    return CHAPTER_BASE_RATE if case == "chapter" else BASE_RATE


@lru_cache(maxsize=8192)
def sweep(case: str, t1: float, t2: float, max_gap: float | None = None):
    """Per-group rates at thresholds (t1 for the first group, t2 for the second)."""
    g1, g2 = groups(case)
    return ThresholdSweepModel().solve(score_distributions=score_model(case),
                                       threshold={g1: t1, g2: t2}, max_gap=max_gap)


def accuracy(case: str, r) -> float:
    """Accuracy over all users: the groups' accuracies weighted by their shares."""
    return sum(shares(case)[g] * r.groups[g]["accuracy"] for g in groups(case))


# ---- a validation report: expected confusion counts, then the engine's group metrics -------
@lru_cache(maxsize=64)
def confusion(case: str, t1: float, t2: float, total: int) -> dict:
    """Expected confusion counts {group: {tp, fp, tn, fn}} on ``total`` labelled examples
    drawn like the users, at the thresholds (counts rounded to whole examples)."""
    r = sweep(case, t1, t2)
    out = {}
    for g in groups(case):
        n = round(total * shares(case)[g])
        pos = round(n * base_rates(case)[g])
        neg = n - pos
        tp = round(pos * r.groups[g]["tpr"])
        fp = round(neg * r.groups[g]["fpr"])
        out[g] = {"tp": tp, "fn": pos - tp, "fp": fp, "tn": neg - fp}
    return out


@lru_cache(maxsize=64)
def report(case: str, t1: float, t2: float, total: int):
    """The engine's per-group rates and gaps for those counts."""
    cm = confusion(case, t1, t2, total)
    return GroupFairnessModel().solve(confusion=cm)


def launch_report():
    """Act I's case: the server model's validation report at the launch threshold."""
    return report("cloud", LAUNCH_THRESHOLD, LAUNCH_THRESHOLD, VALIDATION_PHOTOS)


def counts(case: str, t1: float, t2: float, total: int, group: str) -> tuple[int, int, int, int]:
    cm = confusion(case, t1, t2, total)[group]
    return cm["tp"], cm["fn"], cm["fp"], cm["tn"]


# ---- thresholds per group ------------------------------------------------------------------
@lru_cache(maxsize=64)
def balanced_threshold(case: str, t1: float) -> float:
    """The second group's threshold on the slider grid that minimizes the equalized-odds gap
    when the first group's threshold is ``t1``."""
    return min(THRESHOLD_GRID, key=lambda t: (sweep(case, t1, t).equalized_odds_gap, t))


def _bisect(f, lo: float, hi: float) -> float:
    """The root of an increasing-or-decreasing f on [lo, hi] (60 halvings)."""
    flo = f(lo)
    for _ in range(60):
        mid = (lo + hi) / 2
        if (f(mid) > 0) == (flo > 0):
            lo, flo = mid, f(mid)
        else:
            hi = mid
    return (lo + hi) / 2


@lru_cache(maxsize=16)
def matched_threshold(case: str, t1: float, metric: str) -> float:
    """The second group's threshold that gives it the first group's ``metric`` ("tpr" for
    equal opportunity, "selection_rate" for demographic parity), found by bisection on the
    engine's rates."""
    g1, g2 = groups(case)
    target = sweep(case, t1, t1).groups[g1][metric]
    return _bisect(lambda t: sweep(case, t1, t).groups[g2][metric] - target, -6.0, 8.0)


@lru_cache(maxsize=4)
def default_thresholds() -> tuple[float, float]:
    """The team's proposal, tuned on the server model: group A keeps the launch threshold,
    group B gets the grid threshold that best balances the two gaps."""
    return LAUNCH_THRESHOLD, balanced_threshold("cloud", LAUNCH_THRESHOLD)


@lru_cache(maxsize=4)
def best_design(case: str) -> tuple[float, float] | None:
    """The grid thresholds with the highest accuracy that meet the rules (equalized-odds gap
    within MAX_GAP, accuracy at least MIN_ACCURACY); None when no pair does."""
    best, best_acc = None, -1.0
    for t1 in THRESHOLD_GRID:
        for t2 in THRESHOLD_GRID:
            r = sweep(case, t1, t2)
            acc = accuracy(case, r)
            if r.equalized_odds_gap <= MAX_GAP and acc >= MIN_ACCURACY and acc > best_acc:
                best, best_acc = (t1, t2), acc
    return best


@lru_cache(maxsize=4)
def best_accuracy(case: str) -> tuple[float, float, float]:
    """The grid thresholds with the highest accuracy, whatever the gaps: (t1, t2, accuracy)."""
    pairs = ((t1, t2, accuracy(case, sweep(case, t1, t2)))
             for t1 in THRESHOLD_GRID for t2 in THRESHOLD_GRID)
    return max(pairs, key=lambda p: p[2])


@lru_cache(maxsize=8)
def roc(case: str, lo: float = -3.0, hi: float = 5.0, points: int = 81) -> dict:
    """Each group's ROC curve: {group: ([FPR...], [TPR...])}, thresholds from hi down to lo."""
    out = {g: ([], []) for g in groups(case)}
    for i in range(points):
        t = hi - (hi - lo) * i / (points - 1)
        r = sweep(case, t, t)
        for g in groups(case):
            out[g][0].append(r.groups[g]["fpr"])
            out[g][1].append(r.groups[g]["tpr"])
    return out


# ---- the audit -------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def audit_group(gap: float, base_rate: float, power: float = AUDIT_POWER,
                rate: float = AUDIT_RATE):
    """Labelled examples one group needs for the audit to detect a TPR gap of ``gap`` around
    ``rate`` (default: the conservative 0.5)."""
    return AuditSampleSizeModel().solve(gap=gap, rate=rate, confidence=AUDIT_CONFIDENCE,
                                        test_power=power, base_rate=base_rate)


def audit_photos(gap: float, power: float = AUDIT_POWER, case: str = "cloud") -> dict:
    """{group: labelled photos}: each group is sampled until it holds enough positives."""
    return {g: audit_group(gap, base_rates(case)[g], power).labelled_per_group
            for g in groups(case)}


def audit_total(gap: float, power: float = AUDIT_POWER, case: str = "cloud") -> int:
    return sum(audit_photos(gap, power, case).values())


def audit_cost(context: str, gap: float, power: float = AUDIT_POWER) -> float:
    return audit_total(gap, power) * LABEL_PRICE[context]


def positives_needed(gap: float, power: float = AUDIT_POWER) -> int:
    """Positives per group the two-proportion test needs (before the base-rate conversion)."""
    return audit_group(gap, BASE_RATE["A"], power).examples_per_group


# ---- one design in the lab -------------------------------------------------------------------
@lru_cache(maxsize=2048)
def design(context: str, t_a: float, t_b: float, gap: float, power: float = AUDIT_POWER):
    """The rates at the design's thresholds and every rule it breaks: the engine's
    equalized-odds violation, the accuracy floor and the audit budget (composed here)."""
    r = sweep(context, t_a, t_b, MAX_GAP)
    acc = accuracy(context, r)
    cost = audit_cost(context, gap, power)
    violations = list(r.violations)
    if acc < MIN_ACCURACY:
        violations.append(Constraint("overall accuracy", Q_(MIN_ACCURACY, ""), Q_(acc, "")))
    if cost > AUDIT_BUDGET:
        violations.append(Constraint("audit budget", Q_(cost, "USD"), Q_(AUDIT_BUDGET, "USD")))
    return {"sweep": r, "accuracy": acc, "photos": audit_total(gap, power), "cost": cost,
            "violations": tuple(violations)}


def smallest_affordable_gap(context: str, power: float = AUDIT_POWER) -> float | None:
    """The smallest gap on the slider grid whose audit fits the budget (None if none does)."""
    fits = [g for g in GAP_GRID if audit_cost(context, g, power) <= AUDIT_BUDGET]
    return min(fits) if fits else None


# ---- what the phone holds (registry) ---------------------------------------------------------
def parameters(context: str) -> float:
    return MODELS[context].parameters


def weight_bytes(context: str, precision: str) -> float:
    return MODELS[context].size_in_bytes(precision).m_as("B")


def app_budget() -> float:
    """The phone's illustrative app memory budget (labs/vol1/phone.py), in bytes."""
    return phone.app_budget_bytes(PHONE)


def four_fifths() -> float:
    return FOUR_FIFTHS


def z(p: float) -> float:
    """The standard normal quantile the engine's power calculation uses."""
    return normal_quantile(p)


def standard_error(rate: float, n: int) -> float:
    """Standard error of a rate estimated from n examples: sqrt(p(1 - p)/n)."""
    return math.sqrt(rate * (1 - rate) / n)
