"""Builders for small directories and referrals used across the referral tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from models.referral import Need, Referral
from service.referrals import Directory, IndexedService, ServiceSite, ZipCentroid
from service.referrals.eligibility import parse_requirement

REPO = Path(__file__).resolve().parents[3]
# In the repository (tests/data/README.md): a fresh clone has nothing beside it.
OFFICIAL = REPO / "tests" / "data" / "hsds-3.0-official-example"
DEMO = REPO / "data" / "directory"


def close_service(folder: Path, service_id: str) -> None:
    """Mark one service of a tabular directory copy inactive, as a directory update would."""
    services = folder / "services.csv"
    lines = services.read_text().splitlines(keepends=True)
    closed = [
        line.replace(",active,", ",inactive,", 1) if line.startswith(f"{service_id},") else line
        for line in lines
    ]
    assert closed != lines
    services.write_text("".join(closed))


# Three ZIPs on a line, 0.1 degree of latitude (about 11.1 km) apart.
CENTROIDS = {
    "90001": ZipCentroid(zip="90001", county="Demo County", latitude=34.0, longitude=-118.0),
    "90002": ZipCentroid(zip="90002", county="Demo County", latitude=34.1, longitude=-118.0),
    "90003": ZipCentroid(zip="90003", county="Demo County", latitude=34.2, longitude=-118.0),
}


def service(
    service_id: str,
    *,
    needs: tuple[Need, ...] = (Need.food,),
    zips: tuple[str, ...] = ("90001",),
    counties: tuple[str, ...] = (),
    minimum_age: float | None = None,
    maximum_age: float | None = None,
    requirements: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("en",),
    interpretation: str | None = None,
    status: str = "active",
    capacity: str = "unknown",
    available: float | None = None,
    verified: dt.date | None = None,
    at: tuple[float, float] | None = None,
    name: str | None = None,
) -> IndexedService:
    site = ServiceSite(
        name=f"{service_id} site",
        address=f"1 {service_id} Street, Demo City, DS 90001",
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
        phone="555-0100",
    )
    return IndexedService(
        id=service_id,
        name=name or service_id.upper(),
        organization="Org",
        status=status,
        needs=frozenset(needs),
        codes=(),
        zips=frozenset(zips),
        counties=frozenset(c.casefold() for c in counties),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        requirements=tuple(parse_requirement(r, label=r) for r in requirements),
        languages=frozenset(languages),
        interpretation=interpretation,
        capacity=capacity,  # type: ignore[arg-type]
        capacity_available=available,
        verified=verified,
        sites=(site,),
        phone="555-0100",
        hours="Mon-Fri 09:00-17:00",
        eligibility_description=None,
        application_process="Call",
        url=None,
    )


def directory(*services: IndexedService) -> Directory:
    return Directory(services, zip_centroids=CENTROIDS, organization_count=1)


def referral(**overrides: Any) -> Referral:
    data: dict[str, Any] = {
        "referral_id": "r-1",
        "received_at": "2025-04-01T10:00:00+00:00",
        "place": {"county": "Demo County", "zip": "90001"},
        "reporter_type": "school",
        "allegation_types": ["inadequate_housing"],
        "household_id": "h-1",
        "children": [{"age_years": 7}],
        "caregivers": [{"age_years": 30, "role": "mother"}],
    }
    data.update(overrides)
    return Referral.model_validate(data)
