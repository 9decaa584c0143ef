import json
from dataclasses import replace

import numpy as np

import models.features as features_module
from models import (
    FEATURE_NAMES,
    FEATURE_SPEC,
    N_FEATURES,
    Referral,
    build_feature_matrix,
    build_features,
)
from models.features import feature_spec_hash
from tests.conftest import SMALL_N
from tests.factories import make_referral, referral_dict
from training.data import load_jsonl


def _by_name(x: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, x.tolist(), strict=True))


def _records(path) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def test_features_of_the_example_referral_exactly() -> None:
    f = _by_name(build_features(make_referral()))
    assert f["youngest_child_age"] == 2.5
    assert f["n_children"] == 2
    assert f["n_alleged_victims"] == 1
    assert f["n_caregivers"] == 1
    assert f["young_caregiver"] == 0
    # 2023-11-02 is within a year of 2024-03-15; 2021-05-20 within five; the 2018 report
    # was on another household and is older than five years (outside every window).
    assert f["reports_same_household_1y"] == 1
    assert f["reports_same_household_5y"] == 2
    assert f["reports_other_household_5y"] == 0
    assert f["screened_in_reports_5y"] == 1
    assert f["substantiated_reports_5y"] == 0
    assert f["reports_90d"] == 0
    # Substance-use treatment ended 2023-04-01 (within 2 years); benefits ongoing;
    # the 2019 jail booking is outside the 2-year window: no permanent "ever" flag.
    assert f["caregivers_substance_use_2y"] == 1
    assert f["caregivers_public_benefits_1y"] == 1
    assert f["caregivers_jail_2y"] == 0
    assert f["allegation_neglect"] == 1
    assert f["reporter_school"] == 1
    assert sum(v for k, v in f.items() if k.startswith("reporter_")) == 1
    assert len(f) == N_FEATURES == 39


def test_window_edge_is_inclusive_on_the_last_day() -> None:
    data = referral_dict()
    data["prior_reports"] = [
        {"report_date": "2023-03-16", "household_id": "hh-0000042", "screened_in": False},
        {"report_date": "2023-03-15", "household_id": "hh-0000042", "screened_in": False},
    ]
    f = _by_name(build_features(Referral.model_validate(data)))
    # 2024-03-15 minus 365 days is 2023-03-16 (2024 is a leap year): that day counts.
    assert f["reports_same_household_1y"] == 1
    assert f["reports_same_household_5y"] == 2


def test_race_ethnicity_and_disability_never_change_features(synth_path) -> None:
    """Every synthetic referral, with its audit-only fields changed, gives identical features."""
    records = _records(synth_path)
    assert len(records) == SMALL_N
    originals, flipped = [], []
    for r in records:
        originals.append(Referral.model_validate(r["referral"]))
        data = json.loads(json.dumps(r["referral"]))
        for person in data["children"] + data["caregivers"]:
            person["race"] = ["white", "black"] if person["race"] == ["asian"] else ["asian"]
            person["hispanic"] = not person["hispanic"]
        for child in data["children"]:
            child["disability"] = not child["disability"]
        flipped.append(Referral.model_validate(data))
    assert originals[0] != flipped[0]
    np.testing.assert_array_equal(build_feature_matrix(originals), build_feature_matrix(flipped))


def test_parallel_training_loader_equals_the_serving_path(synth_path) -> None:
    referrals = [Referral.model_validate(r["referral"]) for r in _records(synth_path)]
    single = np.vstack([build_features(r) for r in referrals])
    # The training loader, in parallel chunks, gives the same rows in the same order.
    parallel = load_jsonl(synth_path, workers=2, chunk_size=1_000)
    np.testing.assert_array_equal(parallel.features, single)
    assert parallel.frame["referral_id"].tolist() == [r.referral_id for r in referrals]


def test_spec_hash_is_pinned() -> None:
    # Changing a feature's name or window changes the hash, and every stored model is then
    # refused until retrained: update this value only together with such a change (or
    # FEATURE_CODE_VERSION). Last changed when the labels left the hash.
    assert feature_spec_hash() == "68645e12642bd145f12078ecc2dfe874ab432dedb8e4b1a623e168ba1ace56fc"


def test_rewording_a_label_leaves_the_spec_hash_as_it_was(monkeypatch) -> None:
    # A label is what a screener reads; a model trained before a rewording must still load.
    before = feature_spec_hash()
    reworded = [replace(f, label=f.label.upper()) for f in features_module.FEATURE_SPEC]
    monkeypatch.setattr(features_module, "FEATURE_SPEC", tuple(reworded))
    assert feature_spec_hash() == before
    rewindowed = [replace(f, window_days=(f.window_days or 0) + 1) for f in reworded]
    monkeypatch.setattr(features_module, "FEATURE_SPEC", tuple(rewindowed))
    assert feature_spec_hash() != before


def test_counts_by_disposition_and_recency_take_other_households_as_their_labels_say() -> None:
    # Reports naming these people in another household are their own history: counted in
    # reports_other_household_5y and, by disposition and recency, with this household's.
    data = referral_dict()
    data["prior_reports"] = [
        {
            "report_date": day,
            "household_id": "hh-OTHER",
            "screened_in": True,
            "substantiated": True,
        }
        for day in ("2024-01-10", "2024-02-20")
    ]
    f = _by_name(build_features(Referral.model_validate(data)))
    assert (f["reports_same_household_5y"], f["reports_other_household_5y"]) == (0, 2)
    assert (f["screened_in_reports_5y"], f["substantiated_reports_5y"], f["reports_90d"]) == (
        2,
        2,
        2,
    )
    labels = {d.name: d.label for d in FEATURE_SPEC}
    assert labels["reports_other_household_5y"] == (
        "Prior reports naming these people in other households, last 5 years"
    )
    assert labels["screened_in_reports_5y"] == (
        "Prior reports naming these people, any household, screened in, last 5 years"
    )
    assert labels["substantiated_reports_5y"] == (
        "Prior reports naming these people, any household, substantiated, last 5 years"
    )
    assert labels["reports_90d"] == "Prior reports naming these people, any household, last 90 days"
