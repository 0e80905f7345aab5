"""Benchmark statistics: Student t against published tables, confidence intervals, Fieller's
speed-up interval, eta^2, and Amdahl's Lab 12 figure."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from mlsysim.core.constants import Q_
from mlsysim.core.errors import InfeasibleError, InvalidInputError
from mlsysim.resolvers import (AmdahlModel, BenchmarkStatsModel, BenchmarkVarianceModel,
                               SpeedupClaimModel)
from mlsysim.resolvers.benchmarking import normal_quantile, t_cdf, t_quantile

# NIST/SEMATECH e-Handbook of Statistical Methods, Sec. 1.3.6.7.2, "Critical Values of the
# Student's t Distribution" (https://www.itl.nist.gov/div898/handbook/eda/section3/eda3672.htm),
# upper-tail probabilities 0.10, 0.05, 0.025, 0.01, 0.005, 0.001 (three decimals).
NIST_T = {
    1: (3.078, 6.314, 12.706, 31.821, 63.657, 318.313),
    2: (1.886, 2.920, 4.303, 6.965, 9.925, 22.327),
    3: (1.638, 2.353, 3.182, 4.541, 5.841, 10.215),
    5: (1.476, 2.015, 2.571, 3.365, 4.032, 5.893),
    9: (1.383, 1.833, 2.262, 2.821, 3.250, 4.297),
    10: (1.372, 1.812, 2.228, 2.764, 3.169, 4.144),
    20: (1.325, 1.725, 2.086, 2.528, 2.845, 3.552),
    29: (1.311, 1.699, 2.045, 2.462, 2.756, 3.396),
    100: (1.290, 1.660, 1.984, 2.364, 2.626, 3.174),
}
TAILS = (0.10, 0.05, 0.025, 0.01, 0.005, 0.001)


@pytest.mark.parametrize("df", sorted(NIST_T))
def test_t_quantile_matches_the_nist_table(df):
    for tail, value in zip(TAILS, NIST_T[df]):
        if (df, tail) == (1, 0.001):
            # The table prints 318.313; the exact value (df = 1 is the Cauchy distribution,
            # quantile tan(pi (p - 1/2))) is cot(pi / 1000) = 318.3088.
            value = 1 / math.tan(math.pi / 1000)
            assert value == pytest.approx(318.313, abs=5e-3)
        assert t_quantile(1 - tail, df) == pytest.approx(value, abs=6e-4), (df, tail)
        assert t_quantile(tail, df) == pytest.approx(-value, abs=6e-4)


def test_t_tends_to_the_normal():
    # A&S Table 26.1: z_{0.975} = 1.959964, z_{0.999} = 3.090232.
    assert normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert normal_quantile(0.999) == pytest.approx(3.090232, abs=1e-6)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959964, abs=1e-6)
    # the large-df expansion and the exact CDF agree where they meet (df = 300)
    assert t_cdf(t_quantile(0.995, 301), 301) == pytest.approx(0.995, abs=1e-10)


@settings(max_examples=60, deadline=None)
@given(p=st.floats(0.5001, 0.9999), df=st.floats(1, 300))
def test_t_quantile_inverts_the_cdf(p, df):
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-12)


def test_confidence_interval_by_hand():
    # 5 runs after one warm-up: 10, 11, 12, 13, 14 ms: mean 12, s = 1.5811, t(0.975, 4) =
    # 2.776 (NIST): half width 2.776 x 1.5811 / sqrt 5 = 1.963 ms.
    runs = [Q_(v, "ms") for v in (40, 10, 11, 12, 13, 14)]
    r = BenchmarkStatsModel().solve(measurements=runs, warmup=1)
    assert r.repeats == 5 and r.mean.m_as("ms") == pytest.approx(12)
    assert r.std.m_as("ms") == pytest.approx(math.sqrt(2.5))
    assert r.t_value == pytest.approx(2.776, abs=5e-4)
    assert r.half_width.m_as("ms") == pytest.approx(2.7764 * math.sqrt(2.5 / 5), rel=1e-4)
    assert r.ci_low.m_as("ms") == pytest.approx(12 - r.half_width.m_as("ms"))
    assert r.warmup_mean.m_as("ms") == 40 and r.warmup_excess == pytest.approx(40 / 12 - 1)
    plain = BenchmarkStatsModel().solve(measurements=[10, 11, 12, 13, 14])
    assert plain.mean == pytest.approx(12) and plain.warmup_mean is None


def test_speedup_interval_reduces_to_a_t_interval():
    # Fieller 1954: with an exactly repeatable new system (variance 0), the interval for
    # baseline mean / 10 ms is the baseline's t interval / 10: (20 +- 4.303 x 1/sqrt 3) / 10.
    r = SpeedupClaimModel().solve(measurements=[Q_(10, "ms")] * 3,
                                  baseline_measurements=[Q_(v, "ms") for v in (19, 20, 21)])
    half = 4.3027 / math.sqrt(3) / 10
    assert r.speedup == pytest.approx(2)
    assert r.ci_low == pytest.approx(2 - half, rel=1e-4) and r.ci_high == pytest.approx(2 + half,
                                                                                       rel=1e-4)
    assert r.significant


def test_overclaimed_speedup_is_infeasible():
    # Vol I Lab 12's failure: a claimed speed-up outside what the measurements support.
    kw = dict(measurements=[Q_(v, "ms") for v in (10.1, 9.9, 10.0, 10.2, 9.8)],
              baseline_measurements=[Q_(v, "ms") for v in (20.5, 19.5, 20.0, 20.2, 19.8)])
    ok = SpeedupClaimModel().solve(**kw, claimed_speedup=2.0)
    assert ok.feasible and ok.claim_supported
    bad = SpeedupClaimModel().solve(**kw, claimed_speedup=3.0)
    [v] = bad.violations
    assert v.name == "claimed speed-up" and v.available.m == pytest.approx(bad.ci_high)
    with pytest.raises(InfeasibleError, match="claimed speed-up"):
        bad.raise_if_infeasible()


def test_speedup_of_throughputs_is_new_over_baseline():
    r = SpeedupClaimModel().solve(measurements=[Q_(v, "sample/s") for v in (200, 210, 190)],
                                  baseline_measurements=[Q_(v, "1/s") for v in (100, 105, 95)])
    assert r.speedup == pytest.approx(2)


def test_noisy_runs_do_not_support_a_speedup():
    r = SpeedupClaimModel().solve(measurements=[9, 12, 8, 13], baseline_measurements=[10, 14, 9, 12])
    assert not r.significant and r.ci_low < 1 < r.ci_high


def test_share_of_variance_explained_by_the_setting():
    # eta^2 = SS_between / SS_total: means 1 and 2 (grand 1.5), 3 runs each with deviations
    # +-0.1: SS_between = 6 x 0.25 = 1.5, SS_within = 4 x 0.01 = 0.04 -> 1.5 / 1.54.
    r = BenchmarkVarianceModel().solve(groups={"fp16": [1, 1.1, 0.9], "fp32": [2, 2.1, 1.9]})
    assert r.share_explained == pytest.approx(1.5 / 1.54)
    assert r.group_means == pytest.approx({"fp16": 1.0, "fp32": 2.0})
    same = BenchmarkVarianceModel().solve(groups={"a": [1, 2, 3], "b": [3, 2, 1]})
    assert same.share_explained == pytest.approx(0)


def test_amdahl_64_gpus_with_15_percent_serial():
    # Vol I Lab 12, Act I (Amdahl 1967): 1 / (0.15 + 0.85 / 64) = 6.12x, limit 1 / 0.15 = 6.67x.
    r = AmdahlModel().solve(parallel_fraction=0.85, devices=64)
    assert r.amdahl_speedup == pytest.approx(1 / (0.15 + 0.85 / 64)) == pytest.approx(6.124,
                                                                                     abs=1e-3)
    assert r.amdahl_limit == pytest.approx(1 / 0.15)


@pytest.mark.parametrize("call, name", [
    (lambda: BenchmarkStatsModel().solve(measurements=[1.0]), "measurements"),
    (lambda: BenchmarkStatsModel().solve(measurements=[1, 2, 3], warmup=2), "measurements"),
    (lambda: BenchmarkStatsModel().solve(measurements=[1, 2], warmup=-1), "warmup"),
    (lambda: BenchmarkStatsModel().solve(measurements=[1, 2], confidence=1.0), "confidence"),
    (lambda: BenchmarkStatsModel().solve(measurements=[Q_(1, "ms"), 2]), r"measurements\[1\]"),
    (lambda: BenchmarkStatsModel().solve(measurements=[Q_(1, "ms"), Q_(1, "GB")]),
     r"measurements\[1\]"),
    (lambda: BenchmarkStatsModel().solve(measurements="1 ms"), "measurements"),
    (lambda: SpeedupClaimModel().solve(measurements=[Q_(1, "ms")] * 2,
                                       baseline_measurements=[1, 2]), "baseline_measurements"),
    (lambda: SpeedupClaimModel().solve(measurements=[1, 2], baseline_measurements=[1, 2],
                                       claimed_speedup=0), "claimed_speedup"),
    (lambda: BenchmarkVarianceModel().solve(groups={"a": [1, 2]}), "groups"),
])
def test_rejects_bad_inputs(call, name):
    with pytest.raises(InvalidInputError, match=name):
        call()


def test_benchmark_at_batch_256_fp8_is_not_batch_1_fp16_serving(h100, resnet50):
    # Vol I Lab 12, Act II: the headline (batch 256, FP8) is compute-bound; batch-1 FP16
    # serving of the same ResNet-50 on the same H100 is bound by kernel launches (50 layers
    # x 5 us of dispatch against ~30 us of memory time). Each side is the Iron Law
    # (IronLawModel) of its own configuration.
    from mlsysim.resolvers import BenchmarkValidityModel, IronLawModel

    r = BenchmarkValidityModel().solve(model=resnet50, hardware=h100, batch_size=256,
                                       precision="fp8", production_batch_size=1,
                                       production_precision="fp16")
    bench = IronLawModel().solve(model=resnet50, hardware=h100, batch_size=256, precision="fp8")
    prod = IronLawModel().solve(model=resnet50, hardware=h100, batch_size=1, precision="fp16")
    assert r.throughput_ratio == pytest.approx((bench.throughput / prod.throughput).m_as(""))
    assert r.latency_ratio == pytest.approx((bench.total / prod.total).m_as(""))
    assert (r.benchmark_binding, r.production_binding) == (bench.binding, prod.binding)
    assert r.regime_changed == (bench.binding != prod.binding)
    assert (r.benchmark_binding, r.production_binding) == ("compute", "overhead")
    same = BenchmarkValidityModel().solve(model=resnet50, hardware=h100, batch_size=8,
                                          production_batch_size=8)
    assert same.throughput_ratio == pytest.approx(1) and not same.regime_changed


def test_benchmark_validity_names_the_production_batch(h100, resnet50):
    from mlsysim.resolvers import BenchmarkValidityModel

    with pytest.raises(InvalidInputError, match="production_batch_size"):
        BenchmarkValidityModel().solve(model=resnet50, hardware=h100, batch_size=8,
                                       production_batch_size=0)
