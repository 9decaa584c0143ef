import numpy as np
import pytest

from models import Band, band_for_score, probability_to_score, ventile_cutpoints


def test_ventiles_split_training_probabilities_into_equal_bins() -> None:
    p = np.arange(1, 2001) / 2001
    cuts = ventile_cutpoints(p)
    scores = probability_to_score(p, cutpoints=cuts)
    assert np.bincount(scores)[1:].tolist() == [100] * 20


@pytest.mark.parametrize(
    ("probability", "score"),
    [(0.0, 1), (0.049, 1), (0.05, 2), (0.5, 11), (0.949, 19), (0.95, 20), (1.0, 20)],
)
def test_score_of_a_probability_at_and_around_cut_points(probability, score) -> None:
    cuts = np.arange(1, 20) / 20
    assert probability_to_score(probability, cutpoints=cuts) == score


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (1, Band.low),
        (5, Band.low),
        (6, Band.moderate),
        (12, Band.moderate),
        (13, Band.high),
        (17, Band.high),
        (18, Band.very_high),
        (20, Band.very_high),
    ],
)
def test_bands_cut_points(score, band) -> None:
    assert band_for_score(score) is band


def test_one_probability_scores_as_the_vectorized_path() -> None:
    # The service's single-referral path (bisect) against numpy's searchsorted, at, just
    # around and between the cut points, at the ends and for NaN.
    cuts = ventile_cutpoints(np.random.default_rng(3).beta(2, 5, 5_000))
    p = np.concatenate(
        [
            cuts,
            np.nextafter(cuts, 0),
            np.nextafter(cuts, 1),
            np.random.default_rng(4).random(2_000),
            [0.0, 1.0, np.nan],
        ]
    )
    expected = probability_to_score(p, cutpoints=cuts).tolist()
    assert [probability_to_score(float(q), cutpoints=cuts) for q in p] == expected
    assert probability_to_score(np.float64(cuts[3]), cutpoints=cuts) == 5
    assert probability_to_score(float("nan"), cutpoints=cuts) == 20


def test_out_of_range_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="score 21 is outside 1..20"):
        band_for_score(21)
    with pytest.raises(ValueError, match="cutpoints has 3 values; expected 19"):
        probability_to_score(0.5, cutpoints=np.array([0.1, 0.2, 0.3]))
