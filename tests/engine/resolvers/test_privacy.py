"""Analytic Gaussian mechanism and the DP-SGD (RDP) accountant, against published figures."""
import math

import pytest

from mlsysim.core.errors import InvalidInputError
from mlsysim.resolvers import DPSGDAccountantModel, GaussianMechanismModel
from mlsysim.resolvers.privacy import (analytic_gaussian_delta, dpsgd_epsilon,
                                       rdp_sampled_gaussian)


def test_gaussian_mechanism_both_ways_at_eps_1():
    # Vol II Lab 13 Act I: eps = 1, delta = 1e-5, sensitivity 1. Classic (Dwork & Roth Thm
    # A.1): sqrt(2 ln 1.25e5) = 4.845, outside its proven regime (eps < 1). Analytic
    # (Balle & Wang 2018, Thm 8): the sigma at which the exact delta equals 1e-5, 3.73.
    g = GaussianMechanismModel().solve(epsilon=1, delta=1e-5)
    assert g.sigma == pytest.approx(math.sqrt(2 * math.log(1.25e5)), rel=1e-12)
    assert g.sigma == pytest.approx(4.8448, abs=1e-4) and not g.valid_regime
    assert g.analytic_sigma == pytest.approx(3.7306, abs=1e-3)
    assert analytic_gaussian_delta(g.analytic_sigma, 1.0) == pytest.approx(1e-5, rel=1e-6)


@pytest.mark.parametrize("eps", [0.1, 0.5, 0.9])
def test_analytic_sigma_is_tighter_where_the_classic_bound_holds(eps):
    g = GaussianMechanismModel().solve(epsilon=eps, delta=1e-5, sensitivity=2.0)
    assert g.valid_regime and g.analytic_sigma < g.sigma
    # the classic sigma is (eps, delta)-DP: its exact delta is below the target
    assert analytic_gaussian_delta(g.sigma, eps, 2.0) <= 1e-5
    assert analytic_gaussian_delta(g.analytic_sigma, eps, 2.0) == pytest.approx(1e-5, rel=1e-6)


def test_analytic_sigma_scales_with_sensitivity_and_handles_large_eps():
    one = GaussianMechanismModel().solve(epsilon=8, delta=1e-6)
    two = GaussianMechanismModel().solve(epsilon=8, delta=1e-6, sensitivity=2)
    assert two.analytic_sigma == pytest.approx(2 * one.analytic_sigma, rel=1e-9)
    assert 0 < one.analytic_sigma < one.sigma


def test_accountant_matches_tensorflow_privacy_mnist_tutorial():
    # TensorFlow Privacy, tutorials/README.md: N = 60,000, batch 256, noise 1.1, 60 epochs,
    # delta 1e-5 -> "eps = 3.01"; noise 1.3, 15 epochs -> 1.19; noise 0.7, 45 epochs -> 7.10.
    # Steps as compute_dp_sgd_privacy counts them: ceil(epochs x N / batch).
    q = 256 / 60000
    for sigma, epochs, published in ((1.1, 60, 3.01), (1.3, 15, 1.19), (0.7, 45, 7.10)):
        steps = math.ceil(epochs * 60000 / 256)
        eps, _ = dpsgd_epsilon(q, sigma, steps, 1e-5)
        assert eps == pytest.approx(published, abs=0.006), (sigma, epochs)


def test_accountant_matches_abadi_2016_moments_accountant():
    # Abadi et al. 2016 (Deep Learning with Differential Privacy), Sec. 3.1: q = 0.01,
    # sigma = 4, delta = 1e-5, T = 10,000 steps -> eps ~ 1.26 with the moments accountant
    # (strong composition would give ~9.34).
    r = DPSGDAccountantModel().solve(noise_multiplier=4, sampling_rate=0.01, steps=10_000,
                                     delta=1e-5)
    assert r.epsilon == pytest.approx(1.26, abs=0.01) and r.feasible


def test_fractional_and_integer_orders_agree():
    q, s = 0.01, 1.0
    assert rdp_sampled_gaussian(q, s, 4.000001) == pytest.approx(rdp_sampled_gaussian(q, s, 4),
                                                                 rel=1e-4)
    # without subsampling the RDP of the Gaussian mechanism is alpha / (2 sigma^2)
    assert rdp_sampled_gaussian(1.0, 2.0, 5) == pytest.approx(5 / 8)


def test_more_steps_or_less_noise_spend_more():
    base = DPSGDAccountantModel().solve(noise_multiplier=1.0, sampling_rate=0.01,
                                        steps=1000, delta=1e-5)
    more = DPSGDAccountantModel().solve(noise_multiplier=1.0, sampling_rate=0.01,
                                        steps=4000, delta=1e-5)
    less = DPSGDAccountantModel().solve(noise_multiplier=0.8, sampling_rate=0.01,
                                        steps=1000, delta=1e-5)
    assert base.epsilon < more.epsilon and base.epsilon < less.epsilon


def test_budget_and_accuracy_floor_are_violations():
    # Lab 13 Act II's failure: epsilon over budget, or accuracy (illustrative) under floor
    r = DPSGDAccountantModel().solve(noise_multiplier=0.7, sampling_rate=256 / 60000,
                                     steps=10547, delta=1e-5, epsilon=3, target_accuracy=0.99)
    assert not r.feasible
    budget = r.violation("privacy budget")
    assert budget.required.m_as("") == pytest.approx(r.epsilon) and budget.ratio > 1
    assert r.violation("accuracy") is not None and r.illustrative


@pytest.mark.parametrize("kw, name", [
    (dict(noise_multiplier=0, sampling_rate=0.01, steps=1, delta=1e-5), "noise_multiplier"),
    (dict(noise_multiplier=1, sampling_rate=1.5, steps=1, delta=1e-5), "sampling_rate"),
    (dict(noise_multiplier=1, sampling_rate=0.01, steps=0, delta=1e-5), "steps"),
    (dict(noise_multiplier=1, sampling_rate=0.01, steps=1, delta=1), "delta"),
])
def test_accountant_rejects_bad_inputs(kw, name):
    with pytest.raises(InvalidInputError, match=name):
        DPSGDAccountantModel().solve(**kw)
