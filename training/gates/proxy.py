"""Proxy gate: how well the model's own features predict a person's group.

Race is never a model input, but features can stand in for it (prior reports carry
surveillance bias; benefits and neighbourhood carry segregation). For each group above the
minimum size, a logistic regression predicts membership from the feature matrix with
household-grouped cross-validation; its AUC says how much group membership the features
carry (0.5 = none), and its largest standardized coefficients say which features carry it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fairness import is_recorded, split_cell
from training.gates.candidate import Candidate
from training.gates.policy import ProxyPolicy
from training.gates.result import GateResult, at_most, skipped, unmeasured

NAME = "proxy.group_from_features"


def proxy_gate(candidate: Candidate, *, policy: ProxyPolicy) -> GateResult:
    """Measure the best cross-validated AUC of predicting any group from the features.

    Parameters
    ----------
    candidate : Candidate
    policy : ProxyPolicy

    Returns
    -------
    GateResult
        ``proxy.group_from_features``, with per-group AUC and top features in ``data``.
    """
    limit = f"<= {policy.max_auc}"
    frame, features = candidate.holdout, candidate.features
    if features is None:
        return skipped(NAME, limit, f"version {candidate.version} has no stored held-out features")
    if policy.group not in frame.columns:
        return unmeasured(NAME, limit, f"the held-out data has no '{policy.group}' column")
    labels = np.array([_exclusive(cell) for cell in frame[policy.group]])
    # Rows without a recorded group are neither the group nor "the rest": a model whose
    # features tell who had race recorded is not thereby a proxy for race.
    recorded = np.array([is_recorded((label,)) for label in labels], dtype=bool)
    labels, features = labels[recorded], features[recorded]
    households = frame["household_id"].to_numpy()[recorded]
    names = list(candidate.model.feature_names)
    groups = [
        g
        for g, n in zip(*np.unique(labels, return_counts=True), strict=True)
        if n >= policy.min_group_size and len(labels) - n >= policy.min_group_size
    ]
    if not groups:
        return skipped(
            NAME, limit, f"no group of '{policy.group}' has {policy.min_group_size} rows"
        )
    per_group: list[dict[str, Any]] = []
    for group in groups:
        y = (labels == group).astype(int)
        estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        predicted = cross_val_predict(
            estimator,
            features,
            y,
            groups=households,
            cv=GroupKFold(n_splits=policy.folds),
            method="predict_proba",
        )[:, 1]
        estimator.fit(features, y)
        coef = estimator[-1].coef_[0]
        top = np.argsort(-np.abs(coef), kind="stable")[: policy.top_features]
        per_group.append(
            {
                "group": str(group),
                "n": int(y.sum()),
                "auc": float(roc_auc_score(y, predicted)),
                "top_features": [{"feature": names[i], "coefficient": float(coef[i])} for i in top],
            }
        )
    worst = max(per_group, key=lambda r: r["auc"])
    carriers = ", ".join(f"{f['feature']} ({f['coefficient']:+.2f})" for f in worst["top_features"])
    result = at_most(
        NAME,
        worst["auc"],
        policy.max_auc,
        f"'{worst['group']}' is predicted from the features with cross-validated AUC",
        groups=per_group,
    )
    return GateResult(
        result.name,
        result.status,
        result.measured,
        result.limit,
        result.by,
        f"{result.detail}; carried most by {carriers}",
        result.data,
    )


def _exclusive(cell: object) -> str:
    values = split_cell(cell)
    if not values:
        return "(missing)"
    return values[0] if len(values) == 1 else "multiracial"
