"""What the matcher needs to know about a family, from a referral or a screener's search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.referral import Referral
from service.referrals.languages import normalize_language


@dataclass(frozen=True, slots=True)
class FamilyProfile:
    """The facts the hard filters and the ranking read.

    ``other_ages`` are ages of people whose role is unknown (a screener's search gives ages
    only); they count for every need's age check. ``pregnant`` None and ``ages_known``
    False mean the search did not say: a requirement that depends on it (a pregnancy, a
    child under N) is then not enforced but shown "to confirm", as an age range is not
    checked when no ages are known.
    """

    zip_code: str
    county: str | None
    child_ages: tuple[float, ...]
    caregiver_ages: tuple[float, ...]
    other_ages: tuple[float, ...]
    pregnant: bool | None
    languages: tuple[str, ...]
    as_of: dt.date
    ages_known: bool = True

    @property
    def has_unknowns(self) -> bool:
        """Whether an eligibility requirement may be left unjudged for this family."""
        return self.pregnant is None or not self.ages_known


def profile_from_referral(referral: Referral) -> FamilyProfile:
    """Build the profile of the household named on a referral.

    Parameters
    ----------
    referral : Referral
        The report to the hotline.

    Returns
    -------
    FamilyProfile
        Freshness is judged as of the day the referral was received, so the same referral
        always gets the same suggestions from the same directory.
    """
    languages = tuple(
        dict.fromkeys(normalize_language(c.primary_language) for c in referral.caregivers)
    )
    return FamilyProfile(
        zip_code=referral.place.zip,
        county=referral.place.county,
        child_ages=tuple(c.age_years for c in referral.children),
        caregiver_ages=tuple(float(c.age_years) for c in referral.caregivers),
        other_ages=(),
        pregnant=any(c.pregnant for c in referral.caregivers),
        languages=languages,
        as_of=referral.received_at.date(),
    )
