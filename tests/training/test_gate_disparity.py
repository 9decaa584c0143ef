"""Disparity gates on hand-built held-out rows: a group that is never selected fails them."""

from functools import partial

import numpy as np
import pandas as pd
import pytest

from training.gates import load_policy
from training.gates.candidate import Candidate
from training.gates.disparity import _ratio_result, disparity_gates


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
        "selection rate of 'black' over 'white' is 0.000 (97.50% interval 0.000-0.141): "
        "outside the band by 0.800"
    )
    assert (fpr.status, fpr.measured) == ("failed", 0.0)
    assert fpr.detail == (
        "false-positive rate of 'black' over 'white' is 0.000 (97.50% interval 0.001-0.312): "
        "outside the band by 0.800"
    )


def test_a_reference_group_never_selected_fails_the_gate_with_an_infinite_ratio(policy) -> None:
    results = {r.name: r for r in disparity_gates(_candidate("white"), policy=policy)}
    selection = results["disparity.selection_rate"]
    assert (selection.status, selection.measured) == ("failed", float("inf"))
    assert selection.detail == (
        "selection rate of 'black' over 'white' is infinite ('white' has a selection rate of 0) "
        "(97.50% interval 12.594-7229.676): outside the band"
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
