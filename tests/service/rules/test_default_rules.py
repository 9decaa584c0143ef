"""Every shipped default rule at its boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from service.rules import DEFAULT_RULES_PATH, RecommendationValue, evaluate_rules, load_rules
from tests.service.rules.factories import RECEIVED, make_referral, prior

DEFAULT = load_rules(DEFAULT_RULES_PATH)


def fired(referral, *, score=None, band=None, probability=None):
    outcome = evaluate_rules(DEFAULT, referral, probability=probability, score=score, band=band)
    return [hit.id for hit in outcome.rule_hits]


def test_default_file_loads_with_version_and_citations():
    assert DEFAULT.version == "2026.1"
    assert [rule.id for rule in DEFAULT.rules] == [
        "multiple-complaint",
        "high-risk-protocol",
        "low-risk-protocol",
        "law-requires-investigation",
        "pregnant-caregiver",
        "substance-exposed-infant",
    ]
    assert all(rule.citation for rule in DEFAULT.rules)
    assert "p. 10, note 13" in DEFAULT.rules_by_id["multiple-complaint"].citation


@pytest.mark.parametrize(
    ("priors", "ages", "expected"),
    [
        pytest.param((prior(10), prior(20)), (2.99,), True, id="two-priors-child-2.99"),
        pytest.param((prior(10),), (2.99,), False, id="one-prior"),
        pytest.param((prior(10), prior(20), prior(30)), (1.0,), True, id="three-priors"),
        pytest.param((prior(10), prior(20)), (3.0,), False, id="child-exactly-3"),
        pytest.param((prior(10), prior(20)), (3.0, 2.5), True, id="youngest-counts"),
        pytest.param(
            (prior(10), prior(20, household="hh-other")),
            (1.0,),
            False,
            id="other-household-does-not-count",
        ),
        pytest.param((prior(10), prior(365)), (1.0,), True, id="window-edge-day-in"),
        pytest.param((prior(10), prior(366)), (1.0,), False, id="window-edge-day-out"),
        pytest.param((prior(0), prior(1)), (1.0,), True, id="same-day-report-counts"),
    ],
)
def test_multiple_complaint_boundaries(priors, ages, expected):
    referral = make_referral(ages=ages, priors=priors)
    assert ("multiple-complaint" in fired(referral)) is expected


def test_multiple_complaint_explanation_is_filled_in():
    referral = make_referral(ages=(2.5, 6.0), priors=(prior(10), prior(200)))
    outcome = evaluate_rules(DEFAULT, referral, probability=None, score=None, band=None)
    (hit,) = outcome.rule_hits
    assert hit.explanation == (
        "2 prior reports on this household in the last 365 days and a child aged 2.5."
    )
    assert hit.action == "screen_in_required"
    assert outcome.recommendation.value is RecommendationValue.screen_in_required
    assert outcome.recommendation.supervisor_signoff_required is True


def test_window_uses_the_day_received_in_the_referrals_own_offset():
    # 23:30 at UTC-5 is already the next day in UTC; the window must count from the local day.
    late = dt.datetime(2026, 3, 15, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    referral = make_referral(ages=(1.0,), priors=(prior(10), prior(365)), received=late)
    assert "multiple-complaint" in fired(referral)


@pytest.mark.parametrize(
    ("score", "ages", "expected"),
    [
        pytest.param(18, (2.0,), True, id="score-at-cut"),
        pytest.param(17, (2.0,), False, id="score-one-below"),
        pytest.param(20, (2.99,), True, id="child-2.99"),
        pytest.param(20, (3.0,), False, id="child-exactly-3"),
        pytest.param(None, (1.0,), False, id="no-model-score"),
    ],
)
def test_high_risk_protocol_boundaries(score, ages, expected):
    referral = make_referral(ages=ages)
    assert ("high-risk-protocol" in fired(referral, score=score)) is expected


def test_high_risk_protocol_needs_signoff():
    outcome = evaluate_rules(
        DEFAULT, make_referral(ages=(1.0,)), probability=0.6, score=19, band=None
    )
    assert outcome.recommendation.value is RecommendationValue.screen_in_required
    assert outcome.recommendation.supervisor_signoff_required is True
    assert outcome.rule_hits[0].explanation == (
        "Score 19 is at or above 18 with a child aged 1; screening out needs a supervisor's "
        "override."
    )


@pytest.mark.parametrize(
    ("score", "ages", "expected"),
    [
        pytest.param(5, (12.5,), True, id="score-at-cut"),
        pytest.param(6, (12.5,), False, id="score-one-above"),
        pytest.param(1, (12.0,), False, id="child-exactly-12"),
        pytest.param(1, (12.01, 16.0), True, id="all-older-than-12"),
        pytest.param(1, (16.0, 11.9), False, id="one-child-younger"),
        pytest.param(None, (16.0,), False, id="no-model-score"),
    ],
)
def test_low_risk_protocol_boundaries(score, ages, expected):
    referral = make_referral(ages=ages)
    assert ("low-risk-protocol" in fired(referral, score=score)) is expected


def test_low_risk_protocol_is_advice_only():
    outcome = evaluate_rules(
        DEFAULT, make_referral(ages=(14.0,)), probability=0.01, score=2, band="low"
    )
    assert outcome.recommendation.value is RecommendationValue.screen_out_with_referral
    assert outcome.recommendation.supervisor_signoff_required is False


@pytest.mark.parametrize(
    ("allegations", "expected"),
    [
        (("sexual_abuse",), True),
        (("physical_abuse", "neglect"), True),
        (("neglect",), False),
        (("emotional_abuse", "inadequate_supervision"), False),
    ],
)
def test_law_requires_investigation(allegations, expected):
    referral = make_referral(allegations=allegations)
    assert ("law-requires-investigation" in fired(referral)) is expected


def test_pregnant_caregiver_flags_and_suggests_prenatal_visiting():
    outcome = evaluate_rules(
        DEFAULT, make_referral(pregnant=True), probability=None, score=None, band=None
    )
    assert [hit.id for hit in outcome.rule_hits] == ["pregnant-caregiver"]
    assert outcome.suggested_needs == ["prenatal_home_visiting"]
    # A flag informs; it does not decide.
    assert outcome.recommendation.value is RecommendationValue.screener_judgment


def test_not_pregnant_no_flag():
    assert fired(make_referral(pregnant=False)) == []


def test_substance_exposed_infant_flags_and_suggests_treatment():
    referral = make_referral(ages=(0.1,), allegations=("substance_exposed_infant",), pregnant=True)
    outcome = evaluate_rules(DEFAULT, referral, probability=None, score=None, band=None)
    assert [hit.id for hit in outcome.rule_hits] == [
        "pregnant-caregiver",
        "substance-exposed-infant",
    ]
    assert outcome.suggested_needs == [
        "prenatal_home_visiting",
        "substance_use_treatment",
        "home_visiting",
    ]


def test_rules_not_yet_in_effect_do_not_fire():
    early = dt.datetime(2025, 12, 31, 12, 0, tzinfo=dt.UTC)
    referral = make_referral(ages=(1.0,), allegations=("sexual_abuse",), received=early)
    assert fired(referral, score=20) == []
    assert RECEIVED.date() >= DEFAULT.rules[0].effective_from
