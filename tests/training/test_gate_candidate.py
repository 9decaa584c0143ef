"""The candidate's labelled held-out rows: one per household, the latest by the instant."""

import shutil

import pandas as pd
import pytest

from models import ModelRegistry
from models.errors import ArtifactNotFound
from training.gates.candidate import Candidate, load_candidate


def _candidate(holdout: pd.DataFrame) -> Candidate:
    model = type("Model", (), {"label": "removal_2y"})()
    return Candidate(1, model, {"label": "removal_2y"}, holdout, None)


def test_one_per_household_keeps_the_latest_instant_not_the_latest_text() -> None:
    # h1's first row is 07:00 UTC on 2 March, after its second (01:00 UTC), though it sorts
    # first as text; h2's rows are in one offset, and its unlabelled latest row is not kept.
    holdout = pd.DataFrame(
        {
            "referral_id": ["r1", "r2", "r3", "r4", "r5"],
            "household_id": ["h1", "h1", "h2", "h2", "h2"],
            "received_at": [
                "2026-03-01T23:00:00-08:00",
                "2026-03-02T01:00:00+00:00",
                "2026-01-05T09:00:00-05:00",
                "2026-01-04T09:00:00-05:00",
                "2026-02-01T09:00:00-05:00",
            ],
            "removal_2y": [1.0, 0.0, 0.0, 1.0, None],
        }
    )
    rows = _candidate(holdout).labelled(one_per_household=True)
    assert rows["referral_id"].tolist() == ["r3", "r1"]
    assert rows["removal_2y"].tolist() == [0, 1]
    assert rows["received_at"].tolist() == [
        "2026-01-05T09:00:00-05:00",
        "2026-03-01T23:00:00-08:00",
    ]


def test_all_labelled_rows_are_kept_without_one_per_household() -> None:
    holdout = pd.DataFrame(
        {
            "household_id": ["h1", "h1"],
            "received_at": ["2026-03-01T23:00:00-08:00", "2026-03-02T01:00:00+00:00"],
            "removal_2y": [1.0, 0.0],
        }
    )
    rows = _candidate(holdout).labelled()
    assert rows["removal_2y"].tolist() == [1, 0]


def test_a_gate_that_changes_its_rows_leaves_the_next_gates_rows_as_they_were() -> None:
    holdout = pd.DataFrame(
        {
            "household_id": ["h1", "h2"],
            "received_at": ["2026-03-01T09:00:00+00:00", "2026-03-02T09:00:00+00:00"],
            "removal_2y": [1.0, 0.0],
            "probability": [0.25, 0.5],
        }
    )
    candidate = _candidate(holdout)
    for one_per_household in (False, True):
        mine = candidate.labelled(one_per_household=one_per_household)
        mine["probability"] = 0.0
        mine.loc[mine.index[0], "removal_2y"] = 0
        del mine["household_id"]
        theirs = candidate.labelled(one_per_household=one_per_household)
        assert theirs["probability"].tolist() == [0.25, 0.5]
        assert theirs["removal_2y"].tolist() == [1, 0]
        assert theirs.columns.tolist() == [
            "household_id",
            "received_at",
            "removal_2y",
            "probability",
        ]
    assert holdout["removal_2y"].tolist() == [1.0, 0.0]


def test_a_candidate_whose_held_out_features_were_deleted_is_refused_not_skipped(
    registry_with_champion, tmp_path
) -> None:
    # Without its features the race-proxy gate and the champion comparisons would skip.
    root = tmp_path / "registry"
    shutil.copytree(registry_with_champion.root, root)
    registry = ModelRegistry(root)
    version = registry.alias("champion")
    load_candidate(registry, version)  # as registered: loads
    features = registry.version_dir(version) / "holdout_features.npy"
    features.unlink()
    with pytest.raises(ArtifactNotFound) as caught:
        load_candidate(registry, version)
    assert str(caught.value).startswith(
        f"model version {version}: holdout_features.npy is missing from "
        f"{features.parent} (written at registration with SHA-256 "
    )
    assert str(caught.value).endswith("restore it or retrain with `hotline train`")
