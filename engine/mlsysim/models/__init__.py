"""Workloads: the dataclass (``types``) and the registry of published models (``registry``)."""
