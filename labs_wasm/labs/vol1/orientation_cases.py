"""The cases Lab 00 (the orientation tour, book/vol1/orientation.qmd) computes, in one place.

Two toy questions, both answered by the engine: how long light in an ocean cable's fibre takes
to cross the Atlantic (``PropagationDelayModel``), and which of the four deployment contexts
can hold a model's weights (``MemoryFootprintModel``, plus the phone's illustrative app budget
from ``labs.vol1.phone``). The machines are Chapter 1's (``introduction_cases.MACHINES``), so
the tour's contexts are the ones every later lab uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mlsysim import Models, Q_
from mlsysim.core.results import Constraint
from mlsysim.core.solver import MemoryFootprintModel, PropagationDelayModel

from labs.vol1 import phone
from labs.vol1.introduction_cases import MACHINES

# ---- Act I: light across an ocean ---------------------------------------------------------
#: Length of the MAREA transatlantic cable, Virginia Beach (USA) to Sopelana near Bilbao
#: (Spain). Source: Telxius press release "Telxius, Facebook and Microsoft start MAREA in
#: Spain" (2016): "The new transatlantic, subsea cable system will be 6,600 km."
CABLE_KM = 6600.0
CABLE = "MAREA"
CABLE_ENDS = ("Virginia Beach, USA", "Bilbao, Spain")


@lru_cache(maxsize=1)
def crossing():
    """Light in the cable's fibre: one way, round trip, speed, delay per km (the engine's
    c / group index)."""
    return PropagationDelayModel().solve(distance=Q_(CABLE_KM, "km"))


@lru_cache(maxsize=8)
def light_over(distance_km: float):
    """The same physics over any fibre route (for the chart and the reflection)."""
    return PropagationDelayModel().solve(distance=Q_(distance_km, "km"))


# ---- Act II: which contexts can hold a model ----------------------------------------------
#: The four deployment contexts from the most memory to the least (Chapter 1's spectrum).
ORDER = ("cloud", "edge", "mobile", "tiny")
MODELS = {"dscnn": Models.get("DS_CNN_S"), "mobilenetv2": Models.Vision.MobileNetV2,
          "resnet50": Models.Vision.ResNet50, "gpt2": Models.Language.GPT2,
          "llama3_8b": Models.Language.Llama3_8B, "llama3_70b": Models.Language.Llama3_70B}
PRECISIONS = ("fp16", "int8")
#: The constraint the phone adds: one app may not use all of the phone's memory. Its value is
#: the book's one illustrative phone budget (labs/vol1/phone.py, where its source is).
APP_BUDGET = "app memory budget"


@dataclass(frozen=True)
class Check:
    """One memory a model must fit: what it needs there, what the context has."""
    name: str
    required: object   # Quantity, bytes
    available: object  # Quantity, bytes

    @property
    def ratio(self) -> float:
        return self.required.m_as("B") / self.available.m_as("B")

    @property
    def fits(self) -> bool:
        return self.ratio <= 1.0


@dataclass(frozen=True)
class Fit:
    context: str
    model: str
    precision: str
    result: object           # the engine's MemoryFootprintResult
    checks: tuple            # every Check, the engine's and (on the phone) the app budget
    violations: tuple        # Constraints for each Check that overflows

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def binding(self) -> Check:
        """The tightest memory (largest need / have)."""
        return max(self.checks, key=lambda c: c.ratio)


def app_budget() -> float:
    """Bytes one app may use on the phone (ILLUSTRATIVE: labs/vol1/phone.py)."""
    return phone.app_budget_bytes(MACHINES["mobile"])


@lru_cache(maxsize=128)
def fit(context: str, model_key: str, precision: str) -> Fit:
    """Do ``model_key``'s weights (and, where the registry gives them, one sample's
    activations) fit the context's machine at ``precision``? On the phone the app's budget
    is checked too: the engine knows the phone's memory, not what the OS lets one app use."""
    r = MemoryFootprintModel().solve(model=MODELS[model_key], hardware=MACHINES[context],
                                     precision=precision)
    checks = [Check(f"{name} capacity", c["required"], c["available"])
              for name, c in r.checks.items()]
    if context == "mobile":
        checks.append(Check(APP_BUDGET, r.required, Q_(app_budget(), "B")))
    violations = list(r.violations)
    violations += [Constraint(c.name, c.required, c.available) for c in checks
                   if c.name == APP_BUDGET and not c.fits]
    return Fit(context, model_key, precision, r, tuple(checks), tuple(violations))


def holders(model_key: str, precision: str) -> tuple[str, ...]:
    """The contexts (largest first) whose machine holds the model at ``precision``."""
    return tuple(k for k in ORDER if fit(k, model_key, precision).feasible)
