"""Fit, calibrate and evaluate a screening model on household-grouped splits.

* Split by household: no household's referrals land in both train and test (siblings and
  repeat referrals leaked across the split in the first Allegheny validation).
* Every preprocessing step (the scaler) is inside the pipeline, so it is fitted on the
  training fold only; calibration uses household-grouped cross-validation inside that fold.
* Probabilities are calibrated with a sigmoid (Platt) map: it keeps the probability continuous,
  which the threshold-near analysis needs as its running variable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, GroupShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models import (
    BAND_UPPER_SCORES,
    FEATURE_NAMES,
    ModelKind,
    ScreeningModel,
    feature_spec_hash,
    probability_to_score,
    ventile_cutpoints,
)
from training.data import TrainingData
from training.errors import TrainingDataError, TrainingError
from training.evaluate import evaluate
from training.seeds import MAX_SEED
from training.trainable import (
    CALIBRATION_FOLDS,
    check_held_out,
    check_households,
    check_latent_risk,
    check_training_rows,
)

Label = Literal["removal_2y", "rereferral_2y"]
LABELS: tuple[str, ...] = ("removal_2y", "rereferral_2y")


@dataclass
class TrainingResult:
    """A fitted model, its metrics and its held-out predictions.

    Attributes
    ----------
    model : ScreeningModel
    metrics : dict
        From :func:`training.evaluate.evaluate` on the held-out labelled rows.
    holdout : pandas.DataFrame
        Every referral of the held-out households (labelled or not) with ``probability`` and
        ``score``: the input of the fairness audit.
    metadata : dict
        What the registry stores with the model.
    holdout_features : numpy.ndarray
        The feature matrix of the ``holdout`` rows, same order: the promotion gates re-score
        the champion on it and measure proxies and feature dominance.
    """

    model: ScreeningModel
    metrics: dict[str, Any]
    holdout: pd.DataFrame
    metadata: dict[str, Any]
    holdout_features: npt.NDArray[np.float64]


def make_estimator(kind: ModelKind, *, seed: int) -> Any:
    """Build the unfitted base estimator for a model kind.

    Parameters
    ----------
    kind : {"logistic", "boosting"}
    seed : int

    Returns
    -------
    sklearn estimator
    """
    if kind == "logistic":
        return Pipeline(
            [
                ("scale", StandardScaler()),
                ("logistic", LogisticRegression(C=0.5, max_iter=2000)),
            ]
        )
    if kind == "boosting":
        # 200 trees, always. scikit-learn's default early_stopping="auto" switched on above
        # 10,000 rows, stopping on a random (not household-grouped) 10% of them: the final
        # model (all rows) kept ~56 trees while the calibration folds (fewer rows) kept 200,
        # so the calibrator was fitted to one model's outputs and applied to another's.
        return HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.08,
            max_leaf_nodes=31,
            early_stopping=False,
            random_state=seed,
        )
    raise ValueError(f"kind '{kind}' is not known; use 'logistic' or 'boosting'")


def train(
    data: TrainingData,
    *,
    kind: ModelKind = "logistic",
    label: Label = "removal_2y",
    seed: int = 0,
    test_size: float = 0.25,
    log: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Fit a calibrated model on a household-grouped training fold and evaluate it.

    Parameters
    ----------
    data : TrainingData
        From :func:`training.data.load_jsonl`.
    kind : {"logistic", "boosting"}, default "logistic"
        Regularized logistic regression (interpretable default) or gradient boosting.
    label : {"removal_2y", "rereferral_2y"}, default "removal_2y"
        The outcome. ``removal_2y`` is observed only for screened-in referrals, so the model
        is fitted on those (as the Allegheny tool was); ``rereferral_2y`` is observed for all.
    seed : int, default 0
        Seed of the split and the estimator.
    test_size : float, default 0.25
        Share of households held out.
    log : callable, optional
        Receives one line per finished step.

    Returns
    -------
    TrainingResult

    Raises
    ------
    TrainingError
        The seed is outside 0..2**32 - 1, or ``test_size`` outside (0, 1).
    TrainingDataError
        The data cannot train or evaluate the label: too few households, labelled rows or
        outcomes of either kind (in training, in any calibration fold, or among the held-out
        rows), or a ``latent_risk`` column with gaps. Checked before anything is fitted.
    """
    say = log or (lambda _msg: None)
    if not 0 <= seed <= MAX_SEED:
        raise TrainingError(f"seed is {seed}; it must be between 0 and {MAX_SEED}")
    if not 0 < test_size < 1:
        raise TrainingError(f"test_size is {test_size}; it must be between 0 and 1 (exclusive)")
    frame = data.frame
    if label not in frame.columns:
        raise TrainingDataError(
            f"label '{label}' is not a column of the data; columns are {sorted(frame.columns)}"
        )
    if label == "removal_2y":
        check_latent_risk(frame, label=label)
    started = time.perf_counter()
    labelled = frame[label].notna().to_numpy()
    y_all = frame[label].fillna(False).astype(bool).to_numpy()
    groups = frame["household_id"].to_numpy()
    check_households(groups, test_size=test_size)
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train_idx, test_idx = next(splitter.split(data.features, groups=groups))
    fit_idx = train_idx[labelled[train_idx]]
    eval_idx = test_idx[labelled[test_idx]]
    X_fit, y_fit = data.features[fit_idx], y_all[fit_idx]
    fit_groups = groups[fit_idx]
    folds = (
        list(GroupKFold(n_splits=CALIBRATION_FOLDS).split(X_fit, y_fit, groups=fit_groups))
        if len(np.unique(fit_groups)) >= CALIBRATION_FOLDS
        else []
    )
    # Every check before the first fit: a held-out set that cannot be evaluated would
    # otherwise be found only after minutes of fitting (or register an AUC of NaN).
    check_training_rows(y_fit, fit_groups, folds, label=label)
    check_held_out(y_all[eval_idx], label=label, households=len(np.unique(groups[test_idx])))
    calibrated = CalibratedClassifierCV(
        make_estimator(kind, seed=seed), method="sigmoid", cv=folds, ensemble=False
    )
    calibrated.fit(X_fit, y_fit)
    say(f"fitted {kind} on {len(fit_idx):,} labelled rows in {time.perf_counter() - started:.1f}s")

    # The 1-20 score ranks a referral among *all* training-fold referrals, since every
    # call is scored, not only those that were screened in.
    p_train = calibrated.predict_proba(data.features[train_idx])[:, 1]
    cutpoints = ventile_cutpoints(p_train)
    model = ScreeningModel.from_estimator(
        calibrated,
        kind=kind,
        feature_names=FEATURE_NAMES,
        feature_spec_hash=feature_spec_hash(),
        cutpoints=cutpoints,
        baseline=data.features[train_idx].mean(axis=0),
        label=label,
    )
    p_test = model.predict_proba(data.features[test_idx])
    holdout = frame.iloc[test_idx].reset_index(drop=True).copy()
    holdout["probability"] = p_test
    holdout["score"] = probability_to_score(p_test, cutpoints=cutpoints)
    eval_mask = labelled[test_idx]
    latent = (
        frame["latent_risk"].to_numpy()[eval_idx]
        if "latent_risk" in frame.columns and label == "removal_2y"
        else None
    )
    metrics = evaluate(y_all[eval_idx], p_test[eval_mask], latent_risk=latent)
    seconds = time.perf_counter() - started
    say(f"evaluated on {len(eval_idx):,} held-out labelled rows: AUC {metrics['auc']:.3f}")
    metadata: dict[str, Any] = {
        "kind": kind,
        "label": label,
        "seed": seed,
        "data_sha256": data.sha256,
        "n_rows": int(len(frame)),
        "n_train_rows": int(len(train_idx)),
        "n_fit_rows": int(len(fit_idx)),
        "n_test_rows": int(len(test_idx)),
        "n_test_households": int(len(np.unique(groups[test_idx]))),
        "metrics": metrics,
        "cutpoints": [float(c) for c in cutpoints],
        "bands": {band.value: upper for band, upper in BAND_UPPER_SCORES},
        "features": list(FEATURE_NAMES),
        "training_seconds": round(seconds, 2),
    }
    return TrainingResult(
        model=model,
        metrics=metrics,
        holdout=holdout,
        metadata=metadata,
        holdout_features=data.features[test_idx],
    )
