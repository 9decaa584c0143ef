"""Discrimination and calibration of predicted probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.calibration import calibration_curve
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
        ``observed_rate`` per bin), ``expected_calibration_error``, ``n``, ``base_rate``
        and, with ``latent_risk``, ``latent_auc`` and ``auc_ratio``.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probability, dtype=np.float64)
    observed, predicted = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    # Bin weights for the ECE: quantile bins hold (nearly) equal counts.
    edges = np.quantile(p, np.linspace(0, 1, n_bins + 1))
    counts = np.histogram(p, bins=np.unique(edges))[0]
    weights = counts[: len(observed)] / max(counts.sum(), 1)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "base_rate": float(y.mean()),
        "auc": float(roc_auc_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])),
        "calibration": {
            "mean_predicted": [round(float(v), 6) for v in predicted],
            "observed_rate": [round(float(v), 6) for v in observed],
        },
        "expected_calibration_error": float(np.sum(weights * np.abs(observed - predicted))),
    }
    if latent_risk is not None:
        latent_auc = float(roc_auc_score(y, np.asarray(latent_risk, dtype=np.float64)))
        out["latent_auc"] = latent_auc
        out["auc_ratio"] = out["auc"] / latent_auc
    return out
