"""Systems: nodes, clusters with their fabric, and electricity grids."""
