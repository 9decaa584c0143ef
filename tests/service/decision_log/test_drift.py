"""How many decisions a PSI needs before it is read."""

import numpy as np
import pytest

from service.decision_log.drift import NOT_ENOUGH, decisions_needed, psi, summarize


@pytest.mark.parametrize(
    ("expected", "reference_rows", "needed"),
    [
        # 20 equal bins (the score's ventiles): the chi-square's 95th percentile with 19
        # degrees of freedom, 30.1, over PSI 0.1 -> 302; with a holdout of 7,472 rows, 315.
        ([1] * 20, np.inf, 302),
        ([1] * 20, 7_472, 315),
        # 10 deciles -> 170 (16.9 / 0.1).
        ([1] * 10, np.inf, 170),
        # A yes/no feature: 38 (3.75 / 0.1), unless 5 "yes" are not expected by then.
        ([0.7, 0.3], np.inf, 38),
        ([0.98, 0.02], np.inf, 250),
        # A holdout this small is noisier than the reading it would allow.
        ([1] * 20, 300, None),
    ],
)
def test_decisions_needed(expected, reference_rows, needed) -> None:
    assert decisions_needed(expected, reference_rows=reference_rows) == needed


def test_with_no_shift_the_decisions_needed_rarely_read_worth_a_look() -> None:
    # 2,000 samples of the needed size from 20 equal bins, without any shift: the PSI stays
    # at or under 0.1 about 19 times in 20 (PSI's tail is a little heavier than the
    # chi-square it is approximated by), where 50 decisions read "shifted" nearly every time.
    rng = np.random.default_rng(3)
    expected = np.full(20, 1 / 20)
    needed = decisions_needed(expected)
    read = [psi(expected, rng.multinomial(needed, expected)) for _ in range(2000)]
    assert 0.03 < np.mean(np.array(read) > 0.1) < 0.08
    few = [psi(expected, rng.multinomial(50, expected)) for _ in range(2000)]
    assert np.mean(np.array(few) > 0.25) > 0.9


def test_below_the_decisions_needed_there_is_no_reading() -> None:
    assert summarize(0.6, decisions=50, needed=302, live_mean=0.5) == {
        "psi": None,
        "reading": NOT_ENOUGH,
        "decisions_needed": 302,
        "live_mean": 0.5,
    }
    assert summarize(0.6, decisions=302, needed=302) == {
        "psi": 0.6,
        "reading": "shifted: review the model's fit to today's referrals",
        "decisions_needed": 302,
    }
