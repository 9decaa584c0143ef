"""Precedence between actions, and the band-based fallback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models.scoring import Band
from service.rules import (
    ACTION_PRECEDENCE,
    ActionType,
    RecommendationValue,
    evaluate_rules,
    parse_rules,
    recommend,
)
from tests.service.rules.factories import make_referral


@dataclass(frozen=True)
class Hit:
    id: str
    action: ActionType


A = ActionType


def test_precedence_is_documented_order():
    assert (
        A.screen_in_required,
        A.screen_in_recommended,
        A.screen_out_with_referral,
        A.flag,
    ) == ACTION_PRECEDENCE


@pytest.mark.parametrize(
    ("actions", "expected", "rule_ids"),
    [
        ([A.screen_out_with_referral, A.screen_in_required], "screen_in_required", ["h1"]),
        ([A.screen_in_recommended, A.screen_out_with_referral], "screen_in_recommended", ["h0"]),
        ([A.flag, A.screen_out_with_referral], "screen_out_with_referral", ["h1"]),
        ([A.screen_in_required, A.screen_in_required, A.flag], "screen_in_required", ["h0", "h1"]),
        ([A.screen_in_recommended, A.screen_in_required], "screen_in_required", ["h1"]),
    ],
)
def test_highest_action_decides(actions, expected, rule_ids):
    hits = [Hit(f"h{i}", action) for i, action in enumerate(actions)]
    found = recommend(hits, band=Band.very_high)
    assert found.value == expected
    assert found.rule_ids == rule_ids
    assert found.reason == f"{expected} by rule {', '.join(rule_ids)}"
    assert found.supervisor_signoff_required is (expected == "screen_in_required")


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        (Band.very_high, "screen_in_recommended"),
        (Band.high, "screener_judgment"),
        (Band.moderate, "screener_judgment"),
        (Band.low, "screener_judgment"),
    ],
)
def test_band_default_when_no_rule_decides(band, expected):
    found = recommend([Hit("f", A.flag)], band=band)
    assert found.value == expected
    assert found.reason == f"no rule decided; default for band {band.value} is {expected}"
    assert found.supervisor_signoff_required is False
    assert found.rule_ids == []


def test_no_rule_and_no_model_is_screener_judgment():
    found = recommend([], band=None)
    assert found.value is RecommendationValue.screener_judgment
    assert found.reason == "no rule decided and there is no model score"


RULES = """\
version: "p1"
band_defaults:
  high: screen_in_recommended
rules:
  - id: out
    title: Out
    citation: Test policy 1
    effective_from: 2026-01-01
    condition: {fact: number_of_children, op: ">=", value: 1}
    action: {type: screen_out_with_referral, suggest_needs: [parenting]}
    explanation: out
  - id: in
    title: In
    citation: Test policy 2
    effective_from: 2026-01-01
    condition: {fact: allegation_types, op: contains, value: neglect}
    action: {type: screen_in_required, suggest_needs: [housing, parenting]}
    explanation: in
"""


def test_required_screen_in_beats_screen_out_end_to_end():
    ruleset = parse_rules(RULES)
    outcome = evaluate_rules(
        ruleset, make_referral(allegations=("neglect",)), probability=None, score=3, band=None
    )
    assert [hit.id for hit in outcome.rule_hits] == ["out", "in"]
    assert outcome.recommendation.value is RecommendationValue.screen_in_required
    assert outcome.recommendation.rule_ids == ["in"]
    assert outcome.suggested_needs == ["parenting", "housing"]
    assert outcome.rules_version == "p1"


def test_file_band_defaults_override_builtin():
    ruleset = parse_rules(RULES.replace("neglect}", "abandonment}").replace(">=", ">"))
    outcome = evaluate_rules(
        ruleset, make_referral(ages=(4.0,)), probability=None, score=15, band=None
    )
    assert outcome.rule_hits == []
    assert outcome.recommendation.value is RecommendationValue.screen_in_recommended
    assert ruleset.band_defaults[Band.very_high] is RecommendationValue.screen_in_recommended
