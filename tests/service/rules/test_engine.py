"""evaluate_rules: effective dates, inputs, and the band derived from the score."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from service.rules import FactInputError, RecommendationValue, evaluate_rules, parse_rules
from tests.service.rules.factories import make_referral, one_rule_file

UTC = dt.UTC


@pytest.mark.parametrize(
    ("received", "fires"),
    [
        (dt.datetime(2025, 12, 31, 23, 59, tzinfo=UTC), False),
        (dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC), True),
        (dt.datetime(2026, 6, 30, 23, 59, tzinfo=UTC), True),
        (dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC), False),
    ],
    ids=["day-before-start", "first-day", "last-day-inclusive", "day-after-end"],
)
def test_effective_dates_are_inclusive(received, fires):
    ruleset = parse_rules(one_rule_file(effective_to="2026-06-30"))
    referral = make_referral(ages=(1.0,), received=received)
    outcome = evaluate_rules(ruleset, referral, probability=None, score=None, band=None)
    assert bool(outcome.rule_hits) is fires


def test_band_is_derived_from_score_when_missing():
    ruleset = parse_rules('version: "x"\nrules: []\n')
    outcome = evaluate_rules(ruleset, make_referral(), probability=None, score=18, band=None)
    assert outcome.recommendation.value is RecommendationValue.screen_in_recommended
    assert outcome.recommendation.reason == (
        "no rule decided; default for band very_high is screen_in_recommended"
    )


@pytest.mark.parametrize(
    ("score", "band", "message"),
    [
        (None, "extreme", "band 'extreme' is not a band; accepted: low, moderate, high, very_high"),
        (21, None, "score 21 is outside 1..20"),
        (21, "very_high", "score 21 is outside 1..20"),
        (3, "very_high", "band 'very_high' does not fit score 3, which is in band 'low'"),
        (18, "high", "band 'high' does not fit score 18, which is in band 'very_high'"),
    ],
    ids=["unknown-band", "score-out-of-range", "score-out-of-range-with-band", "low", "high"],
)
def test_bad_model_inputs_are_refused(score, band, message):
    ruleset = parse_rules('version: "x"\nrules: []\n')
    with pytest.raises(FactInputError) as caught:
        evaluate_rules(ruleset, make_referral(), probability=None, score=score, band=band)
    assert str(caught.value) == message


def test_band_that_fits_the_score_is_accepted():
    ruleset = parse_rules(
        one_rule_file(condition='fact: band\n      op: "=="\n      value: high', explanation="x")
    )
    outcome = evaluate_rules(ruleset, make_referral(), probability=None, score=13, band="high")
    assert [hit.id for hit in outcome.rule_hits] == ["r1"]


def test_outcome_serialises_for_the_score_response():
    text = one_rule_file()
    ruleset = parse_rules(text)
    outcome = evaluate_rules(
        ruleset, make_referral(ages=(2.0,)), probability=0.2, score=9, band="moderate"
    )
    assert outcome.model_dump(mode="json") == {
        "rules_version": "t1",
        # The file's SHA-256 beside its version: what the decision log needs to tell apart
        # two files that declare the same version.
        "rules_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "rule_hits": [
            {
                "id": "r1",
                "title": "A rule",
                "action": "screen_in_required",
                "citation": "Test policy, section 1",
                "explanation": "youngest 2",
                "suggest_needs": [],
            }
        ],
        "recommendation": {
            "value": "screen_in_required",
            "reason": "screen_in_required by rule r1",
            "supervisor_signoff_required": True,
            "rule_ids": ["r1"],
        },
        "suggested_needs": [],
    }
