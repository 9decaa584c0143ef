"""Confidence intervals: Wilson for rates, DeLong for AUC, MOVER-R Wilson for rate ratios."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.stats import norm


def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence level, e.g. 1.96 for 0.95."""
    return float(norm.ppf(0.5 + level / 2.0))


def wilson_interval(successes: float, trials: float, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Chosen over the normal ("Wald") interval because it stays inside [0, 1] and keeps close
    to its nominal coverage for small groups and rates near 0 or 1, which is where a
    disparity audit's smallest groups sit.

    Parameters
    ----------
    successes, trials : float
        Numerator and denominator (frequency weights allowed).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` when ``trials`` is 0.
    """
    if trials <= 0:
        return (math.nan, math.nan)
    z = z_value(level)
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denom
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate_ratio_interval(
    x1: float, n1: float, x0: float, n0: float, *, level: float = 0.95
) -> tuple[float, float]:
    """MOVER-R Wilson interval for the ratio of two proportions ``(x1/n1) / (x0/n0)``.

    Each proportion gets its Wilson interval (as in the rates tables) and the two are combined
    by the method of variance estimates recovery for a ratio (Donner and Zou 2012), one of the
    intervals Fagerland, Lydersen and Laake (2015) recommend. It replaces Katz's log interval,
    whose variance ``1/x - 1/n`` is 0 when a group's rate is 100%: 2 missed cases of 2 gave a
    false-negative ratio of 2.0 an interval of 1.69-2.37 and refused fair models. Here the
    Wilson interval of 2 of 2 (0.34-1) carries that uncertainty into the ratio. A count of 0
    needs no adjustment either: a group never selected has a lower limit of 0, a reference
    group never selected an infinite upper limit.

    statsmodels' ``confint_proportions_2indep`` has no MOVER ratio, and its ``score`` method
    (Koopman) returns 1.56-1.64 for 1 of 1 against 640 of 1000, no wider than Katz's.

    Parameters
    ----------
    x1, n1 : float
        Successes and trials in the compared group.
    x0, n0 : float
        Successes and trials in the reference group.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(low, high)``; ``high`` is ``inf`` when ``x0`` is 0; ``(nan, nan)`` when a group
        has no trials or both counts are 0 (the ratio 0/0 says nothing).
    """
    if min(n1, n0) <= 0 or max(x1, x0) <= 0:
        return (math.nan, math.nan)
    p1, p0 = x1 / n1, x0 / n0
    low1, high1 = wilson_interval(x1, n1, level=level)
    low0, high0 = wilson_interval(x0, n0, level=level)
    product = p1 * p0
    # The limits are the roots of a * r**2 - 2 * product * r + c = 0 (Fagerland et al. 2015,
    # eq. for MOVER-R Wilson). Each a, c is p**2 - (limit - p)**2, so a * c <= product**2 when
    # both are >= 0 and the discriminant is never negative; max() only absorbs rounding.
    a_low, c_low = high0 * (2.0 * p0 - high0), low1 * (2.0 * p1 - low1)
    a_high, c_high = low0 * (2.0 * p0 - low0), high1 * (2.0 * p1 - high1)
    # The lower root in its conjugate form c / (product + sqrt(...)), which stays finite when
    # a_low is 0 or negative (a reference rate with a wide interval); x1 = 0 gives exactly 0.
    root_low = math.sqrt(max(0.0, product * product - a_low * c_low))
    low = 0.0 if c_low <= 0 else c_low / (product + root_low)
    # a_high is 0 only when the reference group's Wilson lower limit is, i.e. x0 = 0.
    root_high = math.sqrt(max(0.0, product * product - a_high * c_high))
    high = math.inf if a_high <= 0 else (product + root_high) / a_high
    return (low, high)


def auc_delong(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    sample_weight: npt.ArrayLike | None = None,
) -> tuple[float, float]:
    """Area under the ROC curve and its DeLong (1988) variance.

    Ties count one half, as in :func:`sklearn.metrics.roc_auc_score`, which this equals.
    Works from one sort of the unique scores, so it costs O(n log n) and accepts frequency
    weights (rows aggregated by score and label).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Observed outcome.
    y_score : array-like of float
        Score or probability; higher means more likely positive.
    sample_weight : array-like of float, optional
        Frequency weights.

    Returns
    -------
    tuple of float
        ``(auc, variance)``; both NaN when a class is absent.
    """
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(y_score, dtype=np.float64)
    w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, np.float64)
    values, inverse = np.unique(s, return_inverse=True)
    pos = np.bincount(inverse, weights=w * y, minlength=values.size)
    neg = np.bincount(inverse, weights=w * (1.0 - y), minlength=values.size)
    n1, n0 = float(pos.sum()), float(neg.sum())
    if n1 <= 0 or n0 <= 0:
        return (math.nan, math.nan)
    neg_below = np.cumsum(neg) - neg
    pos_above = n1 - np.cumsum(pos)
    v10 = (neg_below + 0.5 * neg) / n0  # per positive at this score: share of negatives beaten
    v01 = (pos_above + 0.5 * pos) / n1  # per negative: share of positives that beat it
    auc = float((pos * v10).sum() / n1)
    s10 = float((pos * (v10 - auc) ** 2).sum() / (n1 - 1.0)) if n1 > 1 else 0.0
    s01 = float((neg * (v01 - auc) ** 2).sum() / (n0 - 1.0)) if n0 > 1 else 0.0
    return (auc, s10 / n1 + s01 / n0)


def auc_interval(auc: float, variance: float, *, level: float = 0.95) -> tuple[float, float]:
    """Return the normal interval ``auc +- z * sqrt(variance)``, clipped to [0, 1].

    Parameters
    ----------
    auc, variance : float
        Output of :func:`auc_delong`.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(low, high)``.
    """
    if math.isnan(auc) or math.isnan(variance):
        return (math.nan, math.nan)
    half = z_value(level) * math.sqrt(variance)
    return (max(0.0, auc - half), min(1.0, auc + half))
