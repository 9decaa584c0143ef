"""The trained model as it is stored, loaded and evaluated.

:class:`ScreeningModel` wraps the fitted scikit-learn estimator together with everything needed
to turn its output into a score: the feature spec hash it was trained on, the ventile cut points
and the training baseline used for explanations.

Serving never calls scikit-learn for the default (logistic) model: a one-row ``predict_proba``
costs hundreds of microseconds, while the same arithmetic on the fitted parameters costs about
a microsecond. :meth:`ScreeningModel.predict_one` evaluates those parameters directly and a
test holds it equal to scikit-learn's output to 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

ModelKind = Literal["logistic", "boosting"]


@dataclass(frozen=True)
class LinearParams:
    """A scaler + logistic regression + sigmoid calibration, folded into plain arrays.

    Attributes
    ----------
    weights : numpy.ndarray
        ``coef / scale``: weight per raw feature.
    offset : float
        ``intercept - sum(coef * mean / scale)``.
    coef_std : numpy.ndarray
        Coefficients on standardized features (for explanations).
    mean, scale : numpy.ndarray
        The scaler's fitted centre and scale.
    cal_a, cal_b : float
        Sigmoid calibration: ``p = 1 / (1 + exp(cal_a * z + cal_b))``.
    """

    weights: npt.NDArray[np.float64]
    offset: float
    coef_std: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    cal_a: float
    cal_b: float


@dataclass
class ScreeningModel:
    """A fitted screening model with its score mapping; the object stored in the registry.

    Attributes
    ----------
    kind : {"logistic", "boosting"}
        Which estimator family.
    estimator : object
        The fitted scikit-learn ``CalibratedClassifierCV`` (``ensemble=False``).
    feature_names : tuple of str
        Column order the estimator was trained on.
    feature_spec_hash : str
        :func:`models.features.feature_spec_hash` at training time.
    cutpoints : numpy.ndarray of shape (19,)
        Ventile cut points of the training distribution of probabilities.
    baseline : numpy.ndarray
        Mean feature vector of the training rows: explanations are relative to it.
    label : str
        The outcome the model predicts, e.g. ``"removal_2y"``.
    linear : LinearParams or None
        Folded parameters for the fast path (logistic models only).
    """

    kind: ModelKind
    estimator: Any
    feature_names: tuple[str, ...]
    feature_spec_hash: str
    cutpoints: npt.NDArray[np.float64]
    baseline: npt.NDArray[np.float64]
    label: str
    linear: LinearParams | None = field(default=None)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        kind: ModelKind,
        feature_names: tuple[str, ...],
        feature_spec_hash: str,
        cutpoints: npt.NDArray[np.float64],
        baseline: npt.NDArray[np.float64],
        label: str,
    ) -> ScreeningModel:
        """Wrap a fitted calibrated estimator, extracting the fast-path parameters.

        Parameters
        ----------
        estimator : sklearn.calibration.CalibratedClassifierCV
            Fitted with ``ensemble=False`` and ``method="sigmoid"``; for ``kind="logistic"``
            its base estimator is a ``Pipeline(StandardScaler, LogisticRegression)``.
        kind, feature_names, feature_spec_hash, cutpoints, baseline, label
            See the class attributes.

        Returns
        -------
        ScreeningModel
        """
        linear = _fold_linear(estimator) if kind == "logistic" else None
        return cls(
            kind=kind,
            estimator=estimator,
            feature_names=feature_names,
            feature_spec_hash=feature_spec_hash,
            cutpoints=np.asarray(cutpoints, dtype=np.float64),
            baseline=np.asarray(baseline, dtype=np.float64),
            label=label,
            linear=linear,
        )

    def predict_proba(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities for a feature matrix, through scikit-learn.

        Parameters
        ----------
        features : numpy.ndarray of shape (n, n_features)

        Returns
        -------
        numpy.ndarray of shape (n,)
        """
        return np.asarray(self.estimator.predict_proba(features)[:, 1], dtype=np.float64)

    def predict_one(self, x: npt.NDArray[np.float64]) -> float:
        """Calibrated probability for one feature vector (the request path).

        Parameters
        ----------
        x : numpy.ndarray of shape (n_features,)

        Returns
        -------
        float
        """
        lin = self.linear
        if lin is None:
            return float(self.predict_proba(x.reshape(1, -1))[0])
        z = float(x @ lin.weights) + lin.offset
        return _expit_neg(lin.cal_a * z + lin.cal_b)

    def contributions(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Signed contribution of each feature to the score, in log-odds.

        For the logistic model this is exact: ``coef * (x - baseline) / scale``, so
        contributions sum to the linear score minus that of the average training referral
        (``baseline``, the ``typical`` value the explanation shows). The scaler's own centre
        is not used: it was fitted on the labelled (screened-in) rows only, so measuring from
        it could call a value above the shown average one that lowers the score. For other
        models it is the change in log-odds when the feature is set to its training mean.

        Parameters
        ----------
        x : numpy.ndarray of shape (n_features,)

        Returns
        -------
        numpy.ndarray of shape (n_features,)
        """
        lin = self.linear
        if lin is not None:
            # Calibration is monotone with slope -cal_a; scale so that a positive
            # contribution always means "raises the probability".
            return np.asarray(-lin.cal_a * lin.coef_std * (x - self.baseline) / lin.scale)
        n = len(x)
        probe = np.repeat(x.reshape(1, -1), n + 1, axis=0)
        probe[np.arange(1, n + 1), np.arange(n)] = self.baseline
        p = np.clip(self.predict_proba(probe), 1e-12, 1 - 1e-12)
        logit = np.log(p / (1 - p))
        return np.asarray(logit[0] - logit[1:])


def _expit_neg(t: float) -> float:
    # Same formula as sklearn's _SigmoidCalibration.predict: expit(-t), stable for large |t|.
    if t >= 0:
        e = math.exp(-t)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(t))


def _fold_linear(estimator: Any) -> LinearParams:
    calibrated = estimator.calibrated_classifiers_
    if len(calibrated) != 1:
        raise ValueError(
            f"expected one calibrated classifier (ensemble=False), found {len(calibrated)}"
        )
    pipeline = calibrated[0].estimator
    calibrator = calibrated[0].calibrators[0]
    scaler = pipeline.named_steps["scale"]
    logistic = pipeline.named_steps["logistic"]
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    coef = np.asarray(logistic.coef_[0], dtype=np.float64)
    intercept = float(logistic.intercept_[0])
    return LinearParams(
        weights=coef / scale,
        offset=intercept - float(np.sum(coef * mean / scale)),
        coef_std=coef,
        mean=mean,
        scale=scale,
        cal_a=float(calibrator.a_),
        cal_b=float(calibrator.b_),
    )
