"""The suggestion returned to a screener: one option, why it matched, and how to reach it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.referral import Need
from service.referrals.directory import Capacity
from service.referrals.needs import DerivedNeed
from service.referrals.unmet import UnmetNeed


class ReferralSuggestion(BaseModel):
    """One community service suggested for a family.

    ``rank`` is the display order among several options; it is not a recommendation of one
    service over another.
    """

    model_config = ConfigDict(frozen=True)

    rank: int = Field(ge=1)
    service_id: str
    service_name: str
    organization: str
    need: Need = Field(description="The family's need this option is listed for.")
    also_meets: list[Need] = Field(default=[], description="Other needs of the family it meets.")
    why: list[str] = Field(description="Why it matched, one reason a line.")
    phone: str | None
    address: str | None
    location_name: str | None = None
    hours: str | None
    distance_km: float | None = Field(description="From the family's ZIP centre; null if unknown.")
    languages: list[str] = []
    capacity: Capacity = "unknown"
    eligibility: str | None = Field(default=None, description="The directory's eligibility text.")
    next_step: str | None = Field(default=None, description="How to apply, from the directory.")
    url: str | None = None
    last_verified: dt.date | None = None


class ReferralMatch(BaseModel):
    """Everything matching found for a family: the options, and each need left without one.

    A need is met when an option is listed for it or lists it under ``also_meets``.
    """

    model_config = ConfigDict(frozen=True)

    needs: list[DerivedNeed] = Field(description="The family's needs, in priority order.")
    county: str | None = Field(description="County used for county-wide services, if any.")
    suggestions: list[ReferralSuggestion]
    unmet: list[UnmetNeed] = Field(
        default=[], description="Needs no listed option meets, in priority order, with why."
    )
    note: str | None = Field(
        default=None, description="Why no need was derived, when none was (else null)."
    )


class ReferralSearchResponse(BaseModel):
    """The answer to a screener's search: what was searched for and the options found."""

    model_config = ConfigDict(frozen=True)

    needs: list[Need]
    zip: str
    county: str | None = Field(description="County used for county-wide services, if known.")
    results: list[ReferralSuggestion]
    unmet: list[UnmetNeed] = Field(
        default=[], description="Needs searched for with no option listed, and why."
    )
