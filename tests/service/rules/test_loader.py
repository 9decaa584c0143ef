"""Every kind of malformed rules file is refused with one exact line."""

# The table holds exact one-line messages; wrapping them would hide what a user sees.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt

import pytest

from service.rules import RulesError, RulesFileError, load_rules, parse_rules
from service.rules.conditions import MAX_CONDITION_DEPTH
from tests.service.rules.factories import one_rule_file as f

LEAF = '{fact: score, op: ">=", value: 3}'


def nested(levels: int, combinator: str = "not") -> str:
    """A flow-style condition `levels` deep: combinators around one comparison."""
    opening, closing = ("{not: ", "}") if combinator == "not" else (f"{{{combinator}: [", "]}")
    return opening * (levels - 1) + LEAF + closing * (levels - 1)


MALFORMED = [
    pytest.param(
        "version: '1'\nrules: [\n",
        "r.yaml: not valid YAML: expected the node content, but found '<stream end>' at line 3, column 1",
        id="yaml",
    ),
    pytest.param(
        "version: '1'\nrules:\n\t- id: x\n",
        "r.yaml: not valid YAML: found character '\\t' that cannot start any token at line 3, column 1",
        id="yaml-tab",
    ),
    pytest.param(
        f(extra="    explanation: again\n"),
        "r.yaml: not valid YAML: duplicate key 'explanation' at line 14, column 5",
        id="dupkey",
    ),
    pytest.param(
        "- a\n- b\n",
        "r.yaml: expected a mapping with 'version' and 'rules' at the top; got list",
        id="top-list",
    ),
    pytest.param(
        "",
        "r.yaml: expected a mapping with 'version' and 'rules' at the top; got null",
        id="empty",
    ),
    pytest.param(
        'version: "1"\nrules: []\nrulez: []\n',
        "r.yaml: unknown top-level key 'rulez'; accepted keys: version, name, effective, description, band_defaults, rules",
        id="unknown-top",
    ),
    pytest.param(
        "rules: []\n",
        "r.yaml: missing 'version'; give the rule set a version such as '2026.1'",
        id="no-version",
    ),
    pytest.param(
        "version: 1.1\nrules: []\n",
        "r.yaml: version must be text such as '2026.1' (quote it in YAML); got number 1.1",
        id="version-number",
    ),
    pytest.param(
        'version: "   "\nrules: []\n',
        "r.yaml: version: must contain text, not only spaces; got text '   '",
        id="version-blank",
    ),
    pytest.param(
        'version: ""\nrules: []\n',
        "r.yaml: version: String should have at least 1 character; got text ''",
        id="version-empty",
    ),
    pytest.param(
        'version: "1"\n',
        "r.yaml: missing 'rules'; give a list of rules (may be empty)",
        id="no-rules",
    ),
    pytest.param(
        'version: "1"\nrules: {}\n',
        "r.yaml: 'rules' must be a list; got mapping",
        id="rules-mapping",
    ),
    pytest.param(
        'version: "1"\nrules: [3]\n',
        "r.yaml: rules[0]: expected a mapping with id, title, citation, effective_from, condition, action, explanation; got number",
        id="rule-not-mapping",
    ),
    pytest.param(
        'version: "1"\nrules:\n  - title: x\n',
        "r.yaml: rules[0]: missing 'id'; every rule needs a unique id",
        id="no-id",
    ),
    pytest.param(
        'version: "1"\nrules:\n  - id: 7\n',
        "r.yaml: rules[0]: id must be text; got number 7",
        id="id-number",
    ),
    pytest.param(
        f(rule_id='"has space"'),
        "r.yaml: rules[0]: id 'has space' is not accepted; use up to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
        id="bad-id",
    ),
    pytest.param(
        f() + "\n".join(f().splitlines()[2:]) + "\n",
        "r.yaml: rule 'r1': duplicate id (rules[0] and rules[1]); rule ids must be unique",
        id="dup-id",
    ),
    pytest.param(
        f(extra="    condtion: {}\n"),
        "r.yaml: rule 'r1': unknown key 'condtion'; accepted keys: id, title, citation, effective_from, effective_to, condition, action, explanation, notes",
        id="unknown-rule-key",
    ),
    pytest.param(
        f().replace("    citation: Test policy, section 1\n", ""),
        "r.yaml: rule 'r1': missing 'citation'; every rule needs id, title, citation, effective_from, condition, action, explanation",
        id="missing-citation",
    ),
    pytest.param(
        f().replace("    citation: Test policy, section 1\n", "    citation: '   '\n"),
        "r.yaml: rule 'r1': citation: must contain text, not only spaces; got text '   '",
        id="blank-citation",
    ),
    pytest.param(
        f(condition='fact: youngest_age\n      op: "<"\n      value: 3'),
        "r.yaml: rule 'r1': condition: unknown fact 'youngest_age' (did you mean 'youngest_child_age'?); known facts: allegation_types, any_caregiver_pregnant, band, number_of_children, number_of_prior_placements, oldest_child_age, prior_reports_same_household, prior_screened_in_same_household, prior_substantiated_same_household, probability, reported_needs, reporter_type, score, substance_exposed_infant, youngest_child_age",
        id="unknown-fact",
    ),
    pytest.param(
        f(condition='fact: youngest_child_age\n      op: "=<"\n      value: 3'),
        "r.yaml: rule 'r1': condition: unknown operator '=<'; operators: ==, !=, <, <=, >, >=, in, not_in, contains, contains_any, contains_all",
        id="unknown-op",
    ),
    pytest.param(
        f(condition="fact: score\n      op: contains\n      value: 3"),
        "r.yaml: rule 'r1': condition: operator 'contains' does not apply to number fact 'score'; use one of ==, !=, <, <=, >, >=",
        id="op-kind",
    ),
    pytest.param(
        f(condition="fact: score\n      value: 3"),
        "r.yaml: rule 'r1': condition: comparison on 'score' has no op; use one of ==, !=, <, <=, >, >=",
        id="no-op",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="'),
        "r.yaml: rule 'r1': condition: comparison on 'score' has no value",
        id="no-value",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: high'),
        "r.yaml: rule 'r1': condition: fact 'score' is a number, so value must be a number; got text 'high'",
        id="num-vs-str",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: true'),
        "r.yaml: rule 'r1': condition: fact 'score' is a number, so value must be a number; got boolean true",
        id="num-vs-bool",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: 25'),
        "r.yaml: rule 'r1': condition: value 25 is outside the range of 'score' (1-20)",
        id="out-of-range",
    ),
    pytest.param(
        f(condition='fact: any_caregiver_pregnant\n      op: "=="\n      value: 1'),
        "r.yaml: rule 'r1': condition: fact 'any_caregiver_pregnant' is a boolean, so value must be true or false; got number 1",
        id="bool-vs-num",
    ),
    pytest.param(
        f(condition='fact: band\n      op: "=="\n      value: extreme'),
        "r.yaml: rule 'r1': condition: text 'extreme' is not a value of 'band'; accepted: high, low, moderate, very_high",
        id="bad-band",
    ),
    pytest.param(
        f(
            condition="fact: allegation_types\n      op: contains_any\n      value: [sexual_abuse, arson]"
        ),
        "r.yaml: rule 'r1': condition: text 'arson' is not a value of 'allegation_types'; accepted: abandonment, caregiver_substance_use, domestic_violence, educational_neglect, emotional_abuse, inadequate_housing, inadequate_supervision, medical_neglect, neglect, physical_abuse, sexual_abuse, substance_exposed_infant",
        id="bad-allegation",
    ),
    pytest.param(
        f(condition="fact: allegation_types\n      op: contains_any\n      value: sexual_abuse"),
        "r.yaml: rule 'r1': condition: operator 'contains_any' needs a non-empty list of values; got text",
        id="list-needed",
    ),
    pytest.param(
        f(condition="fact: band\n      op: in\n      value: []"),
        "r.yaml: rule 'r1': condition: operator 'in' needs a non-empty list of values; got list (empty)",
        id="empty-list",
    ),
    pytest.param(
        f(condition='fact: prior_reports_same_household\n      op: ">="\n      value: 2'),
        "r.yaml: rule 'r1': condition: fact 'prior_reports_same_household' needs params: window_days (1-3650)",
        id="missing-param",
    ),
    pytest.param(
        f(
            condition='fact: prior_reports_same_household\n      params: {window_days: 0}\n      op: ">="\n      value: 2'
        ),
        "r.yaml: rule 'r1': condition.params.window_days: 0 is outside 1-3650 (days before the day the referral was received, inclusive)",
        id="bad-param",
    ),
    pytest.param(
        f(
            condition='fact: prior_reports_same_household\n      params: {window_days: "1y"}\n      op: ">="\n      value: 2'
        ),
        "r.yaml: rule 'r1': condition.params.window_days: expected a whole number; got text '1y'",
        id="param-type",
    ),
    pytest.param(
        f(
            condition='fact: prior_reports_same_household\n      params: {window_days: 3, days: 2}\n      op: ">="\n      value: 2'
        ),
        "r.yaml: rule 'r1': condition.params: unknown param days for fact 'prior_reports_same_household'; it takes window_days (1-3650)",
        id="unknown-param",
    ),
    pytest.param(
        f(condition='fact: score\n      params: {window_days: 3}\n      op: ">="\n      value: 2'),
        "r.yaml: rule 'r1': condition: fact 'score' takes no params; got window_days",
        id="no-params-fact",
    ),
    pytest.param(
        f(condition='fact: score\n      params: {1: 2}\n      op: ">="\n      value: 2'),
        "r.yaml: rule 'r1': condition: fact 'score' takes no params; got 1",
        id="no-params-fact-number-key",
    ),
    pytest.param(
        f(condition=nested(33), explanation='"x"'),
        f"r.yaml: rule 'r1': condition{'.not' * 32}: the condition nests too deeply (more than 32 levels); flatten it, e.g. merge nested all or any lists",
        id="cond-too-deep",
    ),
    pytest.param(
        f(condition=nested(33, "any"), explanation='"x"'),
        f"r.yaml: rule 'r1': condition{'.any[0]' * 32}: the condition nests too deeply (more than 32 levels); flatten it, e.g. merge nested all or any lists",
        id="cond-too-deep-any",
    ),
    pytest.param(
        f(condition=nested(300), explanation='"x"'),
        "r.yaml: the rules nest too deeply to read; a condition may have at most 32 levels",
        id="yaml-too-deep",
    ),
    pytest.param(
        f(condition="all: []"),
        "r.yaml: rule 'r1': condition.all: expected a non-empty list of conditions; got list (empty)",
        id="comb-empty",
    ),
    pytest.param(
        f(condition="all: []\n      any: []"),
        "r.yaml: rule 'r1': condition: expected one of the keys all, any, not, or a comparison with keys fact, op, value (and optional params); got all, any",
        id="comb-two-keys",
    ),
    pytest.param(
        f(condition="either: []"),
        "r.yaml: rule 'r1': condition: expected one of the keys all, any, not, or a comparison with keys fact, op, value (and optional params); got either",
        id="comb-unknown",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: 2\n      unit: x'),
        "r.yaml: rule 'r1': condition: unknown key 'unit'; a comparison has fact, op, value and optional params",
        id="cmp-extra-key",
    ),
    pytest.param(
        f(
            condition='all:\n        - fact: score\n          op: ">="\n          value: 2\n        - not:\n            fact: nope\n            op: "=="\n            value: 1'
        ),
        "r.yaml: rule 'r1': condition.all[1].not: unknown fact 'nope'; known facts: allegation_types, any_caregiver_pregnant, band, number_of_children, number_of_prior_placements, oldest_child_age, prior_reports_same_household, prior_screened_in_same_household, prior_substantiated_same_household, probability, reported_needs, reporter_type, score, substance_exposed_infant, youngest_child_age",
        id="nested",
    ),
    pytest.param(
        f(condition="- fact: score"),
        "r.yaml: rule 'r1': condition: expected a mapping (a comparison with fact/op/value, or all/any/not); got list",
        id="cond-list",
    ),
    pytest.param(
        f(action="screen_in"),
        "r.yaml: rule 'r1': action.type: Input should be 'screen_in_required', 'screen_in_recommended', 'screen_out_with_referral' or 'flag'; got text 'screen_in'",
        id="bad-action",
    ),
    pytest.param(
        f().replace(
            "      type: screen_in_required\n", "      type: flag\n      suggest_needs: [jobs]\n"
        ),
        "r.yaml: rule 'r1': action.suggest_needs.0: Input should be 'home_visiting', 'prenatal_home_visiting', 'substance_use_treatment', 'domestic_violence', 'housing', 'early_learning', 'parenting', 'food' or 'mental_health'; got text 'jobs'",
        id="bad-need",
    ),
    pytest.param(
        f().replace("      type: screen_in_required\n", "      type: flag\n      priority: 1\n"),
        "r.yaml: rule 'r1': action.priority: unknown key; accepted keys: type, suggest_needs",
        id="action-extra",
    ),
    pytest.param(
        f(effective_from="2026-13-01"),
        "r.yaml: rule 'r1': effective_from: Input should be a valid date or datetime, month value is outside expected range of 1-12; got text '2026-13-01' (write dates as YYYY-MM-DD)",
        id="bad-date",
    ),
    pytest.param(
        f(effective_from="yesterday"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got text 'yesterday'",
        id="bad-date2",
    ),
    # Pydantic would read a number (or text of digits) as seconds since 1970, and a
    # midnight time as its day: `effective_from: 0` loaded as 1970-01-01.
    pytest.param(
        f(effective_from="0"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got number 0",
        id="date-int",
    ),
    pytest.param(
        f(effective_from="86400.0"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got number 86400.0",
        id="date-float",
    ),
    pytest.param(
        f(effective_from="true"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got boolean true",
        id="date-bool",
    ),
    pytest.param(
        f(effective_from="'0'"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got text '0'",
        id="date-digits-text",
    ),
    pytest.param(
        f(effective_from="'2026-01-01T00:00:00'"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got text '2026-01-01T00:00:00'",
        id="date-with-time-text",
    ),
    pytest.param(
        f(effective_from="!!timestamp 2026-01-01T10:00:00"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got datetime 2026-01-01 10:00:00",
        id="date-tagged-datetime",
    ),
    # None is named once: the message had read "got null null".
    pytest.param(
        f(effective_from="null"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got null",
        id="date-null",
    ),
    pytest.param(
        f(effective_from="{day: 1}"),
        "r.yaml: rule 'r1': effective_from: Input should be a day written YYYY-MM-DD; got a mapping",
        id="date-mapping",
    ),
    pytest.param(
        f(effective_to="0"),
        "r.yaml: rule 'r1': effective_to: Input should be a day written YYYY-MM-DD; got number 0",
        id="date-to-int",
    ),
    pytest.param(
        f(effective_to="2025-01-01"),
        "r.yaml: rule 'r1': effective_to 2025-01-01 is before effective_from 2026-01-01; a rule must end on or after the day it starts",
        id="dates-order",
    ),
    pytest.param(
        f(explanation='"{youngest}"'),
        "r.yaml: rule 'r1': explanation: field {youngest} is not a known field; fields: allegation_types, any_caregiver_pregnant, band, number_of_children, number_of_prior_placements, oldest_child_age, probability, reported_needs, reporter_type, score, substance_exposed_infant, youngest_child_age",
        id="tpl-unknown",
    ),
    pytest.param(
        f(explanation='"{score.real}"'),
        "r.yaml: rule 'r1': explanation: field {score.real} uses attribute or index access; only plain fact names are allowed",
        id="tpl-attr",
    ),
    pytest.param(
        f(explanation='"{allegation_types[0]}"'),
        "r.yaml: rule 'r1': explanation: field {allegation_types[0]} uses attribute or index access; only plain fact names are allowed",
        id="tpl-index",
    ),
    pytest.param(
        f(explanation='"{}"'),
        "r.yaml: rule 'r1': explanation: field {} has no name; name a fact, e.g. {score}",
        id="tpl-positional",
    ),
    pytest.param(
        f(explanation='"a } b"'),
        "r.yaml: rule 'r1': explanation: malformed template (Single '}' encountered in format string); write {{ and }} for literal braces",
        id="tpl-brace",
    ),
    pytest.param(
        f(explanation='"{score!r}"'),
        "r.yaml: rule 'r1': explanation: field {score} uses conversion !r; conversions are not allowed",
        id="tpl-conv",
    ),
    pytest.param(
        f(explanation='"{allegation_types:.2f}"'),
        "r.yaml: rule 'r1': explanation: field {allegation_types}: format spec '.2f' does not fit allegation_types, which shows as a list",
        id="tpl-spec",
    ),
    pytest.param(
        f(explanation='"{score:>1000000000}"'),
        "r.yaml: rule 'r1': explanation: field {score}: format spec '>1000000000' is too wide; widths and precisions go up to 40",
        id="tpl-spec-width",
    ),
    pytest.param(
        f(explanation='"{probability:*^.100f}"'),
        "r.yaml: rule 'r1': explanation: field {probability}: format spec '*^.100f' is too wide; widths and precisions go up to 40",
        id="tpl-spec-precision",
    ),
    pytest.param(
        f(explanation='"{prior_reports_same_household}"'),
        "r.yaml: rule 'r1': explanation: field {prior_reports_same_household} names a fact with params that the condition does not use, so its window_days is unknown",
        id="tpl-param-unused",
    ),
    pytest.param(
        f(
            condition='all:\n        - {fact: prior_reports_same_household, params: {window_days: 30}, op: ">=", value: 1}\n        - {fact: prior_reports_same_household, params: {window_days: 90}, op: ">=", value: 2}',
            explanation='"{window_days}"',
        ),
        "r.yaml: rule 'r1': explanation: field {window_days} is ambiguous: the condition uses window_days 30 and 90",
        id="tpl-ambiguous",
    ),
    pytest.param(
        f().replace("title: A rule", 'title: ""'),
        "r.yaml: rule 'r1': title: String should have at least 1 character; got text ''",
        id="empty-title",
    ),
    pytest.param(
        'version: "1"\nband_defaults: {extreme: screen_in_required}\nrules: []\n',
        "r.yaml: band_defaults.extreme: Input should be 'low', 'moderate', 'high' or 'very_high'; got text 'extreme'",
        id="band-defaults",
    ),
    pytest.param(
        'version: "1"\neffective: soon\nrules: []\n',
        "r.yaml: effective: Input should be a day written YYYY-MM-DD; got text 'soon'",
        id="effective",
    ),
    pytest.param(
        'version: "1"\neffective: 0\nrules: []\n',
        "r.yaml: effective: Input should be a day written YYYY-MM-DD; got number 0",
        id="effective-int",
    ),
    pytest.param(
        'version: "1"\neffective: false\nrules: []\n',
        "r.yaml: effective: Input should be a day written YYYY-MM-DD; got boolean false",
        id="effective-bool",
    ),
    pytest.param(
        f(condition="any: [&a " + LEAF + ", *a]"),
        "r.yaml: alias *a repeats a mapping or list, which a rules file may not do; write the repeated part out at line 8, column 51",
        id="alias-of-mapping",
    ),
    pytest.param(
        f(condition="&a {not: *a}"),
        "r.yaml: alias *a repeats a mapping or list, which a rules file may not do; write the repeated part out at line 8, column 16",
        id="alias-inside-itself",
    ),
    pytest.param(
        'version: "1"\nname: !!bool maybe\nrules: []\n',
        "r.yaml: not valid YAML: cannot read 'maybe' as bool at line 2, column 7",
        id="tagged-bool",
    ),
    pytest.param(
        f(effective_from="!!timestamp 2026-13-01"),
        "r.yaml: not valid YAML: cannot read '2026-13-01' as timestamp at line 6, column 21",
        id="tagged-timestamp",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: 1' + "0" * 5000),
        "r.yaml: not valid YAML: cannot read '10000000000000000000...' as int at line 10, column 14",
        id="int-too-long",
    ),
    pytest.param(
        f(
            condition='fact: prior_reports_same_household\n      params: {window_days: 30}\n      op: "<"\n      value: .inf'
        ),
        "r.yaml: rule 'r1': condition: value inf is not a finite number",
        id="num-inf",
    ),
    pytest.param(
        f(
            condition='fact: prior_reports_same_household\n      params: {window_days: 0365}\n      op: ">="\n      value: 2'
        ),
        "r.yaml: '0365' would be read as octal (245); write the number in decimal digits without leading zeros or colons at line 9, column 29",
        id="int-octal",
    ),
    pytest.param(
        f(condition='fact: youngest_child_age\n      op: "<"\n      value: 2:30'),
        "r.yaml: '2:30' would be read as base 60 (150); write the number in decimal digits without leading zeros or colons at line 10, column 14",
        id="int-base-60",
    ),
    pytest.param(
        f(condition='fact: probability\n      op: ">"\n      value: 0:0.5'),
        "r.yaml: '0:0.5' would be read as base 60 (0.5); write the number in decimal digits without leading zeros or colons at line 10, column 14",
        id="float-base-60",
    ),
    pytest.param(
        f(condition='fact: score\n      op: ">="\n      value: .nan'),
        "r.yaml: rule 'r1': condition: value nan is not a finite number",
        id="num-nan",
    ),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_file_is_refused_with_exact_message(text, message):
    with pytest.raises(RulesFileError) as caught:
        parse_rules(text, source="r.yaml")
    assert str(caught.value) == message
    assert "\n" not in message


def test_errors_share_one_base():
    assert issubclass(RulesFileError, RulesError)
    assert issubclass(RulesError, ValueError)


def test_load_names_the_path(tmp_path):
    path = tmp_path / "agency.yaml"
    path.write_text(f(rule_id="x1", condition='fact: nope\n      op: "=="\n      value: 1'))
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}: rule 'x1': condition: unknown fact 'nope'; ")


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}: cannot read rules file: No such file or directory"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: '1'\nname: caf\xe9\nrules: []\n")
    with pytest.raises(RulesFileError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 22)"


def test_valid_minimal_file_and_digest(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(f())
    ruleset = load_rules(path)
    assert ruleset.version == "t1"
    assert ruleset.source == str(path)
    assert len(ruleset.sha256) == 64
    assert ruleset.rules[0].effective_to is None


def test_empty_rule_list_is_allowed():
    assert parse_rules('version: "0"\nrules: []\n').rules == ()


@pytest.mark.parametrize("combinator", ["not", "all", "any"])
def test_condition_at_the_depth_limit_is_accepted(combinator):
    assert MAX_CONDITION_DEPTH == 32
    ruleset = parse_rules(f(condition=nested(32, combinator), explanation='"x"'))
    assert [rule.id for rule in ruleset.rules] == ["r1"]


def test_exponential_aliases_are_refused_at_once():
    # Ten aliases per level, each to the level below: 10**4 comparisons in 500 bytes (each
    # further level multiplies by ten), which checking the rule would have expanded.
    levels = ["&c0 " + LEAF] + [
        f"&c{i} {{all: [{', '.join([f'*c{i - 1}'] * 10)}]}}" for i in range(1, 5)
    ]
    text = f(condition=f"any: [{', '.join(levels)}]", explanation='"x"')
    assert len(text) < 600
    with pytest.raises(RulesFileError) as caught:
        parse_rules(text, source="r.yaml")
    assert str(caught.value).startswith("r.yaml: alias *c0 repeats a mapping or list, ")


def test_numbers_yaml_reads_as_written_are_accepted():
    text = f(
        condition='all:\n        - {fact: prior_reports_same_household, params: {window_days: 1_095}, op: ">=", value: 0}\n'
        '        - {fact: score, op: ">=", value: 0x12}\n'
        '        - {fact: youngest_child_age, op: "<", value: 02.5}\n'
        '        - {fact: probability, op: "<", value: 1.0e-1}',
        explanation='"x"',
    )
    (rule,) = parse_rules(text).rules
    assert [(c.value, c.params) for c in rule.condition.all_] == [
        (0, {"window_days": 1095}),
        (18, {}),
        (2.5, {}),
        (0.1, {}),
    ]


def test_aliases_of_text_numbers_and_dates_are_accepted():
    text = (
        'version: &v "9"\nname: *v\nrules:\n'
        "  - id: r1\n    title: &t Same words\n    citation: *t\n"
        "    effective_from: &d 2026-01-01\n    effective_to: *d\n"
        '    condition: {fact: score, op: ">=", value: &n 18}\n'
        "    action: {type: flag}\n    explanation: *t\n"
    )
    (rule,) = parse_rules(text).rules
    assert (rule.title, rule.citation, rule.explanation) == ("Same words",) * 3
    assert rule.effective_from == rule.effective_to == dt.date(2026, 1, 1)
    assert parse_rules(text).name == "9"


@pytest.mark.parametrize(
    "written",
    ["2026-01-01", "'2026-01-01'", "!!timestamp 2026-01-01"],
    ids=["plain", "quoted", "tagged"],
)
def test_a_date_is_accepted_as_yyyy_mm_dd_text_or_a_yaml_date(written):
    (rule,) = parse_rules(f(effective_from=written, effective_to=written)).rules
    assert rule.effective_from == rule.effective_to == dt.date(2026, 1, 1)
