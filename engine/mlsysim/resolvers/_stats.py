"""Distribution functions the resolvers share, in pure Python (no scipy in the browser).

- ``normal_cdf`` / ``normal_quantile``: the standard normal (A&S 26.2.23 start, Newton steps
  on the exact CDF 0.5 erfc(-z / sqrt 2)).
- ``gamma_p`` / ``gamma_quantile``: the regularized lower incomplete gamma P(a, x) (series for
  x < a + 1, Lentz's continued fraction otherwise; Press et al., Numerical Recipes, Sec. 6.2)
  and its inverse (Wilson-Hilferty start, Newton steps). An Erlang(k, rate) time is
  gamma_quantile(k, p) / rate; both take O(sqrt(a)) work, not O(a), and never underflow.
"""
from __future__ import annotations

import math

_EPS = 1e-15


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_quantile(p: float) -> float:
    """The z with P(Z <= z) = p, for 0 < p < 1 (error below 1e-12 after the Newton steps)."""
    if p < 0.5:
        return -normal_quantile(1.0 - p)
    w = math.sqrt(-2.0 * math.log(1.0 - p))
    z = w - (2.515517 + 0.802853 * w + 0.010328 * w * w) / (
        1.0 + 1.432788 * w + 0.189269 * w * w + 0.001308 * w ** 3)
    for _ in range(4):
        z -= (normal_cdf(z) - p) / (math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
    return z


def gamma_p(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:                      # series: converges fast below the mean
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300                      # continued fraction for Q = 1 - P (Lentz)
    b = x + 1 - a
    cc, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        cc = b + an / cc
        cc = tiny if abs(cc) < tiny else cc
        d = 1 / d
        delta = d * cc
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def gamma_quantile(a: float, p: float) -> float:
    """The x with P(a, x) = p, for a > 0 and 0 < p < 1."""
    z = normal_quantile(p)
    x = a * (1 - 1 / (9 * a) + z / (3 * math.sqrt(a))) ** 3   # Wilson-Hilferty
    if not x > 0:
        x = (p * math.gamma(a + 1)) ** (1 / a) if a < 100 else a
    lo, hi = 0.0, math.inf
    for _ in range(100):
        f = gamma_p(a, x) - p
        if abs(f) < 1e-13:
            break
        if f < 0:
            lo = x
        else:
            hi = x
        pdf = math.exp((a - 1) * math.log(x) - x - math.lgamma(a))
        step = x - f / pdf if pdf > 0 else math.nan
        # Newton, kept inside the bracket (bisect when a step would leave it)
        x = step if lo < step < hi else (lo + hi) / 2 if hi < math.inf else 2 * x
    return x
