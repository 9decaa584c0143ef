"""Fairness audit and threshold-near analysis: arrays and frames in, results out.

A *disparity audit* disaggregates a screening tool's (or screeners') selections and errors by
group: selection rate, base rate, FPR, FNR, PPV, NPV, AUC and calibration by score bin, each
with a confidence interval, and ratios to a reference group flagged outside the 0.8-1.25 band.
A *threshold-near analysis* compares outcomes of families just below and just above the
screening cutoff by regression discontinuity (``rdrobust``), with a density test
(``rddensity``) and a plain-language reading: lower, consider raising, or keep the threshold.
Both render to self-contained HTML for supervisors. This package imports no other package of
the project except, at most, ``models``.
"""

from fairness.audit import AuditResult, disparity_audit
from fairness.errors import (
    AnalysisError,
    ColumnError,
    DataFileError,
    FairnessError,
    OptionError,
    TreatmentDoesNotVary,
)
from fairness.groups import GroupView, build_views, is_recorded, split_cell
from fairness.intervals import auc_delong, auc_interval, rate_ratio_interval, wilson_interval
from fairness.io import read_table
from fairness.metrics import (
    FAST_METRICS,
    base_rate,
    confusion_counts,
    false_negative_rate,
    false_positive_rate,
    negative_predictive_value,
    positive_predictive_value,
    rates_from_counts,
    selection_rate,
)
from fairness.report import REPORT_CSP, render_report, write_audit, write_threshold_near
from fairness.summary import distance_from_parity
from fairness.threshold_near import ThresholdNearResult, read_jump, threshold_near

__all__ = [
    # audit
    "AuditResult",
    "disparity_audit",
    "GroupView",
    "build_views",
    "split_cell",
    "is_recorded",
    # threshold-near
    "ThresholdNearResult",
    "threshold_near",
    "read_jump",
    # reports and files
    "read_table",
    "REPORT_CSP",
    "render_report",
    "write_audit",
    "write_threshold_near",
    # metrics and intervals
    "FAST_METRICS",
    "confusion_counts",
    "rates_from_counts",
    "selection_rate",
    "base_rate",
    "false_positive_rate",
    "false_negative_rate",
    "positive_predictive_value",
    "negative_predictive_value",
    "wilson_interval",
    "rate_ratio_interval",
    "distance_from_parity",
    "auc_delong",
    "auc_interval",
    # errors
    "FairnessError",
    "DataFileError",
    "ColumnError",
    "OptionError",
    "AnalysisError",
    "TreatmentDoesNotVary",
]
