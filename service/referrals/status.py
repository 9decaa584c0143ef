"""Closed-loop referral status: what became of a suggestion after the call.

The vocabulary is deliberately small, a subset of findhelp's referral statuses and of the
FHIR Task states used by the Gravity Project's SDOH referral profile. Storage lives with the
decision log; this module only defines the shapes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ReferralStatus(StrEnum):
    """Where a referral to a community service stands."""

    made = "made"
    """The screener gave the family the service's details or made a warm handoff."""
    accepted = "accepted"
    """The service or the family confirmed they are engaging."""
    declined = "declined"
    """The family declined, or the service could not take them (not eligible, no capacity)."""
    unreachable = "unreachable"
    """The family or the service could not be reached."""


class ReferralStatusUpdate(BaseModel):
    """A screener's record of a referral's status, kept with the scoring decision."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    service_id: Annotated[str, Field(min_length=1, max_length=200)]
    status: ReferralStatus
    note: Annotated[str, Field(max_length=2000)] | None = None
    recorded_at: AwareDatetime | None = Field(
        default=None, description="When the status was observed; the server time if omitted."
    )

    def at(self) -> dt.datetime | None:
        """Return ``recorded_at`` (None when the caller left it to the server)."""
        return self.recorded_at
