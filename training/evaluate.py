"""Discrimination and calibration of predicted probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def evaluate(
    y_true: npt.ArrayLike,
    probability: npt.ArrayLike,
    *,
    latent_risk: npt.ArrayLike | None = None,
    n_bins: int = 10,
) -> dict[str, Any]:
    """Score predictions against outcomes.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Observed outcomes.
    probability : array-like of float
        Predicted probabilities.
    latent_risk : array-like of float, optional
        The true risk (known for synthetic data); its AUC on the same rows is the best any
        model could reach, and ``auc_ratio`` says how much of it the model achieves.
    n_bins : int, default 10
        Quantile bins for the calibration table.

    Returns
    -------
    dict
        ``auc``, ``brier``, ``log_loss``, ``calibration`` (``mean_predicted``,
        ``observed_rate`` and ``count`` per non-empty bin, see :func:`calibration_bins`),
        ``expected_calibration_error`` (the count-weighted mean of
        ``|mean_predicted - observed_rate|`` over those bins), ``n``, ``base_rate``
        and, with ``latent_risk``, ``latent_auc`` and ``auc_ratio``.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probability, dtype=np.float64)
    count, predicted, observed = calibration_bins(y, p, n_bins=n_bins)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "base_rate": float(y.mean()),
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])),
        "calibration": {
            "mean_predicted": [round(float(v), 6) for v in predicted],
            "observed_rate": [round(float(v), 6) for v in observed],
            "count": [int(v) for v in count],
        },
        # Each row counts once, in the one bin it was assigned to: the gap of every non-empty
        # bin weighted by its share of the rows.
        "expected_calibration_error": float(
            np.sum(count * np.abs(observed - predicted)) / count.sum()
        ),
    }
    if latent_risk is not None:
        latent_auc = float(roc_auc_score(y, np.asarray(latent_risk, dtype=np.float64)))
        out["latent_auc"] = latent_auc
        out["auc_ratio"] = out["auc"] / latent_auc
    return out


def calibration_bins(
    y_true: npt.ArrayLike, probability: npt.ArrayLike, *, n_bins: int = 10
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Quantile calibration bins: rows, mean predicted probability and observed rate per bin.

    The edges are the ``0, 1/n_bins, ..., 1`` quantiles of the probabilities and each row goes
    to the first bin whose upper edge is at least its probability, the rule of
    :func:`sklearn.calibration.calibration_curve` with ``strategy="quantile"``, whose two
    arrays this returns too. Each row is assigned exactly once, so tied probabilities always
    share a bin; when ties make edges coincide, the bins between them are empty and left out
    (there are then fewer than ``n_bins`` bins).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        Observed outcomes.
    probability : array-like of float
        Predicted probabilities.
    n_bins : int, default 10
        Number of quantile bins before empty ones are dropped.

    Returns
    -------
    count : numpy.ndarray of int
        Rows in each non-empty bin, lowest probabilities first.
    mean_predicted : numpy.ndarray of float
        Mean predicted probability in each of those bins.
    observed_rate : numpy.ndarray of float
        Share of rows with the outcome in each of those bins.
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    bin_of_row = np.searchsorted(edges[1:-1], p)
    count = np.bincount(bin_of_row, minlength=n_bins)
    total_p = np.bincount(bin_of_row, weights=p, minlength=n_bins)
    total_y = np.bincount(bin_of_row, weights=y, minlength=n_bins)
    filled = count > 0
    return (
        count[filled].astype(np.int64),
        total_p[filled] / count[filled],
        total_y[filled] / count[filled],
    )
