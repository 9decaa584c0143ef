import importlib
from dataclasses import replace

import numpy as np
import pytest

from fairness import AnalysisError, ColumnError, read_jump, render_report, threshold_near
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


def test_a_treatment_that_does_not_vary_near_the_cutoff_is_an_error_naming_it():
    # Treated only far above the cutoff: the first stage is 0 and the Wald ratio divides by it
    # (an effect of 4.8e13, or a TypeError while writing the report).
    frame = rd_frame(3000, seed=6)
    frame["far"] = (frame["p"] > 0.95).astype(int)
    with pytest.raises(AnalysisError) as exc:
        threshold_near(frame, running="p", cutoff=0.5, outcome="rereferred", treatment="far")
    assert str(exc.value) == (
        "--treatment 'far' does not vary near the cutoff: within the bandwidth, 0 of 471 cases "
        "below and 0 of 488 above were treated, a jump of 0, and the fuzzy effect divides by "
        "that jump; leave out --treatment for the sharp comparison"
    )
    # In one group only: that group gets the sentence as its note, the others their estimate.
    frame["mixed"] = np.where(frame["group"] == "a", frame["far"], frame["screened_in"])
    result = threshold_near(
        frame, running="p", cutoff=0.5, outcome="rereferred", treatment="mixed", group="group"
    )
    assert result.groups["a"]["note"].startswith(
        "--treatment 'mixed' does not vary near the cutoff: within the bandwidth, 0 of 265"
    )
    assert "effect" not in result.groups["a"]
    assert "effect" in result.groups["b"] and "note" not in result.groups["b"]


def test_the_report_says_n_a_for_a_missing_number():
    result = threshold_near(
        rd_frame(3000, seed=6),
        running="p",
        cutoff=0.5,
        outcome="rereferred",
        treatment="screened_in",
    )
    nan = {"estimate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    broken = replace(result, effect={**result.effect, **nan})
    html = render_report(threshold=broken)
    assert "<td>effect of treatment (fuzzy, Wald)</td><td>n/a</td><td>n/a to n/a</td>" in html


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            lambda p: np.zeros(p.size),
            "--outcome 'y' is 0 for every case, so there is no jump to estimate",
        ),
        (
            lambda p: (p >= 0.5).astype(int),
            "--outcome 'y' is 0 for every case below the cutoff and 1 for every case above: with "
            "no variation on either side, a local-linear fit has nothing to estimate from (the "
            "jump is plainly the difference)",
        ),
    ],
)
def test_an_outcome_that_varies_on_neither_side_is_an_error_naming_it(values, message):
    # rdrobust's own error blamed the running variable ("Not enough variability in the
    # running variable").
    frame = rd_frame(3000, seed=6)
    frame["y"] = values(frame["p"].to_numpy())
    with pytest.raises(AnalysisError) as exc:
        threshold_near(frame, running="p", cutoff=0.5, outcome="y")
    assert str(exc.value) == message


def test_an_outcome_constant_on_one_side_is_still_estimated():
    frame = rd_frame(3000, seed=6)
    frame["y"] = np.where(frame["p"] >= 0.5, 1, frame["rereferred"])
    result = threshold_near(frame, running="p", cutoff=0.5, outcome="y")
    assert round(result.outcome_jump["estimate"], 4) == 0.6529


def test_too_few_cases_on_a_side_is_an_error_as_it_is_a_note_for_a_group():
    frame = rd_frame(3000, seed=6)
    frame = frame[(frame["p"] < 0.5) | (frame.index < 30)]
    with pytest.raises(AnalysisError) as exc:
        threshold_near(frame, running="p", cutoff=0.5, outcome="rereferred")
    assert str(exc.value) == (
        "only 1496 cases with --running 'p' and --outcome 'rereferred' (1482 below --cutoff "
        "0.5, 14 above); an estimate needs 200 in all and 20 on each side"
    )


def test_a_yes_no_outcome_is_read_as_0_1():
    frame = rd_frame(3000, seed=6)
    frame["words"] = np.where(frame["rereferred"] == 1, " Yes", "no")
    words = threshold_near(frame, running="p", cutoff=0.5, outcome="words")
    numbers = threshold_near(frame, running="p", cutoff=0.5, outcome="rereferred")
    assert words.outcome_jump == numbers.outcome_jump
    frame.loc[3, "words"] = "maybe"
    with pytest.raises(ColumnError) as exc:
        threshold_near(frame, running="p", cutoff=0.5, outcome="words")
    assert str(exc.value) == (
        "--outcome column 'words' must be numeric or binary; found 'maybe' in row 3; accepted: "
        "numbers, or 0/1, true/false, yes/no, with empty cells for missing"
    )


def test_the_group_column_is_checked_before_the_analysis_runs(monkeypatch):
    # The package exports a function of the module's name; fetch the module itself.
    module = importlib.import_module("fairness.threshold_near")

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the analysis ran before --group was checked")

    monkeypatch.setattr(module, "local_linear_jump", must_not_run)
    with pytest.raises(ColumnError) as exc:
        threshold_near(rd_frame(500), running="p", cutoff=0.5, outcome="rereferred", group="x")
    assert str(exc.value).startswith("--group 'x' is not a column of the data; columns are: p,")
