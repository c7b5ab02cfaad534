"""Workshop modules, lessons, assignment templates, and the assignments coaches give."""
