"""Built-in resolvers, one module per domain. Each name in ``__all__`` is a resolver class.

``mlsysim.core.solver`` re-exports all of them.
"""
from .iron_law import IronLawModel, RooflineModel
from .learning_curves import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                              ParetoFrontier)
from .economics import CostPerInferenceModel, EconomicsModel
from .memory import MemoryFootprintModel, TrainingMemoryModel
from .parallelism import DistributedModel, ParallelismModel
from .sustainability import (EmbodiedCarbonModel, EnergyCarbonModel, JevonsReboundModel)
from .scaling import (ComputeOptimalSolver, TrainingComputeModel, TrainingTimeModel)
from .transformer import (BatchingCapacityModel, KVCacheModel, PrefillDecodeModel,
                          TransformerCountsModel)
from .communication import AllReduceModel, BisectionBandwidthModel, LinkTransferModel

__all__ = [
    "IronLawModel", "RooflineModel",
    "MemoryFootprintModel", "TrainingMemoryModel",
    "ParallelismModel", "DistributedModel",
    "EconomicsModel", "CostPerInferenceModel",
    "EnergyCarbonModel", "EmbodiedCarbonModel", "JevonsReboundModel",
    "CurriculumModel", "AnnotationBudgetModel", "AnnotationBudgetSolver", "ParetoFrontier",
    "TrainingComputeModel", "ComputeOptimalSolver", "TrainingTimeModel",
    "TransformerCountsModel", "KVCacheModel", "PrefillDecodeModel", "BatchingCapacityModel",
    "AllReduceModel", "LinkTransferModel", "BisectionBandwidthModel",
]
