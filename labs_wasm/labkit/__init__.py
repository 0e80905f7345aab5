"""labkit: the lab toolkit. A lab is a function from state to a view tree (PROTOCOL.md).

Pure Python (stdlib only) so it runs unchanged under CPython and Pyodide.
"""
from . import bands, catalog, contexts, fmt, ledger, plot, runtime
from .errors import LabDefinitionError, LedgerSchemaError, UnknownLabError
from .lab import Lab
from .ledger import LedgerEntry, validate_entry
from .ui import Metric, Prediction, Ui
from .widgets import Option

__all__ = ["Lab", "Ui", "Metric", "Option", "Prediction", "LedgerEntry", "LabDefinitionError",
           "LedgerSchemaError", "UnknownLabError", "validate_entry", "bands", "catalog", "contexts",
           "fmt", "ledger", "plot", "runtime"]
