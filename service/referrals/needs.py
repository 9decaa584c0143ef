"""Derive a family's needs from a referral, each with the reason it was derived.

Sources, in the order they are listed: needs the caller reported, allegations, recent
caregiver treatment episodes and pregnancy, then the children's ages. Treatment episodes
count only inside a look-back window, because permanent "ever" flags were a main criticism
of earlier screening tools.
"""

from __future__ import annotations

import datetime as dt

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


def derive_needs(referral: Referral, *, lookback_days: int = 730) -> list[DerivedNeed]:
    """Derive the family's needs from a referral.

    Parameters
    ----------
    referral : Referral
        The report to the hotline.
    lookback_days : int
        A caregiver's treatment episode counts if it was ongoing or ended within this many
        days before the referral was received.

    Returns
    -------
    list[DerivedNeed]
        One entry per need, in order of first derivation (reported, allegation, caregiver,
        pregnancy, children's ages); reasons from several sources are joined with "; ".
    """
    reasons: dict[Need, list[str]] = {}

    def add(need: Need, reason: str) -> None:
        listed = reasons.setdefault(need, [])
        if reason not in listed:
            listed.append(reason)

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
    if any(caregiver.pregnant for caregiver in referral.caregivers):
        add(Need.prenatal_home_visiting, "a caregiver is pregnant")
    young = sorted(c.age_years for c in referral.children if c.age_years < YOUNG_CHILD_YEARS)
    if young:
        ages = ", ".join(f"{age:g}" for age in young)
        reason = f"child aged {ages} is under {YOUNG_CHILD_YEARS:g}"
        if len(young) > 1:
            reason = f"children aged {ages} are under {YOUNG_CHILD_YEARS:g}"
        add(Need.home_visiting, reason)
        add(Need.early_learning, reason)
    return [DerivedNeed(need=need, reason="; ".join(text)) for need, text in reasons.items()]


def _window(days: int) -> str:
    # Whole years read as years ("2 years" for 730 days); any other window in days, so
    # 180 days is not rounded down to "the last 0 years".
    years, rest = divmod(days, 365)
    if years and not rest:
        return f"{years} year" if years == 1 else f"{years} years"
    return f"{days} day" if days == 1 else f"{days} days"
