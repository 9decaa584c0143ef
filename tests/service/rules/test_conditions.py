"""Operators by fact kind, and three-valued logic when model facts are unknown."""

from __future__ import annotations

import pytest

from service.rules.conditions import compile_condition, parse_condition
from service.rules.facts import FactContext, FactInputs
from tests.service.rules.factories import make_referral, prior

REFERRAL = make_referral(
    ages=(1.5, 8.0),
    allegations=("neglect", "domestic_violence"),
    priors=(prior(5), prior(40, screened_in=True), prior(50, household="hh-2", screened_in=True)),
    pregnant=True,
)


def holds(raw, *, score=None, band=None, probability=None):
    predicate = compile_condition(parse_condition(raw))
    inputs = FactInputs(REFERRAL, probability=probability, score=score, band=band)
    return predicate(FactContext(inputs))


def cmp(fact, op, value, **params):
    raw = {"fact": fact, "op": op, "value": value}
    if params:
        raw["params"] = params
    return raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (cmp("youngest_child_age", "==", 1.5), True),
        (cmp("oldest_child_age", ">", 8), False),
        (cmp("oldest_child_age", ">=", 8), True),
        (cmp("number_of_children", "!=", 2), False),
        (cmp("prior_reports_same_household", "==", 2, window_days=365), True),
        (cmp("prior_reports_same_household", "==", 1, window_days=39), True),
        (cmp("prior_screened_in_same_household", "==", 1, window_days=365), True),
        (cmp("prior_substantiated_same_household", "==", 0, window_days=365), True),
        (cmp("any_caregiver_pregnant", "==", True), True),
        (cmp("substance_exposed_infant", "!=", False), False),
        (cmp("reporter_type", "in", ["school", "medical"]), True),
        (cmp("reporter_type", "not_in", ["school"]), False),
        (cmp("allegation_types", "contains", "neglect"), True),
        (cmp("allegation_types", "contains_any", ["sexual_abuse", "domestic_violence"]), True),
        (cmp("allegation_types", "contains_all", ["neglect", "sexual_abuse"]), False),
        (cmp("reported_needs", "contains", "housing"), False),
        ({"not": cmp("number_of_children", "==", 2)}, False),
        ({"any": [cmp("number_of_children", "==", 3), cmp("youngest_child_age", "<", 2)]}, True),
        ({"all": [cmp("number_of_children", "==", 2), cmp("youngest_child_age", "<", 1)]}, False),
    ],
)
def test_referral_facts(raw, expected):
    assert holds(raw) is expected


UNKNOWN_SCORE = cmp("score", ">=", 18)
TRUE = cmp("number_of_children", "==", 2)
FALSE = cmp("number_of_children", "==", 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (UNKNOWN_SCORE, None),
        ({"not": UNKNOWN_SCORE}, None),
        ({"all": [UNKNOWN_SCORE, TRUE]}, None),
        ({"all": [UNKNOWN_SCORE, FALSE]}, False),
        ({"any": [UNKNOWN_SCORE, TRUE]}, True),
        ({"any": [UNKNOWN_SCORE, FALSE]}, None),
        (cmp("band", "==", "low"), None),
        (cmp("probability", "<", 0.5), None),
    ],
)
def test_unknown_model_facts_are_unknown_not_false(raw, expected):
    assert holds(raw) is expected


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        (cmp("score", ">=", 18), {"score": 18}, True),
        (cmp("band", "in", ["high", "very_high"]), {"band": "high"}, True),
        (cmp("probability", "<", 0.5), {"probability": 0.5}, False),
        ({"not": cmp("score", ">=", 18)}, {"score": 3}, True),
    ],
)
def test_model_facts_when_given(raw, kwargs, expected):
    assert holds(raw, **kwargs) is expected


def test_facts_are_computed_once_per_referral():
    ctx = FactContext(FactInputs(REFERRAL))
    raw = {"all": [cmp("youngest_child_age", "<", 3), cmp("youngest_child_age", ">", 1)]}
    predicate = compile_condition(parse_condition(raw))
    assert predicate(ctx) is True
    assert predicate(ctx) is True
    assert list(ctx._cache) == [("youngest_child_age", ())]
