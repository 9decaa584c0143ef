"""From a calibrated probability to the 1-20 screening score and its band.

The score is the ventile of the *training* distribution of predicted probabilities, as the
Allegheny tool's was: score 20 means "in the top 5% of referrals the model was trained on".
Cut points are computed once at training time and stored with the model, so a score never
moves unless the model version changes.
"""

from __future__ import annotations

import bisect
from enum import StrEnum
from typing import Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

Probability = Annotated[float, Field(ge=0, le=1)]
ScreeningScore = Annotated[int, Field(ge=1, le=20)]

N_SCORES = 20


class Band(StrEnum):
    """Named ranges of the 1-20 score shown to screeners."""

    low = "low"
    moderate = "moderate"
    high = "high"
    very_high = "very_high"


# Inclusive upper score of each band. 18-20 is the AFST v1 "mandatory screen-in" range
# (the top 15%); 1-5 is the bottom quarter, where AFST's low-risk protocol applied.
BAND_UPPER_SCORES: tuple[tuple[Band, int], ...] = (
    (Band.low, 5),
    (Band.moderate, 12),
    (Band.high, 17),
    (Band.very_high, 20),
)


def ventile_cutpoints(probabilities: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Compute the 19 cut points that split probabilities into 20 equal-count bins.

    Parameters
    ----------
    probabilities : array-like of float
        Predicted probabilities on the training rows.

    Returns
    -------
    numpy.ndarray of shape (19,)
        Non-decreasing cut points; a probability ``p`` scores ``1 + #(cuts <= p)``.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0:
        raise ValueError("probabilities is empty; need at least one training prediction")
    return np.quantile(p, np.arange(1, N_SCORES) / N_SCORES)


def probability_to_score(
    probability: float | npt.NDArray[np.float64], *, cutpoints: npt.NDArray[np.float64]
) -> int | npt.NDArray[np.int64]:
    """Map probabilities to 1-20 scores with the model's stored cut points.

    Parameters
    ----------
    probability : float or numpy.ndarray
        Calibrated probabilities.
    cutpoints : numpy.ndarray of shape (19,)
        From :func:`ventile_cutpoints` at training time.

    Returns
    -------
    int or numpy.ndarray of int
        The score(s), each in 1..20.
    """
    if len(cutpoints) != N_SCORES - 1:
        raise ValueError(f"cutpoints has {len(cutpoints)} values; expected {N_SCORES - 1}")
    if np.ndim(probability) == 0:
        # One referral (the service): bisect_right is searchsorted(side="right") on sorted
        # cut points for any float64 (NaN last; wider types are rounded to it), without
        # numpy releasing and retaking the GIL, which under load made the event loop wait
        # for the log writer's thread (~10% of its time, py-spy); ~5x cheaper on 19 values.
        return 1 + bisect.bisect_right(cutpoints, float(probability))  # type: ignore[arg-type]
    # An array in, an array out (scalars returned above).
    return np.asarray(1 + np.searchsorted(cutpoints, probability, side="right"), dtype=np.int64)


def band_for_score(score: int) -> Band:
    """Name the band a 1-20 score falls in.

    Parameters
    ----------
    score : int
        A screening score in 1..20.

    Returns
    -------
    Band
        The band whose range contains the score.
    """
    if not 1 <= score <= N_SCORES:
        raise ValueError(f"score {score} is outside 1..{N_SCORES}")
    for band, upper in BAND_UPPER_SCORES:
        if score <= upper:
            return band
    raise AssertionError("unreachable: the last band ends at 20")
