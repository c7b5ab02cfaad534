"""Measurements: instruments as data (shipped with the software or added by staff, in versions)."""
