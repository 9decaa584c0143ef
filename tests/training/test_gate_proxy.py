"""The proxy gate compares recorded groups; who had race recorded is not itself a race."""

import numpy as np
import pandas as pd

from training.gates.candidate import Candidate
from training.gates.policy import ProxyPolicy
from training.gates.proxy import proxy_gate

POLICY = ProxyPolicy(group="race", max_auc=0.7, min_group_size=50, folds=3, top_features=1)


def _candidate(race: list[str], features: np.ndarray) -> Candidate:
    model = type("Model", (), {"label": "removal_2y", "feature_names": ["recorded", "noise"]})()
    holdout = pd.DataFrame({"race": race, "household_id": [f"h{i}" for i in range(len(race))]})
    return Candidate(1, model, {"label": "removal_2y"}, holdout, features)


def test_features_that_tell_who_had_race_recorded_do_not_fail_the_gate() -> None:
    # A feature that is 1 exactly where race was recorded, and noise: black and white rows
    # cannot be told apart, unrecorded ones perfectly can.
    rng = np.random.default_rng(5)
    race = ["black"] * 150 + ["white"] * 150 + ["unknown"] * 100 + [""] * 100
    recorded = np.array([1.0] * 300 + [0.0] * 200)
    features = np.column_stack([recorded, rng.normal(size=500)])
    result = proxy_gate(_candidate(race, features), policy=POLICY)
    assert result.status == "passed"
    assert [g["group"] for g in result.data["groups"]] == ["black", "white"]
    assert [g["n"] for g in result.data["groups"]] == [150, 150]
    assert result.measured == 0.4744
