import numpy as np
import pytest

from fairness import AnalysisError, read_jump, threshold_near
from tests.fairness.factories import rd_frame


def test_planted_jump_is_covered_and_reads_lower():
    frame = rd_frame(8000, jump=-0.12, seed=1)
    result = threshold_near(
        frame, running="p", cutoff=0.5, outcome="rereferred", treatment="screened_in"
    )
    jump = result.outcome_jump
    assert jump["ci_low"] < -0.12 < jump["ci_high"]
    assert jump["ci_high"] < 0
    assert result.first_stage is not None and result.effect is not None
    assert result.first_stage["ci_low"] < 0.6 < result.first_stage["ci_high"]
    assert result.effect["ci_low"] < -0.2 < result.effect["ci_high"]
    assert result.reading["recommendation"] == "lower"
    assert result.reading["text"].startswith(
        "Families just below the threshold fare worse on 'rereferred' than comparable families"
    )
    assert result.density_test["p_value"] > 0.05
    assert result.discrete["is_discrete"] is False
    assert result.notes == []


@pytest.mark.parametrize("seed", [2, 3])
def test_no_jump_interval_covers_zero(seed):
    result = threshold_near(
        rd_frame(6000, seed=seed), running="p", cutoff=0.5, outcome="rereferred"
    )
    assert result.outcome_jump["ci_low"] < 0 < result.outcome_jump["ci_high"]
    assert result.reading["recommendation"] == "keep"


def test_per_group_estimates_and_small_group_note():
    frame = rd_frame(6000, jump=-0.12, seed=4)
    frame.loc[:30, "group"] = "c"
    result = threshold_near(frame, running="p", cutoff=0.5, outcome="rereferred", group="group")
    assert set(result.groups) == {"a", "b", "c"}
    assert "outcome_jump" in result.groups["a"]
    assert result.groups["c"]["note"].startswith("31 cases (")


def test_discrete_running_variable_is_stated_and_adjacent_values_compared():
    frame = rd_frame(6000, jump=-0.12, seed=5)
    frame["score"] = (frame["p"] * 20).astype(int) + 1
    result = threshold_near(frame, running="score", cutoff=11, outcome="rereferred")
    assert result.discrete["is_discrete"] is True
    assert (result.discrete["support_below"], result.discrete["support_above"]) == (10, 10)
    assert result.discrete["adjacent"]["value_below"] == 10.0
    assert result.discrete["adjacent"]["value_above"] == 11.0
    assert result.notes[0].startswith("discrete running variable (10 distinct values below")
    # rdrobust's own print is captured as a note instead of reaching stdout.
    assert "Mass points detected in the running variable." in result.notes


def test_cutoff_outside_data_is_an_error():
    with pytest.raises(AnalysisError) as exc:
        threshold_near(rd_frame(500), running="p", cutoff=2.0, outcome="rereferred")
    assert str(exc.value).startswith("--cutoff 2 leaves no cases above it; --running 'p' ranges")


READINGS = [
    ((-0.10, -0.05), True, "lower"),
    ((-0.01, 0.03), True, "raise"),
    ((-0.08, 0.03), True, "keep"),
    ((0.05, 0.10), False, "lower"),  # a good outcome higher above: those below fare worse
]


@pytest.mark.parametrize(("ci", "higher_is_worse", "expected"), READINGS)
def test_reading_rule(ci, higher_is_worse, expected):
    jump = {
        "estimate": sum(ci) / 2,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "bandwidth": 0.1,
        "n_below": 100,
        "n_above": 100,
    }
    reading = read_jump(jump, higher_is_worse=higher_is_worse, margin=0.02, level=0.95, outcome="y")
    assert reading["recommendation"] == expected


def test_rdrobusts_bare_exceptions_are_analysis_errors(monkeypatch):
    # rdrobust raises a bare Exception for some data ("Not enough variability in the running
    # variable"): it is said as what it is, not as a traceback.
    import fairness.rd as rd

    def refuse(*_args, **_kwargs):
        raise Exception("Not enough variability in the running variable.")  # noqa: TRY002

    monkeypatch.setattr(rd, "_rdrobust", lambda: refuse)
    with pytest.raises(AnalysisError) as caught:
        rd.local_linear_jump(np.arange(10.0), np.arange(10.0), cutoff=5.0, captured=rd.Captured())
    assert str(caught.value) == (
        "rdrobust could not estimate the jump: Not enough variability in the running variable."
    )
