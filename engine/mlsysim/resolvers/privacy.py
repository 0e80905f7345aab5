"""Differential privacy: Gaussian mechanism, composition, and an illustrative DP-SGD curve.

- Gaussian mechanism (Dwork & Roth 2014, "The Algorithmic Foundations of Differential
  Privacy", Thm A.1): sigma = sqrt(2 ln(1.25 / delta)) x sensitivity / epsilon gives
  (epsilon, delta)-DP for epsilon < 1.
- Analytic Gaussian mechanism (Balle & Wang 2018, "Improving the Gaussian Mechanism for
  Differential Privacy: Analytical Calibration and Optimal Denoising", ICML, Thm 8): adding
  N(0, sigma^2) to a query of L2 sensitivity D is (epsilon, delta)-DP, for ANY epsilon > 0,
  iff Phi(D/(2 sigma) - epsilon sigma/D) - e^epsilon Phi(-D/(2 sigma) - epsilon sigma/D)
  <= delta. The smallest such sigma is found by bisection (the left side falls as sigma
  grows); it is below the classic sigma everywhere.
- DP-SGD accounting (``DPSGDAccountantModel``): Renyi DP of the sampled Gaussian mechanism
  (Mironov 2017, "Renyi Differential Privacy"; Mironov, Talwar & Zhang 2019, "Renyi
  Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3.3), composed over steps
  and converted to (epsilon, delta) with epsilon = min over orders a of
  steps x RDP(a) + ln(1/delta) / (a - 1) (Mironov 2017, Prop. 3), as in TensorFlow Privacy.
- Basic composition of k mechanisms: (k eps, k delta). Advanced composition (Dwork,
  Rothblum & Vadhan 2010; Dwork & Roth Thm 3.20): for any delta' > 0,
  eps' = sqrt(2 k ln(1/delta')) eps + k eps (e^eps - 1), delta_total = k delta + delta'.
- DP-SGD utility (Abadi et al. 2016) depends on model, data and tuning; the curve here is
  illustrative: accuracy rises from a floor towards the non-private accuracy as eps grows.
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel, BaseSolver
from ..core.results import CheckedResult, SolverResult
from . import _common as c

DPSGD_CURVE = assume(
    "privacy.DPSGD_CURVE", {"max_accuracy": 0.95, "base_accuracy": 0.10, "epsilon_scale": 2.0},
    "illustrative", "shape after Abadi et al. 2016 (DP-SGD)", "https://arxiv.org/abs/1607.00133",
    "utility loss shrinks as epsilon grows; real curves are task-dependent")
DELTA_PRIME = assume("privacy.DELTA_PRIME", 1e-5, "convention",
                     "advanced composition slack, of the order of 1/dataset size")
DPSGD_SOURCE = ("illustrative; shape after Abadi et al. 2016 (DP-SGD): utility loss shrinks "
                "as epsilon grows; real curves are task-dependent")


class GaussianMechanismResult(SolverResult):
    sigma: float
    analytic_sigma: float
    epsilon: float
    delta: float
    sensitivity: float
    valid_regime: bool


def _phi(x: float) -> float:
    """Standard normal CDF."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def analytic_gaussian_delta(sigma: float, epsilon: float, sensitivity: float = 1.0) -> float:
    """The exact delta of the Gaussian mechanism with noise ``sigma`` at ``epsilon``
    (Balle & Wang 2018, Thm 8)."""
    a = sensitivity / (2.0 * sigma)
    b = epsilon * sigma / sensitivity
    return _phi(a - b) - math.exp(epsilon) * _phi(-a - b)


def analytic_gaussian_sigma(epsilon: float, delta: float, sensitivity: float = 1.0) -> float:
    """Smallest sigma with analytic_gaussian_delta(sigma) <= delta, by bisection."""
    lo, hi = 0.0, sensitivity
    while analytic_gaussian_delta(hi, epsilon, sensitivity) > delta:
        lo, hi = hi, hi * 2.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if analytic_gaussian_delta(mid, epsilon, sensitivity) > delta:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi


class GaussianMechanismModel(BaseModel):
    """Noise scale for (epsilon, delta)-DP. ``sigma`` is the classic bound (Dwork & Roth Thm
    A.1), proven only for epsilon < 1: ``valid_regime`` is False for epsilon >= 1.
    ``analytic_sigma`` is the exact calibration (Balle & Wang 2018), valid for every epsilon
    and never larger than the classic one."""

    requires = ("epsilon", "delta")
    produces = GaussianMechanismResult

    def solve(self, *, epsilon, delta, sensitivity=1.0) -> GaussianMechanismResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        d = c.fraction("delta", delta, allow_one=False)
        s = c.num("sensitivity", sensitivity, lo=0, lo_open=True)
        sigma = math.sqrt(2 * math.log(1.25 / d)) * s / e
        return GaussianMechanismResult(sigma=sigma, analytic_sigma=analytic_gaussian_sigma(
            e, d, s), epsilon=e, delta=d, sensitivity=s, valid_regime=e < 1)


class CompositionResult(SolverResult):
    basic_epsilon: float
    basic_delta: float
    advanced_epsilon: float
    advanced_delta: float
    best_epsilon: float


class CompositionModel(BaseModel):
    """Total privacy loss of ``steps`` (epsilon, delta) mechanisms: basic and advanced
    composition (slack ``delta_prime``); ``best_epsilon`` is the smaller of the two."""

    requires = ("epsilon", "steps")
    produces = CompositionResult

    def solve(self, *, epsilon, steps, delta=0.0, delta_prime=DELTA_PRIME) -> CompositionResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        n = c.positive_int("steps", steps)
        d = c.fraction("delta", delta, allow_zero=True, allow_one=False)
        dp = c.fraction("delta_prime", delta_prime, allow_one=False)
        adv = math.sqrt(2 * n * math.log(1 / dp)) * e + n * e * (math.exp(e) - 1)
        return CompositionResult(basic_epsilon=n * e, basic_delta=n * d, advanced_epsilon=adv,
                                 advanced_delta=n * d + dp, best_epsilon=min(n * e, adv))


def dpsgd_accuracy(epsilon: float, *, max_accuracy: float = DPSGD_CURVE["max_accuracy"],
                   base_accuracy: float = DPSGD_CURVE["base_accuracy"],
                   epsilon_scale: float = DPSGD_CURVE["epsilon_scale"]) -> float:
    """Illustrative DP-SGD accuracy: base + (max - base) (1 - exp(-eps / scale)), where max
    is the non-private accuracy and base the accuracy with no signal left."""
    return base_accuracy + (max_accuracy - base_accuracy) * (
        1 - math.exp(-epsilon / epsilon_scale))


class DPSGDUtilityResult(SolverResult):
    accuracy: float
    accuracy_gap: float
    illustrative: bool = True
    source: str = DPSGD_SOURCE


class DPSGDUtilityModel(BaseModel):
    """Illustrative accuracy of DP-SGD at privacy budget epsilon (``dpsgd_accuracy``)."""

    requires = ("epsilon",)
    produces = DPSGDUtilityResult

    def solve(self, *, epsilon, max_accuracy=DPSGD_CURVE["max_accuracy"],
              base_accuracy=DPSGD_CURVE["base_accuracy"],
              epsilon_scale=DPSGD_CURVE["epsilon_scale"]) -> DPSGDUtilityResult:
        e = c.num("epsilon", epsilon, lo=0, lo_open=True)
        top = c.fraction("max_accuracy", max_accuracy)
        lo = c.fraction("base_accuracy", base_accuracy, allow_zero=True)
        sc = c.num("epsilon_scale", epsilon_scale, lo=0, lo_open=True)
        a = dpsgd_accuracy(e, max_accuracy=top, base_accuracy=lo, epsilon_scale=sc)
        return DPSGDUtilityResult(accuracy=a, accuracy_gap=top - a)


class PrivacyBudgetResult(CheckedResult):
    epsilon: float
    accuracy: float
    illustrative: bool = True
    source: str = DPSGD_SOURCE


class PrivacyBudgetSolver(BaseSolver):
    """The privacy budget epsilon at which the illustrative DP-SGD curve just meets
    ``target_accuracy``: the strongest privacy (smallest epsilon) that keeps accuracy at or
    above the target; any larger epsilon also meets it. Closed-form inverse of
    ``dpsgd_accuracy``. A target at or above the non-private accuracy is a violated
    "accuracy" constraint (epsilon is then infinite)."""

    requires = ("target_accuracy",)
    produces = PrivacyBudgetResult

    def solve(self, *, target_accuracy, max_accuracy=DPSGD_CURVE["max_accuracy"],
              base_accuracy=DPSGD_CURVE["base_accuracy"],
              epsilon_scale=DPSGD_CURVE["epsilon_scale"]) -> PrivacyBudgetResult:
        f = c.fraction("target_accuracy", target_accuracy, allow_one=False)
        top = c.fraction("max_accuracy", max_accuracy)
        lo = c.fraction("base_accuracy", base_accuracy, allow_zero=True)
        sc = c.num("epsilon_scale", epsilon_scale, lo=0, lo_open=True)
        if f >= top:
            return PrivacyBudgetResult(epsilon=math.inf, accuracy=top, violations=[
                c.Constraint("accuracy", c.q(f, c.DIMLESS), c.q(top, c.DIMLESS))])
        if f <= lo:
            eps = 0.0
        else:
            eps = -sc * math.log(1 - (f - lo) / (top - lo))
        return PrivacyBudgetResult(epsilon=eps, accuracy=max(f, lo))


# ---- DP-SGD accounting: Renyi DP of the sampled Gaussian mechanism --------------------------

#: RDP orders searched first (integers; refined around the best, and in steps of 0.1 below 12
#: as TensorFlow Privacy's default orders 1.1-10.9 and 12-63 do).
RDP_ORDERS = assume("privacy.RDP_ORDERS", (2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32,
                                           40, 48, 56, 64, 80, 96, 128, 160, 192, 256),
                    "convention", "orders searched by the RDP accountant (Mironov 2017)",
                    "https://arxiv.org/abs/1702.07476",
                    "any order gives a valid bound; the search only tightens it")
ACCOUNTANT_SOURCE = ("epsilon: RDP accountant of the sampled Gaussian mechanism (Mironov, "
                     "Talwar & Zhang 2019, arXiv:1908.10530), conversion of Mironov 2017 "
                     "Prop. 3; accuracy: illustrative (DPSGD_CURVE)")


def _logadd(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _logsub(a: float, b: float) -> float:
    if b == -math.inf:
        return a
    if b >= a:
        return -math.inf
    return a + math.log1p(-math.exp(b - a))


def _log_erfc(x: float) -> float:
    if x < 20.0:
        return math.log(math.erfc(x))
    return -x * x - math.log(x) - 0.5 * math.log(math.pi) + math.log1p(-0.5 / (x * x))


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    """log A_alpha for integer alpha: binomial expansion (Mironov et al. 2019, Sec. 3.3)."""
    lq, l1q, s2 = math.log(q), math.log1p(-q), 2.0 * sigma * sigma
    lgam = math.lgamma(alpha + 1)
    terms = [lgam - math.lgamma(k + 1) - math.lgamma(alpha - k + 1) + k * lq
             + (alpha - k) * l1q + (k * k - k) / s2 for k in range(alpha + 1)]
    m = max(terms)
    return m + math.log(sum([math.exp(t - m) for t in terms]))


def _log_a_frac(q: float, sigma: float, alpha: float) -> float:
    """log A_alpha for fractional alpha: the two-sided series of Mironov et al. 2019, Sec.
    3.3 (the form TensorFlow Privacy implements), summed until terms fall below e^-30."""
    la0 = la1 = -math.inf
    z0 = sigma * sigma * math.log(1.0 / q - 1.0) + 0.5
    lq, l1q, r2s = math.log(q), math.log1p(-q), math.sqrt(2.0) * sigma
    i, coef = 0, 1.0
    while True:
        if i:
            coef *= (alpha - i + 1) / i
        lc, j = math.log(abs(coef)), alpha - i
        s0 = (lc + i * lq + j * l1q + (i * i - i) / (2 * sigma * sigma) + math.log(0.5)
              + _log_erfc((i - z0) / r2s))
        s1 = (lc + j * lq + i * l1q + (j * j - j) / (2 * sigma * sigma) + math.log(0.5)
              + _log_erfc((z0 - j) / r2s))
        if coef > 0:
            la0, la1 = _logadd(la0, s0), _logadd(la1, s1)
        else:
            la0, la1 = _logsub(la0, s0), _logsub(la1, s1)
        i += 1
        if max(s0, s1) < -30 or i > 10_000:
            return _logadd(la0, la1)


def rdp_sampled_gaussian(q: float, sigma: float, alpha: float) -> float:
    """RDP at order alpha of ONE step of the sampled Gaussian mechanism (sampling rate q,
    noise multiplier sigma)."""
    if q == 1.0:
        return alpha / (2.0 * sigma * sigma)
    if float(alpha).is_integer():
        return _log_a_int(q, sigma, int(alpha)) / (alpha - 1)
    return _log_a_frac(q, sigma, alpha) / (alpha - 1)


def dpsgd_epsilon(q: float, sigma: float, steps: int, delta: float) -> tuple[float, float]:
    """(epsilon, best order) of ``steps`` DP-SGD steps at delta."""
    ld = math.log(1.0 / delta)
    vals: dict[float, float] = {}

    def f(a):
        if a not in vals:
            vals[a] = steps * rdp_sampled_gaussian(q, sigma, a) + ld / (a - 1)
        return vals[a]

    # epsilon(alpha) falls while the delta term dominates, then rises with the RDP term: scan
    # the orders upwards and stop two orders past the minimum (large orders cost O(alpha)).
    rising = 0
    for a in RDP_ORDERS:
        lowest = min(vals.values(), default=math.inf)
        rising = rising + 1 if f(a) > lowest else 0
        if rising == 2:
            break
    best = min(vals, key=vals.get)
    i = RDP_ORDERS.index(best)
    for a in range(RDP_ORDERS[max(i - 1, 0)] + 1, RDP_ORDERS[min(i + 1, len(RDP_ORDERS) - 1)]):
        f(a)
    best = min(vals, key=vals.get)
    if best < 12:
        for x in range(-9, 10):
            if x and best + x / 10 > 1:
                f(round(best + x / 10, 1))
        best = min(vals, key=vals.get)
    return vals[best], best


class DPSGDAccountantResult(CheckedResult):
    epsilon: float
    delta: float
    order: float
    accuracy: float
    illustrative: bool = True
    source: str = ACCOUNTANT_SOURCE


class DPSGDAccountantModel(BaseModel):
    """Privacy spent by DP-SGD: ``steps`` steps with Poisson sampling rate ``sampling_rate``
    (batch / dataset size) and Gaussian noise ``noise_multiplier`` x clipping norm, at
    ``delta``: the RDP accountant's epsilon (``order`` is the Renyi order that gives it).
    ``accuracy`` is the illustrative DP-SGD curve at that epsilon (``dpsgd_accuracy``).
    With ``epsilon`` (the budget) a spent epsilon above it is a violated "privacy budget";
    with ``target_accuracy`` an accuracy below it is a violated "accuracy"."""

    requires = ("noise_multiplier", "sampling_rate", "steps", "delta")
    produces = DPSGDAccountantResult

    def solve(self, *, noise_multiplier, sampling_rate, steps, delta, epsilon=None,
              target_accuracy=None, max_accuracy=DPSGD_CURVE["max_accuracy"],
              base_accuracy=DPSGD_CURVE["base_accuracy"],
              epsilon_scale=DPSGD_CURVE["epsilon_scale"]) -> DPSGDAccountantResult:
        sigma = c.num("noise_multiplier", noise_multiplier, lo=0, lo_open=True)
        q = c.fraction("sampling_rate", sampling_rate)
        n = c.positive_int("steps", steps)
        d = c.fraction("delta", delta, allow_one=False)
        budget = None if epsilon is None else c.num("epsilon", epsilon, lo=0, lo_open=True)
        target = (None if target_accuracy is None
                  else c.fraction("target_accuracy", target_accuracy, allow_one=False))
        top = c.fraction("max_accuracy", max_accuracy)
        lo = c.fraction("base_accuracy", base_accuracy, allow_zero=True)
        sc = c.num("epsilon_scale", epsilon_scale, lo=0, lo_open=True)
        eps, order = dpsgd_epsilon(q, sigma, n, d)
        acc = dpsgd_accuracy(eps, max_accuracy=top, base_accuracy=lo, epsilon_scale=sc)
        violations = []
        if budget is not None and eps > budget:
            violations.append(c.Constraint("privacy budget", c.q(eps, c.DIMLESS),
                                           c.q(budget, c.DIMLESS)))
        if target is not None and acc < target:
            violations.append(c.Constraint("accuracy", c.q(target, c.DIMLESS),
                                           c.q(acc, c.DIMLESS)))
        return DPSGDAccountantResult(epsilon=eps, delta=d, order=float(order), accuracy=acc,
                                     violations=violations)
