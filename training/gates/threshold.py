"""Threshold-near gate: families just below the screening threshold must not fare worse.

A regression-discontinuity comparison of an outcome observed for everyone (re-referral) at
the probability that corresponds to the screening score threshold, with the continuous
probability as running variable (a 1-20 score has too few support points).
"""

from __future__ import annotations

import warnings

from fairness import FairnessError, ThresholdNearResult, threshold_near
from training.gates.candidate import Candidate
from training.gates.policy import ThresholdNearPolicy
from training.gates.result import GateResult, Status, skipped

NAME = "threshold_near"


def threshold_near_gate(
    candidate: Candidate, *, policy: ThresholdNearPolicy
) -> tuple[GateResult, ThresholdNearResult | None]:
    """Fail when the whole robust interval says families just below the threshold fare worse.

    Parameters
    ----------
    candidate : Candidate
    policy : ThresholdNearPolicy

    Returns
    -------
    GateResult
        ``threshold_near``; measured is the upper end of the interval of the jump (above
        minus below), which must not be below 0.
    ThresholdNearResult or None
        The full analysis for the audit bundle (None when skipped).
    """
    limit = "upper end of the interval of the jump (above minus below) >= 0"
    frame = candidate.holdout
    if policy.outcome not in frame.columns:
        return skipped(NAME, limit, f"the held-out data has no '{policy.outcome}' column"), None
    rows = frame[frame[policy.outcome].notna()]
    # score >= t  <=>  probability >= cutpoints[t - 2] (score = 1 + #(cuts <= p)).
    cutoff = float(candidate.model.cutpoints[policy.score_threshold - 2])
    above = int((rows["probability"] >= cutoff).sum())
    below = len(rows) - above
    if min(above, below) < policy.min_rows_per_side:
        return (
            skipped(
                NAME,
                limit,
                f"{below} rows below and {above} above the cutoff {cutoff:.4f} (score "
                f"{policy.score_threshold}); need {policy.min_rows_per_side} on each side",
            ),
            None,
        )
    try:
        with warnings.catch_warnings():
            # rdrobust warns about mass points and such; the result records them as notes.
            warnings.simplefilter("ignore")
            result = threshold_near(
                rows, running="probability", cutoff=cutoff, outcome=policy.outcome
            )
    except FairnessError as exc:
        return skipped(NAME, limit, f"the analysis could not estimate: {exc}"), None
    jump = result.outcome_jump
    high = float(jump["ci_high"])
    detail = (
        f"'{policy.outcome}' jumps {jump['estimate']:+.3f} at probability {cutoff:.4f} "
        f"(score {policy.score_threshold}), interval {jump['ci_low']:+.3f} to {high:+.3f}; "
        f"reading: {result.reading['recommendation']}"
    )
    status: Status = "failed" if result.reading["recommendation"] == "lower" else "passed"
    data = {"cutoff": cutoff, "outcome_jump": jump, "reading": result.reading}
    return GateResult(NAME, status, high, limit, -high, detail, data), result
