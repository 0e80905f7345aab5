"""Core of the engine: units, typed results, the 3-tier resolver contract."""
