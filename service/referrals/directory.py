"""The in-memory directory: matching-ready services indexed by need and place.

A :class:`Directory` is immutable. Reloading builds a new one and swaps the reference, so a
request in flight keeps a consistent view.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from models.referral import Need
from service.referrals.eligibility import Requirement

Capacity = Literal["accepting", "waitlist", "unknown"]


@dataclass(frozen=True, slots=True)
class ServiceSite:
    """One place a service is delivered, with what a screener needs to send a family there."""

    name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    hours: str | None


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

    ``counties`` are stored case-folded. ``languages`` are normalised ISO 639-1 codes; a
    service with no language records is taken to offer English only.
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


class Directory:
    """Services indexed by (need, ZIP) and (need, county), so a match reads a few buckets.

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
        by_zip: defaultdict[tuple[Need, str], list[IndexedService]] = defaultdict(list)
        by_county: defaultdict[tuple[Need, str], list[IndexedService]] = defaultdict(list)
        for service in self.services.values():
            # Status is a hard filter that never depends on the family, so it is applied
            # here once: only active services become candidates.
            if service.status != "active":
                continue
            for need in service.needs:
                for zip_code in service.zips:
                    by_zip[need, zip_code].append(service)
                for county in service.counties:
                    by_county[need, county].append(service)
        self._by_zip = {key: tuple(value) for key, value in by_zip.items()}
        self._by_county = {key: tuple(value) for key, value in by_county.items()}

    def __len__(self) -> int:
        return len(self.services)

    def candidates(
        self, need: Need, *, zip_code: str, county: str | None
    ) -> Iterator[IndexedService]:
        """Yield each service meeting ``need`` whose area lists the ZIP or covers the county.

        Parameters
        ----------
        need : Need
            The need to meet.
        zip_code : str
            The family's 5-digit ZIP code.
        county : str or None
            The family's county name (any case); when None, the county of the ZIP code in
            the centroid table is used if known.

        Yields
        ------
        IndexedService
            Each candidate once, ZIP-listed services first.
        """
        if county is None and zip_code in self.zip_centroids:
            county = self.zip_centroids[zip_code].county
        seen: set[str] = set()
        for service in self._by_zip.get((need, zip_code), ()):
            seen.add(service.id)
            yield service
        if county is not None:
            for service in self._by_county.get((need, county.casefold()), ()):
                if service.id not in seen:
                    yield service
