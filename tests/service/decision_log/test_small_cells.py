"""The threshold-near chart's bins are merged, on their side of the cutoff, to min_cell."""

import pytest

from fairness import ThresholdNearResult
from service.decision_log.small_cells import coarsen_plot


def _result(bins: list[tuple[float, float, int]]) -> ThresholdNearResult:
    plot = {"bins": [{"x": x, "mean": m, "n": n} for x, m, n in bins], "cutoff": 0.5}
    return ThresholdNearResult(
        meta={},
        outcome_jump={},
        first_stage=None,
        effect=None,
        density_test={},
        discrete={},
        groups={},
        reading={},
        plot=plot,
    )


def test_plot_bins_merge_with_their_neighbours_on_their_side_of_the_cutoff() -> None:
    # Below: 3 + 4 + 5 families, then 2 left over, which join them (never the bins above).
    # Above: 6 + 4, 12, then 3 + 9. Before, a bin of one family showed its outcome.
    below = [(0.1, 0.0, 3), (0.2, 1.0, 4), (0.3, 0.2, 5), (0.4, 1.0, 2)]
    above = [(0.5, 0.5, 6), (0.6, 0.0, 4), (0.7, 0.25, 12), (0.8, 1.0, 3), (0.9, 0.0, 9)]
    merged = coarsen_plot(_result(below + above), min_cell=10).plot["bins"]
    assert [b["n"] for b in merged] == [14, 10, 12, 12]
    assert merged[0]["x"] == pytest.approx((0.3 + 0.8 + 1.5 + 0.8) / 14)
    assert merged[0]["mean"] == pytest.approx((4 + 1.0 + 2) / 14)
    assert merged[1] == pytest.approx({"x": 0.54, "mean": 0.3, "n": 10})
    assert merged[2] == pytest.approx({"x": 0.7, "mean": 0.25, "n": 12})


def test_a_side_with_fewer_than_the_minimum_in_all_is_left_out() -> None:
    merged = coarsen_plot(_result([(0.2, 1.0, 3), (0.4, 0.0, 4), (0.6, 0.5, 20)]), min_cell=10)
    assert merged.plot["bins"] == [{"x": 0.6, "mean": 0.5, "n": 20}]
    assert merged.plot["cutoff"] == 0.5
