"""Disparity audit: selection and error rates, AUC and calibration by group, with intervals.

The audit answers the solutions book's first question (section 13): are decisions at this point
disaggregated by race, and do they differ? Each group is compared with a reference group (the
largest unless named) by the ratio of each rate. A ratio is **flagged** when it lies outside
the band (default 0.8-1.25, the four-fifths rule applied in both directions, as Aequitas does)
*and* its confidence interval excludes 1, so that with no real disparity a given comparison is
flagged with probability at most 1 - ``level`` (5% by default), and much less for large groups
whose estimate rarely strays out of the band. A group whose rate is 0 (e.g. never screened
in) has a ratio of 0, and a group compared with a reference group at 0 an infinite one: both
are outside any band, and are flagged when the interval (MOVER-R Wilson, Donner and Zou 2012,
which keeps its width at rates of 0 and 100%) excludes 1. Groups smaller than
``min_group_size`` are shown with a warning but never flagged, used as reference, or
quoted in the summary. Groups without a recorded value (``(missing)``, ``unknown``) are
shown but never compared: not the reference, no ratios, no flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import MetricFrame

from fairness.calibration import calibration_table, make_score_bins
from fairness.errors import ColumnError, OptionError
from fairness.groups import GroupView, build_views, is_recorded
from fairness.intervals import auc_delong, auc_interval, rate_ratio_interval, wilson_interval
from fairness.io import binary_column, numeric_column
from fairness.metrics import FAST_METRICS, RATE_NAMES, confusion_counts, rates_from_counts
from fairness.summary import audit_summary
from models.json_ready import json_ready

FLAGGED_METRICS: Final = ("selection_rate", "fpr", "fnr", "ppv", "npv")
RATIO_METRICS: Final = (*RATE_NAMES, "auc")


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found, ready for ``audit.json`` and the report.

    Attributes
    ----------
    meta : dict
        What was audited and how (columns, selection rule, band, interval methods).
    overall : dict
        Metrics over all audited rows.
    groups : dict
        ``groups[view][group]`` -> metrics with ``<metric>_ci`` intervals, ``small``, ``warning``.
    reference : dict
        ``reference[view]`` -> the reference group's label; None when no group of the view
        has a recorded value.
    ratios : dict
        ``ratios[view][group][metric]`` -> ratio to the reference group: ``inf`` when only
        the reference group's rate is 0, None if undefined (0/0); JSON holds ``inf`` as null.
        Groups without a recorded value have no entry (they are not compared).
    ratio_ci : dict
        ``ratio_ci[view][group][metric]`` -> ``[low, high]`` (rates only; AUC has none);
        ``high`` is ``inf`` (null in JSON) when the reference group's rate is 0.
    flags : list of dict
        One entry per flagged ratio.
    calibration : dict
        ``calibration[view][group]`` -> list of per-score-bin rows.
    score_bins : list of dict
        The bins used for calibration and score distributions.
    warnings : list of str
        Dropped rows, small groups, undefined rates.
    summary : list of str
        Plain-language findings, most important first.
    """

    meta: dict[str, Any]
    overall: dict[str, Any]
    groups: dict[str, dict[str, dict[str, Any]]]
    reference: dict[str, str | None]
    ratios: dict[str, dict[str, dict[str, float | None]]]
    ratio_ci: dict[str, dict[str, dict[str, list[float | None]]]]
    flags: list[dict[str, Any]]
    calibration: dict[str, dict[str, list[dict[str, Any]]]]
    score_bins: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN becomes None)."""
        ready: dict[str, Any] = json_ready(asdict(self))
        return ready


def disparity_audit(
    frame: pd.DataFrame,
    *,
    label: str,
    score: str,
    groups: list[str],
    threshold: float | None = None,
    decision: str | None = None,
    reference: str | Mapping[str, str] | None = None,
    min_group_size: int = 50,
    band: tuple[float, float] = (0.8, 1.25),
    level: float = 0.95,
    multi_label: str = "multiracial",
    n_bins: int = 10,
) -> AuditResult:
    """Audit selection and error rates of a score (or of decisions) across groups.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per case, any schema.
    label : str
        Binary outcome column (1 = the adverse outcome the score predicts).
    score : str
        Numeric score column (a 1-20 score or a probability).
    groups : list of str
        Group columns (race, sex, ...). Cells may hold several values separated by ``|`` or
        ``;``; see :mod:`fairness.groups` for the rule.
    threshold : float, optional
        A case is selected when ``score >= threshold``. Required unless ``decision`` is given.
    decision : str, optional
        Binary column of what people decided; when given, selection is read from it instead
        of the threshold, to audit the decisions rather than the tool alone.
    reference : str or mapping of str to str, optional
        Reference group: one label used for every view that has it, or ``{view: label}``.
        Defaults to each view's largest group with a recorded value (not ``(missing)`` or
        ``unknown``).
    min_group_size : int, default 50
        Groups with fewer rows are reported with a warning, never flagged.
    band : tuple of float, default (0.8, 1.25)
        Ratios inside this band are not flagged.
    level : float, default 0.95
        Confidence level of every interval.
    multi_label : str, default "multiracial"
        Exclusive-view label for a cell holding several values.
    n_bins : int, default 10
        Quantile bins for a continuous score's calibration (a score with at most 30 distinct
        values is binned by value).

    Returns
    -------
    AuditResult

    Raises
    ------
    ColumnError
        A column is missing, or the label/decision is not binary, or the score not numeric.
    OptionError
        Neither ``threshold`` nor ``decision`` is given, a group column is named twice, or
        the reference group is unknown or has no recorded value.
    """
    if threshold is None and decision is None:
        raise OptionError("give --threshold T (select score >= T) or --decision COLUMN")
    if not 0 < band[0] < 1 < band[1]:
        raise OptionError(f"band {band} must satisfy 0 < low < 1 < high, e.g. (0.8, 1.25)")
    if not groups:
        raise OptionError("give at least one --group column")
    repeated = next((g for i, g in enumerate(groups) if g in groups[:i]), None)
    if repeated is not None:
        # Each copy would be audited as its own view, with the same flags twice over.
        raise OptionError(f"--group '{repeated}' is given more than once; give each column once")
    y_all = binary_column(frame, label, option="--label")
    s_all = numeric_column(frame, score, option="--score")
    keep = ~np.isnan(y_all) & ~np.isnan(s_all)
    d_all = None
    if decision is not None:
        d_all = binary_column(frame, decision, option="--decision")
        keep &= ~np.isnan(d_all)
    warnings: list[str] = []
    dropped = int((~keep).sum())
    if dropped:
        warnings.append(f"{dropped} rows with a missing label, score or decision were left out")
    if not keep.any():
        raise ColumnError(f"no row has both --label '{label}' and --score '{score}' filled in")
    y = y_all[keep].astype(np.int64)
    s = s_all[keep]
    sel = (d_all[keep] if d_all is not None else (s >= float(threshold or 0.0))).astype(np.int64)
    if sel.min() == sel.max():
        # Nothing to tell apart: every rate comparison would pass, which reads as "fair".
        none = sel[0] == 0
        warnings.append(
            f"{'no' if none else 'every'} audited case was selected ("
            + (
                f"decision column '{decision}'"
                if decision is not None
                else f"{score} >= {threshold}"
            )
            + f"; {score} runs from {float(s.min()):g} to {float(s.max()):g}): the selection and "
            "error-rate comparisons cannot show a disparity (unless that is expected, check the "
            "score column and threshold)"
        )
    kept = frame.loc[keep] if dropped else frame
    views = build_views(kept, groups, multi_label=multi_label)
    bins = make_score_bins(s, n_bins=n_bins)
    references = _choose_references(views, reference, min_group_size)

    result_groups: dict[str, dict[str, dict[str, Any]]] = {}
    ratios: dict[str, dict[str, dict[str, float | None]]] = {}
    ratio_ci: dict[str, dict[str, dict[str, list[float | None]]]] = {}
    calibration: dict[str, dict[str, list[dict[str, Any]]]] = {}
    flags: list[dict[str, Any]] = []
    for view in views:
        per_group = _group_metrics(view, y, s, sel, level=level)
        parts = dict(zip(view.labels, view.parts, strict=True))
        for label_, metrics in per_group.items():
            metrics["recorded"] = is_recorded(parts[label_])
            metrics["small"] = metrics["count"] < min_group_size
            metrics["warning"] = _group_warning(metrics, min_group_size)
            if metrics["warning"]:
                warnings.append(f"{view.name} = {label_}: {metrics['warning']}")
        result_groups[view.name] = per_group
        ref = references[view.name]
        ratios[view.name], ratio_ci[view.name], view_flags = _compare(
            view.name, per_group, ref, band=band, level=level
        )
        flags.extend(view_flags)
        calibration[view.name] = calibration_table(view, y, s, bins, level=level)

    overall = _metrics_from_counts(confusion_counts(y, sel), level=level)
    auc, var = auc_delong(y, s)
    overall.update(auc=auc, auc_ci=list(auc_interval(auc, var, level=level)))
    selection_rule = (
        f"decision column '{decision}' = 1" if decision is not None else f"{score} >= {threshold}"
    )
    meta = {
        "label": label,
        "score": score,
        "threshold": threshold,
        "decision": decision,
        "selection": selection_rule,
        "group_columns": list(groups),
        "views": [v.name for v in views],
        "overlapping_views": [v.name for v in views if v.overlapping],
        "n_rows": int(keep.size),
        "n_audited": int(keep.sum()),
        "min_group_size": min_group_size,
        "band": list(band),
        "level": level,
        "flagged_metrics": list(FLAGGED_METRICS),
        "flag_rule": (
            f"ratio to the reference group outside {band[0]}-{band[1]} and its "
            f"{level:.0%} interval excludes 1; groups under {min_group_size} cases never flagged"
        ),
        "rate_interval": "Wilson score interval",
        "ratio_interval": (
            "MOVER-R Wilson interval for a ratio of proportions (Donner and Zou 2012; "
            "Fagerland, Lydersen and Laake 2015), valid when a rate is 0% or 100%"
        ),
        "auc_interval": "DeLong (1988) variance, normal approximation, clipped to [0, 1]",
        "multi_value_rule": (
            f"cells with several values (separated by | or ;) form the group '{multi_label}' "
            "in the column's view and count once per value in its '(any mention)' view"
        ),
    }
    result = AuditResult(
        meta=meta,
        overall=overall,
        groups=result_groups,
        reference=references,
        ratios=ratios,
        ratio_ci=ratio_ci,
        flags=flags,
        calibration=calibration,
        score_bins=bins.describe(),
        warnings=warnings,
    )
    return AuditResult(**{**result.__dict__, "summary": audit_summary(result)})


def _group_metrics(
    view: GroupView,
    y: npt.NDArray[np.int64],
    s: npt.NDArray[np.float64],
    sel: npt.NDArray[np.int64],
    *,
    level: float,
) -> dict[str, dict[str, Any]]:
    """Rates via MetricFrame over rows aggregated to (group, label, selection) counts."""
    n_groups = len(view.labels)
    cells = np.bincount(
        view.codes * 4 + 2 * y[view.rows] + sel[view.rows], minlength=4 * n_groups
    ).reshape(n_groups, 4)
    group_idx, cell_idx = np.nonzero(cells)
    weights = cells[group_idx, cell_idx].astype(np.float64)
    parts = pd.DataFrame(
        [view.parts[g] for g in group_idx],
        columns=[f"part_{i}" for i in range(len(view.parts[0]))],
    )
    sensitive = parts.iloc[:, 0] if parts.shape[1] == 1 else parts
    metrics = {**FAST_METRICS, "counts": confusion_counts}
    frame = MetricFrame(
        metrics=metrics,
        y_true=cell_idx // 2,
        y_pred=cell_idx % 2,
        sensitive_features=sensitive,
        sample_params={name: {"sample_weight": weights} for name in metrics},
    )
    by_group = frame.by_group
    order = np.argsort(view.codes, kind="stable")
    bounds = np.searchsorted(view.codes[order], np.arange(n_groups + 1))
    out: dict[str, dict[str, Any]] = {}
    for code, label in enumerate(view.labels):
        key: Any = view.parts[code] if len(view.parts[code]) > 1 else view.parts[code][0]
        row = by_group.loc[key]
        metrics_ = _metrics_from_counts(np.asarray(row["counts"]), level=level)
        for name in RATE_NAMES:
            # MetricFrame's value and the count-derived one are the same arithmetic; keep
            # MetricFrame's so the audit reports what fairlearn computed.
            metrics_[name] = _float(row[name])
        members = view.rows[order[bounds[code] : bounds[code + 1]]]
        auc, var = auc_delong(y[members], s[members])
        metrics_["auc"] = auc
        metrics_["auc_ci"] = list(auc_interval(auc, var, level=level))
        out[label] = metrics_
    return out


def _group_warning(metrics: dict[str, Any], min_group_size: int) -> str | None:
    if not metrics["recorded"]:
        return f"no recorded value ({metrics['count']} cases): shown, not compared"
    if metrics["small"]:
        return f"only {metrics['count']} cases (< {min_group_size}): shown, not flagged"
    return None


def _metrics_from_counts(counts: npt.NDArray[np.float64], *, level: float) -> dict[str, Any]:
    rates = rates_from_counts(counts)
    out: dict[str, Any] = {"count": int(round(float(counts.sum())))}
    for name, (value, num, den) in rates.items():
        out[name] = value
        out[f"{name}_ci"] = list(wilson_interval(num, den, level=level))
        out[f"{name}_n"] = [int(num), int(den)]
    return out


def _choose_references(
    views: list[GroupView],
    reference: str | Mapping[str, str] | None,
    min_group_size: int,
) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    wanted_by_view = dict(reference) if isinstance(reference, Mapping) else {}
    unknown_views = set(wanted_by_view) - {v.name for v in views}
    if unknown_views:
        name = sorted(unknown_views)[0]
        raise OptionError(
            f"--reference names view '{name}', which is not audited; views are: "
            + ", ".join(v.name for v in views)
        )
    used_plain = False
    for view in views:
        counts = np.bincount(view.codes, minlength=len(view.labels))
        recorded = [is_recorded(p) for p in view.parts]
        wanted = wanted_by_view.get(view.name, reference if isinstance(reference, str) else None)
        if wanted is not None and wanted in view.labels:
            if not recorded[view.labels.index(wanted)]:
                raise OptionError(
                    f"--reference group '{wanted}' of '{view.name}' has no recorded value, so "
                    "nothing is compared with it; choose one of: "
                    + ", ".join(g for g, r in zip(view.labels, recorded, strict=True) if r)
                )
            chosen[view.name] = wanted
            used_plain = True
        elif view.name in wanted_by_view:
            raise OptionError(
                f"--reference group '{wanted}' is not a group of '{view.name}'; groups are: "
                + ", ".join(view.labels)
            )
        elif any(recorded):
            # The largest group with a recorded value: its rates have the narrowest intervals,
            # so ratios to it are the most stable, and it is never a small group unless every
            # group is. Rows whose race nobody recorded are no reference: often the largest
            # group, they would hide the disparities between the recorded groups.
            sizes = np.where(recorded, counts, -1)
            chosen[view.name] = view.labels[int(np.argmax(sizes))]
        else:
            chosen[view.name] = None
    if isinstance(reference, str) and not used_plain:
        groups = sorted({g for v in views if not v.overlapping for g in v.labels})
        raise OptionError(
            f"--reference group '{reference}' is not a group of any --group column; groups are: "
            + ", ".join(groups)
        )
    return chosen


def _compare(
    view_name: str,
    per_group: dict[str, dict[str, Any]],
    ref: str | None,
    *,
    band: tuple[float, float],
    level: float,
) -> tuple[
    dict[str, dict[str, float | None]],
    dict[str, dict[str, list[float | None]]],
    list[dict[str, Any]],
]:
    ratios: dict[str, dict[str, float | None]] = {}
    intervals: dict[str, dict[str, list[float | None]]] = {}
    flags: list[dict[str, Any]] = []
    if ref is None:
        return ratios, intervals, flags
    base = per_group[ref]
    for group, metrics in per_group.items():
        if not metrics["recorded"]:
            continue  # shown in the tables, not compared (see the module docstring)
        ratios[group] = {}
        intervals[group] = {}
        for name in RATIO_METRICS:
            value, ref_value = metrics[name], base[name]
            ratio = _ratio(value, ref_value, infinite=name != "auc")
            ratios[group][name] = ratio
            if name == "auc":
                continue
            x1, n1 = metrics[f"{name}_n"]
            x0, n0 = base[f"{name}_n"]
            low, high = rate_ratio_interval(x1, n1, x0, n0, level=level)
            intervals[group][name] = [_none_if_nan(low), _none_if_nan(high)]
            if (
                ratio is None
                or group == ref
                or metrics["small"]
                or name not in FLAGGED_METRICS
                # 0 (a group never selected) and infinity (a reference group never
                # selected) are outside any band; the interval decides as for any ratio.
                or band[0] <= ratio <= band[1]
                or math.isnan(low)
                or low <= 1.0 <= high
            ):
                continue
            flags.append(
                {
                    "column": view_name,
                    "group": group,
                    "reference": ref,
                    "metric": name,
                    "value": value,
                    "reference_value": ref_value,
                    "ratio": ratio,
                    "ci_low": low,
                    "ci_high": high,
                    "direction": "above" if ratio > band[1] else "below",
                }
            )
    return ratios, intervals, flags


def _ratio(value: float, ref_value: float, *, infinite: bool) -> float | None:
    """Return ``value / ref_value``, or None when undefined.

    A rate over a reference rate of 0 is infinite when ``infinite`` (rates: the reference
    group never has what this group has, the largest disparity there is, not a missing one);
    0/0 and NaN are undefined.
    """
    if math.isnan(value) or math.isnan(ref_value):
        return None
    if ref_value == 0:
        return math.inf if infinite and value > 0 else None
    return value / ref_value


def _float(value: Any) -> float:
    return float(value) if value is not None else math.nan


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value
