"""Derive a family's needs from a referral, each with the reason it was derived.

The needs come in priority order, which decides which needs get an option first when there
are more needs than options (see ``docs/referrals.md``):

1. needs suggested by the policy rules that fired (an agency's own decision);
2. prenatal home visiting for a pregnant caregiver (it cannot wait for a later call);
3. needs the caller reported;
4. needs from the allegations;
5. needs from caregiver treatment episodes in the look-back window;
6. home visiting and early learning for a child under five.

A need from several sources takes its highest place and lists every reason. Treatment
episodes count only inside a look-back window, because permanent "ever" flags were a main
criticism of earlier screening tools.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from models.referral import AllegationType, InvolvementKind, Need, Referral

_ALLEGATION_NEEDS: dict[AllegationType, tuple[Need, ...]] = {
    AllegationType.domestic_violence: (Need.domestic_violence,),
    AllegationType.caregiver_substance_use: (Need.substance_use_treatment,),
    AllegationType.substance_exposed_infant: (Need.substance_use_treatment,),
    AllegationType.inadequate_housing: (Need.housing,),
    AllegationType.neglect: (Need.food, Need.parenting),
    AllegationType.inadequate_supervision: (Need.parenting,),
    AllegationType.educational_neglect: (Need.parenting,),
    AllegationType.physical_abuse: (Need.parenting,),
    AllegationType.emotional_abuse: (Need.parenting, Need.mental_health),
    AllegationType.sexual_abuse: (Need.mental_health,),
}
_INVOLVEMENT_NEEDS = {
    InvolvementKind.substance_use_treatment: Need.substance_use_treatment,
    InvolvementKind.behavioral_health_treatment: Need.mental_health,
}
_INVOLVEMENT_TEXT = {
    InvolvementKind.substance_use_treatment: "substance-use",
    InvolvementKind.behavioral_health_treatment: "behavioral-health",
}
YOUNG_CHILD_YEARS = 5.0
"""Children younger than this suggest home visiting and early learning."""


class DerivedNeed(BaseModel):
    """A need of the family and why it was derived."""

    model_config = ConfigDict(frozen=True)

    need: Need
    reason: str


class SuggestsNeeds(Protocol):
    """A rule that fired, as the referral side reads it (``service.rules.RuleHit``)."""

    @property
    def id(self) -> str:
        """The rule's id."""

    @property
    def suggest_needs(self) -> Sequence[Need]:
        """The needs the rule suggests."""


def needs_from_rules(hits: Iterable[SuggestsNeeds]) -> list[DerivedNeed]:
    """Return the needs the rules that fired suggest, each with the reason "rule <id>".

    Parameters
    ----------
    hits : Iterable[SuggestsNeeds]
        The rule hits of a referral (``RulesOutcome.rule_hits``), in order.

    Returns
    -------
    list[DerivedNeed]
        One entry per need, in the order first suggested; a need several rules suggest
        names each of them ("rule a; rule b").
    """
    reasons: dict[Need, list[str]] = {}
    for hit in hits:
        for need in hit.suggest_needs:
            reasons.setdefault(need, []).append(f"rule {hit.id}")
    return [DerivedNeed(need=n, reason="; ".join(r)) for n, r in reasons.items()]


def derive_needs(
    referral: Referral,
    *,
    lookback_days: int = 730,
    rule_needs: Iterable[DerivedNeed] = (),
) -> list[DerivedNeed]:
    """Derive the family's needs from a referral, in priority order.

    Parameters
    ----------
    referral : Referral
        The report to the hotline.
    lookback_days : int
        A caregiver's treatment episode counts if it was ongoing or ended within this many
        days before the referral was received.
    rule_needs : Iterable[DerivedNeed]
        Needs the policy rules suggest, with their reasons (see :func:`needs_from_rules`).
        They come first.

    Returns
    -------
    list[DerivedNeed]
        One entry per need, in priority order (rules, pregnancy, reported, allegations,
        caregiver treatment, children's ages; see the module docstring); reasons from
        several sources are joined with "; " in that order.
    """
    reasons: dict[Need, list[str]] = {}

    def add(need: Need, reason: str) -> None:
        listed = reasons.setdefault(need, [])
        if reason not in listed:
            listed.append(reason)

    for derived in rule_needs:
        add(derived.need, derived.reason)
    if any(caregiver.pregnant for caregiver in referral.caregivers):
        add(Need.prenatal_home_visiting, "a caregiver is pregnant")
    for need in referral.reported_needs:
        add(need, "the caller reported this need")
    for allegation in referral.allegation_types:
        for need in _ALLEGATION_NEEDS.get(allegation, ()):
            add(need, f"allegation: {allegation.value.replace('_', ' ')}")
    since = referral.received_at.date() - dt.timedelta(days=lookback_days)
    for caregiver in referral.caregivers:
        for episode in caregiver.involvements:
            flagged = _INVOLVEMENT_NEEDS.get(episode.kind)
            if flagged is not None and (episode.end_date is None or episode.end_date >= since):
                add(
                    flagged,
                    f"a caregiver had {_INVOLVEMENT_TEXT[episode.kind]} treatment "
                    f"in the last {_window(lookback_days)}",
                )
    young = sorted(c.age_years for c in referral.children if c.age_years < YOUNG_CHILD_YEARS)
    if young:
        ages = ", ".join(f"{age:g}" for age in young)
        reason = f"child aged {ages} is under {YOUNG_CHILD_YEARS:g}"
        if len(young) > 1:
            reason = f"children aged {ages} are under {YOUNG_CHILD_YEARS:g}"
        add(Need.home_visiting, reason)
        add(Need.early_learning, reason)
    return [DerivedNeed(need=need, reason="; ".join(text)) for need, text in reasons.items()]


def no_needs_reason(referral: Referral, *, lookback_days: int = 730) -> str:
    """Say why no need was derived from a referral, for the screener.

    Parameters
    ----------
    referral : Referral
        A report from which :func:`derive_needs` derived nothing.
    lookback_days : int
        The treatment look-back window that was used.

    Returns
    -------
    str
        Every source of needs and why it gave none.
    """
    allegations = ", ".join(a.value.replace("_", " ") for a in referral.allegation_types)
    sources = [
        "the caller reported none and no rule suggested one",
        f"the allegations ({allegations}) map to none" if allegations else "no allegation",
        f"no caregiver was in treatment in the last {_window(lookback_days)}",
        "no caregiver is pregnant",
        f"no child is under {YOUNG_CHILD_YEARS:g}",
    ]
    return (
        f"No community-service need was derived from this referral: {'; '.join(sources)}. "
        "Search the directory by need if the family needs help."
    )


def _window(days: int) -> str:
    # Whole years read as years ("2 years" for 730 days); any other window in days, so
    # 180 days is not rounded down to "the last 0 years".
    years, rest = divmod(days, 365)
    if years and not rest:
        return f"{years} year" if years == 1 else f"{years} years"
    return f"{days} day" if days == 1 else f"{days} days"
