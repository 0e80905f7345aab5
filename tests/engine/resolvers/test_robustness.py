"""Robust vs clean accuracy (Madry et al. 2018) and the cost of adversarial training."""
import pytest

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import AdversarialTrainingModel


def test_standard_model_collapses_under_pgd():
    # Vol II Lab 14 Act I: Madry et al. 2018, CIFAR-10 eps 8/255: a naturally trained wide
    # ResNet keeps 3.5 % accuracy under PGD (95.2 % clean).
    r = AdversarialTrainingModel().solve(adversarial_fraction=0)
    assert r.clean_accuracy == pytest.approx(0.952) and r.robust_accuracy == pytest.approx(0.035)
    assert r.cost_multiplier == 1 and "8/255" in r.attack_epsilon


def test_pgd_training_trades_clean_for_robust_accuracy_at_k_plus_1_cost():
    # PGD-trained: 87.3 % clean, 45.8 % under 20-step PGD; 7-step PGD training costs
    # 7 + 1 = 8 forward-backward passes per step.
    r = AdversarialTrainingModel().solve(adversarial_fraction=1, duration=Q_(10, "hour"))
    assert r.clean_accuracy == pytest.approx(0.873) and r.robust_accuracy == pytest.approx(0.458)
    assert r.cost_multiplier == 8 and r.training_time.m_as("hour") == pytest.approx(80)
    half = AdversarialTrainingModel().solve(adversarial_fraction=0.5, attack_steps=10)
    assert half.cost_multiplier == 6 and half.illustrative
    assert half.robust_accuracy == pytest.approx((0.035 + 0.458) / 2)


def test_no_setting_meets_both_targets():
    # Lab 14 Act II's failure: 90 % clean and 40 % robust cannot both hold on the trade-off
    # (clean >= 0.90 needs f <= 0.65; robust >= 0.40 needs f >= 0.86).
    r = AdversarialTrainingModel().solve(adversarial_fraction=1.0, target_accuracy=0.9,
                                         target_robust_accuracy=0.4)
    assert not r.feasible and not r.any_setting_feasible
    assert r.violation("clean accuracy").required.m_as("") == 0.9
    ok = AdversarialTrainingModel().solve(adversarial_fraction=0.6, target_accuracy=0.9,
                                          target_robust_accuracy=0.2)
    assert ok.feasible and ok.any_setting_feasible
    wrong_f = AdversarialTrainingModel().solve(adversarial_fraction=0.1, target_accuracy=0.9,
                                               target_robust_accuracy=0.2)
    assert not wrong_f.feasible and wrong_f.any_setting_feasible


def test_mnist_is_easier():
    r = AdversarialTrainingModel().solve(adversarial_fraction=1, dataset="mnist")
    assert r.robust_accuracy > 0.85 and r.clean_accuracy > 0.98


@pytest.mark.parametrize("kw, name", [
    (dict(adversarial_fraction=1.5), "adversarial_fraction"),
    (dict(adversarial_fraction=1, dataset="imagenet"), "dataset"),
    (dict(adversarial_fraction=1, attack_steps=0), "attack_steps"),
    (dict(adversarial_fraction=1, target_robust_accuracy=1.0), "target_robust_accuracy"),
])
def test_rejects_bad_inputs(kw, name):
    with pytest.raises(InvalidInputError, match=name):
        AdversarialTrainingModel().solve(**kw)
