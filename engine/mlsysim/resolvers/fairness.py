"""Fairness: per-group confusion metrics, the Chouldechova relation, threshold sweeps over
per-group score distributions, the four-fifths rule and audit sample sizes.

Chouldechova 2017 ("Fair prediction with disparate impact", Eq. 2.6): for a group with base
rate p, FPR = p / (1 - p) x (1 - PPV) / PPV x (1 - FNR). With different base rates, equal
PPV (calibration-like parity) and equal FNR force unequal FPR.
"""
from __future__ import annotations

import math

from ..core._base import BaseModel
from ..core.assumptions import assume
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from ..core.types import Quantity
from . import _common as c
from ._stats import normal_cdf, normal_quantile

_KEYS = ("tp", "fp", "tn", "fn")


def _rates(name, cm):
    try:
        tp, fp, tn, fn = (c.num(f"{name}.{k}", cm[k], lo=0) for k in _KEYS)
    except (KeyError, TypeError):
        raise InvalidInputError(name, "a mapping with counts tp, fp, tn, fn", cm) from None
    n = tp + fp + tn + fn
    if n == 0:
        raise InvalidInputError(name, "at least one counted example", cm)

    def div(a, b):
        return a / b if b else float("nan")
    return {"tpr": div(tp, tp + fn), "fnr": div(fn, tp + fn), "fpr": div(fp, fp + tn),
            "tnr": div(tn, fp + tn), "ppv": div(tp, tp + fp), "npv": div(tn, tn + fn),
            "accuracy": (tp + tn) / n, "selection_rate": (tp + fp) / n,
            "base_rate": (tp + fn) / n, "n": n}


class GroupMetricsResult(SolverResult):
    groups: dict
    gaps: dict


class GroupFairnessModel(BaseModel):
    """Confusion-matrix metrics per group (``confusion`` maps group -> {tp, fp, tn, fn}) and
    the largest gap across groups for each metric (demographic parity = selection_rate gap,
    equal opportunity = tpr gap, predictive parity = ppv gap)."""

    requires = ("confusion",)
    produces = GroupMetricsResult

    def solve(self, *, confusion) -> GroupMetricsResult:
        if not hasattr(confusion, "items") or not confusion:
            raise InvalidInputError("confusion", "a mapping group -> {tp, fp, tn, fn}",
                                    confusion)
        groups = {g: _rates(f"confusion[{g!r}]", cm) for g, cm in confusion.items()}
        gaps = {}
        for k in ("tpr", "fpr", "fnr", "ppv", "accuracy", "selection_rate"):
            vals = [m[k] for m in groups.values() if m[k] == m[k]]
            gaps[k] = max(vals) - min(vals) if vals else float("nan")
        return GroupMetricsResult(groups=groups, gaps=gaps)


class ChouldechovaResult(SolverResult):
    fpr: float
    base_rate: float
    ppv: float
    fnr: float


class ChouldechovaModel(BaseModel):
    """FPR implied by base rate p, PPV and FNR: p/(1-p) x (1-PPV)/PPV x (1-FNR)."""

    requires = ("base_rate", "ppv", "fnr")
    produces = ChouldechovaResult

    def solve(self, *, base_rate, ppv, fnr) -> ChouldechovaResult:
        p = c.fraction("base_rate", base_rate, allow_one=False)
        v = c.fraction("ppv", ppv)
        f = c.fraction("fnr", fnr, allow_zero=True)
        fpr = p / (1 - p) * (1 - v) / v * (1 - f)
        return ChouldechovaResult(fpr=fpr, base_rate=p, ppv=v, fnr=f)


# ---- threshold sweeps, the four-fifths rule, audit sample size ------------------------------

FOUR_FIFTHS = assume("fairness.FOUR_FIFTHS", 0.8, "convention",
                     "EEOC Uniform Guidelines on Employee Selection Procedures (1978), 29 CFR "
                     "1607.4(D): a selection rate below four-fifths of the highest group's "
                     "rate is generally regarded as evidence of adverse impact",
                     "https://www.ecfr.gov/current/title-29/subtitle-B/chapter-XIV/part-1607/"
                     "section-1607.4")
DEFAULT_TEST_POWER = assume("fairness.DEFAULT_TEST_POWER", 0.8, "convention",
                            "Cohen 1988, Statistical Power Analysis for the Behavioral "
                            "Sciences: 80 % power is the customary target", None)
DEFAULT_CONFIDENCE = assume("fairness.DEFAULT_CONFIDENCE", 0.95, "convention",
                            "two-sided 95 % confidence (alpha = 0.05)", None)
DEFAULT_AUDIT_RATE = assume("fairness.DEFAULT_AUDIT_RATE", 0.5, "convention",
                            "rate 0.5 maximises p(1 - p): the most conservative sample size",
                            None)
DEFAULT_GROUP_COUNT = assume("fairness.DEFAULT_GROUP_COUNT", 2, "convention",
                             "an audit compares at least two groups", None)
BINORMAL_SOURCE = ("binormal score model (Pepe 2003, The Statistical Evaluation of Medical "
                   "Tests, Sec. 4.4): illustrative score distributions per group")
_SPEC = ("base_rate", "pos_mean", "neg_mean")


def _group_spec(g, spec):
    name = f"score_distributions[{g!r}]"
    if not hasattr(spec, "get") or any(k not in spec for k in _SPEC):
        raise InvalidInputError(name, "a mapping with base_rate, pos_mean, neg_mean (and "
                                "optionally pos_std, neg_std, share)", spec)
    return (c.fraction(f"{name}.base_rate", spec["base_rate"], allow_one=False),
            c.num(f"{name}.pos_mean", spec["pos_mean"]),
            c.num(f"{name}.neg_mean", spec["neg_mean"]),
            c.num(f"{name}.pos_std", spec.get("pos_std", 1.0), lo=0, lo_open=True),
            c.num(f"{name}.neg_std", spec.get("neg_std", 1.0), lo=0, lo_open=True),
            c.num(f"{name}.share", spec.get("share", 1.0), lo=0, lo_open=True))


class ThresholdSweepResult(CheckedResult):
    groups: dict
    equalized_odds_gap: float
    tpr_gap: float
    fpr_gap: float
    impact_ratio: float
    passes_four_fifths: bool
    errors_per_day: float | None
    illustrative: bool = True
    source: str = BINORMAL_SOURCE


class ThresholdSweepModel(BaseModel):
    """Per-group rates at decision threshold(s) from per-group score distributions (an
    illustrative binormal model: real score distributions come from a model's validation set).

    ``score_distributions`` maps group -> {base_rate, pos_mean, neg_mean, pos_std=1,
    neg_std=1, share=1}: scores of positives ~ N(pos_mean, pos_std), of negatives ~
    N(neg_mean, neg_std) (the binormal model). At threshold t (``threshold``: one number or
    {group: number}) TPR = 1 - Phi((t - pos_mean) / pos_std), FPR = 1 - Phi((t - neg_mean) /
    neg_std), selection rate = p TPR + (1 - p) FPR, PPV = p TPR / selection rate. The
    equalized-odds gap is the larger of the TPR and FPR gaps; ``impact_ratio`` is the lowest
    selection rate over the highest (the four-fifths rule, 29 CFR 1607.4(D), flags < 0.8).
    With ``arrival_rate`` (decisions per unit time) ``errors_per_day`` counts false positives
    and negatives per day over groups weighted by ``share``. Violations: an equalized-odds gap
    above ``max_gap``; an impact ratio below ``min_impact_ratio``."""

    requires = ("score_distributions", "threshold")
    produces = ThresholdSweepResult

    def solve(self, *, score_distributions, threshold, max_gap=None, min_impact_ratio=None,
              arrival_rate=None) -> ThresholdSweepResult:
        if not hasattr(score_distributions, "items") or len(score_distributions) < 1:
            raise InvalidInputError("score_distributions", "a mapping group -> score model",
                                    score_distributions)
        groups, shares, errs = {}, {}, {}
        for g, spec in score_distributions.items():
            p, mu1, mu0, s1, s0, share = _group_spec(g, spec)
            if hasattr(threshold, "get"):
                if g not in threshold:
                    raise InvalidInputError("threshold", f"a threshold for group {g!r}",
                                            threshold)
                t = c.num(f"threshold[{g!r}]", threshold[g])
            else:
                t = c.num("threshold", threshold)
            tpr = 1.0 - normal_cdf((t - mu1) / s1)
            fpr = 1.0 - normal_cdf((t - mu0) / s0)
            sel = p * tpr + (1 - p) * fpr
            groups[g] = {"threshold": t, "tpr": tpr, "fpr": fpr, "fnr": 1 - tpr,
                         "selection_rate": sel, "ppv": p * tpr / sel if sel else float("nan"),
                         "accuracy": p * tpr + (1 - p) * (1 - fpr), "base_rate": p}
            shares[g] = share
            errs[g] = p * (1 - tpr) + (1 - p) * fpr
        tprs = [m["tpr"] for m in groups.values()]
        fprs = [m["fpr"] for m in groups.values()]
        sels = [m["selection_rate"] for m in groups.values()]
        tpr_gap, fpr_gap = max(tprs) - min(tprs), max(fprs) - min(fprs)
        gap = max(tpr_gap, fpr_gap)
        ratio = min(sels) / max(sels) if max(sels) > 0 else 1.0
        per_day = None
        if arrival_rate is not None:
            rate = c.qty("arrival_rate", arrival_rate, c.RATE, c.DAY ** -1,
                         example="10000 request/day")
            total = sum(shares.values())
            per_day = rate * sum(shares[g] / total * errs[g] for g in groups)
        violations = []
        if max_gap is not None:
            lim = c.fraction("max_gap", max_gap, allow_zero=True)
            violations += c.violation("equalized odds gap", gap, lim, c.DIMLESS)
        if min_impact_ratio is not None:
            need = c.fraction("min_impact_ratio", min_impact_ratio)
            if ratio < need:
                violations.append(c.Constraint("impact ratio", c.q(need, c.DIMLESS),
                                               c.q(ratio, c.DIMLESS)))
        return ThresholdSweepResult(groups=groups, equalized_odds_gap=gap, tpr_gap=tpr_gap,
                                    fpr_gap=fpr_gap, impact_ratio=ratio,
                                    passes_four_fifths=ratio >= FOUR_FIFTHS,
                                    errors_per_day=per_day, violations=violations)


class AuditSampleSizeResult(CheckedResult):
    examples_per_group: int
    labelled_per_group: int
    total_labelled: int
    cost: Quantity | None
    source: str = ("two-proportion z-test sample size, normal approximation (Fleiss, Levin "
                   "& Paik 2003, Statistical Methods for Rates and Proportions, Sec. 4.2)")


class AuditSampleSizeModel(BaseModel):
    """Examples per group an audit needs to detect a ``gap`` between two groups' rates
    (around ``rate``, e.g. a TPR of 0.8) with a two-sided test at ``confidence`` and power
    ``test_power``: n = (z_(1-a/2) sqrt(2 pbar qbar) + z_(1-b) sqrt(p1 q1 + p2 q2))^2 / gap^2
    with p1, p2 = rate -/+ gap/2. When the rate is conditional on the label (TPR needs
    positives) ``base_rate`` converts to labelled examples: n / base_rate. ``cost`` =
    labelled examples x ``group_count`` x ``cost_per_label``; above ``budget`` it is a
    violated "audit budget"."""

    requires = ("gap",)
    produces = AuditSampleSizeResult

    def solve(self, *, gap, rate=DEFAULT_AUDIT_RATE, confidence=DEFAULT_CONFIDENCE,
              test_power=DEFAULT_TEST_POWER, base_rate=None, group_count=DEFAULT_GROUP_COUNT,
              cost_per_label=None, budget=None) -> AuditSampleSizeResult:
        d = c.fraction("gap", gap, allow_one=False)
        r = c.fraction("rate", rate, allow_one=False)
        conf = c.fraction("confidence", confidence, allow_one=False)
        pw = c.fraction("test_power", test_power, allow_one=False)
        k = c.positive_int("group_count", group_count, lo=2)
        p1, p2 = r - d / 2, r + d / 2
        if p1 <= 0 or p2 >= 1:
            raise InvalidInputError("gap", f"a gap that keeps rate -/+ gap/2 inside (0, 1) "
                                    f"around rate {r}", gap)
        pbar = (p1 + p2) / 2
        za, zb = normal_quantile(1 - (1 - conf) / 2), normal_quantile(pw)
        n = (za * math.sqrt(2 * pbar * (1 - pbar))
             + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / d ** 2
        n = math.ceil(n - 1e-9)
        br = None if base_rate is None else c.fraction("base_rate", base_rate)
        labelled = n if br is None else math.ceil(n / br - 1e-9)
        total = labelled * k
        cost = None
        violations = []
        if cost_per_label is not None:
            cost = total * c.qty("cost_per_label", cost_per_label, c.CURRENCY, c.USD,
                                 example="0.15 USD")
            if budget is not None:
                violations += c.violation("audit budget", cost,
                                          c.qty("budget", budget, c.CURRENCY, c.USD), c.USD)
        return AuditSampleSizeResult(examples_per_group=n, labelled_per_group=labelled,
                                     total_labelled=total,
                                     cost=None if cost is None else c.q(cost, c.USD),
                                     violations=violations)
