"""Fairness: per-group confusion metrics and the Chouldechova relation.

Chouldechova 2017 ("Fair prediction with disparate impact", Eq. 2.6): for a group with base
rate p, FPR = p / (1 - p) x (1 - PPV) / PPV x (1 - FNR). With different base rates, equal
PPV (calibration-like parity) and equal FNR force unequal FPR.
"""
from __future__ import annotations

from ..core._base import BaseModel
from ..core.errors import InvalidInputError
from ..core.results import SolverResult
from . import _common as c

_KEYS = ("tp", "fp", "tn", "fn")


def _rates(name, cm):
    try:
        tp, fp, tn, fn = (c.num(f"{name}.{k}", cm[k], lo=0) for k in _KEYS)
    except (KeyError, TypeError):
        raise InvalidInputError(name, "a mapping with counts tp, fp, tn, fn", cm) from None
    n = tp + fp + tn + fn
    if n == 0:
        raise InvalidInputError(name, "at least one counted example", cm)

    def div(a, b):
        return a / b if b else float("nan")
    return {"tpr": div(tp, tp + fn), "fnr": div(fn, tp + fn), "fpr": div(fp, fp + tn),
            "tnr": div(tn, fp + tn), "ppv": div(tp, tp + fp), "npv": div(tn, tn + fn),
            "accuracy": (tp + tn) / n, "selection_rate": (tp + fp) / n,
            "base_rate": (tp + fn) / n, "n": n}


class GroupMetricsResult(SolverResult):
    groups: dict
    gaps: dict


class GroupFairnessModel(BaseModel):
    """Confusion-matrix metrics per group (``confusion`` maps group -> {tp, fp, tn, fn}) and
    the largest gap across groups for each metric (demographic parity = selection_rate gap,
    equal opportunity = tpr gap, predictive parity = ppv gap)."""

    requires = ("confusion",)
    produces = GroupMetricsResult

    def solve(self, *, confusion) -> GroupMetricsResult:
        if not hasattr(confusion, "items") or not confusion:
            raise InvalidInputError("confusion", "a mapping group -> {tp, fp, tn, fn}",
                                    confusion)
        groups = {g: _rates(f"confusion[{g!r}]", cm) for g, cm in confusion.items()}
        gaps = {}
        for k in ("tpr", "fpr", "fnr", "ppv", "accuracy", "selection_rate"):
            vals = [m[k] for m in groups.values() if m[k] == m[k]]
            gaps[k] = max(vals) - min(vals) if vals else float("nan")
        return GroupMetricsResult(groups=groups, gaps=gaps)


class ChouldechovaResult(SolverResult):
    fpr: float
    base_rate: float
    ppv: float
    fnr: float


class ChouldechovaModel(BaseModel):
    """FPR implied by base rate p, PPV and FNR: p/(1-p) x (1-PPV)/PPV x (1-FNR)."""

    requires = ("base_rate", "ppv", "fnr")
    produces = ChouldechovaResult

    def solve(self, *, base_rate, ppv, fnr) -> ChouldechovaResult:
        p = c.fraction("base_rate", base_rate, allow_one=False)
        v = c.fraction("ppv", ppv)
        f = c.fraction("fnr", fnr, allow_zero=True)
        fpr = p / (1 - p) * (1 - v) / v * (1 - f)
        return ChouldechovaResult(fpr=fpr, base_rate=p, ppv=v, fnr=f)
