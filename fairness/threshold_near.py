"""Threshold-near outcomes: do families just below the cutoff fare worse than those above.

The solutions book (section 3) asks agencies to "compare subsequent safety outcomes ... for
cases just below the thresholds ... to those just above": if outcomes are poor just below,
lower the threshold; if they are very good just above, try raising it. Comparing the two sides
naively confounds the cutoff with risk, so this is a regression-discontinuity design: the jump
at the cutoff in a local-linear fit on each side (``rdrobust``), with a data-driven bandwidth
and a robust bias-corrected interval. With overrides the design is fuzzy: the first stage is
the jump in the treatment (screen-in) probability and the effect is the Wald ratio.

Reading rule (outcome adverse, i.e. higher is worse, unless told otherwise), on the robust
interval of the outcome jump (above minus below):

* the whole interval says families just below fare worse -> **lower**: consider lowering the
  threshold;
* the interval rules out that families just above fare better by more than ``margin`` ->
  **raise**: families just above do as well without the difference screening-in makes;
  consider experimenting with raising the threshold;
* otherwise -> **keep**: the data cannot tell; keep the threshold and collect more outcomes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairness.errors import AnalysisError, OptionError, TreatmentDoesNotVary
from fairness.groups import GroupView, build_views
from fairness.intervals import z_value
from fairness.io import binary_column, numeric_column, numeric_or_binary_column
from fairness.rd import Captured, density_test, local_linear_jump
from models.json_ready import json_ready

# A running variable with this many distinct values or fewer is treated as discrete (the 1-20
# score has 20); local-polynomial asymptotics need many support points near the cutoff.
MAX_DISCRETE_VALUES: Final = 30
PLOT_BINS_PER_SIDE: Final = 15
# Fewest cases on each side of the cutoff for an estimate, overall as for each group: below
# this a local-linear fit on a side rests on a handful of families.
MIN_ROWS_PER_SIDE: Final = 20
# A first stage (jump in a 0/1 treatment) this close to 0 is rounding error, not a jump; the
# fuzzy effect divides by it (a treatment constant near the cutoff gave an effect of 4.8e13).
MIN_FIRST_STAGE: Final = 1e-8

Recommendation = Literal["lower", "raise", "keep"]


@dataclass(frozen=True)
class ThresholdNearResult:
    """Everything the threshold-near analysis found, ready for JSON and the report.

    Attributes
    ----------
    meta : dict
        Columns, cutoff, direction, margin, methods.
    outcome_jump : dict
        Jump in the outcome at the cutoff (above minus below).
    first_stage : dict or None
        Jump in the treatment probability, when a treatment is given.
    effect : dict or None
        Fuzzy (Wald) effect of the treatment at the cutoff, when a treatment is given.
    density_test : dict
        Manipulation test of the running variable.
    discrete : dict
        Whether the running variable is discrete, its support and how that was handled.
    groups : dict
        Per group: its ``outcome_jump`` (and ``effect``) or a ``note`` saying why not.
    reading : dict
        ``recommendation`` ("lower", "raise" or "keep") and ``text``.
    plot : dict
        Binned means and both fitted lines, for the report's chart.
    notes : list of str
        What rdrobust/rddensity printed or warned, and other caveats.
    """

    meta: dict[str, Any]
    outcome_jump: dict[str, Any]
    first_stage: dict[str, Any] | None
    effect: dict[str, Any] | None
    density_test: dict[str, Any]
    discrete: dict[str, Any]
    groups: dict[str, dict[str, Any]]
    reading: dict[str, Any]
    plot: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN becomes None)."""
        ready: dict[str, Any] = json_ready(asdict(self))
        return ready


def threshold_near(
    frame: pd.DataFrame,
    *,
    running: str,
    cutoff: float,
    outcome: str,
    treatment: str | None = None,
    group: str | None = None,
    higher_is_worse: bool = True,
    margin: float = 0.02,
    level: float = 0.95,
    min_group_rows: int = 200,
) -> ThresholdNearResult:
    """Compare outcomes just below and just above a cutoff by regression discontinuity.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per case, any schema.
    running : str
        Numeric running variable (best: the continuous probability, not the 1-20 score).
    cutoff : float
        Cases with ``running >= cutoff`` are above the threshold.
    outcome : str
        Numeric outcome column (e.g. re-referral within a year: 0/1, or yes/no words).
    treatment : str, optional
        Binary column of what was done (e.g. screened in); enables the fuzzy design.
    group : str, optional
        Group column for per-group estimates (exclusive view of :mod:`fairness.groups`).
    higher_is_worse : bool, default True
        Whether a higher outcome is worse (re-referral, removal, injury).
    margin : float, default 0.02
        Smallest benefit of being above the cutoff, in outcome units, that matters; used by
        the "raise" reading.
    level : float, default 0.95
        Confidence level.
    min_group_rows : int, default 200
        Fewest cases for an estimate, with at least ``MIN_ROWS_PER_SIDE`` (20) on each side
        of the cutoff: a group with fewer gets a note instead of an estimate, and so few
        cases in all is an :class:`AnalysisError`.

    Returns
    -------
    ThresholdNearResult

    Raises
    ------
    ColumnError
        A column is missing or not numeric/binary.
    AnalysisError
        The cutoff leaves fewer than ``min_group_rows`` cases or fewer than 20 on a side, the
        outcome varies on neither side, the treatment does not vary near the cutoff, or
        rdrobust/rddensity cannot estimate.
    """
    if margin < 0:
        raise OptionError(f"margin {margin} must be >= 0 (outcome units, e.g. 0.02)")
    x_all = numeric_column(frame, running, option="--running")
    y_all = numeric_or_binary_column(frame, outcome, option="--outcome")
    keep = ~np.isnan(x_all) & ~np.isnan(y_all)
    t_all = None
    if treatment is not None:
        t_all = binary_column(frame, treatment, option="--treatment")
        keep &= ~np.isnan(t_all)
    notes: list[str] = []
    dropped = int((~keep).sum())
    if dropped:
        notes.append(
            f"{dropped} rows with a missing running variable, outcome or treatment left out"
        )
    x, y = x_all[keep], y_all[keep]
    t = t_all[keep] if t_all is not None else None
    # The group column is read before the analysis, which takes seconds on large files, so a
    # mistyped --group fails at once.
    view = (
        build_views(frame.loc[keep], [group], intersections=False)[0] if group is not None else None
    )
    n_below, n_above = int((x < cutoff).sum()), int((x >= cutoff).sum())
    if n_below == 0 or n_above == 0:
        raise AnalysisError(
            f"--cutoff {cutoff:g} leaves no cases {'below' if n_below == 0 else 'above'} it; "
            f"--running '{running}' ranges from {x.min():g} to {x.max():g}"
            if x.size
            else f"--running '{running}' has no values"
        )
    if _too_few(x.size, n_below, n_above, min_rows=min_group_rows):
        # The rule each group's estimate follows, for the same reason.
        raise AnalysisError(
            f"only {x.size} cases with --running '{running}' and --outcome '{outcome}' "
            f"({n_below} below --cutoff {cutoff:g}, {n_above} above); an estimate needs "
            f"{min_group_rows} in all and {MIN_ROWS_PER_SIDE} on each side"
        )
    flat = _flat_outcome(y, x, cutoff=cutoff)
    if flat:
        raise AnalysisError(f"--outcome '{outcome}' {flat}")
    discrete = _discrete_info(x, y, cutoff=cutoff, level=level)
    if discrete["is_discrete"]:
        notes.append(discrete["handling"])
    captured = Captured()
    jump = local_linear_jump(y, x, cutoff=cutoff, level=level, captured=captured)
    first_stage = effect = None
    if t is not None:
        effect, first_stage = _fuzzy(
            y, x, t, cutoff=cutoff, level=level, captured=captured, treatment=treatment
        )
        if first_stage["ci_low"] <= 0 <= first_stage["ci_high"]:
            notes.append(
                "the first stage (jump in treatment at the cutoff) is not distinguishable from "
                "zero: the fuzzy effect is unreliable (weak first stage)"
            )
    density = density_test(x, cutoff=cutoff, captured=captured)
    density["reading"] = (
        f"no evidence of bunching at the cutoff (p = {density['p_value']:.3f})"
        if density["p_value"] >= 1 - level
        else (
            f"the density of '{running}' jumps at the cutoff (p = {density['p_value']:.3g}): "
            "cases may be sorted across it, which undermines the comparison"
        )
    )
    per_group = _per_group(
        view, x, y, t, treatment=treatment, cutoff=cutoff, level=level, min_rows=min_group_rows
    )
    notes.extend(n for n in captured.notes if n not in notes)
    reading = read_jump(
        jump, higher_is_worse=higher_is_worse, margin=margin, level=level, outcome=outcome
    )
    meta = {
        "running": running,
        "cutoff": cutoff,
        "outcome": outcome,
        "treatment": treatment,
        "group": group,
        "higher_is_worse": higher_is_worse,
        "margin": margin,
        "level": level,
        "n": int(x.size),
        "n_below_total": n_below,
        "n_above_total": n_above,
        "estimator": (
            "rdrobust: local-linear (p=1), triangular kernel, MSE-optimal bandwidth (mserd), "
            "robust bias-corrected interval (q=2), nearest-neighbour variance, mass-point "
            "adjustment on"
        ),
    }
    return ThresholdNearResult(
        meta=meta,
        outcome_jump=jump,
        first_stage=first_stage,
        effect=effect,
        density_test=density,
        discrete=discrete,
        groups=per_group,
        reading=reading,
        plot=_plot_data(x, y, jump, cutoff=cutoff, discrete=discrete["is_discrete"]),
        notes=notes,
    )


def read_jump(
    jump: dict[str, Any],
    *,
    higher_is_worse: bool,
    margin: float,
    level: float,
    outcome: str,
) -> dict[str, Any]:
    """Turn an outcome jump into the book's recommendation, with its uncertainty.

    Parameters
    ----------
    jump : dict
        ``estimate``, ``ci_low``, ``ci_high`` of the outcome jump (above minus below).
    higher_is_worse : bool
        Whether a higher outcome is worse.
    margin : float
        Smallest benefit of being above the cutoff that matters, in outcome units.
    level : float
        Confidence level of the interval.
    outcome : str
        Outcome name, for the text.

    Returns
    -------
    dict
        ``recommendation`` ("lower", "raise" or "keep") and ``text``.
    """
    sign = 1.0 if higher_is_worse else -1.0
    # "worse_above": positive when families just above fare worse than those just below.
    lo, hi = sorted((sign * jump["ci_low"], sign * jump["ci_high"]))
    interval = (
        f"jump {_pts(jump['estimate'])} (above minus below; {level:.0%} robust interval "
        f"{_pts(jump['ci_low'])} to {_pts(jump['ci_high'])}, bandwidth {jump['bandwidth']:.3g}, "
        f"{jump['n_below']:,} cases below and {jump['n_above']:,} above within it)"
    )
    recommendation: Recommendation
    if hi < 0:
        recommendation = "lower"
        text = (
            f"Families just below the threshold fare worse on '{outcome}' than comparable "
            f"families just above: {interval}. Consider lowering the threshold."
        )
    elif lo > -margin:
        recommendation = "raise"
        text = (
            f"Families just above the threshold do no better on '{outcome}' than those just "
            f"below, by more than {_pts(margin)}: {interval}. Being above the cutoff buys no "
            "measurable benefit at the margin; consider experimenting with raising the "
            "threshold."
        )
    else:
        recommendation = "keep"
        text = (
            f"The data cannot tell whether families just below fare worse or those just above "
            f"do better on '{outcome}': {interval}. Keep the threshold and collect more outcomes."
        )
    return {"recommendation": recommendation, "text": text}


def _pts(value: float) -> str:
    """Format a difference of rates in percentage points."""
    return f"{100.0 * value:+.1f} points"


def _discrete_info(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], *, cutoff: float, level: float
) -> dict[str, Any]:
    below = np.unique(x[x < cutoff])
    above = np.unique(x[x >= cutoff])
    is_discrete = below.size + above.size <= MAX_DISCRETE_VALUES
    info: dict[str, Any] = {
        "is_discrete": bool(is_discrete),
        "support_below": int(below.size),
        "support_above": int(above.size),
        "handling": None,
        "adjacent": None,
    }
    if not is_discrete:
        return info
    if below.size < 2 or above.size < 2:
        raise AnalysisError(
            f"the running variable has {below.size} distinct value(s) below and {above.size} "
            f"above the cutoff {cutoff:g}; a local-linear fit needs at least 2 on each side "
            "(use the continuous probability as running variable)"
        )
    info["handling"] = (
        f"discrete running variable ({below.size} distinct values below the cutoff, "
        f"{above.size} at or above): rdrobust's mass-point adjustment is on and the estimate "
        "extrapolates between support points, so treat it as indicative; the comparison of the "
        "two adjacent values is shown too. Prefer the continuous probability as running "
        "variable."
    )
    left, right = float(below[-1]), float(above[0])
    yl, yr = y[x == left], y[x == right]
    diff = float(yr.mean() - yl.mean())
    se = (
        math.sqrt(yl.var(ddof=1) / yl.size + yr.var(ddof=1) / yr.size)
        if min(yl.size, yr.size) > 1
        else math.nan
    )
    half = z_value(level) * se
    info["adjacent"] = {
        "value_below": left,
        "value_above": right,
        "mean_below": float(yl.mean()),
        "mean_above": float(yr.mean()),
        "n_below": int(yl.size),
        "n_above": int(yr.size),
        "difference": diff,
        "ci_low": diff - half,
        "ci_high": diff + half,
    }
    return info


def _too_few(n: int, below: int, above: int, *, min_rows: int) -> str | None:
    """Say why ``n`` cases are too few for an estimate, or return None."""
    if n >= min_rows and min(below, above) >= MIN_ROWS_PER_SIDE:
        return None
    return (
        f"{n} cases ({below} below, {above} above): fewer than {min_rows} in all or "
        f"{MIN_ROWS_PER_SIDE} on a side, so no estimate"
    )


def _flat_outcome(
    y: npt.NDArray[np.float64], x: npt.NDArray[np.float64], *, cutoff: float
) -> str | None:
    """Say why an outcome that varies on neither side of the cutoff cannot be fitted.

    A constant outcome, or a perfect step at the cutoff, leaves rdrobust no residual variance
    to choose a bandwidth from, and its error then blames the running variable. An outcome
    constant on one side only is fine: the other side carries the variance.
    """
    below, above = np.unique(y[x < cutoff]), np.unique(y[x >= cutoff])
    if below.size > 1 or above.size > 1:
        return None
    if below[0] == above[0]:
        return f"is {below[0]:g} for every case, so there is no jump to estimate"
    return (
        f"is {below[0]:g} for every case below the cutoff and {above[0]:g} for every case "
        "above: with no variation on either side, a local-linear fit has nothing to estimate "
        "from (the jump is plainly the difference)"
    )


def _fuzzy(
    y: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    *,
    cutoff: float,
    level: float,
    captured: Captured,
    treatment: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit the fuzzy design; return the effect and the first stage.

    Raises
    ------
    AnalysisError
        When the treatment does not jump at the cutoff: the effect divides by the first stage.
    """
    effect = local_linear_jump(y, x, cutoff=cutoff, fuzzy=t, level=level, captured=captured)
    first_stage: dict[str, Any] = effect.pop("first_stage")
    estimate = first_stage["estimate"]
    finite = all(math.isfinite(v) for v in (estimate, effect["estimate"], effect["se"]))
    if finite and abs(estimate) > MIN_FIRST_STAGE:
        return effect, first_stage
    near_below = (x < cutoff) & (x >= cutoff - first_stage["bandwidth_below"])
    near_above = (x >= cutoff) & (x <= cutoff + first_stage["bandwidth_above"])
    raise TreatmentDoesNotVary(
        f"--treatment '{treatment}' does not vary near the cutoff: within the bandwidth, "
        f"{int(t[near_below].sum())} of {int(near_below.sum())} cases below and "
        f"{int(t[near_above].sum())} of {int(near_above.sum())} above were treated, a jump "
        f"of {estimate:.3g}, and the fuzzy effect divides by that jump; leave out --treatment "
        "for the sharp comparison"
    )


def _per_group(
    view: GroupView | None,
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64] | None,
    *,
    treatment: str | None,
    cutoff: float,
    level: float,
    min_rows: int,
) -> dict[str, dict[str, Any]]:
    if view is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for code, label in enumerate(view.labels):
        mask = view.codes == code
        n = int(mask.sum())
        entry: dict[str, Any] = {"n": n}
        below, above = int((x[mask] < cutoff).sum()), int((x[mask] >= cutoff).sum())
        too_few = _too_few(n, below, above, min_rows=min_rows)
        flat = None if too_few else _flat_outcome(y[mask], x[mask], cutoff=cutoff)
        if too_few or flat:
            entry["note"] = too_few or f"the outcome {flat}"
            out[label] = entry
            continue
        captured = Captured()
        try:
            entry["outcome_jump"] = local_linear_jump(
                y[mask], x[mask], cutoff=cutoff, level=level, captured=captured
            )
            if t is not None:
                entry["effect"], entry["first_stage"] = _fuzzy(
                    y[mask],
                    x[mask],
                    t[mask],
                    cutoff=cutoff,
                    level=level,
                    captured=captured,
                    treatment=treatment,
                )
        except AnalysisError as exc:
            entry["note"] = str(exc)
        entry["notes"] = captured.notes
        out[label] = entry
    return out


def _plot_data(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    jump: dict[str, Any],
    *,
    cutoff: float,
    discrete: bool,
) -> dict[str, Any]:
    """Binned outcome means around the cutoff and the two local-linear fits."""
    h = max(jump["bandwidth_below"], jump["bandwidth_above"])
    lo, hi = max(float(x.min()), cutoff - 2 * h), min(float(x.max()), cutoff + 2 * h)
    window = (x >= lo) & (x <= hi)
    xs, ys = x[window], y[window]
    if discrete:
        centres, inverse = np.unique(xs, return_inverse=True)
        counts = np.bincount(inverse)
        means = np.bincount(inverse, weights=ys) / counts
    else:
        edges = np.concatenate(
            [
                np.linspace(lo, cutoff, PLOT_BINS_PER_SIDE + 1)[:-1],
                np.linspace(cutoff, hi, PLOT_BINS_PER_SIDE + 1),
            ]
        )
        idx = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, edges.size - 2)
        counts = np.bincount(idx, minlength=edges.size - 1)
        sums = np.bincount(idx, weights=ys, minlength=edges.size - 1)
        centre_sums = np.bincount(idx, weights=xs, minlength=edges.size - 1)
        nonzero = counts > 0
        centres = centre_sums[nonzero] / counts[nonzero]
        means = sums[nonzero] / counts[nonzero]
        counts = counts[nonzero]
    b_below, b_above = jump["fit_below"], jump["fit_above"]
    h_below, h_above = jump["bandwidth_below"], jump["bandwidth_above"]
    start, stop = max(lo, cutoff - h_below), min(hi, cutoff + h_above)
    return {
        "bins": [
            {"x": float(c), "mean": float(m), "n": int(k)}
            for c, m, k in zip(centres, means, counts, strict=True)
        ],
        "fit_below": [
            [start, b_below[0] + b_below[1] * (start - cutoff)],
            [cutoff, b_below[0]],
        ],
        "fit_above": [
            [cutoff, b_above[0]],
            [stop, b_above[0] + b_above[1] * (stop - cutoff)],
        ],
        "cutoff": cutoff,
        "x_range": [lo, hi],
    }
