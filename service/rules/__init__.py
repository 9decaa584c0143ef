"""Cited, versioned screening policy rules, kept separate from the risk model.

A *rule set* is a YAML file an agency edits without touching code: a version, and rules that
each have an id, a citation, effective dates, a typed condition over named facts about the
referral (:data:`FACTS`), an action and an explanation template. :func:`load_rules` refuses an
invalid file with one line naming the file, rule and problem; :func:`evaluate_rules` runs a
rule set on one referral and combines the rules that fired (and the score's band) into one
:class:`Recommendation` by explicit precedence. :class:`RulesHolder` keeps the active set,
keeps serving it when a reload fails, and refuses other rules under a version it has served.

See ``docs/rules.md`` for the file format and the shipped default rules.
"""

from service.rules.engine import evaluate_rules
from service.rules.errors import (
    CasesError,
    FactInputError,
    RuleInvalid,
    RulesError,
    RulesFileError,
    VersionNotRaised,
)
from service.rules.facts import FACTS, FactKind, FactSpec
from service.rules.holder import RulesHolder
from service.rules.loader import DEFAULT_RULES_PATH, default_rules_path, load_rules, parse_rules
from service.rules.outcome import RuleHit, RulesOutcome
from service.rules.recommendation import (
    ACTION_PRECEDENCE,
    DEFAULT_BAND_RECOMMENDATIONS,
    ActionType,
    Recommendation,
    RecommendationValue,
    recommend,
)
from service.rules.ruleset import RuleSet
from service.rules.schema import Rule, RulesDocument, RuleSetView

__all__ = [
    # loading
    "DEFAULT_RULES_PATH",
    "default_rules_path",
    "load_rules",
    "parse_rules",
    "RuleSet",
    "RulesHolder",
    "Rule",
    "RulesDocument",
    "RuleSetView",
    "FACTS",
    "FactKind",
    "FactSpec",
    # evaluation
    "evaluate_rules",
    "recommend",
    "RulesOutcome",
    "RuleHit",
    "Recommendation",
    "RecommendationValue",
    "ActionType",
    "ACTION_PRECEDENCE",
    "DEFAULT_BAND_RECOMMENDATIONS",
    # errors
    "RulesError",
    "RulesFileError",
    "RuleInvalid",
    "CasesError",
    "FactInputError",
    "VersionNotRaised",
]
