"""Synthetic data, training pipeline and promotion gate."""
