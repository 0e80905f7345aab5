"""Built-in resolvers, one module per domain. Each name in ``__all__`` is a resolver class.

``mlsysim.core.solver`` re-exports all of them.
"""
from .activations import ActivationMemoryModel
from .attention import AttentionMemoryModel
from .benchmarking import (BenchmarkStatsModel, BenchmarkValidityModel, BenchmarkVarianceModel,
                           SpeedupClaimModel)
from .communication import (AllGatherModel, AllReduceModel, BisectionBandwidthModel,
                            LinkTransferModel, ReduceScatterModel)
from .compression import CompressionFrontierModel, CompressionModel
from .data import DataGravityModel, DataPipelineModel, StorageIOModel
from .drift import AccuracyDecayModel, PopulationStabilityModel, RetrainingCostModel
from .economics import CostPerInferenceModel, EconomicsModel
from .fairness import (AuditSampleSizeModel, ChouldechovaModel, GroupFairnessModel,
                       ThresholdSweepModel)
from .energy import KernelEnergyModel
from .federated import FederatedCommunicationModel, FederatedRoundModel
from .frameworks import (CompileBreakEvenModel, DispatchOverheadModel, FusionModel,
                         KernelCountModel)
from .iron_law import GemmModel, IronLawModel, RooflineModel
from .learning_curves import (AnnotationBudgetModel, AnnotationBudgetSolver, CurriculumModel,
                              ParetoFrontier)
from .memory import MemoryFootprintModel, TrainingMemoryModel
from .network import FatTreeModel, LatencyWaterfallModel, PropagationDelayModel
from .optimizers import DesignSweepOptimizer, FleetSizingOptimizer, ParallelismOptimizer
from .parallelism import DistributedModel, ParallelismModel
from .privacy import (CompositionModel, DPSGDAccountantModel, DPSGDUtilityModel,
                      GaussianMechanismModel, PrivacyBudgetSolver)
from .ops import FanOutTailModel, RetryAmplificationModel
from .queueing import (BatchingLatencyModel, LittlesLawModel, MG1QueueModel, MMcQueueModel,
                       ResponseTimeDistributionModel)
from .robustness import AdversarialTrainingModel
from .reliability import (AvailabilityModel, ErrorBudgetModel, FleetReliabilityModel,
                          ObservedMTBFModel, YoungDalyModel)
from .serving import TTFTModel
from .scaling import ComputeOptimalSolver, TrainingComputeModel, TrainingTimeModel
from .scaling_laws import AmdahlModel
from .scheduling import PriorityQueueModel
from .solvers import FewestGPUsSolver, LargestBatchSolver, RequiredBandwidthSolver
from .storage import CheckpointModel
from .sustainability import (CarbonAwareScheduleModel, EmbodiedCarbonModel, EnergyCarbonModel,
                             JevonsReboundModel)
from .transformer import (BatchingCapacityModel, KVCacheModel, PrefillDecodeModel,
                          TransformerCountsModel)

__all__ = [
    # performance
    "IronLawModel", "RooflineModel", "DispatchOverheadModel", "FusionModel",
    "KernelEnergyModel",
    "AmdahlModel", "GemmModel", "KernelCountModel", "CompileBreakEvenModel",
    # memory and transformers
    "MemoryFootprintModel", "TrainingMemoryModel",
    "TransformerCountsModel", "KVCacheModel", "PrefillDecodeModel", "BatchingCapacityModel",
    "AttentionMemoryModel", "TTFTModel", "ActivationMemoryModel",
    # training, scaling, distributed
    "TrainingComputeModel", "ComputeOptimalSolver", "TrainingTimeModel",
    "ParallelismModel", "DistributedModel",
    "AllReduceModel", "LinkTransferModel", "BisectionBandwidthModel",
    "ReduceScatterModel", "AllGatherModel", "FatTreeModel", "PropagationDelayModel",
    "LatencyWaterfallModel", "CheckpointModel",
    # serving
    "LittlesLawModel", "MMcQueueModel", "BatchingLatencyModel",
    "ResponseTimeDistributionModel", "MG1QueueModel", "PriorityQueueModel",
    "FanOutTailModel", "RetryAmplificationModel",
    # data, compression
    "DataPipelineModel", "DataGravityModel", "StorageIOModel", "CompressionModel",
    "CompressionFrontierModel",
    "CurriculumModel", "AnnotationBudgetModel", "AnnotationBudgetSolver", "ParetoFrontier",
    # operations and responsibility
    "FleetReliabilityModel", "ObservedMTBFModel", "YoungDalyModel", "AvailabilityModel",
    "ErrorBudgetModel", "AccuracyDecayModel",
    "BenchmarkStatsModel", "SpeedupClaimModel", "BenchmarkVarianceModel",
    "BenchmarkValidityModel",
    "GaussianMechanismModel", "CompositionModel", "DPSGDUtilityModel", "PrivacyBudgetSolver",
    "DPSGDAccountantModel",
    "FederatedCommunicationModel", "AdversarialTrainingModel", "FederatedRoundModel",
    "EnergyCarbonModel", "EmbodiedCarbonModel", "JevonsReboundModel",
    "CarbonAwareScheduleModel",
    "EconomicsModel", "CostPerInferenceModel",
    "GroupFairnessModel", "ChouldechovaModel", "ThresholdSweepModel",
    "AuditSampleSizeModel",
    "PopulationStabilityModel", "RetrainingCostModel",
    # solvers and optimizers
    "RequiredBandwidthSolver", "LargestBatchSolver", "FewestGPUsSolver",
    "ParallelismOptimizer", "DesignSweepOptimizer", "FleetSizingOptimizer",
]
