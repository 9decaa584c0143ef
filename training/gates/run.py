"""Run every gate of a policy on a candidate, in a fixed order."""

from __future__ import annotations

from dataclasses import dataclass

from fairness import AuditResult, FairnessError, ThresholdNearResult
from training.gates.candidate import Candidate, Champion, ChampionUnavailable
from training.gates.disparity import calibration_gate, disparity_gates, report_audit
from training.gates.dominance import dominance_gate
from training.gates.performance import performance_gates
from training.gates.policy import GatePolicy
from training.gates.proxy import proxy_gate
from training.gates.result import GateResult
from training.gates.threshold import threshold_near_gate


@dataclass(frozen=True)
class GateRun:
    """Every gate's result plus the analyses the audit bundle renders.

    Attributes
    ----------
    results : list of GateResult
    audit : fairness.AuditResult or None
        The 95% fairness audit of the held-out labelled rows; None when they cannot be
        audited (``audit_skipped`` says why).
    threshold_near : fairness.ThresholdNearResult or None
    audit_skipped : str or None
        Why there is no audit, e.g. "the held-out data has no 'ethnicity' column".
    """

    results: list[GateResult]
    audit: AuditResult | None
    threshold_near: ThresholdNearResult | None
    audit_skipped: str | None = None

    @property
    def failed(self) -> list[GateResult]:
        """The gates that failed (waived ones excluded)."""
        return [r for r in self.results if r.status == "failed"]


def gate_names(policy: GatePolicy) -> list[str]:
    """List the names of the gates a policy runs, in order (what ``--waive`` accepts).

    Parameters
    ----------
    policy : GatePolicy

    Returns
    -------
    list of str
    """
    return [
        "performance.auc_minimum",
        "performance.calibration_error_maximum",
        "performance.auc_vs_champion",
        "performance.brier_vs_champion",
        "performance.calibration_error_vs_champion",
        *(f"disparity.{m}" for m in policy.disparity.metrics),
        "disparity.calibration_high_scores",
        "threshold_near",
        "proxy.group_from_features",
        "dominance.single_feature_share",
    ]


def run_gates(
    candidate: Candidate,
    *,
    champion: Champion | ChampionUnavailable | None,
    policy: GatePolicy,
) -> GateRun:
    """Run every gate.

    Parameters
    ----------
    candidate : Candidate
    champion : Champion, ChampionUnavailable or None
        The version serving now, for the non-inferiority gates (skipped, with the reason,
        when it cannot be loaded or predicts another label).
    policy : GatePolicy

    Returns
    -------
    GateRun
    """
    audit: AuditResult | None = None
    audit_skipped = None
    try:
        audit = report_audit(candidate, policy=policy.disparity)
    except FairnessError as exc:
        # The disparity gates report the same problem (as failed: not measured); the report
        # is left out rather than ending the run before any gate could say so.
        audit_skipped = str(exc)
    near, near_result = threshold_near_gate(candidate, policy=policy.threshold_near)
    results = [
        *performance_gates(candidate, champion, policy=policy.performance),
        *disparity_gates(candidate, policy=policy.disparity),
        calibration_gate(candidate, policy=policy.calibration_within_groups),
        near,
        proxy_gate(candidate, policy=policy.proxy),
        dominance_gate(candidate, policy=policy.dominance),
    ]
    return GateRun(
        results=results, audit=audit, threshold_near=near_result, audit_skipped=audit_skipped
    )
