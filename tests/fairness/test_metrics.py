import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from fairlearn.metrics import selection_rate as fl_selection_rate
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, precision_score, recall_score, roc_auc_score

from fairness import (
    auc_delong,
    base_rate,
    confusion_counts,
    disparity_audit,
    false_negative_rate,
    false_positive_rate,
    negative_predictive_value,
    positive_predictive_value,
    rate_ratio_interval,
    selection_rate,
    wilson_interval,
)
from tests.fairness.factories import audit_frame


def _sk_fpr(y, p):
    tn, fp, _, _ = confusion_matrix(y, p, labels=[0, 1]).ravel()
    return fp / (fp + tn)


def _sk_npv(y, p):
    tn, _, fn, _ = confusion_matrix(y, p, labels=[0, 1]).ravel()
    return tn / (tn + fn)


SKLEARN_EQUIVALENTS = [
    (selection_rate, fl_selection_rate),
    (base_rate, lambda y, p: float(np.mean(y))),
    (false_positive_rate, _sk_fpr),
    (false_negative_rate, lambda y, p: 1 - recall_score(y, p)),
    (positive_predictive_value, precision_score),
    (negative_predictive_value, _sk_npv),
]


@pytest.mark.parametrize(("fast", "reference"), SKLEARN_EQUIVALENTS)
def test_fast_metric_equals_sklearn_on_rows_and_on_aggregated_counts(fast, reference):
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    expected = reference(y, p)
    assert fast(y, p) == pytest.approx(expected, abs=1e-12)
    # The audit's path: one row per (label, selection) cell weighted by its count.
    cells = confusion_counts(y, p)
    assert cells.tolist() == confusion_matrix(y, p).ravel().tolist()
    agg = fast(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), sample_weight=cells)
    assert agg == pytest.approx(expected, abs=1e-12)


def test_audit_group_rates_equal_metricframe_with_sklearn_metrics():
    frame = audit_frame(4000, shift=0.1, seed=5)
    result = disparity_audit(frame, label="removed", score="score", groups=["race"], threshold=16)
    y, sel = frame["removed"], (frame["score"] >= 16).astype(int)
    race = frame["race"].where(~frame["race"].str.contains("|", regex=False), "multiracial")
    mf = MetricFrame(
        metrics={
            "selection_rate": fl_selection_rate,
            "fpr": _sk_fpr,
            "fnr": lambda a, b: 1 - recall_score(a, b),
            "ppv": precision_score,
            "npv": _sk_npv,
        },
        y_true=y,
        y_pred=sel,
        sensitive_features=race,
    )
    auc = MetricFrame(
        metrics=roc_auc_score, y_true=y, y_pred=frame["score"], sensitive_features=race
    )
    for group, row in mf.by_group.iterrows():
        ours = result.groups["race"][group]
        for metric, value in row.items():
            assert ours[metric] == pytest.approx(value, abs=1e-12), (group, metric)
        assert ours["auc"] == pytest.approx(auc.by_group[group], abs=1e-12)


def test_auc_delong_equals_sklearn_and_brute_force_variance():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)  # rounded: ties must count one half
    auc, var = auc_delong(y, s)
    assert auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    brute = v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size
    assert var == pytest.approx(brute, rel=1e-10)


def test_auc_delong_without_one_class_is_nan():
    assert all(math.isnan(v) for v in auc_delong([1, 1, 1], [0.1, 0.2, 0.3]))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (50, 100), (999, 1000)])
def test_wilson_equals_scipy(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_rate_ratio_interval_known_value():
    low, high = rate_ratio_interval(30, 100, 20, 100)
    # MOVER-R Wilson (Fagerland, Lydersen and Laake 2015): from the Wilson intervals
    # (0.21895, 0.39585) and (0.13337, 0.28883) of 30/100 and 20/100, the roots of
    # a r^2 - 2 (0.3 * 0.2) r + c = 0 with a = u0 (2 p0 - u0), c = l1 (2 p1 - l1) (lower) and
    # a = l0 (2 p0 - l0), c = u1 (2 p1 - u1) (upper).
    assert (round(low, 7), round(high, 7)) == (0.923422, 2.4451516)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # 1 of 1 against 640 of 1000: Katz's variance 1/1 - 1/1 + 1/640 - 1/1000 made this
        # 1.49-1.64; the Wilson interval of 1 of 1 is 0.207-1, and 0.207 / 0.64 = 0.32.
        ((1, 1, 640, 1000), (0.3226461, 1.6399727)),
        # 2 missed cases of 2 against half of 200 (Katz: 1.74-2.30, excluding parity).
        ((2, 2, 100, 200), (0.6814379, 2.3182446)),
        # Both groups at 100%: Katz gave the zero-width interval 1-1.
        ((2, 2, 2, 2), (0.3423802, 2.9207294)),
    ],
)
def test_rate_ratio_interval_is_wide_when_a_rate_is_100_percent(counts, expected):
    low, high = rate_ratio_interval(*counts)
    assert (round(low, 7), round(high, 7)) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # A group never selected: the lower limit is 0, the upper u1 / sqrt(l0 (2 p0 - l0)).
        ((0, 100, 20, 100), (0.0, 0.1961753)),
        # A reference group never selected: no upper limit.
        ((20, 100, 0, 100), (5.0974818, math.inf)),
    ],
)
def test_rate_ratio_interval_with_a_zero_count(counts, expected):
    low, high = rate_ratio_interval(*counts)
    assert (round(low, 7), round(high, 7)) == expected


@pytest.mark.parametrize("counts", [(0, 100, 0, 100), (3, 0, 20, 100), (3, 100, 20, 0)])
def test_rate_ratio_interval_undefined_ratio_is_nan(counts):
    assert all(math.isnan(v) for v in rate_ratio_interval(*counts))


def test_metrics_do_not_depend_on_pandas_index():
    y = pd.Series([1, 0, 1, 0], index=[10, 11, 12, 13])
    assert false_positive_rate(y, pd.Series([1, 1, 0, 0], index=[3, 2, 1, 0])) == 0.5
