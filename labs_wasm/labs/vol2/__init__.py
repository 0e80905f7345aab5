"""Volume II labs."""
