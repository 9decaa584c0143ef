"""Population stability of live inputs and scores against the training data."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

PSI_REVIEW: Final = 0.1
"""PSI above this: worth a look."""
PSI_SHIFT: Final = 0.25
"""PSI above this: the population has shifted; review the model's fit."""
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


def psi_of_values(reference: npt.ArrayLike, live: npt.ArrayLike, *, edges: npt.ArrayLike) -> float:
    """PSI of raw values binned on given inner edges (bins closed on the left).

    Parameters
    ----------
    reference, live : array-like
    edges : array-like
        Increasing inner bin edges.

    Returns
    -------
    float
    """
    inner = np.asarray(edges, dtype=np.float64)
    n_bins = len(inner) + 1
    ref_bins = np.searchsorted(inner, np.asarray(reference, dtype=np.float64), side="right")
    live_bins = np.searchsorted(inner, np.asarray(live, dtype=np.float64), side="right")
    return psi(np.bincount(ref_bins, minlength=n_bins), np.bincount(live_bins, minlength=n_bins))


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


def summarize(value: float | None, **extra: Any) -> dict[str, Any]:
    """Bundle a PSI with its reading."""
    rounded = None if value is None else round(value, 4)
    return {"psi": rounded, "reading": reading(value), **extra}
