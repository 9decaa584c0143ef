"""Explanation templates render fact values, and only fact values."""

from __future__ import annotations

import pytest

from service.rules import evaluate_rules, parse_rules
from service.rules.explanations import format_value
from tests.service.rules.factories import make_referral, one_rule_file, prior


@pytest.mark.parametrize(
    ("value", "spec", "shown"),
    [
        (None, "", "unknown"),
        (True, "", "yes"),
        (False, "", "no"),
        (frozenset({"b", "a"}), "", "a, b"),
        (frozenset(), "", "none"),
        (2.5, "", "2.5"),
        (2.0, "", "2"),
        (0.123456789, ".2f", "0.12"),
        (3, "", "3"),
        (3, "02d", "03"),
    ],
)
def test_format_value(value, spec, shown):
    assert format_value(value, spec) == shown


def test_template_fills_params_model_facts_and_literal_braces():
    text = one_rule_file(
        condition=(
            "fact: prior_reports_same_household\n      params: {window_days: 30}\n"
            '      op: ">="\n      value: 1'
        ),
        explanation=(
            '"{prior_reports_same_household} in {window_days} days; p={probability:.2f}; '
            'score {score}; {{literal}}; {allegation_types}"'
        ),
    )
    ruleset = parse_rules(text)
    referral = make_referral(priors=(prior(3),), allegations=("neglect", "abandonment"))
    outcome = evaluate_rules(ruleset, referral, probability=0.4567, score=None, band=None)
    assert outcome.rule_hits[0].explanation == (
        "1 in 30 days; p=0.46; score unknown; {literal}; abandonment, neglect"
    )
