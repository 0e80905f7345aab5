"""mlsysim: the analytical engine of the Machine Learning Systems textbook."""
from .core.constants import Q_, ureg

__version__ = "0.1.0"
__all__ = ["Q_", "ureg", "__version__"]
