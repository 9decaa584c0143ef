"""Fairness audit and threshold-near analysis (arrays and frames in, results out)."""
