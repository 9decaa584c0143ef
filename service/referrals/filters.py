"""Hard filters: each returns the reason a service passes, or None to exclude it.

Area is applied by the directory index itself (only services whose area lists the ZIP or
covers the county are candidates); the rest are here. Which household members an age
range is checked against depends on who the need's client is, because HSDS ages describe
the person served: a treatment programme for adults must not be excluded for the children's
ages.

With ``explain=False`` a passing filter returns an empty reason: the matcher filters and
ranks every candidate that way, and writes the reasons only for the few options it returns.
"""

from __future__ import annotations

from models.referral import Need
from service.referrals.directory import IndexedService
from service.referrals.family import FamilyProfile
from service.referrals.languages import language_name
from service.referrals.reasons import age_reason, age_span, requirement_reason

CHILD_CLIENT_NEEDS = frozenset({Need.home_visiting, Need.early_learning})
CAREGIVER_CLIENT_NEEDS = frozenset(
    {Need.prenatal_home_visiting, Need.substance_use_treatment, Need.domestic_violence}
)
PASS_SILENTLY = ""
"""A filter passed but has nothing worth telling the screener."""


def status_ok(service: IndexedService) -> str | None:
    """Pass only services whose HSDS status is ``active``."""
    return PASS_SILENTLY if service.status == "active" else None


def area_reason(service: IndexedService, family: FamilyProfile, county: str | None) -> str:
    """Say how the service's area covers the family (the index already guaranteed it)."""
    if family.zip_code in service.zips:
        return f"Serves ZIP {family.zip_code}"
    return f"Serves {county or family.county}"


def clients_of(need: Need, family: FamilyProfile) -> tuple[tuple[float, ...], str]:
    """Return the ages a need's age check reads, and what to call those people.

    Parameters
    ----------
    need : Need
        The need a service is matched for.
    family : FamilyProfile
        The family.

    Returns
    -------
    tuple[tuple[float, ...], str]
        The ages (people of unknown role always included) and "child", "caregiver",
        "family member" or "person".
    """
    if need in CHILD_CLIENT_NEEDS:
        ages, who = family.child_ages, "child"
    elif need in CAREGIVER_CLIENT_NEEDS:
        ages, who = family.caregiver_ages, "caregiver"
    else:
        ages, who = family.child_ages + family.caregiver_ages, "family member"
    if family.other_ages:
        who = "person"
    return ages + family.other_ages, who


def age_fits(age: float, low: float | None, high: float | None) -> bool:
    """Return whether one person's age is within a service's age range.

    Parameters
    ----------
    age : float
        Age in years (fractions allowed).
    low, high : float or None
        The service's minimum and maximum age; None is open-ended.

    Returns
    -------
    bool
        Whether ``low <= age`` and the age is within ``high``.
    """
    if low is not None and age < low:
        return False
    if high is None:
        return True
    # A whole-year maximum counts whole years: maximum_age 5 includes a child of 5 years 9
    # months. A fractional one (1.5 for 18 months) is already exact: a child of 1 year 10
    # months is past it, though int(1.83) <= 1.5.
    return int(age) <= high if float(high).is_integer() else age <= high


def ages_fit(low: float | None, high: float | None, ages: tuple[float, ...]) -> bool:
    """Return whether an age range passes for these ages (any fits, or no ages are known).

    Parameters
    ----------
    low, high : float or None
        The service's minimum and maximum age; None is open-ended.
    ages : tuple[float, ...]
        The ages from :func:`clients_of`.

    Returns
    -------
    bool
        The same verdict as :func:`age_ok`, without building a reason.
    """
    return not ages or any(age_fits(a, low, high) for a in ages)


def age_ok(
    service: IndexedService, family: FamilyProfile, need: Need, *, explain: bool = True
) -> str | None:
    """Pass if a household member the need is for falls within the service's age range."""
    low, high = service.minimum_age, service.maximum_age
    if low is None and high is None:
        return PASS_SILENTLY
    ages, who = clients_of(need, family)
    fitting = [a for a in ages if age_fits(a, low, high)]
    if ages and not fitting:
        return None
    if not explain:
        return PASS_SILENTLY
    return age_reason(age_span(low, high), min(fitting) if ages else None, who)


def eligibility_ok(
    service: IndexedService, family: FamilyProfile, *, explain: bool = True
) -> list[str] | None:
    """Pass unless a structured eligibility requirement is not met; return their reasons.

    A requirement that depends on a fact the family did not give (a search without
    pregnancy or ages) is not enforced; its reason reads "Eligibility to confirm".
    """
    reasons: list[str] = []
    child_ages = family.child_ages + family.other_ages if family.ages_known else None
    for requirement in service.requirements:
        met = requirement.met_by(pregnant=family.pregnant, child_ages=child_ages)
        if met is False:
            return None
        if explain:
            reasons.append(requirement_reason(requirement, known=met is not None))
    return reasons


def language_ok(
    service: IndexedService, family: FamilyProfile, *, explain: bool = True
) -> tuple[str, bool] | None:
    """Pass if the service speaks a caregiver's language or offers interpretation.

    Returns
    -------
    tuple[str, bool] or None
        The reason and whether the language is spoken directly; None to exclude.
    """
    if not family.languages:
        return PASS_SILENTLY, False
    spoken = [code for code in family.languages if code in service.languages]
    if spoken:
        if not explain:
            return PASS_SILENTLY, True
        return f"Speaks {', '.join(language_name(c) for c in spoken)}", True
    if service.interpretation:
        if not explain:
            return PASS_SILENTLY, False
        return f"Interpretation offered: {service.interpretation}", False
    return None
