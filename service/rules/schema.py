"""The typed form of a rules file: condition tree, action, rule and the whole document.

These models are what a rules file *means* once :mod:`.loader` has checked it; they also
serialise back to the file's own shape for ``GET /v1/rules`` (``all``/``any``/``not`` keys).

A condition is one of::

    {fact: NAME, op: OP, value: LITERAL, params: {NAME: INT}}   a comparison (params optional)
    {all: [CONDITION, ...]}                                      every one holds
    {any: [CONDITION, ...]}                                      at least one holds
    {not: CONDITION}                                             it does not hold
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.referral import Need
from models.scoring import Band
from service.days import Day
from service.rules.recommendation import ActionType, RecommendationValue

Scalar = bool | int | float | str
RuleId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


def _has_text(value: str) -> str:
    # A title, citation or explanation of spaces would load a rule that cites nothing.
    if not value.strip():
        raise ValueError("must contain text, not only spaces")
    return value


NonEmptyText = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_has_text)]


class Operator(StrEnum):
    """Operators a comparison may use; which ones apply depends on the fact's kind."""

    eq = "=="
    ne = "!="
    lt = "<"
    le = "<="
    gt = ">"
    ge = ">="
    in_ = "in"
    not_in = "not_in"
    contains = "contains"
    contains_any = "contains_any"
    contains_all = "contains_all"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Comparison(_Frozen):
    """A named fact compared with a literal."""

    fact: str
    op: Operator
    value: Scalar | tuple[Scalar, ...]
    params: dict[str, int] = {}


class AllOf(_Frozen):
    """Holds when every child condition holds."""

    all_: tuple[Condition, ...] = Field(alias="all", min_length=1)


class AnyOf(_Frozen):
    """Holds when at least one child condition holds."""

    any_: tuple[Condition, ...] = Field(alias="any", min_length=1)


class Not(_Frozen):
    """Holds when its child condition does not hold."""

    not_: Condition = Field(alias="not")


Condition = Union[Comparison, AllOf, AnyOf, Not]  # noqa: UP007 (recursive alias needs Union)

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class Action(_Frozen):
    """What a rule asks for when it fires, and the community referrals it suggests."""

    type: ActionType
    suggest_needs: tuple[Need, ...] = ()


class Rule(_Frozen):
    """One cited, dated policy rule."""

    id: RuleId
    title: NonEmptyText
    citation: NonEmptyText
    effective_from: Day
    effective_to: Day | None = None
    condition: Condition
    action: Action
    explanation: NonEmptyText
    notes: str | None = None

    def in_effect(self, day: dt.date) -> bool:
        """Tell whether the rule applies on a day (``effective_to`` is the last day, inclusive).

        Parameters
        ----------
        day : datetime.date
            The day a referral was received.

        Returns
        -------
        bool
            True when ``effective_from <= day <= effective_to``.
        """
        if day < self.effective_from:
            return False
        return self.effective_to is None or day <= self.effective_to


class RulesDocument(_Frozen):
    """A whole rules file: its version, name and rules."""

    # Not blank: the version is what every decision is logged with.
    version: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_has_text)]
    name: str = ""
    effective: Day | None = None
    description: str | None = None
    band_defaults: dict[Band, RecommendationValue] = {}
    rules: tuple[Rule, ...] = ()


class RuleSetView(BaseModel):
    """The active rule set as shown by ``GET /v1/rules``."""

    version: str
    name: str
    effective: dt.date | None
    description: str | None
    source: str = Field(description="File name the rule set was loaded from.")
    sha256: str = Field(description="SHA-256 of the rules file's bytes.")
    precedence: list[ActionType]
    band_defaults: dict[Band, RecommendationValue]
    rules: list[Rule]
