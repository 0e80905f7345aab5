"""The cases Chapter 29 (book/vol2/security_privacy.qmd) and Lab 13 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so a number the
chapter states and the lab shows come from the same call. The mathematics is the engine's
(``mlsysim.resolvers.privacy``): the Gaussian mechanism (Dwork & Roth 2014; Balle & Wang 2018),
composition, the RDP accountant of DP-SGD (Mironov, Talwar & Zhang 2019) and the engine's
*illustrative* accuracy curve; this module fixes the scenarios and composes those calls (the
noise multiplier that spends a given budget, found by bisection over the accountant).
"""
from __future__ import annotations

import math
from functools import lru_cache

from mlsysim import Hardware, Models, Systems
from mlsysim.core.solver import (CompositionModel, DPSGDAccountantModel, DPSGDUtilityModel,
                                 GaussianMechanismModel, PrivacyBudgetSolver)

# ---- the lab's scenario (illustrative constants, chosen for the lesson) ------------------------
#: Labelled patient records a hospital trains on (illustrative: a single hospital's data set).
RECORDS = 50_000
#: delta for every release and run in the lab: below 1/RECORDS = 2e-5, as the definition asks
#: (Dwork & Roth 2014, Sec. 2.3: delta well under the inverse of the data set's size).
DELTA = 1e-5
#: The privacy budget epsilon each context allows for the trained model (illustrative).
#: On-premises the model stays inside the hospital and the ethics board allows 8, the budget of
#: the headline results of Abadi et al. 2016 and De et al. 2022; in the cloud the model answers
#: the public through an API and the data-sharing contract caps it at 3.
BUDGET = {"on_prem": 8.0, "cloud": 3.0}
#: The accuracy the model must reach to be useful (illustrative), on the engine's illustrative
#: DP-SGD curve (privacy.DPSGD_CURVE: 10% with no signal, 95% without privacy).
FLOOR = 0.70

#: Act I: one count released from the records at (epsilon, delta), sensitivity 1 (one patient
#: changes a count by at most one).
COUNT = {"epsilon": 1.0, "delta": DELTA, "sensitivity": 1.0}
#: Act I's reflection: the same count with a far smaller delta.
TIGHT_DELTA = 1e-10
#: Act II's prediction: the same noise and epochs, the batch raised sixteen-fold.
ACT2 = {"noise": 1.0, "epochs": 10, "batch": 256, "big_batch": 4096}
#: Act II's starting design (what the team runs today).
DEFAULT = {"noise": 1.0, "batch": 1024, "epochs": 20}

# ---- the chapter's own examples (different from every case the lab asks about) ----------------
#: A mean released from a registry: average length of stay, clipped to [0, 30] days, over
#: 10,000 stays, at epsilon 0.5 and delta 1e-6 (illustrative).
CH_MEAN = {"records": 10_000, "range_days": 30.0, "epsilon": 0.5, "delta": 1e-6}
#: Composition: a dashboard that answers 1,000 queries at epsilon 0.01 each (illustrative).
CH_QUERIES = {"count": 1000, "epsilon": 0.01, "delta_prime": 1e-6}
#: Abadi et al. 2016, Sec. 3.1: q = 0.01, sigma = 4, 10,000 steps, delta = 1e-5; the paper
#: reports epsilon 1.26 with the moments accountant against 9.34 with strong composition.
ABADI = {"noise": 4.0, "sampling_rate": 0.01, "steps": 10_000, "delta": 1e-5,
         "published": 1.26, "strong_composition": 9.34}
#: The chapter's DP-SGD run (illustrative): 200,000 examples, batch 2,000, noise 1.2,
#: 15 epochs, delta 1e-6.
CH_RUN = {"records": 200_000, "batch": 2000, "noise": 1.2, "epochs": 15, "delta": 1e-6}
#: The chapter's accuracy target on the illustrative curve.
CH_TARGET = 0.80
#: Per-example gradients: GPT-2 (124M) fine-tuned with DP-SGD in FP32 at batch 256, on an
#: H100 (illustrative batch).
CH_MODEL = Models.Language.GPT2
CH_GRAD_BYTES = 4          # FP32 gradients, 4 bytes per parameter
CH_GRAD_BATCH = 256
GPU = Hardware.Cloud.H100
#: Confidential computing: loading Llama 3 70B's FP16 weights into a GPU over PCIe Gen5 x16.
CH_TEE_MODEL = Models.Language.Llama3_70B
CH_TEE_LINK = Systems.Links.PCIe_Gen5_x16


# ---- the Gaussian mechanism --------------------------------------------------------------------
@lru_cache(maxsize=256)
def gaussian(epsilon: float, delta: float, sensitivity: float = 1.0):
    """Noise for (epsilon, delta)-DP: ``.sigma`` (classic, Dwork & Roth Thm A.1, proven for
    epsilon < 1) and ``.analytic_sigma`` (exact, Balle & Wang 2018)."""
    return GaussianMechanismModel().solve(epsilon=epsilon, delta=delta, sensitivity=sensitivity)


def count_release():
    return gaussian(COUNT["epsilon"], COUNT["delta"], COUNT["sensitivity"])


def chapter_mean():
    """The chapter's mean: sensitivity = range / n."""
    c = CH_MEAN
    return gaussian(c["epsilon"], c["delta"], c["range_days"] / c["records"])


@lru_cache(maxsize=8)
def composition(count: int, epsilon: float, delta_prime: float):
    return CompositionModel().solve(epsilon=epsilon, steps=count, delta_prime=delta_prime)


# ---- DP-SGD: the accountant ---------------------------------------------------------------------
def steps(batch: int, epochs: int, records: int = RECORDS) -> int:
    """Steps of ``epochs`` passes at ``batch``, counted as TensorFlow Privacy's
    compute_dp_sgd_privacy does: ceil(epochs x N / batch)."""
    return math.ceil(epochs * records / batch)


@lru_cache(maxsize=512)
def run(noise: float, batch: int, epochs: int, records: int = RECORDS, delta: float = DELTA,
        budget: float | None = None, floor: float | None = None):
    """The accountant's epsilon (and the illustrative accuracy) of a DP-SGD run; with a budget
    and a floor, their violations."""
    return DPSGDAccountantModel().solve(noise_multiplier=noise, sampling_rate=batch / records,
                                        steps=steps(batch, epochs, records), delta=delta,
                                        epsilon=budget, target_accuracy=floor)


def design(context: str, noise: float, batch: int, epochs: int):
    """A run on the lab's records, checked against the context's budget and the floor."""
    return run(noise, batch, epochs, RECORDS, DELTA, BUDGET[context], FLOOR)


@lru_cache(maxsize=128)
def full_batch(noise: float, n_steps: int, delta: float = DELTA):
    """The same noise and steps with every record in every step (no sampling, q = 1)."""
    return DPSGDAccountantModel().solve(noise_multiplier=noise, sampling_rate=1.0,
                                        steps=n_steps, delta=delta)


@lru_cache(maxsize=64)
def abadi():
    a = ABADI
    return DPSGDAccountantModel().solve(noise_multiplier=a["noise"],
                                        sampling_rate=a["sampling_rate"], steps=a["steps"],
                                        delta=a["delta"])


def chapter_run(batch_factor: int = 1):
    c = CH_RUN
    return run(c["noise"], c["batch"] * batch_factor, c["epochs"], c["records"], c["delta"])


def rule_of_thumb(noise: float, batch: int, epochs: int, records: int = RECORDS,
                  delta: float = DELTA) -> float:
    """epsilon ~ 2 sqrt(q E ln(1/delta)) / sigma: the accountant's minimum over orders when one
    step's Renyi divergence is about q^2 alpha / sigma^2 (small q; Abadi et al. 2016, Lemma 3).
    An approximation for the chapter's reasoning; the accountant is the number."""
    q = batch / records
    return 2 * math.sqrt(q * epochs * math.log(1 / delta)) / noise


@lru_cache(maxsize=256)
def noise_for(epsilon: float, batch: int, epochs: int, records: int = RECORDS,
              delta: float = DELTA) -> float:
    """The noise multiplier at which the run spends exactly ``epsilon`` (bisection over the
    accountant, which falls as the noise grows), to 0.1%."""
    lo, hi = 0.3, 64.0
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        if run(round(mid, 6), batch, epochs, records, delta).epsilon > epsilon:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.001:
            break
    return hi


# ---- accuracy (the engine's illustrative curve) --------------------------------------------------
@lru_cache(maxsize=256)
def accuracy(epsilon: float) -> float:
    return DPSGDUtilityModel().solve(epsilon=epsilon).accuracy


@lru_cache(maxsize=8)
def floor_epsilon(target: float = FLOOR) -> float:
    """The smallest epsilon whose illustrative accuracy reaches ``target``."""
    return PrivacyBudgetSolver().solve(target_accuracy=target).epsilon


def ceiling() -> float:
    """The curve's accuracy without privacy (epsilon without bound)."""
    return accuracy(1e6)


# ---- systems: per-example gradients and confidential computing -----------------------------------
def per_example_gradients() -> dict:
    """Bytes of per-example gradients held at once when DP-SGD materialises them naively."""
    params = CH_MODEL.parameters
    one = params * CH_GRAD_BYTES
    hbm = GPU.memory.capacity.m_as("B")
    return {"params": params, "one_b": one, "batch_b": one * CH_GRAD_BATCH, "hbm_b": hbm,
            "fit": int(hbm // one)}


def tee_load() -> dict:
    """Loading a model's FP16 weights into one GPU over the host link."""
    size = CH_TEE_MODEL.size_in_bytes("fp16").m_as("B")
    bw = CH_TEE_LINK.bandwidth.m_as("B/s")
    return {"bytes": size, "bandwidth": bw, "seconds": size / bw}
