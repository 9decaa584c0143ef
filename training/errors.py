"""Exceptions raised by :mod:`training`.

Hierarchy::

    TrainingError
    ├── TrainingDataError   the input file is missing, malformed or has invalid rows
    └── PromotionRefused    a gate failed and no waiver was given
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class of every error raised by :mod:`training`."""


class TrainingDataError(TrainingError, ValueError):
    """Training data could not be read or did not validate."""


class PromotionRefused(TrainingError):
    """A model failed a promotion gate."""
