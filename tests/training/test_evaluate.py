"""Expected calibration error over quantile bins, with tied probabilities and empty bins."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from training.evaluate import calibration_bins, evaluate


def _tied_three_values():
    # 5 x 0.1 (all outcomes), 50 x 0.3 (45 outcomes), 46 x 0.6 (27 outcomes). The ties make
    # edges coincide: 0.1 and 0.3 share the first bin, 0.6 has the sixth, the rest are empty.
    p = np.repeat([0.1, 0.3, 0.6], [5, 50, 46])
    y = np.concatenate(
        [np.ones(5), np.r_[np.ones(45), np.zeros(5)], np.r_[np.ones(27), np.zeros(19)]]
    )
    return y.astype(int), p


def _tied_four_values():
    p = np.repeat([0.1, 0.5, 0.6, 0.8], [35, 80, 30, 5])
    y = np.concatenate(
        [
            np.r_[np.ones(4), np.zeros(31)],
            np.r_[np.ones(40), np.zeros(40)],
            np.r_[np.ones(18), np.zeros(12)],
            np.r_[np.ones(4), np.zeros(1)],
        ]
    )
    return y.astype(int), p


def test_ece_with_tied_probabilities_weights_each_bin_by_its_rows() -> None:
    y, p = _tied_three_values()
    m = evaluate(y, p)
    assert m["calibration"]["count"] == [55, 46]
    assert m["calibration"]["mean_predicted"] == [round(15.5 / 55, 6), 0.6]
    assert m["calibration"]["observed_rate"] == [round(50 / 55, 6), round(27 / 46, 6)]
    # (55 * |15.5/55 - 50/55| + 46 * |0.6 - 27/46|) / 101 = (34.5 + 0.6) / 101
    assert m["expected_calibration_error"] == pytest.approx(35.1 / 101, abs=1e-12)


def test_ece_when_ties_leave_bins_empty_does_not_crash() -> None:
    y, p = _tied_four_values()
    m = evaluate(y, p)
    assert m["calibration"]["count"] == [35, 80, 30, 5]
    # Only the 0.1 bin is off: 4 of 35 had the outcome, so 35 * |0.1 - 4/35| = 0.5 of 150 rows.
    assert m["expected_calibration_error"] == pytest.approx(0.5 / 150, abs=1e-12)


def test_ece_of_two_rows_is_the_mean_gap() -> None:
    assert evaluate([0, 1], [0.1, 0.3])["expected_calibration_error"] == pytest.approx(
        0.4, abs=1e-12
    )


@pytest.mark.parametrize("case", [_tied_three_values, _tied_four_values])
def test_bins_are_those_of_scikit_learn_calibration_curve(case) -> None:
    y, p = case()
    count, predicted, observed = calibration_bins(y, p)
    sk_observed, sk_predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(predicted, sk_predicted, rtol=0, atol=1e-12)
    np.testing.assert_allclose(observed, sk_observed, rtol=0, atol=1e-12)
    assert count.sum() == len(p)


def test_distinct_probabilities_fill_ten_equal_bins() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=1000)
    y = (rng.uniform(size=1000) < p).astype(int)
    m = evaluate(y, p)
    assert m["calibration"]["count"] == [100] * 10
    gaps = np.abs(np.array(m["calibration"]["observed_rate"]) - m["calibration"]["mean_predicted"])
    assert m["expected_calibration_error"] == pytest.approx(gaps.mean(), abs=1e-6)
