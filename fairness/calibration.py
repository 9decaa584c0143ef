"""Calibration within groups: the observed outcome rate in each score bin, group by group.

The Allegheny tool's developers found that at the top score 50% of Black and 30% of White
children were later removed (domain notes 1.3): a score can be well calibrated overall and not
within groups. So the audit shows, per group and per score bin, the observed rate with a
Wilson interval next to the mean score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from fairness.groups import GroupView
from fairness.intervals import wilson_interval

# A score with this many distinct values or fewer (e.g. the 1-20 ventile score) is binned by
# value, so "score 20" is its own bin as a supervisor expects.
MAX_DISCRETE_VALUES: Final = 30


@dataclass(frozen=True)
class ScoreBins:
    """Bins of the score used for calibration and the score distribution.

    Attributes
    ----------
    edges : numpy.ndarray
        Lower edges of each bin; a score ``v`` falls in the last bin whose edge is <= v.
    uppers : numpy.ndarray
        Largest observed score in each bin.
    discrete : bool
        True when each bin is one distinct score value.
    index : numpy.ndarray of int64
        Bin number of each row.
    """

    edges: npt.NDArray[np.float64]
    uppers: npt.NDArray[np.float64]
    discrete: bool
    index: npt.NDArray[np.int64]

    @property
    def n(self) -> int:
        """Number of bins."""
        return int(self.edges.size)

    def describe(self) -> list[dict[str, Any]]:
        """Return one ``{"bin", "low", "high", "label"}`` dict per bin."""
        out = []
        for i, (low, high) in enumerate(zip(self.edges, self.uppers, strict=True)):
            label = _fmt(low) if self.discrete else f"{_fmt(low)}-{_fmt(high)}"
            out.append({"bin": i, "low": float(low), "high": float(high), "label": label})
        return out


def make_score_bins(scores: npt.NDArray[np.float64], *, n_bins: int = 10) -> ScoreBins:
    """Bin scores by value (few distinct values) or by overall quantiles.

    Parameters
    ----------
    scores : numpy.ndarray of float
        Score of each row.
    n_bins : int, default 10
        Number of quantile bins for a continuous score.

    Returns
    -------
    ScoreBins
    """
    values = np.unique(scores)
    discrete = values.size <= MAX_DISCRETE_VALUES
    # Quantile edges over all rows, shared by every group so bins line up across groups.
    quantiles = np.arange(n_bins) / n_bins
    edges = values if discrete else np.unique(np.quantile(scores, quantiles))
    index = (np.searchsorted(edges, scores, side="right") - 1).astype(np.int64)
    uppers = np.full(edges.size, np.nan)
    np.fmax.at(uppers, index, scores)
    return ScoreBins(edges=edges, uppers=uppers, discrete=discrete, index=index)


def calibration_table(
    view: GroupView,
    y: npt.NDArray[np.int64],
    s: npt.NDArray[np.float64],
    bins: ScoreBins,
    *,
    level: float = 0.95,
) -> dict[str, list[dict[str, Any]]]:
    """Observed outcome rate and mean score per score bin within each group of a view.

    Parameters
    ----------
    view : GroupView
        The groups.
    y : numpy.ndarray of {0, 1}
        Outcome per row.
    s : numpy.ndarray of float
        Score per row.
    bins : ScoreBins
        Bins from :func:`make_score_bins` over the same rows.
    level : float, default 0.95
        Confidence level of the Wilson intervals.

    Returns
    -------
    dict
        ``{group: [{"bin", "count", "share", "mean_score", "observed_rate", "ci_low",
        "ci_high"}, ...]}``; ``share`` is the group's share of cases in the bin (its score
        distribution). Bins without cases are left out.
    """
    n_cells = len(view.labels) * bins.n
    key = view.codes * bins.n + bins.index[view.rows]
    count = np.bincount(key, minlength=n_cells).reshape(len(view.labels), bins.n)
    pos = np.bincount(key, weights=y[view.rows], minlength=n_cells).reshape(count.shape)
    total = np.bincount(key, weights=s[view.rows], minlength=n_cells).reshape(count.shape)
    out: dict[str, list[dict[str, Any]]] = {}
    for g, label in enumerate(view.labels):
        n_group = int(count[g].sum())
        rows = []
        for b in np.flatnonzero(count[g]):
            n = int(count[g, b])
            low, high = wilson_interval(float(pos[g, b]), n, level=level)
            rows.append(
                {
                    "bin": int(b),
                    "count": n,
                    "share": n / n_group,
                    "mean_score": float(total[g, b] / n),
                    "observed_rate": float(pos[g, b] / n),
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        out[label] = rows
    return out


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.3g}"
