"""Find labs by id: ``labs/vol<V>/lab_<NN>_<chapter>.py`` defines ``LAB``."""
from __future__ import annotations

import importlib
import pkgutil
import re

from .errors import LabDefinitionError, UnknownLabError

_MODULE = re.compile(r"^lab_(\d\d)_([a-z0-9_]+)$")
_VOLUMES = ("vol1", "vol2")


def _modules() -> dict[str, str]:
    """lab id -> module name, from the files present (works in Pyodide's file system too)."""
    found: dict[str, str] = {}
    for vol in _VOLUMES:
        try:
            package = importlib.import_module(f"labs.{vol}")
        except ModuleNotFoundError:
            continue
        for info in pkgutil.iter_modules(package.__path__):
            match = _MODULE.match(info.name)
            if match:
                found[f"{vol}/{match.group(1)}"] = f"labs.{vol}.{info.name}"
    return dict(sorted(found.items()))


def all_ids() -> list[str]:
    return list(_modules())


def module_name(lab_id: str) -> str:
    modules = _modules()
    if lab_id not in modules:
        raise UnknownLabError(lab_id, list(modules))
    return modules[lab_id]


def load(lab_id: str):
    """The ``labkit.Lab`` of ``lab_id`` (e.g. "vol1/01")."""
    module = importlib.import_module(module_name(lab_id))
    lab = getattr(module, "LAB", None)
    if lab is None or getattr(lab, "id", None) != lab_id:
        raise LabDefinitionError(f"{module.__name__} must define LAB = labkit.Lab(id={lab_id!r}, ...)")
    return lab


def manifest() -> dict:
    """The labs catalog the build writes for the Ledger page (sitebuild/prerender.py): every
    lab's number, title and contexts, and every context's name (labkit.contexts)."""
    from . import contexts   # local: keeps `import labkit.catalog` light
    return {"version": 1, "contexts": contexts.names(),
            "labs": {lab.ledger_key: lab.describe() for lab in map(load, all_ids())}}
