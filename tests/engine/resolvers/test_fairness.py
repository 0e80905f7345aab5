"""Threshold sweeps, the four-fifths rule and audit sample sizes."""
import math

import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import AuditSampleSizeModel, ThresholdSweepModel
from mlsysim.resolvers.fairness import normal_quantile

SCORES = {"a": {"base_rate": 0.3, "pos_mean": 1.5, "neg_mean": 0.0},
          "b": {"base_rate": 0.1, "pos_mean": 1.0, "neg_mean": 0.0}}


def phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_binormal_rates_at_a_threshold():
    r = ThresholdSweepModel().solve(score_distributions=SCORES, threshold=0.5)
    a, b = r.groups["a"], r.groups["b"]
    assert a["tpr"] == pytest.approx(1 - phi(-1.0)) and b["tpr"] == pytest.approx(1 - phi(-0.5))
    assert a["fpr"] == pytest.approx(1 - phi(0.5)) == pytest.approx(b["fpr"])
    assert a["selection_rate"] == pytest.approx(0.3 * a["tpr"] + 0.7 * a["fpr"])
    assert r.tpr_gap == pytest.approx(a["tpr"] - b["tpr"]) and r.fpr_gap == pytest.approx(0)
    assert r.equalized_odds_gap == pytest.approx(r.tpr_gap)


def test_four_fifths_rule():
    # 29 CFR 1607.4(D): a group's selection rate under 4/5 of the highest flags adverse impact
    r = ThresholdSweepModel().solve(score_distributions=SCORES, threshold=0.5)
    ratio = r.groups["b"]["selection_rate"] / r.groups["a"]["selection_rate"]
    assert r.impact_ratio == pytest.approx(ratio) and ratio < 0.8 and not r.passes_four_fifths
    checked = ThresholdSweepModel().solve(score_distributions=SCORES, threshold=0.5,
                                          min_impact_ratio=0.8, max_gap=0.10)
    assert {v.name for v in checked.violations} == {"impact ratio", "equalized odds gap"}


def test_per_group_thresholds_can_equalise_tpr():
    # shifting group b's threshold by the difference in positive means equalises TPR
    r = ThresholdSweepModel().solve(score_distributions=SCORES,
                                    threshold={"a": 0.5, "b": 0.0})
    assert r.tpr_gap == pytest.approx(0, abs=1e-12) and r.fpr_gap > 0


def test_errors_per_day():
    r = ThresholdSweepModel().solve(score_distributions=SCORES, threshold=0.5,
                                    arrival_rate=Q_(1000, "request/day"))
    errs = [g["base_rate"] * g["fnr"] + (1 - g["base_rate"]) * g["fpr"]
            for g in r.groups.values()]
    assert r.errors_per_day == pytest.approx(1000 * sum(errs) / 2)


def test_audit_sample_size_two_proportions():
    # 0.45 vs 0.55, two-sided alpha 0.05, power 0.8: n = (1.96 sqrt(0.5) + 0.8416
    # sqrt(0.495))^2 / 0.01 = 391.3 -> 392 per group (standard two-proportion tables)
    r = AuditSampleSizeModel().solve(gap=0.1)
    assert r.examples_per_group == 392 and r.total_labelled == 784
    assert normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)
    # a TPR audit needs positives: at a 30 % base rate, labelled = n / 0.3
    t = AuditSampleSizeModel().solve(gap=0.1, rate=0.8, base_rate=0.3)
    assert t.labelled_per_group == math.ceil(t.examples_per_group / 0.3)
    # halving the gap about quadruples the sample
    assert AuditSampleSizeModel().solve(gap=0.05).examples_per_group == pytest.approx(4 * 392, rel=0.02)


def test_audit_over_budget_is_a_violation():
    r = AuditSampleSizeModel().solve(gap=0.02, cost_per_label=Q_(1, "USD"), budget=Q_(100, "USD"))
    v = r.violation("audit budget")
    assert not r.feasible and v.required.m_as("USD") == r.total_labelled


@pytest.mark.parametrize("call, name", [
    (lambda: ThresholdSweepModel().solve(score_distributions={"a": {"base_rate": 0.3}},
                                         threshold=0), "score_distributions"),
    (lambda: ThresholdSweepModel().solve(score_distributions=SCORES, threshold={"a": 0}),
     "threshold"),
    (lambda: AuditSampleSizeModel().solve(gap=0), "gap"),
    (lambda: AuditSampleSizeModel().solve(gap=0.5, rate=0.9), "gap"),
    (lambda: AuditSampleSizeModel().solve(gap=0.1, test_power=1.0), "test_power"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()
