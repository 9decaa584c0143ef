"""Population stability of live inputs and scores against the training data.

A PSI over few decisions is mostly noise: with no shift at all it is about a chi-square with
``bins - 1`` degrees of freedom divided by the number of decisions (PSI is a symmetrised
Kullback-Leibler divergence, which for small differences is Pearson's chi-square over n), so
50 decisions over the score's 20 bins read "shifted" nearly every time. A PSI is read only
once there are :func:`decisions_needed`; below that the reading is :data:`NOT_ENOUGH`.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Final

import numpy as np
import numpy.typing as npt

PSI_REVIEW: Final = 0.1
"""PSI above this: worth a look."""
PSI_SHIFT: Final = 0.25
"""PSI above this: the population has shifted; review the model's fit."""
MIN_EXPECTED_PER_BIN: Final = 5
"""Fewest decisions each bin must expect (decisions x training share) for a PSI reading."""
NO_SHIFT_LEVEL: Final = 0.95
"""With no shift at all, a PSI read stays under :data:`PSI_REVIEW` about this often.

By the chi-square approximation; simulated, PSI's tail is a little heavier (93-96%)."""
NOT_ENOUGH: Final = "not enough decisions for a drift reading"
_EPS: Final = 1e-4


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Compute the population stability index of two binned distributions.

    ``sum((a - e) * ln(a / e))`` over bins, each share floored at 1e-4 so an empty bin does
    not make it infinite.

    Parameters
    ----------
    expected : array-like
        Shares (or counts) per bin in the reference (training) data.
    actual : array-like
        Shares (or counts) per bin in the live data.

    Returns
    -------
    float
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e = np.clip(e / e.sum(), _EPS, None)
    a = np.clip(a / a.sum(), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def bin_counts(values: npt.ArrayLike, *, edges: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Count values per bin of given inner edges (bins closed on the left).

    Parameters
    ----------
    values : array-like
    edges : array-like
        Increasing inner bin edges: ``len(edges) + 1`` bins.

    Returns
    -------
    numpy.ndarray of int64
    """
    inner = np.asarray(edges, dtype=np.float64)
    index = np.searchsorted(inner, np.asarray(values, dtype=np.float64), side="right")
    return np.bincount(index, minlength=len(inner) + 1)


def decisions_needed(expected: npt.ArrayLike, *, reference_rows: float = math.inf) -> int | None:
    """Fewest live decisions for a PSI over these bins to be read.

    Two conditions, each documented in docs/decision-log.md: every bin expects at least
    :data:`MIN_EXPECTED_PER_BIN` decisions, and with no shift the PSI stays under
    :data:`PSI_REVIEW` with probability :data:`NO_SHIFT_LEVEL`. For the second, PSI is taken
    as ``chi2(k - 1) * (1/n + 1/m)`` for ``k`` bins, ``n`` decisions and a reference sample
    of ``m`` rows (the chi-square quantile by the Wilson-Hilferty approximation).

    Parameters
    ----------
    expected : array-like
        Counts or shares per bin in the reference data.
    reference_rows : float, default inf
        Rows of the reference sample (``inf`` for an exact share, as a flag's training mean).

    Returns
    -------
    int or None
        None when no number of decisions is enough (a reference sample too small).
    """
    shares = np.asarray(expected, dtype=np.float64)
    if not shares.sum() > 0:  # an empty reference: nothing to read against
        return None
    shares = shares[shares > 0] / shares.sum()
    per_bin = math.ceil(MIN_EXPECTED_PER_BIN / float(shares.min()))
    if shares.size < 2:
        return per_bin
    room = PSI_REVIEW / _chi2_quantile(NO_SHIFT_LEVEL, shares.size - 1) - 1 / reference_rows
    if room <= 0:
        return None
    return max(per_bin, math.ceil(1 / room))


def _chi2_quantile(level: float, df: int) -> float:
    # Wilson and Hilferty (1931): within 3% of the exact quantile for 1 degree of freedom,
    # within 0.1% from 10 on; the project does not otherwise need scipy.stats.
    z = NormalDist().inv_cdf(level)
    c = 2 / (9 * df)
    return float(df * (1 - c + z * math.sqrt(c)) ** 3)


def reading(value: float | None) -> str:
    """Say in words what a PSI means."""
    if value is None:
        return "not computed"
    if value > PSI_SHIFT:
        return "shifted: review the model's fit to today's referrals"
    if value > PSI_REVIEW:
        return "moderate change: worth a look"
    return "stable"


def flag_psi(training_share: float, live: npt.ArrayLike) -> float:
    """PSI of a yes/no feature: exact from the training share of "yes".

    Parameters
    ----------
    training_share : float
        Mean of the flag over training rows (the model's baseline).
    live : array-like of 0/1

    Returns
    -------
    float
    """
    values = np.asarray(live, dtype=np.float64)
    share = float(values.mean())
    return psi([1 - training_share, training_share], [1 - share, share])


def summarize(
    value: float | None, *, decisions: int, needed: int | None, **extra: Any
) -> dict[str, Any]:
    """Bundle a PSI with its reading, or with :data:`NOT_ENOUGH` below the decisions needed.

    Parameters
    ----------
    value : float or None
        The PSI.
    decisions : int
        Live decisions it was computed over.
    needed : int or None
        From :func:`decisions_needed`; None: no number is enough.
    **extra
        Added to the result (training and live means).

    Returns
    -------
    dict
        ``psi`` (None when not read), ``reading``, ``decisions_needed`` and ``extra``.
    """
    if needed is None or decisions < needed:
        return {"psi": None, "reading": NOT_ENOUGH, "decisions_needed": needed, **extra}
    rounded = None if value is None else round(value, 4)
    return {"psi": rounded, "reading": reading(value), "decisions_needed": needed, **extra}
