"""Disparity gates: error and selection-rate ratios, and calibration among the highest scores.

A ratio to the reference group fails when it is outside the band **and** its confidence
interval excludes parity. The intervals are Bonferroni-adjusted over every comparison the
gates make (groups x metrics), so a model with no real disparity is refused by chance with
probability at most ``family_alpha`` in total, not 5% per comparison (with 5 groups and 3
metrics, unadjusted 95% intervals would refuse a fair model about half the time).

Households without a recorded group (``(missing)``, or ``unknown`` as the training data writes
when no race was recorded) are neither the reference nor compared with it, as in the audit:
often the largest group, they would otherwise hide disparities between the recorded groups.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, TypeVar

import pandas as pd

from fairness import (
    AuditResult,
    ColumnError,
    FairnessError,
    disparity_audit,
    distance_from_parity,
    is_recorded,
    split_cell,
)
from training.gates.candidate import Candidate
from training.gates.policy import CalibrationPolicy, DisparityPolicy
from training.gates.result import GateResult, Status, skipped, unmeasured

_Indexed = TypeVar("_Indexed", pd.Series, pd.DataFrame)

METRIC_WORDS = {
    "selection_rate": "selection rate",
    "fpr": "false-positive rate",
    "fnr": "false-negative rate",
    "ppv": "positive predictive value",
    "npv": "negative predictive value",
}


def report_audit(candidate: Candidate, *, policy: DisparityPolicy) -> AuditResult:
    """Run the fairness audit of the held-out labelled rows at 95%, for the report.

    Parameters
    ----------
    candidate : Candidate
    policy : DisparityPolicy

    Returns
    -------
    fairness.AuditResult

    Raises
    ------
    fairness.FairnessError
        The rows cannot be audited, e.g. :class:`fairness.ColumnError` when they have no
        column named by the policy's ``group``; the message says so in the gates' words.
    """
    rows = candidate.labelled()
    if policy.group not in rows.columns:
        raise ColumnError(f"the held-out data has no '{policy.group}' column")
    return disparity_audit(
        rows,
        label=candidate.label,
        score="score",
        groups=[policy.group],
        threshold=policy.score_threshold,
        min_group_size=policy.min_group_size,
        band=policy.band,
    )


def disparity_gates(candidate: Candidate, *, policy: DisparityPolicy) -> list[GateResult]:
    """Run one gate per metric: ``disparity.<metric>`` (e.g. ``disparity.fnr``).

    Parameters
    ----------
    candidate : Candidate
    policy : DisparityPolicy

    Returns
    -------
    list of GateResult
    """
    view = policy.group
    low, high = policy.band
    limit = f"within {low}-{high} unless the interval includes 1"
    names = [f"disparity.{metric}" for metric in policy.metrics]
    rows = candidate.labelled(one_per_household=True)
    if view not in rows.columns:
        missing = f"the held-out data has no '{view}' column"
        return [unmeasured(name, limit, missing) for name in names]
    counts = _recorded(rows[view].map(_exclusive_label).value_counts())
    counts = counts[counts >= policy.min_group_size]
    if len(counts) < 2:
        reason = (
            f"fewer than two groups of '{view}' with a recorded value have "
            f"{policy.min_group_size} or more held-out households with a labelled referral"
        )
        return [skipped(name, limit, reason) for name in names]
    reference = str(counts.index[0])
    eligible = [str(g) for g in counts.index[1:]]
    comparisons = len(eligible) * len(policy.metrics)
    level = 1 - policy.family_alpha / comparisons
    try:
        adjusted = disparity_audit(
            rows,
            label=candidate.label,
            score="score",
            groups=[view],
            threshold=policy.score_threshold,
            min_group_size=policy.min_group_size,
            band=policy.band,
            level=level,
            reference={view: reference},
        )
    except FairnessError as exc:
        # Data the audit cannot use (e.g. a score column that is not numeric) leaves these
        # gates unmeasured: say why in the report rather than end the whole gate run.
        return [unmeasured(name, limit, str(exc)) for name in names]
    results = []
    for metric, name in zip(policy.metrics, names, strict=True):
        rows = []
        for group in eligible:
            ratio = adjusted.ratios[view][group].get(metric)
            ci = adjusted.ratio_ci[view][group].get(metric) or [None, None]
            if ratio is None or ci[0] is None or ci[1] is None:
                continue
            outside = low - ratio if ratio < low else ratio - high
            significant = ci[0] > 1 or ci[1] < 1
            rows.append(
                {
                    "group": group,
                    "ratio": ratio,
                    "ci": [ci[0], ci[1]],
                    "outside_by": outside,
                    "fails": outside > 0 and significant,
                }
            )
        results.append(
            _ratio_result(name, metric, rows, reference=reference, limit=limit, level=level)
        )
    return results


def _ratio_result(
    name: str,
    metric: str,
    rows: list[dict[str, Any]],
    *,
    reference: str,
    limit: str,
    level: float,
) -> GateResult:
    words = METRIC_WORDS[metric]
    if not rows:
        return skipped(name, limit, f"no group has a defined {words} ratio to '{reference}'")
    failing = [r for r in rows if r["fails"]]
    # The ratio furthest from parity on the log scale, as the audit's summary ranks its
    # flags: 0.7 is further from 1 than 1.4 is, though 1.4 - 1.25 > 0.8 - 0.7.
    worst = max(failing or rows, key=lambda r: distance_from_parity(r["ratio"]))
    data = {"reference": reference, "level": level, "groups": rows}
    lo, hi = worst["ci"]
    # A ratio of 0 (the group is never selected) reads as 0.000; an infinite one (the
    # reference group never is) is said in words rather than printed as "inf", and so is
    # the interval's upper limit then.
    ratio = (
        f"infinite ('{reference}' has a {words} of 0)"
        if math.isinf(worst["ratio"])
        else f"{worst['ratio']:.3f}"
    )
    upper = "-infinity" if math.isinf(hi) else f"-{hi:.3f}"
    said = (
        f"{words} of '{worst['group']}' over '{reference}' is {ratio} "
        f"({level:.2%} interval {lo:.3f}{upper})"
    )
    if failing:
        by = worst["outside_by"]
        detail = f"{said}: outside the band" + (f" by {by:.3f}" if math.isfinite(by) else "")
        if len(failing) > 1:
            detail += f"; {len(failing) - 1} more group(s) also outside"
        return GateResult(name, "failed", worst["ratio"], limit, worst["outside_by"], detail, data)
    if worst["outside_by"] > 0:
        detail = f"{said}: outside the band, but the interval includes parity"
    else:
        detail = f"{said}: the ratio furthest from parity, inside the band"
    return GateResult(name, "passed", worst["ratio"], limit, worst["outside_by"], detail, data)


def calibration_gate(candidate: Candidate, *, policy: CalibrationPolicy) -> GateResult:
    """Compare observed outcome rates of groups among the highest scores.

    At a score of 20 the Allegheny tool saw 50% of Black and 30% of White children later
    removed: the same score meant different risks. Among labelled held-out rows with
    ``score >= min_score``, each group's observed rate is compared with the largest group's.

    Parameters
    ----------
    candidate : Candidate
    policy : CalibrationPolicy

    Returns
    -------
    GateResult
        ``disparity.calibration_high_scores``.
    """
    name = "disparity.calibration_high_scores"
    limit = f"|difference| <= {policy.max_difference} unless the interval includes 0"
    rows = candidate.labelled(one_per_household=True)
    if policy.group not in rows.columns:
        return unmeasured(name, limit, f"the held-out data has no '{policy.group}' column")
    top = rows[rows["score"] >= policy.min_score]
    groups = top[policy.group].map(_exclusive_label)
    stats = _recorded(top.groupby(groups)[candidate.label].agg(["mean", "count"]))
    stats = stats[stats["count"] >= policy.min_group_size]
    if len(stats) < 2:
        return skipped(
            name,
            limit,
            f"fewer than two groups with a recorded value have {policy.min_group_size} "
            f"labelled held-out rows with score >= {policy.min_score}",
        )
    reference = str(stats["count"].idxmax())
    p_ref, n_ref = stats.loc[reference, "mean"], stats.loc[reference, "count"]
    others = [g for g in stats.index if g != reference]
    z = NormalDist().inv_cdf(1 - policy.family_alpha / (2 * len(others)))
    found: list[dict[str, Any]] = []
    for group in others:
        p, n = stats.loc[group, "mean"], stats.loc[group, "count"]
        diff = float(p - p_ref)
        se = float((p * (1 - p) / n + p_ref * (1 - p_ref) / n_ref) ** 0.5)
        lo, hi = diff - z * se, diff + z * se
        outside = abs(diff) - policy.max_difference
        found.append(
            {
                "group": str(group),
                "observed": float(p),
                "n": int(n),
                "difference": diff,
                "ci": [lo, hi],
                "outside_by": outside,
                "fails": outside > 0 and (lo > 0 or hi < 0),
            }
        )
    failing = [r for r in found if r["fails"]]
    worst = max(failing or found, key=lambda r: r["outside_by"])
    said = (
        f"among scores >= {policy.min_score}, '{worst['group']}' had the outcome in "
        f"{worst['observed']:.1%} (n={worst['n']}) vs {float(p_ref):.1%} for '{reference}' "
        f"(n={int(n_ref)}): difference {worst['difference']:+.3f}, interval "
        f"{worst['ci'][0]:+.3f} to {worst['ci'][1]:+.3f}"
    )
    data = {"reference": reference, "reference_observed": float(p_ref), "groups": found}
    status: Status = "failed" if failing else "passed"
    if failing:
        said += f": beyond the limit by {worst['outside_by']:.3f}"
    return GateResult(name, status, worst["difference"], limit, worst["outside_by"], said, data)


def _recorded(table: _Indexed) -> _Indexed:
    """Keep the rows of a table indexed by group label whose group has a recorded value."""
    return table[[is_recorded((str(label),)) for label in table.index]]


def _exclusive_label(cell: object) -> str:
    values = split_cell(cell)
    if not values:
        return "(missing)"
    return values[0] if len(values) == 1 else "multiracial"


__all__ = ["calibration_gate", "disparity_gates", "report_audit"]
