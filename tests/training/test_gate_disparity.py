"""Disparity gates on hand-built held-out rows: a group that is never selected fails them."""

from functools import partial

import numpy as np
import pandas as pd
import pytest

from training.gates import load_policy
from training.gates.candidate import Candidate
from training.gates.disparity import _ratio_result, calibration_gate, disparity_gates


def _candidate(never_selected: str) -> Candidate:
    # 600 white and 300 black households, one referral each, random labels and scores; no
    # referral of ``never_selected`` reaches the gate's threshold of 16.
    rng = np.random.default_rng(0)
    race = np.array(["white"] * 600 + ["black"] * 300)
    score = rng.integers(1, 21, race.size)
    score[race == never_selected] = rng.integers(1, 16, int((race == never_selected).sum()))
    holdout = pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(race.size)],
            "race": race,
            "removal_2y": rng.integers(0, 2, race.size).astype(float),
            "score": score,
            "received_at": "2024-01-01T00:00:00+00:00",
        }
    )
    model = type("Model", (), {"label": "removal_2y"})()
    return Candidate(1, model, {"label": "removal_2y"}, holdout, None)


@pytest.fixture
def policy():
    return load_policy().disparity.model_copy(update={"metrics": ["selection_rate", "fpr"]})


def test_a_group_never_selected_fails_the_selection_and_fpr_gates(policy) -> None:
    results = {r.name: r for r in disparity_gates(_candidate("black"), policy=policy)}
    selection, fpr = results["disparity.selection_rate"], results["disparity.fpr"]
    assert (selection.status, selection.measured, selection.by) == ("failed", 0.0, 0.8)
    assert selection.detail == (
        "selection rate of 'black' over 'white' is 0.000 (97.50% interval 0.000-0.059): "
        "outside the band by 0.800"
    )
    assert (fpr.status, fpr.measured) == ("failed", 0.0)
    assert fpr.detail == (
        "false-positive rate of 'black' over 'white' is 0.000 (97.50% interval 0.000-0.131): "
        "outside the band by 0.800"
    )


def test_a_reference_group_never_selected_fails_the_gate_with_an_infinite_ratio(policy) -> None:
    results = {r.name: r for r in disparity_gates(_candidate("white"), policy=policy)}
    selection = results["disparity.selection_rate"]
    assert (selection.status, selection.measured) == ("failed", float("inf"))
    assert selection.detail == (
        "selection rate of 'black' over 'white' is infinite ('white' has a selection rate of 0) "
        "(97.50% interval 29.459-infinity): outside the band"
    )


def test_the_worst_group_is_the_furthest_from_parity_on_the_log_scale() -> None:
    # 0.7 is further from parity (|log| 0.357) than 1.4 is (0.336), though 1.4 - 1.25 >
    # 0.8 - 0.7: the gate names the group the audit's summary ranks first.
    rows = [
        {"group": "a", "ratio": 1.4, "ci": [1.2, 1.6], "outside_by": 1.4 - 1.25, "fails": True},
        {"group": "b", "ratio": 0.7, "ci": [0.6, 0.8], "outside_by": 0.8 - 0.7, "fails": True},
    ]
    gate = partial(
        _ratio_result,
        "disparity.selection_rate",
        "selection_rate",
        reference="white",
        limit="within 0.8-1.25 unless the interval includes 1",
        level=0.975,
    )
    result = gate(rows)
    assert (result.status, result.measured, result.by) == ("failed", 0.7, pytest.approx(0.1))
    assert result.detail == (
        "selection rate of 'b' over 'white' is 0.700 (97.50% interval 0.600-0.800): "
        "outside the band by 0.100; 1 more group(s) also outside"
    )
    inside = [{**row, "fails": False} for row in rows]
    inside[0].update(ratio=1.2, outside_by=1.2 - 1.25)  # |log 1.2| = 0.182
    inside[1].update(ratio=0.85, outside_by=0.8 - 0.85)  # |log 0.85| = 0.163
    passed = gate(inside)
    assert (passed.status, passed.measured) == ("passed", 1.2)


def _rows(race, removed, score) -> Candidate:
    holdout = pd.DataFrame(
        {
            "household_id": [f"h{i}" for i in range(len(race))],
            "race": race,
            "removal_2y": np.asarray(removed, dtype=float),
            "score": score,
            "received_at": "2024-01-01T00:00:00+00:00",
        }
    )
    model = type("Model", (), {"label": "removal_2y"})()
    return Candidate(1, model, {"label": "removal_2y"}, holdout, None)


def test_two_missed_cases_of_two_do_not_refuse_a_model() -> None:
    # White: 1,000 households, 200 with the outcome, 100 of them missed (FNR 0.5). Black: 120
    # households, 2 with the outcome, both missed (FNR 1.0), and the same FPR (0.2). Katz's
    # interval has no width at a rate of 100% and refused this model ("2.000 (98.33% interval
    # 1.689-2.369)"); 2 of 2 says little, and the interval says so.
    white = [(1, 5)] * 100 + [(1, 18)] * 100 + [(0, 18)] * 160 + [(0, 5)] * 640
    black = [(1, 5)] * 2 + [(0, 18)] * 24 + [(0, 5)] * 94
    removed, score = zip(*(white + black), strict=True)
    candidate = _rows(["white"] * 1000 + ["black"] * 120, removed, score)
    fnr = {r.name: r for r in disparity_gates(candidate, policy=load_policy().disparity)}[
        "disparity.fnr"
    ]
    assert (fnr.status, fnr.measured) == ("passed", 2.0)
    assert fnr.detail == (
        "false-negative rate of 'black' over 'white' is 2.000 (98.33% interval 0.515-2.401): "
        "outside the band, but the interval includes parity"
    )


@pytest.mark.parametrize("not_recorded", [None, "unknown"])
def test_households_without_a_recorded_race_are_not_the_reference(not_recorded) -> None:
    # 6,000 households with no recorded race (the largest group; the training data writes
    # 'unknown' for them), 2,000 Black and 2,000 White, selected 25%, 30% and 21% of the time.
    # Compared with the unrecorded rows, both recorded groups looked within the band; the
    # recorded groups differ from each other, and that is what the gate must see.
    rng = np.random.default_rng(7)
    race = np.array([not_recorded] * 6000 + ["black"] * 2000 + ["white"] * 2000, dtype=object)
    p_selected = np.select([race == "black", race == "white"], [0.30, 0.21], 0.25)
    selected = rng.random(race.size) < p_selected
    score = np.where(selected, rng.integers(16, 21, race.size), rng.integers(1, 16, race.size))
    candidate = _rows(race, rng.integers(0, 2, race.size), score)
    results = {r.name: r for r in disparity_gates(candidate, policy=load_policy().disparity)}
    selection = results["disparity.selection_rate"]
    assert (selection.status, selection.data["reference"]) == ("failed", "black")
    assert [g["group"] for g in selection.data["groups"]] == ["white"]
    assert selection.detail == (
        "selection rate of 'white' over 'black' is 0.739 (98.33% interval 0.647-0.843): "
        "outside the band by 0.061"
    )


def test_calibration_among_high_scores_compares_recorded_groups_only() -> None:
    # Among scores >= 18: 300 'unknown' households (40% later removed), 200 White (30%) and
    # 100 Black (55%). The reference is White, the largest recorded group, not 'unknown'.
    rows = (
        [("unknown", 1)] * 120
        + [("unknown", 0)] * 180
        + [("white", 1)] * 60
        + [("white", 0)] * 140
        + [("black", 1)] * 55
        + [("black", 0)] * 45
    )
    race, removed = zip(*rows, strict=True)
    candidate = _rows(list(race), removed, [19] * len(rows))
    result = calibration_gate(candidate, policy=load_policy().calibration_within_groups)
    assert (result.status, result.data["reference"]) == ("failed", "white")
    assert [g["group"] for g in result.data["groups"]] == ["black"]
    assert result.detail == (
        "among scores >= 18, 'black' had the outcome in 55.0% (n=100) vs 30.0% for 'white' "
        "(n=200): difference +0.250, interval +0.134 to +0.366: beyond the limit by 0.150"
    )
