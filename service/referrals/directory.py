"""The in-memory directory: matching-ready services indexed by need and place.

A :class:`Directory` is immutable. Reloading builds a new one and swaps the reference, so a
request in flight keeps a consistent view.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from models.referral import Need
from service.referrals.areas import county_key
from service.referrals.eligibility import Requirement
from service.referrals.hours import DatedHours
from service.referrals.languages import language_name
from service.referrals.reasons import age_span, record_reasons, requirement_reason

Capacity = Literal["accepting", "waitlist", "unknown"]


@dataclass(frozen=True, slots=True)
class ServiceSite:
    """One place a service is delivered, with what a screener needs to send a family there."""

    name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class ZipCentroid:
    """A ZIP code's centre and county, used for distance and county coverage."""

    zip: str
    county: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class IndexedService:
    """One service, reduced to what the matcher filters and ranks on.

    ``counties`` are stored case-folded; the index compares them by
    :func:`~service.referrals.areas.county_key`. ``languages`` are normalised ISO 639-1
    codes; a service with no language records is taken to offer English only.
    ``interpretation`` is None when the directory says none is offered. ``hours`` are the
    opening hours on the day the directory was loaded; when some schedules are valid only
    for a time, ``dated_hours`` gives them on any day (see :meth:`hours_on`).
    """

    id: str
    name: str
    organization: str
    status: str
    needs: frozenset[Need]
    codes: tuple[str, ...]
    zips: frozenset[str]
    counties: frozenset[str]
    minimum_age: float | None
    maximum_age: float | None
    requirements: tuple[Requirement, ...]
    languages: frozenset[str]
    interpretation: str | None
    capacity: Capacity
    capacity_available: float | None
    verified: dt.date | None
    sites: tuple[ServiceSite, ...]
    phone: str | None
    hours: str | None
    eligibility_description: str | None
    application_process: str | None
    url: str | None
    dated_hours: DatedHours | None = None

    def hours_on(self, day: dt.date) -> str | None:
        """Return the opening hours shown on ``day`` (the day a referral is judged on)."""
        return self.hours if self.dated_hours is None else self.dated_hours.on(day)


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """What the matcher reads of a service for every candidate, worked out once at load.

    Matching evaluates dozens of candidates per referral; reading these precomputed values
    instead of re-deriving them from :class:`IndexedService` keeps a referral well under a
    millisecond.

    ``site_points`` holds, for each site with coordinates, its latitude in radians, the
    cosine of that latitude and its longitude in degrees (as the haversine formula uses them).

    The other fields are the parts of a suggestion that do not depend on the family: the
    age range as shown (None without one), the eligibility lines (every requirement is met
    by the time a service is suggested), the capacity and record-date lines, the sorted
    language names, and the address and name of the site to send the family to (the first
    with an address, else the first). Writing them per suggestion was about a third of the
    cost of a referral.
    """

    service: IndexedService
    sort_name: str
    has_age_range: bool
    site_points: tuple[tuple[float, float, float], ...]
    age_span: str | None
    eligibility_reasons: tuple[str, ...]
    record_reasons: tuple[str, ...]
    language_names: tuple[str, ...]
    address: str | None
    location_name: str | None


def match_facts(service: IndexedService) -> MatchFacts:
    """Precompute a service's matching facts.

    Parameters
    ----------
    service : IndexedService
        The service.

    Returns
    -------
    MatchFacts
        Its casefolded name for tie-breaks, whether it has an age range, its site points,
        and the family-independent parts of its suggestion.
    """
    points = tuple(
        (math.radians(site.latitude), math.cos(math.radians(site.latitude)), site.longitude)
        for site in service.sites
        if site.latitude is not None and site.longitude is not None
    )
    has_age_range = service.minimum_age is not None or service.maximum_age is not None
    site = next(
        (s for s in service.sites if s.address), service.sites[0] if service.sites else None
    )
    return MatchFacts(
        service=service,
        sort_name=service.name.casefold(),
        has_age_range=has_age_range,
        site_points=points,
        age_span=age_span(service.minimum_age, service.maximum_age) if has_age_range else None,
        eligibility_reasons=tuple(requirement_reason(r) for r in service.requirements),
        record_reasons=record_reasons(
            service.capacity, service.capacity_available, service.verified
        ),
        language_names=tuple(sorted(language_name(c) for c in service.languages)),
        address=site.address if site else None,
        location_name=site.name if site else None,
    )


class Directory:
    """Services indexed by (need, ZIP) and (need, county), so a match reads a few buckets.

    Counties are indexed by :func:`~service.referrals.areas.county_key`, so "Demo", "Demo
    Co." and "Demo County" find the same services.

    Parameters
    ----------
    services : Iterable[IndexedService]
        The services, in any order.
    zip_centroids : Mapping[str, ZipCentroid], optional
        ZIP code centres and counties; without them distances are unknown and a search by
        ZIP alone cannot use county-wide services.
    organization_count : int
        Number of organizations loaded, for status reports.
    """

    def __init__(
        self,
        services: Iterable[IndexedService],
        *,
        zip_centroids: Mapping[str, ZipCentroid] | None = None,
        organization_count: int = 0,
    ) -> None:
        self.services: dict[str, IndexedService] = {s.id: s for s in services}
        self.zip_centroids: dict[str, ZipCentroid] = dict(zip_centroids or {})
        self.organization_count = organization_count
        by_zip: defaultdict[tuple[Need, str], list[MatchFacts]] = defaultdict(list)
        by_county: defaultdict[tuple[Need, str], list[MatchFacts]] = defaultdict(list)
        offered: set[Need] = set()
        self.active_count = 0
        """Services whose status is active: those a family can be matched with."""
        for service in self.services.values():
            # Status is a hard filter that never depends on the family, so it is applied
            # here once: only active services become candidates.
            if service.status != "active":
                continue
            self.active_count += 1
            facts = match_facts(service)
            offered.update(service.needs)
            # A set: "Demo County" and "demo co." in one service's areas are one county.
            counties = {county_key(c) for c in service.counties}
            for need in service.needs:
                for zip_code in service.zips:
                    by_zip[need, zip_code].append(facts)
                for county in counties:
                    by_county[need, county].append(facts)
        # Needs some active service meets, wherever it is: a need outside it is one the
        # directory cannot meet for any family.
        self.needs_offered: frozenset[Need] = frozenset(offered)
        self._by_zip = {key: tuple(value) for key, value in by_zip.items()}
        self._by_county = {key: tuple(value) for key, value in by_county.items()}
        # The ids of each ZIP bucket, so merging in county-wide services needs no new set.
        self._zip_ids = {
            key: frozenset(facts.service.id for facts in value) for key, value in by_zip.items()
        }
        self._area_counties = frozenset(county for _, county in by_county)
        self._zip_counties = {
            zip_code: county_key(centroid.county)
            for zip_code, centroid in self.zip_centroids.items()
            if centroid.county
        }
        # The centroid table's spelling ("Demo County") is shown for a county however the
        # referral wrote it.
        self._county_names: dict[str, str] = {}
        for centroid in self.zip_centroids.values():
            if centroid.county:
                self._county_names.setdefault(county_key(centroid.county), centroid.county)

    def __len__(self) -> int:
        return len(self.services)

    def resolve_county(self, zip_code: str, county: str | None) -> tuple[str | None, str | None]:
        """Return the county whose county-wide services a family in this place may use.

        Parameters
        ----------
        zip_code : str
            The family's 5-digit ZIP code.
        county : str or None
            The county as the referral or search gave it, in any spelling (see
            :func:`~service.referrals.areas.county_key`).

        Returns
        -------
        tuple[str or None, str or None]
            The county's key for :meth:`candidates` and its name as shown to a screener.
            The given county when some service area covers it; else the ZIP code's county
            from the centroid table (a county misspelt or not served still finds the
            county-wide services of the ZIP's county); else no key, and the given name.
        """
        if county is not None:
            key = county_key(county)
            if key in self._area_counties:
                return key, self._county_names.get(key, county)
        centroid = self.zip_centroids.get(zip_code)
        if centroid is not None and centroid.county:
            return self._zip_counties[zip_code], centroid.county
        return None, county

    def candidates(self, need: Need, *, zip_code: str, county_key: str | None) -> list[MatchFacts]:
        """Return the services meeting ``need`` that list the ZIP or cover a county.

        Parameters
        ----------
        need : Need
            The need to meet.
        zip_code : str
            The family's 5-digit ZIP code.
        county_key : str or None
            The county as :meth:`resolve_county` returns it; None for no county.

        Returns
        -------
        list[MatchFacts]
            Each such service once, ZIP-listed services first.
        """
        listed = self._by_zip.get((need, zip_code), ())
        wide = self._by_county.get((need, county_key), ()) if county_key is not None else ()
        if not wide:
            return list(listed)
        if not listed:
            return list(wide)
        seen = self._zip_ids[need, zip_code]
        return [*listed, *(facts for facts in wide if facts.service.id not in seen)]
