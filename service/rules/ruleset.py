"""A loaded, checked and compiled rule set: what the service keeps in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.scoring import Band
from service.rules.conditions import Predicate
from service.rules.explanations import ExplanationTemplate
from service.rules.recommendation import (
    ACTION_PRECEDENCE,
    DEFAULT_BAND_RECOMMENDATIONS,
    RecommendationValue,
)
from service.rules.schema import Rule, RulesDocument, RuleSetView


@dataclass(frozen=True)
class CompiledRule:
    """One rule with its condition and explanation compiled at load time."""

    rule: Rule
    predicate: Predicate
    explanation: ExplanationTemplate


@dataclass(frozen=True)
class RuleSet:
    """A checked rule set, ready to evaluate.

    Attributes
    ----------
    document : RulesDocument
        The rules file as typed data.
    compiled : tuple of CompiledRule
        The rules in file order, compiled.
    source : str
        The path the rule set was loaded from (``<string>`` if parsed from text).
    sha256 : str
        SHA-256 of the file's bytes, to log beside the version: two files with the same
        version string but different content can then be told apart.
    """

    document: RulesDocument
    compiled: tuple[CompiledRule, ...]
    source: str
    sha256: str

    @property
    def version(self) -> str:
        """The version declared in the rules file."""
        return self.document.version

    @property
    def name(self) -> str:
        """The name declared in the rules file."""
        return self.document.name

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules in file order."""
        return self.document.rules

    @property
    def rules_by_id(self) -> dict[str, Rule]:
        """The rules keyed by id."""
        return {rule.id: rule for rule in self.document.rules}

    @property
    def band_defaults(self) -> dict[Band, RecommendationValue]:
        """The fallback recommendation per band, the file's overrides applied."""
        return {**DEFAULT_BAND_RECOMMENDATIONS, **self.document.band_defaults}

    def view(self) -> RuleSetView:
        """Describe the rule set for supervisors (``GET /v1/rules``).

        Returns
        -------
        RuleSetView
            Version, citations and rules; the source is reduced to its file name.
        """
        doc = self.document
        return RuleSetView(
            version=doc.version,
            name=doc.name,
            effective=doc.effective,
            description=doc.description,
            source=Path(self.source).name,
            sha256=self.sha256,
            precedence=list(ACTION_PRECEDENCE),
            band_defaults=self.band_defaults,
            rules=list(doc.rules),
        )
