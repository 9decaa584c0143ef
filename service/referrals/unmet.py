"""Needs of a family for which no option is listed, and why, so a screener is told."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from models.referral import Need
from service.referrals.reasons import NEED_TEXT

UnmetCause = Literal["over_limit", "none_in_reach", "none_in_directory"]
Exclusion = Literal["age range", "eligibility", "language"]
"""The hard filter that excluded a service in the family's area, in the order applied."""


class UnmetNeed(BaseModel):
    """A need of the family for which no option is listed (nor met by another option)."""

    model_config = ConfigDict(frozen=True)

    need: Need
    reason: str = Field(description="Why the family has this need.")
    cause: UnmetCause = Field(
        description="over_limit: every option went to needs ranked higher; none_in_reach: "
        "no service for it covers the family's place or fits the family; none_in_directory: "
        "no active service in the directory meets it."
    )
    message: str = Field(description="Why no option is listed, for the screener.")


def over_limit(need: Need, reason: str, *, limit: int) -> UnmetNeed:
    """Return the unmet need of a need whose options did not fit in ``limit``."""
    message = (
        f"No option listed: all {limit} options went to needs ranked higher; search the "
        f"directory for {NEED_TEXT[need]} to see its options"
    )
    return UnmetNeed(need=need, reason=reason, cause="over_limit", message=message)


def none_in_directory(need: Need, reason: str) -> UnmetNeed:
    """Return the unmet need of a need no active service in the directory meets."""
    message = f"The directory lists no active {NEED_TEXT[need]} service"
    return UnmetNeed(need=need, reason=reason, cause="none_in_directory", message=message)


def none_in_reach(
    need: Need,
    reason: str,
    *,
    zip_code: str,
    county: str | None,
    excluded: Mapping[Exclusion, int],
) -> UnmetNeed:
    """Return the unmet need of a need no service in the family's place meets or fits.

    Parameters
    ----------
    need : Need
        The need.
    reason : str
        Why the family has it.
    zip_code : str
        The family's ZIP code.
    county : str or None
        The county whose county-wide services were looked at, if any.
    excluded : Mapping[Exclusion, int]
        How many services in the area each filter excluded (a service counts once, for
        the first filter that excluded it); empty when no service is in the area.

    Returns
    -------
    UnmetNeed
        With cause ``none_in_reach``.
    """
    place = f"ZIP {zip_code}" + (f" or {county}" if county else "")
    what = NEED_TEXT[need]
    total = sum(excluded.values())
    if not total:
        message = f"No active {what} service serves {place}"
    else:
        services = f"{total} {what} service{'s' if total > 1 else ''}"
        verb = "serve" if total > 1 else "serves"
        # In the order the filters are applied.
        by = ", ".join(
            f"{excluded[name]} by {name}" for name in get_args(Exclusion) if excluded.get(name)
        )
        message = f"{services} {verb} {place}, but none fits this family: {by}"
    return UnmetNeed(need=need, reason=reason, cause="none_in_reach", message=message)
