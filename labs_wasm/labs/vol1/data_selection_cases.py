"""The cases Chapter 9 (book/vol1/data_selection.qmd) and Lab 09 both compute, in one place.

The chapter evaluates these at build time and the lab in the reader's browser, so the prices,
curves and training times they state agree. Physics and the (illustrative) learning curves are
the engine's; this module fixes the model, the batch, the label prices and the chapter's plan.
"""
from __future__ import annotations

from functools import lru_cache

from mlsysim import Hardware, Models, Q_
from mlsysim.core.solver import (AnnotationBudgetModel, AnnotationBudgetSolver,
                                 CurriculumModel, ParetoFrontier, TrainingTimeModel)

# The Edge context trains on the Orin NX's GPU: its deep-learning accelerators (counted in the
# module's headline TOPS) run compiled inference graphs only. The engine's GPU-only entry.
MACHINES = {"cloud": Hardware.Cloud.H100, "edge": Hardware.Edge.JetsonOrinNX_GPU}
TRAIN_MODEL = Models.Vision.ResNet50
#: Images per training step: the reference batch of ResNet-50 ImageNet training (Goyal et al.
#: 2017, "Accurate, Large Minibatch SGD", Sec. 5: base batch 256).
BATCH = 256

# ---- label prices (ILLUSTRATIVE: the chapter quotes no market rate, see
# @sec-data-selection-efficiency) -------------------------------------------------------------
CROWD_JUDGEMENT = 0.05   # USD per crowd judgement, illustrative
JUDGEMENTS = 3           # judgements per image for a majority vote
CROWD_PRICE = CROWD_JUDGEMENT * JUDGEMENTS
EXPERT_PRICE = 5.0       # USD per expert label (one judgement), illustrative

#: Accuracy-vs-labels curve per model: (plateau max_accuracy, label_scale). ILLUSTRATIVE: the
#: larger model plateaus higher but needs more labels to get there. ResNet-50's is the engine's
#: default active-learning task (learning_curves.ACTIVE_TASK).
MODEL_CURVES = {"resnet50": (0.92, 20_000.0), "mobilenetv2": (0.88, 14_000.0)}
MODELS = {"resnet50": TRAIN_MODEL, "mobilenetv2": Models.Vision.MobileNetV2}
BASE_ACCURACY = 0.5      # accuracy with no labels (chance on 2 classes): the engine's default

#: The chapter's illustrative annotation plan at the crowd price: (strategy, labels).
PLAN = {"A": ("random", 10_000), "B": ("random", 50_000), "C": ("uncertainty", 30_000),
        "D": ("diversity", 60_000), "E": ("random", 100_000), "F": ("uncertainty", 100_000)}


def curve_kwargs(model: str = "resnet50") -> dict:
    amax, scale = MODEL_CURVES[model]
    return {"base_accuracy": BASE_ACCURACY, "max_accuracy": amax, "label_scale": scale}


@lru_cache(maxsize=512)
def annotation(budget: float, cost: float, strategy: str, model: str = "resnet50"):
    """Labels a budget buys at a price per label, and the accuracy each strategy reaches."""
    return AnnotationBudgetModel().solve(budget=Q_(budget, "USD"),
                                         cost_per_label=Q_(cost, "USD"), strategy=strategy,
                                         **curve_kwargs(model))


@lru_cache(maxsize=512)
def required_budget(target: float, cost: float, strategy: str, model: str = "resnet50") -> float:
    """The smallest budget whose labels reach ``target`` (inf when the curve never does)."""
    return AnnotationBudgetSolver().solve(
        target_accuracy=target, cost_per_label=Q_(cost, "USD"), strategy=strategy,
        **curve_kwargs(model)).budget.m_as("USD")


@lru_cache(maxsize=1)
def plan() -> dict:
    """The chapter's plan: {row: (strategy, labels, cost USD, accuracy)} at the crowd price."""
    out = {}
    for row, (strategy, labels) in PLAN.items():
        cost = labels * CROWD_PRICE
        out[row] = (strategy, labels, cost, annotation(cost, CROWD_PRICE, strategy).accuracy)
    return out


def frontier(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated (cost, accuracy) points, by increasing cost."""
    return ParetoFrontier().solve(points=points).indices


@lru_cache(maxsize=64)
def curriculum(target: float, regime: str):
    """Steps to ``target`` for every ordering on the engine's illustrative curves."""
    return CurriculumModel().solve(target_accuracy=target, strategy="curriculum", regime=regime)


@lru_cache(maxsize=64)
def training(context: str, images: float, epochs: float = 1.0, mfu: float | None = None):
    """Training time of ResNet-50 over ``images`` x ``epochs`` at BATCH on the context's GPU."""
    steps = images * epochs / BATCH
    return TrainingTimeModel().solve(model=TRAIN_MODEL, hardware=MACHINES[context],
                                     steps=steps, batch_size=BATCH, mfu=mfu)


def forward_flops() -> float:
    return TRAIN_MODEL.flops_per_inference.m_as("FLOP")
