"""The range of random seeds every training command accepts."""

from __future__ import annotations

from typing import Final

MAX_SEED: Final = 2**32 - 1
"""scikit-learn's bound on ``random_state``; synthesis takes the same range, so any seed that
generated a data set can also train on it."""
