"""Benchmark statistics: repeats, warm-up, confidence intervals, speed-up claims, and how much
of the variation a setting explains.

Method after Georges, Buytaert & Eeckhout 2007 ("Statistically Rigorous Java Performance
Evaluation", OOPSLA, https://doi.org/10.1145/1297027.1297033): discard warm-up runs, repeat,
and report the mean with a Student-t confidence interval, mean +- t_{(1+c)/2, n-1} s / sqrt(n).

- The t quantile is computed here (the engine has no scipy): the t CDF is the regularized
  incomplete beta function, 1 - I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2) (Abramowitz &
  Stegun 1964, 26.7.1 and 26.5.27), evaluated by its continued fraction (Press et al.,
  Numerical Recipes, Sec. 6.4); the quantile by safeguarded Newton iteration from the A&S
  26.2.23 normal approximation.
- A speed-up is a ratio of two means; its interval is Fieller's (Fieller 1954, "Some problems
  in interval estimation", J. Royal Statistical Society B 16(2):175-185), with Welch's
  degrees of freedom.
- The share of variance a setting explains is eta^2 = SS_between / SS_total (one-way ANOVA).
"""
from __future__ import annotations

import math

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import CheckedResult, SolverResult
from . import _common as c
from ._stats import normal_quantile

CONFIDENCE = assume("benchmarking.CONFIDENCE", 0.95, "convention",
                    "95% confidence intervals are the usual report (Georges et al. 2007)",
                    "https://doi.org/10.1145/1297027.1297033")
SOURCE = ("Student-t confidence intervals after Georges et al. 2007 (OOPSLA); speed-up "
          "intervals by Fieller 1954")


# ---- Student's t, in pure Python ------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    cc, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            cc = 1.0 + aa / cc
            cc = cc if abs(cc) > tiny else tiny
            h *= d * cc
        if abs(d * cc - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom. Near the centre it uses
    P(|T| <= t) = I_y(1/2, df/2), y = t^2 / (df + t^2), so no 1 - (almost 1) cancels."""
    if t * t < df:
        half = 0.5 * betainc(0.5, df / 2.0, t * t / (df + t * t))
        return 0.5 + half if t > 0 else 0.5 - half
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_pdf(t: float, df: float) -> float:
    return math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)
                    - 0.5 * math.log(df * math.pi) - (df + 1) / 2 * math.log1p(t * t / df))


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (Student's t, ``df`` > 0 degrees of freedom)."""
    if not 0.0 < p < 1.0 or not df > 0:
        raise InvalidInputError("confidence", "a probability in (0, 1) and df > 0", p)
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    # Start: the normal quantile, then the Cornish-Fisher expansion of t in 1/df (A&S
    # 26.7.5), which alone is exact to double precision for large df.
    z = normal_quantile(p)
    z3, z5, z7 = z ** 3, z ** 5, z ** 7
    t = (z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2)
         + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
         + (79 * z ** 9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4))
    if df > 300:  # the expansion is within 1e-11 of t here (tested); the CDF is slow
        return t
    lo, hi = 0.0, max(t, 1.0)
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    t = min(max(t, lo), hi)
    for _ in range(100):
        f = t_cdf(t, df) - p
        if f == 0.0:
            return t
        if f > 0:
            hi = t
        else:
            lo = t
        new = t - f / t_pdf(t, df)
        if abs(new - t) <= 1e-14 * max(1.0, abs(t)):
            return new
        t = new if lo < new < hi else (lo + hi) / 2   # Newton, or bisect if it leaves
    return t


# ---- measurements ---------------------------------------------------------------------------
def _measurements(name: str, values, warmup: int = 0):
    """(floats after the warm-up, floats of the warm-up, unit or None) from plain numbers, or
    from Quantities (or strings such as "12.5 ms") of one dimension."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise InvalidInputError(name, "a list of measurements", values)
    unit, out = None, []
    for i, v in enumerate(values):
        where = f"{name}[{i}]"
        if isinstance(v, str):
            try:
                v = c.Q_(v)
            except Exception:
                raise InvalidInputError(where, "a number or a quantity such as '12.5 ms'",
                                        v) from None
        if isinstance(v, c.Q_):
            if i == 0:
                unit = v.units
            if unit is None or v.dimensionality != unit.dimensionality:
                raise InvalidInputError(where, "a measurement of the same kind as the first",
                                        v)
            out.append(c.num(where, v.m_as(unit)))
        elif unit is not None:
            raise InvalidInputError(where, "a Quantity like the first measurement", v)
        else:
            out.append(c.num(where, v))
    if len(out) - warmup < 2:
        raise InvalidInputError(name, f"at least 2 measurements after {warmup} warm-up runs",
                                len(out))
    return out[warmup:], out[:warmup], unit


def _mean_var(xs):
    n = len(xs)
    m = math.fsum(xs) / n
    return m, math.fsum((x - m) ** 2 for x in xs) / (n - 1)


def _wrap(value, unit):
    return value if unit is None else c.q(value, unit)


class BenchmarkStatsResult(SolverResult):
    repeats: int
    mean: object              # Quantity in the measurements' unit, or a float
    std: object
    confidence: float
    t_value: float
    ci_low: object
    ci_high: object
    half_width: object
    relative_half_width: float   # half width / mean
    cv: float                    # std / mean
    warmup_mean: object | None
    warmup_excess: float | None  # warm-up mean / steady mean - 1
    source: str = SOURCE


class BenchmarkStatsModel(BaseModel):
    """Mean, sample standard deviation and Student-t ``confidence`` interval of repeated
    ``measurements`` after discarding the first ``warmup`` (reported apart: how much slower
    the warm-up runs were). Measurements are numbers or Quantities of one unit."""

    requires = ("measurements",)
    produces = BenchmarkStatsResult

    def solve(self, *, measurements, warmup=0, confidence=CONFIDENCE) -> BenchmarkStatsResult:
        w = c.positive_int("warmup", warmup, lo=0)
        conf = c.fraction("confidence", confidence, allow_one=False)
        xs, warm, unit = _measurements("measurements", measurements, w)
        n = len(xs)
        m, var = _mean_var(xs)
        sd = math.sqrt(var)
        t = t_quantile((1 + conf) / 2, n - 1)
        half = t * sd / math.sqrt(n)
        wm = math.fsum(warm) / len(warm) if warm else None
        return BenchmarkStatsResult(
            repeats=n, mean=_wrap(m, unit), std=_wrap(sd, unit), confidence=conf, t_value=t,
            ci_low=_wrap(m - half, unit), ci_high=_wrap(m + half, unit),
            half_width=_wrap(half, unit), relative_half_width=half / abs(m) if m else math.inf,
            cv=sd / abs(m) if m else math.inf, warmup_mean=None if wm is None else _wrap(wm, unit),
            warmup_excess=None if wm is None or not m else wm / m - 1)


class SpeedupClaimResult(CheckedResult):
    speedup: float
    ci_low: float
    ci_high: float
    confidence: float
    significant: bool            # the whole interval is above 1
    claimed_speedup: float | None
    claim_supported: bool | None  # the claim lies inside the interval
    source: str = SOURCE


class SpeedupClaimModel(BaseModel):
    """Speed-up of ``measurements`` over ``baseline_measurements`` (times: baseline mean / new
    mean; rates, e.g. samples/s: new / baseline) with Fieller's ``confidence`` interval for a
    ratio of means (independent samples, Welch degrees of freedom; the interval is unbounded,
    ci_high = inf, when the denominator's mean is not clearly above 0). A ``claimed_speedup``
    above the interval is a violated "claimed speed-up" constraint: the measurements do not
    support it."""

    requires = ("measurements", "baseline_measurements")
    produces = SpeedupClaimResult

    def solve(self, *, measurements, baseline_measurements, claimed_speedup=None, warmup=0,
              confidence=CONFIDENCE) -> SpeedupClaimResult:
        w = c.positive_int("warmup", warmup, lo=0)
        conf = c.fraction("confidence", confidence, allow_one=False)
        new, _, u_new = _measurements("measurements", measurements, w)
        base, _, u_base = _measurements("baseline_measurements", baseline_measurements, w)
        if (u_new is None) != (u_base is None) or (
                u_new is not None and u_new.dimensionality != u_base.dimensionality):
            raise InvalidInputError("baseline_measurements", "measurements of the same kind "
                                    "as measurements", baseline_measurements)
        if u_new is not None:
            base = [x * c.q(1.0, u_base).m_as(u_new) for x in base]
        rate = u_new is not None and u_new.dimensionality == (c.S ** -1).dimensionality
        (ma, va), (mb, vb) = _mean_var(base), _mean_var(new)
        na, nb = len(base), len(new)
        if rate:  # higher is better: speed-up = new / baseline
            (ma, va, na), (mb, vb, nb) = (mb, vb, nb), (ma, va, na)
        sa, sb = va / na, vb / nb           # variances of the two means
        r = ma / mb
        dof_den = (sa * sa / (na - 1) if sa else 0.0) + (r ** 4 * sb * sb / (nb - 1) if sb else 0.0)
        dof = (sa + r * r * sb) ** 2 / dof_den if dof_den else 1e9
        t = t_quantile((1 + conf) / 2, dof)
        den = mb * mb - t * t * sb
        if den <= 0:
            lo, hi = 0.0, math.inf
        else:
            disc = math.sqrt(max(0.0, sa * mb * mb + sb * ma * ma - t * t * sa * sb))
            lo, hi = (ma * mb - t * disc) / den, (ma * mb + t * disc) / den
        claim = None if claimed_speedup is None else c.num("claimed_speedup", claimed_speedup,
                                                           lo=0, lo_open=True)
        return SpeedupClaimResult(
            speedup=r, ci_low=lo, ci_high=hi, confidence=conf, significant=lo > 1.0,
            claimed_speedup=claim,
            claim_supported=None if claim is None else lo <= claim <= hi,
            violations=[] if claim is None else c.violation("claimed speed-up", claim, hi,
                                                            c.DIMLESS))


class BenchmarkVarianceResult(SolverResult):
    share_explained: float       # eta^2 = SS_between / SS_total
    group_means: dict
    group_std: dict
    grand_mean: object
    source: str = "one-way ANOVA: eta^2 = SS_between / SS_total"


class BenchmarkVarianceModel(BaseModel):
    """How much of the variation in benchmark results the setting explains: ``groups`` maps
    each setting (batch size, precision, machine) to its repeated measurements;
    ``share_explained`` is eta^2 = SS_between / SS_total (1: the setting is everything; near
    0: run-to-run noise dominates)."""

    requires = ("groups",)
    produces = BenchmarkVarianceResult

    def solve(self, *, groups) -> BenchmarkVarianceResult:
        if not isinstance(groups, dict) or len(groups) < 2:
            raise InvalidInputError("groups", "a dict of at least 2 settings -> measurements",
                                    groups)
        data, unit = {}, None
        for k, v in groups.items():
            xs, _, u = _measurements(f"groups[{k!r}]", v)
            if u is not None:
                unit = unit or u
                xs = [x * c.q(1.0, u).m_as(unit) for x in xs]
            data[k] = xs
        every = [x for xs in data.values() for x in xs]
        grand = math.fsum(every) / len(every)
        total = math.fsum((x - grand) ** 2 for x in every)
        means = {k: math.fsum(xs) / len(xs) for k, xs in data.items()}
        between = math.fsum(len(data[k]) * (m - grand) ** 2 for k, m in means.items())
        return BenchmarkVarianceResult(
            share_explained=between / total if total else 0.0,
            group_means={k: _wrap(m, unit) for k, m in means.items()},
            group_std={k: _wrap(math.sqrt(_mean_var(xs)[1]), unit) for k, xs in data.items()},
            grand_mean=_wrap(grand, unit))


class BenchmarkValidityResult(SolverResult):
    benchmark_latency: object        # one batch, Quantity
    production_latency: object
    benchmark_throughput: object     # samples per second
    production_throughput: object
    throughput_ratio: float          # benchmark / production: how far the headline is off
    latency_ratio: float             # benchmark / production
    benchmark_binding: str           # memory, compute or overhead (Iron Law)
    production_binding: str
    regime_changed: bool             # the benchmark is bound by a different term
    source: str = "Iron Law of each configuration (IronLawModel)"


class BenchmarkValidityModel(BaseModel):
    """A benchmark run at ``batch_size`` and ``precision`` against production at
    ``production_batch_size`` and ``production_precision`` (default: the benchmark's) on the
    same ``hardware`` and ``model``: each configuration's Iron Law time and throughput,
    their ratios, and whether the benchmark is bound by a different term than production
    (a large-batch benchmark is compute-bound where batch-1 serving is memory-bound: its
    samples/s say little about production)."""

    requires = ("model", "hardware", "batch_size", "production_batch_size")
    produces = BenchmarkValidityResult

    def solve(self, *, model, hardware, batch_size, production_batch_size, precision=None,
              production_precision=None) -> BenchmarkValidityResult:
        from .iron_law import IronLawModel

        law = IronLawModel()
        bench = law.solve(model=model, hardware=hardware, batch_size=batch_size,
                          precision=precision)
        prod_batch = c.positive_int("production_batch_size", production_batch_size)
        prod = law.solve(model=model, hardware=hardware, batch_size=prod_batch,
                         precision=production_precision if production_precision is not None
                         else precision)
        per_s = c.S ** -1
        tb, tp = bench.throughput.m_as(per_s), prod.throughput.m_as(per_s)
        return BenchmarkValidityResult(
            benchmark_latency=bench.total, production_latency=prod.total,
            benchmark_throughput=bench.throughput, production_throughput=prod.throughput,
            throughput_ratio=tb / tp, latency_ratio=(bench.total / prod.total).m_as(""),
            benchmark_binding=bench.binding, production_binding=prod.binding,
            regime_changed=bench.binding != prod.binding)
