"""Exceptions raised by :mod:`training`.

Hierarchy::

    TrainingError
    ├── TrainingDataError   the input file is missing, malformed or has invalid rows
    ├── PromotionRefused    a gate failed and no waiver was given
    ├── ChampionBroken      the champion cannot be loaded, so no candidate can be compared
    ├── GatePolicyError     the gate policy file is unreadable or invalid
    └── WaiverInvalid       a waiver names an unknown gate or lacks who and why
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class of every error raised by :mod:`training`."""


class TrainingDataError(TrainingError, ValueError):
    """Training data could not be read or did not validate."""


class PromotionRefused(TrainingError):
    """A model failed a promotion gate."""


class ChampionBroken(TrainingError):
    """The champion's artifact is missing or altered: a candidate cannot be compared with it.

    ``hotline promote N --replace-broken-champion --by NAME --reason TEXT`` is the recorded
    way past it.
    """


class GatePolicyError(TrainingError, ValueError):
    """A gate policy file is unreadable or invalid; the message names file, gate and field."""


class WaiverInvalid(TrainingError, ValueError):
    """A waiver names an unknown gate, or lacks who or why (``--replace-broken-champion`` too)."""
