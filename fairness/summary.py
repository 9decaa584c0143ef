"""Plain-language findings of an audit, for the top of the supervisors' report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from fairness.audit import AuditResult

METRIC_WORDS: Final = {
    "selection_rate": "selection (screen-in) rate",
    "base_rate": "outcome rate",
    "fpr": "false positive rate (selected, no later outcome)",
    "fnr": "false negative rate (not selected, later outcome)",
    "ppv": "share of selected cases with the outcome (PPV)",
    "npv": "share of unselected cases without the outcome (NPV)",
    "auc": "AUC",
}

# Calibration gaps are quoted only for bins where both groups have this many cases, so the
# summary does not report noise from a handful of families.
MIN_BIN_CASES: Final = 30


def pct(value: float | None) -> str:
    """Format a rate as a percentage with one decimal, or "n/a"."""
    return "n/a" if value is None else f"{100.0 * value:.1f}%"


def ratio_text(value: float, edges: tuple[float, ...] = (1.0,)) -> str:
    """Format a ratio with two decimals, or more when two would round it onto an edge.

    A flagged ratio of 0.7996 is outside the 0.8-1.25 band and an interval ending at 0.998
    excludes 1, yet with two decimals they read "0.80" and "1.00", which says the opposite.
    So digits are added (up to six) until the text no longer equals an edge it is not.

    Parameters
    ----------
    value : float
    edges : tuple of float, default (1.0,)
        Values the text must not appear to equal unless it does (parity, the band's ends).

    Returns
    -------
    str
    """
    text = f"{value:.2f}"
    for digits in range(3, 7):
        if not any(float(text) == e != value for e in edges):
            break
        text = f"{value:.{digits}f}"
    return text


def interval_text(low: float, high: float) -> str:
    """Format a ratio's interval, ``0.42-0.98``, or ``40.74 to infinity`` without an upper limit.

    Parameters
    ----------
    low, high : float
        The limits; ``high`` is infinite when the reference group's rate is 0.

    Returns
    -------
    str
    """
    if math.isinf(high):
        return f"{ratio_text(low)} to infinity"
    return f"{ratio_text(low)}-{ratio_text(high)}"


def audit_summary(result: AuditResult) -> list[str]:
    """Write the audit's findings as short sentences, most important first.

    Parameters
    ----------
    result : AuditResult
        The audit.

    Returns
    -------
    list of str
        Sentences: what was audited, each flag, calibration gaps at the top score bin, and
        what was not flagged or was too small to judge.
    """
    meta, overall = result.meta, result.overall
    band = meta["band"]
    lines = [
        f"Audited {meta['n_audited']:,} cases; {pct(overall['selection_rate'])} were selected "
        f"({meta['selection']}) and {pct(overall['base_rate'])} had the outcome "
        f"'{meta['label']}'."
    ]
    # Said second, before any "no disparity": a wrong column or threshold selects nobody.
    lines.extend(w[0].upper() + w[1:] + "." for w in result.warnings if "was selected (" in w)
    views = result.meta["views"]
    for flag in sorted(
        result.flags, key=lambda f: (views.index(f["column"]), -distance_from_parity(f["ratio"]))
    ):
        lines.append(_flag_sentence(result, flag))
    uncompared = [view for view in views if not _compared(result, view)]
    if len(uncompared) == len(views):
        # "No group's rates differ" would read as a finding; with nothing compared it is none.
        lines.append(
            f"No groups were compared: no column has two or more groups with a recorded value "
            f"and at least {meta['min_group_size']} cases, so this audit cannot say whether "
            "selection or error rates differ."
        )
    else:
        if not result.flags:
            lines.append(
                f"No group's selection or error rates differ from its reference group's by more "
                f"than the {band[0]}-{band[1]} band with {meta['level']:.0%} confidence."
            )
        lines.extend(
            f"{view}: fewer than two groups with a recorded value have "
            f"{meta['min_group_size']} or more cases, so none was compared."
            for view in uncompared
        )
    lines.extend(_calibration_gaps(result))
    small = [w for w in result.warnings if "not flagged" in w]
    if small:
        lines.append(
            f"{len(small)} group(s) have fewer than {meta['min_group_size']} cases; they are "
            "shown in the tables with a warning but not flagged: treat their rates as unreliable."
        )
    return lines


def _compared(result: AuditResult, view: str) -> bool:
    """Whether some group of the view could be flagged: recorded, not small, not the reference."""
    reference = result.reference[view]
    return reference is not None and any(
        g["recorded"] and not g["small"] and label != reference
        for label, g in result.groups[view].items()
    )


def _flag_sentence(result: AuditResult, flag: dict[str, Any]) -> str:
    """One flag in words; a rate of 0 is said with its counts rather than as "0.00 times"."""
    meta, band = result.meta, result.meta["band"]
    words = METRIC_WORDS[flag["metric"]]
    interval = (
        f"{meta['level']:.0%} interval of the ratio "
        f"{interval_text(flag['ci_low'], flag['ci_high'])}"
    )
    outside = f"outside the {band[0]}-{band[1]} band."
    if flag["ratio"] == 0 or math.isinf(flag["ratio"]):
        # A group never selected (or a reference group never selected): "0.00 times" and
        # "inf times" hide what happened, so give both rates with their counts.
        groups = result.groups[flag["column"]]
        mine, theirs = (
            groups[g][f"{flag['metric']}_n"] for g in (flag["group"], flag["reference"])
        )
        return (
            f"{flag['column']}: the {words} for {flag['group']} is {pct(flag['value'])} "
            f"({mine[0]:,} of {mine[1]:,} cases) vs {pct(flag['reference_value'])} for "
            f"{flag['reference']} ({theirs[0]:,} of {theirs[1]:,}); {interval}, {outside}"
        )
    return (
        f"{flag['column']}: the {words} for {flag['group']} is "
        f"{ratio_text(flag['ratio'], tuple(band))} times that of "
        f"{flag['reference']} ({pct(flag['value'])} vs {pct(flag['reference_value'])}; "
        f"{interval}), {outside}"
    )


def _calibration_gaps(result: AuditResult) -> list[str]:
    """Compare observed outcome rates at the highest score bin across each column's groups."""
    lines = []
    band = result.meta["band"]
    top_bin = len(result.score_bins) - 1
    label = result.score_bins[top_bin]["label"] if result.score_bins else ""
    for view in result.meta["group_columns"]:
        rates: list[tuple[float, str, float, float]] = []
        for group, rows in result.calibration.get(view, {}).items():
            if result.groups[view][group]["small"] or not result.groups[view][group]["recorded"]:
                continue
            top: dict[str, Any] | None = next((r for r in rows if r["bin"] == top_bin), None)
            if top is not None and top["count"] >= MIN_BIN_CASES:
                rates.append((top["observed_rate"], group, top["ci_low"], top["ci_high"]))
        if len(rates) < 2:
            continue
        (low, low_group, _, low_ci_high), (high, high_group, high_ci_low, _) = (
            min(rates),
            max(rates),
        )
        # Quote a gap only when it leaves the band and the two intervals do not overlap. A
        # group at 0% in the top bin against one above 0 is an infinite ratio, outside any
        # band (as for the audit's flags), not a gap to skip.
        ratio = high / low if low > 0 else math.inf
        if not band[0] <= ratio <= band[1] and high_ci_low > low_ci_high:
            lines.append(
                f"{view}: in the highest score bin ({label}), {pct(high)} of {high_group} "
                f"cases vs {pct(low)} of {low_group} cases had the outcome; the same score "
                "does not mean the same risk for every group (see calibration below)."
            )
    return lines


def distance_from_parity(ratio: float) -> float:
    """Return how far a ratio is from parity on the log scale, ``|log ratio|``.

    0.7 and 1/0.7 are equally far. A ratio of 0 (a group never selected) or an infinite one
    (its reference group never is) is the furthest there is.

    Parameters
    ----------
    ratio : float

    Returns
    -------
    float
    """
    if ratio <= 0 or math.isinf(ratio):
        return math.inf
    return abs(math.log(ratio))
