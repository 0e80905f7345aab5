"""Built-in resolvers, one module per domain. Each name in ``__all__`` is a resolver class.

``mlsysim.core.solver`` re-exports all of them.
"""
from .iron_law import IronLawModel, RooflineModel
from .learning_curves import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                              ParetoFrontier)
from .memory import MemoryFootprintModel
from .scaling import (ComputeOptimalSolver, TrainingComputeModel, TrainingTimeModel)
from .transformer import (BatchingCapacityModel, KVCacheModel, PrefillDecodeModel,
                          TransformerCountsModel)
from .communication import AllReduceModel, BisectionBandwidthModel, LinkTransferModel

__all__ = [
    "IronLawModel", "RooflineModel",
    "MemoryFootprintModel",
    "CurriculumModel", "AnnotationBudgetModel", "AnnotationBudgetSolver", "ParetoFrontier",
    "TrainingComputeModel", "ComputeOptimalSolver", "TrainingTimeModel",
    "TransformerCountsModel", "KVCacheModel", "PrefillDecodeModel", "BatchingCapacityModel",
    "AllReduceModel", "LinkTransferModel", "BisectionBandwidthModel",
]
