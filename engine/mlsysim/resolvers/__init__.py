"""Built-in resolvers, one module per domain. Each name in ``__all__`` is a resolver class.

``mlsysim.core.solver`` re-exports all of them.
"""
from .attention import AttentionMemoryModel
from .communication import AllReduceModel, BisectionBandwidthModel, LinkTransferModel
from .compression import CompressionFrontierModel, CompressionModel
from .data import DataGravityModel, DataPipelineModel, StorageIOModel
from .drift import PopulationStabilityModel, RetrainingCostModel
from .economics import CostPerInferenceModel, EconomicsModel
from .fairness import ChouldechovaModel, GroupFairnessModel
from .federated import FederatedCommunicationModel
from .frameworks import DispatchOverheadModel, FusionModel
from .iron_law import GemmModel, IronLawModel, RooflineModel
from .learning_curves import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                              ParetoFrontier)
from .memory import MemoryFootprintModel, TrainingMemoryModel
from .optimizers import DesignSweepOptimizer, ParallelismOptimizer
from .parallelism import DistributedModel, ParallelismModel
from .privacy import (CompositionModel, DPSGDAccountantModel, DPSGDUtilityModel,
                      GaussianMechanismModel, PrivacyBudgetSolver)
from .queueing import BatchingLatencyModel, LittlesLawModel, MMcQueueModel
from .reliability import (AvailabilityModel, ErrorBudgetModel, FleetReliabilityModel,
                          YoungDalyModel)
from .scaling import ComputeOptimalSolver, TrainingComputeModel, TrainingTimeModel
from .scaling_laws import AmdahlModel
from .solvers import FewestGPUsSolver, LargestBatchSolver, RequiredBandwidthSolver
from .sustainability import EmbodiedCarbonModel, EnergyCarbonModel, JevonsReboundModel
from .transformer import (BatchingCapacityModel, KVCacheModel, PrefillDecodeModel,
                          TransformerCountsModel)

__all__ = [
    # performance
    "IronLawModel", "RooflineModel", "DispatchOverheadModel", "FusionModel",
    "AmdahlModel", "GemmModel",
    # memory and transformers
    "MemoryFootprintModel", "TrainingMemoryModel",
    "TransformerCountsModel", "KVCacheModel", "PrefillDecodeModel", "BatchingCapacityModel",
    "AttentionMemoryModel",
    # training, scaling, distributed
    "TrainingComputeModel", "ComputeOptimalSolver", "TrainingTimeModel",
    "ParallelismModel", "DistributedModel",
    "AllReduceModel", "LinkTransferModel", "BisectionBandwidthModel",
    # serving
    "LittlesLawModel", "MMcQueueModel", "BatchingLatencyModel",
    # data, compression
    "DataPipelineModel", "DataGravityModel", "StorageIOModel", "CompressionModel",
    "CompressionFrontierModel",
    "CurriculumModel", "AnnotationBudgetModel", "AnnotationBudgetSolver", "ParetoFrontier",
    # operations and responsibility
    "FleetReliabilityModel", "YoungDalyModel", "AvailabilityModel", "ErrorBudgetModel",
    "GaussianMechanismModel", "CompositionModel", "DPSGDUtilityModel", "PrivacyBudgetSolver",
    "DPSGDAccountantModel",
    "FederatedCommunicationModel",
    "EnergyCarbonModel", "EmbodiedCarbonModel", "JevonsReboundModel",
    "EconomicsModel", "CostPerInferenceModel",
    "GroupFairnessModel", "ChouldechovaModel",
    "PopulationStabilityModel", "RetrainingCostModel",
    # solvers and optimizers
    "RequiredBandwidthSolver", "LargestBatchSolver", "FewestGPUsSolver",
    "ParallelismOptimizer", "DesignSweepOptimizer",
]
