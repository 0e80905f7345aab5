"""mlsysim: the analytical engine of the Machine Learning Systems textbook.

    import mlsysim
    mlsysim.Hardware.Cloud.H100.compute.peak_flops      # 989 TFLOP/s, with provenance
    mlsysim.Models.Llama3_8B.size_in_bytes("fp16")
    mlsysim.Systems.Clusters.Frontier_8K.total_accelerators

Registries parse their TOML data on first access, so importing the package stays fast.
"""
from .core.constants import Q_, ureg

__version__ = "0.1.0"
__all__ = ["Q_", "ureg", "Hardware", "Models", "Systems", "Pipeline", "__version__"]


def __getattr__(name: str):
    # Lazy: the registries and the pipeline load only when first named.
    if name == "Hardware":
        from .hardware.registry import Hardware
        return Hardware
    if name == "Models":
        from .models.registry import Models
        return Models
    if name == "Systems":
        from .systems.registry import Systems
        return Systems
    if name == "Pipeline":
        from .core.pipeline import Pipeline
        return Pipeline
    raise AttributeError(f"module 'mlsysim' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), "Hardware", "Models", "Systems", "Pipeline"])
