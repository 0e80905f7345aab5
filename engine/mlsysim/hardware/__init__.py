"""Hardware: the dataclasses (``types``) and the registry of real devices (``registry``)."""
