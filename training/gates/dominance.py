"""Dominance gate: no single feature, such as a child's age, may carry most of the score.

Each feature's contribution is the change in the log-odds when that feature alone is set to
its training mean (exact ``coef * (x - mean) / scale`` for the logistic model, up to the
calibration slope; a local effect for the boosting model). Its share is its mean absolute
contribution over the held-out referrals divided by the sum over all features.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from training.gates.candidate import Candidate
from training.gates.policy import DominancePolicy
from training.gates.result import GateResult, at_most, skipped

NAME = "dominance.single_feature_share"


def dominance_gate(candidate: Candidate, *, policy: DominancePolicy) -> GateResult:
    """Measure the largest single feature's share of the score's movement.

    Parameters
    ----------
    candidate : Candidate
    policy : DominancePolicy

    Returns
    -------
    GateResult
        ``dominance.single_feature_share``; ``data["shares"]`` lists the top five features.
    """
    limit = f"<= {policy.max_share}"
    features = candidate.features
    if features is None or len(features) == 0:
        return skipped(NAME, limit, f"version {candidate.version} has no stored held-out features")
    model = candidate.model
    base = _logit(model.predict_proba(features))
    movement = np.empty(features.shape[1])
    for j in range(features.shape[1]):
        moved = features.copy()
        moved[:, j] = model.baseline[j]
        movement[j] = np.mean(np.abs(base - _logit(model.predict_proba(moved))))
    total = float(movement.sum())
    if total <= 0:
        return skipped(NAME, limit, "the score does not move with any feature")
    shares = movement / total
    order = np.argsort(-shares, kind="stable")
    top = [{"feature": model.feature_names[i], "share": float(shares[i])} for i in order[:5]]
    first = top[0]
    return at_most(
        NAME,
        first["share"],
        policy.max_share,
        f"'{first['feature']}' carries a share of the score's movement of",
        shares=top,
    )


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(np.log(q / (1 - q)))
