"""Performance gates: absolute floors, and non-inferiority against the current champion.

The champion is re-scored on the candidate's own held-out households, so both models are
compared on the same rows (a paired comparison: far less noisy than comparing two metrics
measured on two different hold-outs).
"""

from __future__ import annotations

from typing import Any

from training.evaluate import evaluate
from training.gates.candidate import Candidate, Champion, ChampionUnavailable
from training.gates.policy import PerformancePolicy
from training.gates.result import GateResult, at_least, at_most, skipped, unmeasured


def performance_gates(
    candidate: Candidate,
    champion: Champion | ChampionUnavailable | None,
    *,
    policy: PerformancePolicy,
) -> list[GateResult]:
    """Run the five performance gates.

    Parameters
    ----------
    candidate : Candidate
    champion : Champion, ChampionUnavailable or None
        The version serving now; the comparisons are skipped when there is none, when it
        cannot be loaded (the reason is given), when it is the candidate itself, or when it
        predicts another label than the candidate.
    policy : PerformancePolicy

    Returns
    -------
    list of GateResult
        ``performance.auc_minimum``, ``performance.calibration_error_maximum``,
        ``performance.auc_vs_champion``, ``performance.brier_vs_champion``,
        ``performance.calibration_error_vs_champion``.
    """
    labelled = candidate.labelled()
    y = labelled[candidate.label].to_numpy()
    if len(labelled) == 0 or len(set(y)) < 2:
        reason = f"no held-out rows with both outcomes of '{candidate.label}'"
        return [
            unmeasured(name, limit, reason)
            for name, limit in (
                ("performance.auc_minimum", f">= {policy.auc_minimum}"),
                ("performance.calibration_error_maximum", f"<= {policy.calibration_error_maximum}"),
            )
        ] + _skip_comparisons(policy, reason)
    mine = evaluate(y, labelled["probability"].to_numpy())
    results = [
        at_least("performance.auc_minimum", mine["auc"], policy.auc_minimum, "held-out AUC"),
        at_most(
            "performance.calibration_error_maximum",
            mine["expected_calibration_error"],
            policy.calibration_error_maximum,
            "held-out expected calibration error",
        ),
    ]
    if champion is None:
        return results + _skip_comparisons(policy, "there is no champion to compare with")
    if isinstance(champion, ChampionUnavailable):
        return results + _skip_comparisons(
            policy,
            f"champion version {champion.version} cannot be loaded to re-score these rows: "
            f"{champion.reason}",
        )
    if champion.version == candidate.version:
        return results + _skip_comparisons(policy, "the candidate is the champion")
    if champion.model.label != candidate.label:
        # AUC, Brier and calibration of a model measured against another outcome say nothing
        # about which of the two is better at its own.
        return results + _skip_comparisons(
            policy,
            f"champion version {champion.version} predicts '{champion.model.label}', the "
            f"candidate '{candidate.label}': metrics of different labels are not comparable",
        )
    if candidate.features is None:
        return results + _skip_comparisons(
            policy,
            f"version {candidate.version} has no stored held-out features to re-score "
            f"version {champion.version} on; retrain it with `hotline train`",
        )
    mask = candidate.holdout[candidate.label].notna().to_numpy()
    theirs = evaluate(y, champion.model.predict_proba(candidate.features[mask]))
    vs = f"than champion version {champion.version} on the same {len(y):,} rows"
    return results + [
        _compare(
            "performance.auc_vs_champion",
            mine["auc"] - theirs["auc"],
            -policy.auc_margin,
            higher_is_better=True,
            what=f"AUC {mine['auc']:.4f} vs {theirs['auc']:.4f}: difference",
            vs=vs,
            mine=mine["auc"],
            champion=theirs["auc"],
        ),
        _compare(
            "performance.brier_vs_champion",
            mine["brier"] - theirs["brier"],
            policy.brier_margin,
            higher_is_better=False,
            what=f"Brier {mine['brier']:.4f} vs {theirs['brier']:.4f}: difference",
            vs=vs,
            mine=mine["brier"],
            champion=theirs["brier"],
        ),
        _compare(
            "performance.calibration_error_vs_champion",
            mine["expected_calibration_error"] - theirs["expected_calibration_error"],
            policy.calibration_error_margin,
            higher_is_better=False,
            what=(
                f"calibration error {mine['expected_calibration_error']:.4f} vs "
                f"{theirs['expected_calibration_error']:.4f}: difference"
            ),
            vs=vs,
            mine=mine["expected_calibration_error"],
            champion=theirs["expected_calibration_error"],
        ),
    ]


def _compare(
    name: str,
    difference: float,
    limit: float,
    *,
    higher_is_better: bool,
    what: str,
    vs: str,
    **data: Any,
) -> GateResult:
    check = at_least if higher_is_better else at_most
    result = check(name, difference, limit, what, **data)
    return GateResult(
        result.name,
        result.status,
        result.measured,
        result.limit,
        result.by,
        f"{result.detail} ({vs})",
        result.data,
    )


def _skip_comparisons(policy: PerformancePolicy, reason: str) -> list[GateResult]:
    return [
        skipped("performance.auc_vs_champion", f">= -{policy.auc_margin}", reason),
        skipped("performance.brier_vs_champion", f"<= {policy.brier_margin}", reason),
        skipped(
            "performance.calibration_error_vs_champion",
            f"<= {policy.calibration_error_margin}",
            reason,
        ),
    ]
