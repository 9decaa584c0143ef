import json

import numpy as np
import pytest

from models import Referral, build_features, score_referral
from tests.factories import make_referral


def test_fast_path_equals_scikit_learn_to_1e9(trained, training_data) -> None:
    model = trained.model
    X = training_data.features[:3000]
    sk = model.predict_proba(X)
    fast = np.array([model.predict_one(x) for x in X])
    np.testing.assert_allclose(fast, sk, rtol=0, atol=1e-9)


def test_boosting_model_scores_through_scikit_learn(training_data) -> None:
    from training.data import TrainingData
    from training.pipeline import train

    subset = TrainingData(
        features=training_data.features[:4000],
        frame=training_data.frame.iloc[:4000],
        sha256=training_data.sha256,
        source_path=training_data.source_path,
    )
    result = train(subset, kind="boosting", seed=0)
    model = result.model
    x = training_data.features[0]
    assert model.linear is None

    # Contribution of feature j: log-odds at x minus log-odds with x_j set to the training mean.
    def logit(v):
        p = model.estimator.predict_proba(v.reshape(1, -1))[0, 1]
        return np.log(p / (1 - p))

    expected = []
    for j in range(len(x)):
        probe = x.copy()
        probe[j] = model.baseline[j]
        expected.append(logit(x) - logit(probe))
    np.testing.assert_allclose(model.contributions(x), expected, atol=1e-9)
    assert 0 < model.predict_one(x) < 1


def test_logistic_contributions_sum_to_the_linear_score_difference(trained) -> None:
    model = trained.model
    lin = model.linear
    x = build_features(make_referral())
    base = model.baseline
    z_x = float(x @ lin.weights) + lin.offset
    z_base = float(base @ lin.weights) + lin.offset
    assert np.isclose(model.contributions(x).sum(), -lin.cal_a * (z_x - z_base), atol=1e-9)


def test_logistic_contributions_are_measured_from_the_shown_average(trained) -> None:
    model = trained.model
    lin = model.linear
    # The scaler's centre (labelled rows) differs from the shown average (all rows).
    assert not np.allclose(lin.mean, model.baseline)
    np.testing.assert_array_equal(model.contributions(model.baseline), np.zeros(len(lin.mean)))
    # Checked through the model's own probability, not its formula: the factors add up to
    # how far this referral's log-odds are from the shown average's.
    x = build_features(make_referral())

    def log_odds(features: np.ndarray) -> float:
        p = model.predict_one(features)
        return float(np.log(p / (1 - p)))

    assert model.contributions(x).sum() == pytest.approx(
        log_odds(x) - log_odds(model.baseline), abs=1e-12
    )


def test_explained_direction_agrees_with_value_versus_average(trained, training_data) -> None:
    from models import explain

    # Checked through the model's own probability, not its formula: setting the factor back
    # to the shown average must move the probability the other way from its direction.
    model = trained.model
    disagree = checked = 0
    for x in training_data.features[:300]:
        p = model.predict_one(x)
        for factor in explain(model, x, top_k=len(x)):
            j = model.feature_names.index(factor.feature)
            at_average = x.copy()
            at_average[j] = model.baseline[j]
            moved = p - model.predict_one(at_average)
            if abs(moved) < 1e-12:
                continue  # no measurable effect to agree or disagree with
            checked += 1
            disagree += (moved > 0) != (factor.direction == "raises")
    assert checked > 1000
    assert disagree == 0


def test_score_is_deterministic_and_explained(trained) -> None:
    referral = make_referral()
    first = score_referral(trained.model, referral)
    second = score_referral(trained.model, Referral.model_validate_json(referral.model_dump_json()))
    assert first == second
    assert 1 <= first.score <= 20
    assert 0 < len(first.explanation) <= 5
    sizes = [abs(f.contribution) for f in first.explanation]
    assert sizes == sorted(sizes, reverse=True)
    for factor in first.explanation:
        assert factor.direction == ("raises" if factor.contribution > 0 else "lowers")
        assert "{" not in factor.label


def test_score_ignores_race_ethnicity_and_disability(trained) -> None:
    referral = make_referral()
    data = json.loads(referral.model_dump_json())
    for child in data["children"]:
        child.update(race=["white"], hispanic=True, disability=True)
    assert score_referral(trained.model, referral) == score_referral(
        trained.model, Referral.model_validate(data)
    )


def test_more_recent_reports_on_the_household_raise_the_probability(trained) -> None:
    base = make_referral()
    data = json.loads(base.model_dump_json())
    data["prior_reports"] += [
        {
            "report_date": "2024-02-01",
            "household_id": "hh-0000042",
            "screened_in": True,
            "substantiated": True,
            "allegation_types": ["neglect"],
        }
    ] * 3
    more = Referral.model_validate(data)
    assert (
        score_referral(trained.model, more).probability
        > score_referral(trained.model, base).probability
    )


def test_explanation_orders_by_size_then_declared_order() -> None:
    # Equal contributions keep the features' declared order (a stable sort), zeros are left
    # out, and only top_k are listed; a stand-in model fixes the contributions.
    from types import SimpleNamespace

    from models.features import FEATURE_SPEC
    from models.scorer import explain

    n = len(FEATURE_SPEC)
    contrib = np.zeros(n)
    contrib[[7, 2, 5, 9, 0]] = [0.5, -0.5, 0.25, -0.75, 0.5]
    model = SimpleNamespace(contributions=lambda x: contrib, baseline=np.zeros(n))
    names = [f.feature for f in explain(model, np.ones(n), top_k=4)]
    assert names == [FEATURE_SPEC[j].name for j in (9, 0, 2, 7)]
    everything = explain(model, np.ones(n), top_k=n)
    assert [f.feature for f in everything] == [FEATURE_SPEC[j].name for j in (9, 0, 2, 7, 5)]
    assert [f.contribution for f in everything] == [-0.75, 0.5, -0.5, 0.5, 0.25]


def test_explanation_lengths_at_the_edges() -> None:
    from types import SimpleNamespace

    from models.features import FEATURE_SPEC
    from models.scorer import explain

    n = len(FEATURE_SPEC)
    contrib = np.linspace(1.0, 0.1, n)
    model = SimpleNamespace(contributions=lambda x: contrib, baseline=np.zeros(n))
    assert explain(model, np.ones(n), top_k=0) == []
    assert [f.feature for f in explain(model, np.ones(n), top_k=n + 5)] == [
        spec.name for spec in FEATURE_SPEC
    ]
    with pytest.raises(ValueError, match="top_k must be at least 0, got -1"):
        explain(model, np.ones(n), top_k=-1)
