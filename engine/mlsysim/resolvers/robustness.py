"""Adversarial robustness: clean vs robust accuracy, and what adversarial training costs.

Published points (Madry et al. 2018, "Towards Deep Learning Models Resistant to Adversarial
Attacks", ICLR): on CIFAR-10 (wide ResNet, L-infinity epsilon = 8/255) a standard model is
accurate on clean images and almost never under a PGD attack, a PGD-trained model gives up
clean accuracy for robust accuracy. MNIST (epsilon = 0.3) is far easier to make robust.

Between the standard (adversarial_fraction 0) and the fully adversarially trained model
(fraction 1) the accuracies are interpolated linearly: an ILLUSTRATIVE trade-off curve (real
curves depend on the training epsilon, the loss mix such as TRADES, and the model's size).

Cost: k-step PGD adversarial training computes k extra forward-backward passes to craft each
adversarial example, then trains on it: about k + 1 forward-backward passes per step
(Madry et al. 2018 Sec. 4; Shafahi et al. 2019, "Adversarial Training for Free!", Sec. 1).
With a fraction f of each batch adversarial the step costs 1 + f k.
"""
from __future__ import annotations

from ..core.assumptions import assume
from ..core._base import BaseModel
from ..core.results import CheckedResult
from ..core.types import Quantity
from . import _common as c

#: (clean, robust) accuracy under white-box PGD at the paper's epsilon, per dataset.
ROBUSTNESS_POINTS = assume("robustness.ROBUSTNESS_POINTS", {
    "cifar10": {"epsilon": "8/255 (L-inf)", "standard": (0.952, 0.035),
                "adversarial": (0.873, 0.458)},
    "mnist": {"epsilon": "0.3 (L-inf)", "standard": (0.992, 0.0),
              "adversarial": (0.988, 0.893)},
}, "estimate", "Madry et al. 2018, Towards Deep Learning Models Resistant to Adversarial "
   "Attacks (ICLR), Table 1 (MNIST), Table 2 and Fig. 4 (CIFAR-10)",
   "https://arxiv.org/abs/1706.06083",
   "values as recalled from the paper (not re-checked against the PDF in this session): "
   "CIFAR-10 standard training 95.2 % clean / 3.5 % PGD, PGD training 87.3 % / 45.8 % "
   "(20-step PGD); MNIST PGD training 98.8 % / 89.3 % (100-step PGD, 20 restarts), "
   "standard MNIST ~99 % clean and ~0 % under PGD at 0.3. Cross-check: the MadryLab "
   "cifar10_challenge white-box leaderboard lists 47.04 % for 20-step PGD on the released "
   "adversarially trained model and 44.03 % for the strongest attack "
   "(https://github.com/MadryLab/cifar10_challenge).")
DATASETS = tuple(ROBUSTNESS_POINTS)
DEFAULT_ATTACK_STEPS = assume("robustness.DEFAULT_ATTACK_STEPS", 7, "paper",
                              "Madry et al. 2018: the CIFAR-10 model is trained against 7-step "
                              "PGD (step 2/255)", "https://arxiv.org/abs/1706.06083")
SOURCE = ("endpoints: Madry et al. 2018 (estimate, recalled); between them: illustrative "
          "linear interpolation; cost: k + 1 forward-backward passes per PGD-k step")


def robust_tradeoff(dataset: str, fraction: float) -> tuple[float, float]:
    """(clean, robust) accuracy at adversarial fraction ``fraction`` (linear, illustrative)."""
    p = ROBUSTNESS_POINTS[dataset]
    (c0, r0), (c1, r1) = p["standard"], p["adversarial"]
    return c0 + (c1 - c0) * fraction, r0 + (r1 - r0) * fraction


class AdversarialTrainingResult(CheckedResult):
    clean_accuracy: float
    robust_accuracy: float
    cost_multiplier: float
    training_time: Quantity | None
    attack_epsilon: str
    any_setting_feasible: bool
    illustrative: bool = True
    source: str = SOURCE


class AdversarialTrainingModel(BaseModel):
    """Clean and robust (PGD) accuracy of a model trained with ``adversarial_fraction`` of
    each batch adversarial (0: standard training, 1: Madry et al.'s PGD training) on
    ``dataset`` (cifar10, mnist), and its training cost: ``cost_multiplier`` = 1 +
    fraction x ``attack_steps`` forward-backward passes per step (``training_time`` =
    ``duration`` of standard training x that). ``target_accuracy`` (clean) and
    ``target_robust_accuracy`` not met are violations; ``any_setting_feasible`` says whether
    any fraction would meet both."""

    requires = ("adversarial_fraction",)
    produces = AdversarialTrainingResult

    def solve(self, *, adversarial_fraction, dataset="cifar10", attack_steps=DEFAULT_ATTACK_STEPS,
              duration=None, target_accuracy=None, target_robust_accuracy=None
              ) -> AdversarialTrainingResult:
        f = c.fraction("adversarial_fraction", adversarial_fraction, allow_zero=True)
        ds = c.choice("dataset", dataset, DATASETS)
        k = c.positive_int("attack_steps", attack_steps)
        t = c.opt_qty("duration", duration, c.TIME, c.HOUR, example="10 hour")
        clean, robust = robust_tradeoff(ds, f)
        mult = 1.0 + f * k
        tc = (None if target_accuracy is None
              else c.fraction("target_accuracy", target_accuracy, allow_one=False))
        tr = (None if target_robust_accuracy is None
              else c.fraction("target_robust_accuracy", target_robust_accuracy,
                              allow_one=False))
        violations = []
        if tc is not None and clean < tc:
            violations.append(c.Constraint("clean accuracy", c.q(tc, c.DIMLESS),
                                           c.q(clean, c.DIMLESS)))
        if tr is not None and robust < tr:
            violations.append(c.Constraint("robust accuracy", c.q(tr, c.DIMLESS),
                                           c.q(robust, c.DIMLESS)))
        # along the linear trade-off, clean accuracy falls and robust accuracy rises with f
        (c0, r0), (c1, r1) = (ROBUSTNESS_POINTS[ds]["standard"],
                              ROBUSTNESS_POINTS[ds]["adversarial"])
        f_max = 1.0 if tc is None else (1.0 if c1 >= tc else max(-1.0, (c0 - tc) / (c0 - c1)))
        f_min = 0.0 if tr is None else (0.0 if r0 >= tr else (tr - r0) / (r1 - r0))
        any_ok = max(0.0, f_min) <= min(1.0, f_max)
        return AdversarialTrainingResult(
            clean_accuracy=clean, robust_accuracy=robust, cost_multiplier=mult,
            training_time=None if t is None else c.q(t * mult, c.HOUR),
            attack_epsilon=ROBUSTNESS_POINTS[ds]["epsilon"], any_setting_feasible=any_ok,
            violations=violations)
