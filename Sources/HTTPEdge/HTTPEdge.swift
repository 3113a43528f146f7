// HTTPEdge module.
