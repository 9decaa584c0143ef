"""The preview's case contract, and how it treats cases given without the model's output."""

from __future__ import annotations

from models import score_referral
from service.rules import DEFAULT_RULES_PATH, load_rules, parse_rules
from service.rules.preview import (
    Case,
    NumberedCase,
    compare_rule_sets,
    needs_model,
    rules_needing_model,
)
from tests.service.rules.factories import make_referral, one_rule_file
from training.data import OUTCOME_COLUMNS


def test_a_case_accepts_exactly_the_outcomes_a_training_line_records():
    # service may not import training, so Case repeats the outcome keys; this keeps them equal.
    model_output = ["referral", "probability", "score", "band"]
    assert list(Case.model_fields) == model_output + list(OUTCOME_COLUMNS)


def numbered(*cases: Case) -> list[NumberedCase]:
    return [NumberedCase(line, case) for line, case in enumerate(cases, start=1)]


def test_rules_needing_model_names_each_rule_using_score_band_or_probability_once():
    default = load_rules(DEFAULT_RULES_PATH)
    assert rules_needing_model(default) == ["high-risk-protocol", "low-risk-protocol"]
    # However deep the model fact sits; a rule already named by an earlier set is not repeated.
    nested = parse_rules(
        one_rule_file(
            rule_id="low-risk-protocol",
            condition="any:\n        - not: {fact: probability, op: '<', value: 0.5}\n"
            "        - {fact: youngest_child_age, op: '<', value: 1}",
        )
        + "  - id: band-rule\n    title: B\n    citation: C\n    effective_from: 2026-01-01\n"
        "    condition: {not: {fact: band, op: in, value: [low]}}\n"
        "    action: {type: flag}\n    explanation: e\n"
        "  - id: no-model\n    title: N\n    citation: C\n    effective_from: 2026-01-01\n"
        "    condition: {fact: number_of_children, op: '>', value: 3}\n"
        "    action: {type: flag}\n    explanation: e\n",
        source="proposed",
    )
    assert rules_needing_model(nested) == ["low-risk-protocol", "band-rule"]
    assert rules_needing_model(default, nested) == [
        "high-risk-protocol",
        "low-risk-protocol",
        "band-rule",
    ]


def test_without_a_model_a_case_without_output_is_counted_and_one_with_part_is_kept():
    default = load_rules(DEFAULT_RULES_PATH)
    referral = make_referral(ages=(1.0,))
    cases = numbered(
        Case(referral=referral),
        # Any one of the three is the caller's model output: evaluated as given.
        Case(referral=referral, band="very_high"),
        Case(referral=referral, probability=0.2),
    )
    assert needs_model(cases)
    assert not needs_model(cases[1:])
    preview = compare_rule_sets(default, default, cases)
    assert (preview.scored, preview.unscored) == (0, 1)
    assert preview.rules_not_evaluated == ["high-risk-protocol", "low-risk-protocol"]
    # With every case given output, nothing is said to be missed.
    given = compare_rule_sets(default, default, cases[1:])
    assert (given.scored, given.unscored, given.rules_not_evaluated) == (0, 0, [])


def test_a_model_scores_only_the_cases_without_output(registry_with_champion):
    model = registry_with_champion.load(registry_with_champion.alias("champion"))
    referral = make_referral(referral_id="r", ages=(1.0,))
    assert score_referral(model, referral).score == 5  # the seeded fixture model's score
    cases = numbered(Case(referral=referral), Case(referral=referral, score=4))
    cut = parse_rules(
        one_rule_file(condition='fact: score\n      op: ">="\n      value: 5'), source="proposed"
    )
    empty = parse_rules('version: "0"\nrules: []\n', source="active")
    preview = compare_rule_sets(cut, empty, cases, model=model)
    assert (preview.scored, preview.unscored, preview.rules_not_evaluated) == (1, 0, [])
    # Line 1 is scored 5 and fires the rule; line 2 keeps its own score, 4, and does not.
    assert [(c.line, c.before.value, c.after.value) for c in preview.changed] == [
        (1, "screener_judgment", "screen_in_required")
    ]
    assert preview.hits_proposed == {"r1": 1}
