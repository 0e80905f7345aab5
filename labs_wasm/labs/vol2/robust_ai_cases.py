"""The cases Chapter 30 (book/vol2/robust_ai.qmd) and Lab 14 both compute, in one place.

Accuracy under attack comes from the engine's AdversarialTrainingModel: Madry et al. 2018's
published clean and PGD accuracies at the two ends (standard training, PGD training), joined
by the engine's illustrative straight line for a training batch that is only partly
adversarial. Compute comes from TrainingTimeModel (3 x forward FLOP per sample at the
engine's MFU) multiplied by the engine's k + 1 passes per PGD-k step, and money from
EconomicsModel at the registry's H100 rental price. The chapter evaluates these at build time
and the lab in the reader's browser, so the two cannot disagree.

Lab 14 asks about CIFAR-10 (Madry et al.'s wide ResNet); the chapter works MNIST and an
ImageNet-scale ResNet-50 instead, so it teaches the method without giving the lab's answers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

from mlsysim import Hardware, Models, Systems
from mlsysim.core.constants import Q_
from mlsysim.core.solver import (AdversarialTrainingModel, EconomicsModel, IronLawModel,
                                 TrainingTimeModel)
from mlsysim.resolvers.robustness import (DEFAULT_ATTACK_STEPS, ROBUSTNESS_POINTS,
                                          robust_tradeoff)
from mlsysim.resolvers.scaling import TRAINING_TO_FORWARD

GPU = Hardware.Cloud.H100
NODE = Systems.Nodes.DGX_H100

# ---- the threat models (Madry et al. 2018, Sec. 5; their released challenge configs) --------
DATASETS = {"cifar10": "CIFAR-10", "mnist": "MNIST"}
#: L-infinity budget per input value, on a 0-1 scale: 8 of 255 grey levels on CIFAR-10, 0.3 on
#: MNIST (Madry et al. 2018; MadryLab cifar10_challenge and mnist_challenge config.json). The
#: engine's ROBUSTNESS_POINTS state the same budgets in words.
EPSILON = {"cifar10": 8 / 255, "mnist": 0.3}
EPSILON_TEXT = {"cifar10": "8/255", "mnist": "0.3"}
#: Input values per image: 32 x 32 x 3 (Krizhevsky 2009, CIFAR-10) and 28 x 28 (LeCun et al.
#: 1998, MNIST).
INPUT_SHAPE = {"cifar10": (32, 32, 3), "mnist": (28, 28, 1)}
#: PGD steps used to craft each training example: 7 on CIFAR-10 (the engine's default, from the
#: paper) and 40 on MNIST (mnist_challenge config.json: k = 40, step 0.01).
TRAIN_STEPS_K = {"cifar10": DEFAULT_ATTACK_STEPS, "mnist": 40}
#: PGD step size alpha per step: 2/255 on CIFAR-10 (cifar10_challenge config.json: 2.0 on the
#: 0-255 scale), 0.01 on MNIST.
STEP_SIZE = {"cifar10": 2 / 255, "mnist": 0.01}
#: Steps of the attack that measures the published robust accuracy: 20-step PGD on CIFAR-10,
#: 100-step PGD on MNIST (the engine's ROBUSTNESS_POINTS note).
EVAL_STEPS = {"cifar10": 20, "mnist": 100}
GREY_LEVELS = 255

# ---- scenario targets (illustrative: the lab says so) --------------------------------------
#: Lab 14, Act II: the accuracy a product team and a security review require of the CIFAR-10
#: classifier, clean and under the same PGD attack. Illustrative scenario choices:
#: "production" keeps clean accuracy within about four points of standard training and asks
#: for some robustness; "hardened" asks for robust accuracy near what PGD training reaches
#: while keeping clean accuracy at 90%.
TARGETS = {"production": {"clean": 0.91, "robust": 0.15},
           "hardened": {"clean": 0.90, "robust": 0.40}}
#: The chapter's worked example (MNIST): illustrative targets of the same kind.
CHAPTER_TARGETS = {"clean": 0.985, "robust": 0.80}

# ---- the CIFAR-10 model: Madry et al.'s wide ResNet (MadryLab cifar10_challenge model.py) ----
#: A 3x3 stem of 16 filters, then three stages of five residual units (two 3x3 convolutions
#: each) of 160, 320 and 640 filters on 32x32, 16x16 and 8x8 maps (the first convolution of
#: stages 2 and 3 has stride 2; shortcuts are pooling and zero padding, no weights), then
#: global pooling and a 10-way fully connected layer.
WRN = {"stem": 16, "widths": (160, 320, 640), "units": 5, "sizes": (32, 16, 8),
       "channels": 3, "classes": 10}
#: Its training schedule: 80,000 steps of 128 images (cifar10_challenge config.json).
CIFAR_STEPS = 80_000
CIFAR_BATCH = 128
CIFAR_TRAIN_IMAGES = 50_000  # the CIFAR-10 training set (Krizhevsky 2009)

# ---- the chapter's ImageNet-scale model: ResNet-50 from the registry ------------------------
#: ILSVRC-2012 training images (Russakovsky et al. 2015) and the usual 90-epoch ResNet-50
#: schedule (Goyal et al. 2017).
IMAGENET_TRAIN_IMAGES = 1_281_167
IMAGENET_EPOCHS = 90
IMAGENET_BATCH = 1024          # any batch gives the same total; a common size on 8 GPUs
IMAGENET_SHAPE = (224, 224, 3)
#: A budget often used for L-infinity robust ImageNet models (4 grey levels); a choice here.
IMAGENET_EPSILON = 4 / 255

# ---- certified defences: randomized smoothing (Cohen et al. 2019) --------------------------
#: Noisy forward passes per certified input (Cohen et al. 2019, Sec. 4: n = 100,000) and one of
#: their noise levels (sigma = 0.25 on 0-1 inputs).
SMOOTHING_SAMPLES = 100_000
SMOOTHING_SIGMA = 0.25
SMOOTHING_P_A = 0.99           # a lower bound on the top class's probability, illustrative
SMOOTHING_BATCH = 1_000        # noisy copies per forward batch (illustrative)

# ---- silent data corruption at fleet scale (illustrative rate, cited order of magnitude) -----
#: Share of machines with a core that silently miscomputes: Dixit et al. 2021 (Meta) found
#: "hundreds of CPUs" across "hundreds of thousands of machines"; Hochschild et al. 2021
#: (Google) estimate a few such cores per several thousand machines. Illustrative: 1 in 1,000.
SDC_MACHINE_SHARE = 1e-3
#: Interruptions the Llama 3 405B run attributed to silent data corruption in its 54-day
#: snapshot on 16,384 GPUs (Llama Team 2024, Table 5: 6 of 419 unexpected interruptions).
LLAMA3_SDC = {"events": 6, "days": 54, "gpus": 16_384}


# ---- accuracy under attack ----------------------------------------------------------------
def endpoints(dataset: str) -> dict:
    """The engine's published points: standard and PGD-trained (clean, robust) accuracy."""
    p = ROBUSTNESS_POINTS[dataset]
    return {"standard": tuple(p["standard"]), "adversarial": tuple(p["adversarial"])}


@lru_cache(maxsize=512)
def adversarial(dataset: str, fraction: float, clean_target: float | None = None,
                robust_target: float | None = None, attack_steps: int | None = None,
                duration_h: float | None = None):
    """The engine's AdversarialTrainingModel at ``fraction`` of each batch adversarial."""
    return AdversarialTrainingModel().solve(
        adversarial_fraction=fraction, dataset=dataset,
        attack_steps=attack_steps or TRAIN_STEPS_K[dataset],
        duration=None if duration_h is None else Q_(duration_h, "hour"),
        target_accuracy=clean_target, target_robust_accuracy=robust_target)


@dataclass(frozen=True)
class Window:
    """The shares of adversarial examples that meet both targets, on the engine's line."""

    f_min: float          # least share that reaches the robust target
    f_max: float          # most share the clean target allows (may exceed 1)
    feasible: bool        # the engine's any_setting_feasible

    @property
    def low(self) -> float:
        return max(0.0, self.f_min)

    @property
    def high(self) -> float:
        return min(1.0, self.f_max)


@lru_cache(maxsize=32)
def window(dataset: str, clean_target: float, robust_target: float) -> Window:
    (c0, r0), (c1, r1) = robust_tradeoff(dataset, 0.0), robust_tradeoff(dataset, 1.0)
    f_min = 0.0 if r0 >= robust_target else (robust_target - r0) / (r1 - r0)
    f_max = math.inf if c1 >= clean_target else (c0 - clean_target) / (c0 - c1)
    ok = adversarial(dataset, 0.0, clean_target, robust_target).any_setting_feasible
    return Window(f_min=f_min, f_max=f_max, feasible=ok)


def context_window(context: str) -> Window:
    t = TARGETS[context]
    return window("cifar10", t["clean"], t["robust"])


def design(context: str, fraction: float):
    """Lab 14's design: the CIFAR-10 model at ``fraction`` against the context's targets, with
    its training time on one H100."""
    t = TARGETS[context]
    return adversarial("cifar10", round(fraction, 4), t["clean"], t["robust"], None,
                       standard_cifar().hours)


# ---- the perturbation's size ---------------------------------------------------------------
def input_values(shape) -> int:
    return math.prod(shape)


def perturbation(dataset: str) -> dict:
    """How large the L-infinity ball is: its budget, in grey levels, its largest L2 length
    (every value moved by epsilon: epsilon x sqrt(d)), and the largest change of a linear
    score per unit of mean |weight| (epsilon x d: Goodfellow et al. 2015's argument)."""
    d = input_values(INPUT_SHAPE[dataset])
    eps = EPSILON[dataset]
    return {"d": d, "epsilon": eps, "levels": eps * GREY_LEVELS, "l2": eps * math.sqrt(d),
            "linear": eps * d}


# ---- compute: the wide ResNet, counted from its architecture --------------------------------
def wrn_convolutions() -> list[tuple[int, int, int]]:
    """(output map side, input channels, output channels) of every 3x3 convolution."""
    convs = [(WRN["sizes"][0], WRN["channels"], WRN["stem"])]
    c_in = WRN["stem"]
    for width, side in zip(WRN["widths"], WRN["sizes"]):
        convs.append((side, c_in, width))
        convs += [(side, width, width)] * (2 * WRN["units"] - 1)
        c_in = width
    return convs


def wrn_parameters() -> int:
    """Convolution and classifier weights (batch-norm scales and shifts left out: 0.1%)."""
    convs = sum(9 * ci * co for _, ci, co in wrn_convolutions())
    return convs + WRN["widths"][-1] * WRN["classes"] + WRN["classes"]


def wrn_forward_flops() -> float:
    """2 FLOP per multiply-accumulate of the convolutions and the classifier."""
    macs = sum(side * side * 9 * ci * co for side, ci, co in wrn_convolutions())
    return 2.0 * (macs + WRN["widths"][-1] * WRN["classes"])


@lru_cache(maxsize=1)
def standard_cifar():
    """Standard training of the wide ResNet on one H100 (engine: 3 x forward per sample)."""
    return TrainingTimeModel().solve(
        model=None, hardware=GPU, steps=CIFAR_STEPS, batch_size=CIFAR_BATCH,
        flops_per_sample=Q_(TRAINING_TO_FORWARD * wrn_forward_flops(), "FLOP"))


@lru_cache(maxsize=256)
def rent(hours: float, devices: int = 1) -> float:
    """Dollars to rent ``devices`` H100s for ``hours`` at the registry's price."""
    return EconomicsModel().solve(hardware=GPU, devices=devices, duration=Q_(hours, "hour"),
                                  price_per_hour=GPU.price_per_hour).total_cost.m_as("USD")


# ---- the chapter: ResNet-50 on ImageNet on one DGX H100 node ---------------------------------
@lru_cache(maxsize=1)
def standard_imagenet():
    """90 epochs of ResNet-50 on ImageNet on the 8 GPUs of a DGX H100 node."""
    steps = IMAGENET_EPOCHS * IMAGENET_TRAIN_IMAGES / IMAGENET_BATCH
    return TrainingTimeModel().solve(model=Models.Vision.ResNet50, hardware=NODE.hardware,
                                     devices=NODE.accelerators, steps=steps,
                                     batch_size=IMAGENET_BATCH)


def imagenet_adversarial(steps_k: int, fraction: float = 1.0):
    """The same run with PGD-k adversarial training (the engine's cost rule; the accuracy
    fields are the engine's CIFAR-10 points and are not used for ImageNet)."""
    return adversarial("cifar10", fraction, None, None, steps_k, standard_imagenet().hours)


@lru_cache(maxsize=1)
def smoothing():
    """Randomized smoothing: the certified L2 radius sigma x Phi^-1(p_A) (Cohen et al. 2019,
    with p_B = 1 - p_A), what it is in L-infinity terms on an ImageNet image, and the time to
    certify one image with ResNet-50 on one H100 (Iron Law at the engine's peak)."""
    radius = SMOOTHING_SIGMA * NormalDist().inv_cdf(SMOOTHING_P_A)
    d = input_values(IMAGENET_SHAPE)
    batch = IronLawModel().solve(hardware=GPU, model=Models.Vision.ResNet50,
                                 batch_size=SMOOTHING_BATCH)
    seconds = batch.total.m_as("s") * SMOOTHING_SAMPLES / SMOOTHING_BATCH
    return {"radius": radius, "linf": radius / math.sqrt(d),
            "linf_levels": radius / math.sqrt(d) * GREY_LEVELS,
            "ball_l2": IMAGENET_EPSILON * math.sqrt(d), "seconds": seconds,
            "flops": batch.ops.m_as("FLOP") * SMOOTHING_SAMPLES / SMOOTHING_BATCH}


# ---- silent data corruption -----------------------------------------------------------------
def any_defective(machines: int, share: float = SDC_MACHINE_SHARE) -> float:
    """Chance that at least one of ``machines`` has a silently miscomputing core."""
    return 1.0 - (1.0 - share) ** machines


def llama3_sdc_rate() -> float:
    """SDC interruptions per GPU-day in the Llama 3 405B snapshot."""
    s = LLAMA3_SDC
    return s["events"] / (s["days"] * s["gpus"])
