"""The deployment contexts a lab may toggle between: the one table of their keys and names.

Labs, the context toggle's labels, the HUD and the Ledger page (through the labs catalog the
build writes, ``catalog.manifest``) all take a context's name from here, so "tiny" is shown
as "TinyML" everywhere. Keys are what the ledger stores (``entry.context``).

Volume I uses the four deployment contexts of LAB_PROTOCOL.md; Volume II labs contrast two
scenarios of the same fleet (the catalog's "contexts" column), listed below it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import LabDefinitionError

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Context:
    key: str
    name: str
    #: True for the four deployment contexts of Volume I (Lab 00's home context is one).
    deployment: bool = False


_TABLE = [
    # Volume I: the deployment spectrum (LAB_PROTOCOL.md "Deployment contexts").
    Context("cloud", "Cloud", True), Context("edge", "Edge", True),
    Context("mobile", "Mobile", True), Context("tiny", "TinyML", True),
    # Volume II: the scenarios of the catalog, lab by lab.
    Context("fleet", "Fleet"),                                              # 01, 17
    Context("single_node", "Single node"), Context("multi_node", "Multi-node"),  # 02
    Context("gpus_8", "8 GPUs"), Context("gpus_1024", "1,024 GPUs"),       # 03
    Context("nvme", "NVMe"), Context("distributed_fs", "Distributed file system"),  # 04
    Context("data_parallel", "Data parallel"), Context("parallel_3d", "3D parallel"),  # 05
    Context("ring", "Ring"), Context("tree", "Tree"),                      # 06
    Context("gpus_16k", "16k GPUs"),                                       # 07 (with gpus_8)
    Context("fifo", "FIFO"), Context("priority", "Priority"),              # 08
    Context("batch", "Batch"), Context("streaming", "Streaming"),          # 09
    Context("latency", "Latency"), Context("throughput", "Throughput"),    # 10
    Context("centralized", "Centralized"), Context("federated", "Federated"),  # 11
    Context("kubernetes", "Kubernetes"), Context("bare_metal", "Bare metal"),  # 12
    Context("on_prem", "On-premises"),                                     # 13 (with cloud)
    Context("production", "Production"), Context("hardened", "Hardened"),  # 14
    Context("coal_grid", "Coal grid"), Context("renewable_grid", "Renewable grid"),  # 15
    Context("accuracy", "Accuracy"), Context("equity", "Equity"),          # 16
]

CONTEXTS: dict[str, Context] = {c.key: c for c in _TABLE}
assert len(CONTEXTS) == len(_TABLE) and all(_KEY.match(k) for k in CONTEXTS)


def check(key: str, where: str = "context") -> str:
    """``key`` if it is a known context, else a LabDefinitionError listing the known ones."""
    if key not in CONTEXTS:
        raise LabDefinitionError(f"{where}: unknown context {key!r}; use one of "
                                 f"{sorted(CONTEXTS)} (labkit/contexts.py, add it there first)")
    return key


def name(key: str) -> str:
    """What a student reads for a context key: name("tiny") -> "TinyML"."""
    return CONTEXTS[check(key)].name


def label(key: str, detail: str | None = None) -> str:
    """The name, optionally with the machine: label("cloud", "NVIDIA H100 SXM") ->
    "Cloud · NVIDIA H100 SXM"."""
    return f"{name(key)} · {detail}" if detail else name(key)


def labels(details: dict[str, str | None]) -> dict[str, str]:
    """``{key: label(key, detail)}`` in the given order (a context toggle's options)."""
    return {key: label(key, detail) for key, detail in details.items()}


def names() -> dict[str, str]:
    """Every key -> name (for the labs catalog JSON the Ledger page reads)."""
    return {c.key: c.name for c in _TABLE}
