"""Coarsen the per-bin parts of the report so that no bin describes fewer than ``min_cell``.

The monitoring report pools small race groups and units (:mod:`.monitoring`), but the
fairness package's audit still splits each group by score bin (calibration within groups, the
score distribution) and the threshold-near analysis plots binned means: a bin of one family
shows what happened to it. These functions merge neighbouring bins instead, before anything is
rendered or written.

Calibration bins are merged group by group, each group keeping as much detail as its own size
allows (one partition for all groups would let the smallest group flatten every other's
calibration to one bin). A group of the any-mention view (``black (any mention)``) is merged
on the same bins as its namesake in the column's view (``black``), chosen so that the
difference of the two, the multi-value cells that mention it, also has none or at least
``min_cell`` in each bin: subtracting the one row from the other then singles out nobody.
Plot bins are merged with their neighbours on the same side of the cutoff (the jump at the
cutoff is what the plot shows); a side with fewer than ``min_cell`` decisions in all is left
out of the plot.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fairness import AuditResult, GroupView, ThresholdNearResult, build_views, wilson_interval


def coarsen_calibration(
    result: AuditResult, rows: pd.DataFrame, *, column: str, min_cell: int
) -> AuditResult:
    """Merge each group's calibration bins until none holds fewer than ``min_cell``.

    Parameters
    ----------
    result : fairness.AuditResult
        From ``disparity_audit(rows, groups=[column], ...)``, every row audited (no label,
        score or decision missing).
    rows : pandas.DataFrame
        The rows audited.
    column : str
        The group column.
    min_cell : int
        Fewest decisions a bin of a group may describe.

    Returns
    -------
    fairness.AuditResult
        ``calibration`` over the merged bins: each row's ``bin`` is the middle of the
        original bins it spans (positions of ``score_bins``, which stay the original ones,
        for the charts' axis), with its own ``low``, ``high`` and ``label``. The rest is
        unchanged. With ``min_cell`` 1 or less, ``result`` itself.
    """
    if min_cell <= 1 or not result.score_bins:
        return result
    y = rows[result.meta["label"]].to_numpy(dtype=np.float64)
    s = rows[result.meta["score"]].to_numpy(dtype=np.float64)
    lows = np.array([b["low"] for b in result.score_bins], dtype=np.float64)
    index = np.searchsorted(lows, s, side="right") - 1
    views = {view.name: view for view in build_views(rows, [column])}
    exclusive = views.pop(column)

    def members(view: GroupView, label: str) -> npt.NDArray[np.int64]:
        rows_of: npt.NDArray[np.int64] = view.rows[view.codes == view.labels.index(label)]
        return rows_of

    def per_bin(members_: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.bincount(index[members_], minlength=lows.size)

    def rows_for(
        members_: npt.NDArray[np.int64], starts: npt.NDArray[np.int64]
    ) -> list[dict[str, Any]]:
        return _calibration_rows(
            y[members_],
            s[members_],
            index[members_],
            starts,
            result.score_bins,
            level=float(result.meta["level"]),
        )

    calibration: dict[str, dict[str, list[dict[str, Any]]]] = {exclusive.name: {}}
    shared: dict[str, npt.NDArray[np.int64]] = {}
    (mentions,) = views.values() if views else (None,)
    for label in exclusive.labels:
        own = members(exclusive, label)
        counts = [per_bin(own)]
        if mentions is not None and label in mentions.labels:
            # The multi-value cells that mention this value: any-mention less this group.
            counts.append(per_bin(np.setdiff1d(members(mentions, label), own)))
        shared[label] = _merged_starts(np.vstack(counts), min_cell=min_cell)
        calibration[exclusive.name][label] = rows_for(own, shared[label])
    if mentions is not None:
        calibration[mentions.name] = {}
        for label in mentions.labels:
            mentioned = members(mentions, label)
            starts = shared.get(label)
            if starts is None:  # a value only ever recorded with others
                starts = _merged_starts(per_bin(mentioned)[np.newaxis], min_cell=min_cell)
            calibration[mentions.name][label] = rows_for(mentioned, starts)
    return dataclasses.replace(result, calibration=calibration)


def _merged_starts(counts: npt.NDArray[np.int64], *, min_cell: int) -> npt.NDArray[np.int64]:
    # First original bin of each merged bin; `counts` has a row per part that must hold none
    # or min_cell in every bin (a group, the multi-value cells that mention it). Forward: a
    # bin closes once every part does. What is left at the end joins the bins before it, one
    # at a time, until it holds together; all bins as one always does (the report's pooling
    # leaves every group, and every multi-value cell, with min_cell or more).
    def fits(total: npt.NDArray[np.int64]) -> bool:
        return bool(np.all((total == 0) | (total >= min_cell)))

    starts: list[int] = []
    total = np.zeros(counts.shape[0], dtype=np.int64)
    start = 0
    for b in range(counts.shape[1]):
        total += counts[:, b]
        if fits(total):
            starts.append(start)
            total[:] = 0
            start = b + 1
    if start < counts.shape[1]:  # a remainder that does not fit on its own
        while starts and not fits(total):
            start = starts.pop()
            total = counts[:, start:].sum(axis=1)
        starts.append(start)
    return np.array(starts or [0], dtype=np.int64)


def _calibration_rows(
    y: npt.NDArray[np.float64],
    s: npt.NDArray[np.float64],
    index: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    score_bins: list[dict[str, Any]],
    *,
    level: float,
) -> list[dict[str, Any]]:
    # As fairness' calibration table (a row per bin with cases; share of the group's cases),
    # over the merged bins that begin at `starts`.
    merged = np.searchsorted(starts, index, side="right") - 1
    ends = [*(int(b) - 1 for b in starts[1:]), len(score_bins) - 1]
    rows = []
    for j in np.unique(merged):
        mask = merged == j
        n = int(mask.sum())
        positives = float(y[mask].sum())
        low, high = wilson_interval(positives, n, level=level)
        first, last = score_bins[int(starts[j])], score_bins[ends[j]]
        rows.append(
            {
                "bin": (first["bin"] + last["bin"]) / 2,
                "low": first["low"],
                "high": last["high"],
                "label": (
                    first["label"]
                    if first is last
                    else f"{_fmt(first['low'])}-{_fmt(last['high'])}"
                ),
                "count": n,
                "share": n / y.size,
                "mean_score": float(s[mask].mean()),
                "observed_rate": positives / n,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return rows


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"


def coarsen_plot(result: ThresholdNearResult, *, min_cell: int) -> ThresholdNearResult:
    """Merge the threshold-near plot's bins with their neighbours to ``min_cell`` decisions.

    Parameters
    ----------
    result : fairness.ThresholdNearResult
    min_cell : int

    Returns
    -------
    fairness.ThresholdNearResult
        ``plot["bins"]`` merged (count-weighted position and mean) on each side of the
        cutoff; a side with fewer than ``min_cell`` decisions in all is left out.
    """
    plot = result.plot
    if min_cell <= 1 or not plot.get("bins"):
        return result
    cutoff = float(plot["cutoff"])
    below = [b for b in plot["bins"] if b["x"] < cutoff]
    above = [b for b in plot["bins"] if b["x"] >= cutoff]
    bins = _merge_side(below, min_cell=min_cell) + _merge_side(above, min_cell=min_cell)
    return dataclasses.replace(result, plot={**plot, "bins": bins})


def _merge_side(bins: list[dict[str, Any]], *, min_cell: int) -> list[dict[str, Any]]:
    groups: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for b in bins:
        current.append(b)
        if sum(c["n"] for c in current) >= min_cell:
            groups.append(current)
            current = []
    if current:  # too few on its own: joins the bins before it, or the side is left out
        if not groups:
            return []
        groups[-1].extend(current)
    out = []
    for group in groups:
        n = sum(b["n"] for b in group)
        out.append(
            {
                "x": sum(b["x"] * b["n"] for b in group) / n,
                "mean": sum(b["mean"] * b["n"] for b in group) / n,
                "n": n,
            }
        )
    return out
