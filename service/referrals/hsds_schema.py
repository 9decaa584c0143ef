"""Pydantic models of the HSDS 3.0 records the matcher reads, one flat row per record.

Both serialisations are reduced to these rows: the tabular package already is one row per
record, and nested JSON is flattened with the parent's id filled in (``hsds_json``). Only
the fields used for matching and for next steps are declared; others are ignored, since
HSDS has many optional fields and extension columns. ``service_capacity`` follows the HSDS
3.1 draft, the one place 3.0 has no field for "accepting new clients".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Id = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1)]
ServiceStatus = Literal["active", "inactive", "defunct", "temporarily closed"]
LocationType = Literal["physical", "postal", "virtual"]


def _utc_if_naive(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


# Exports mix "2025-03-01T12:00:00Z" and "2025-03-01" (read as midnight without an
# offset); Python cannot order the two, so a time without an offset is read as UTC.
Timestamp = Annotated[dt.datetime, AfterValidator(_utc_if_naive)]


def is_month_day(token: str) -> bool:
    """Tell whether ``token`` is a day of the month: 1 to 31, or -1 (the last) to -31.

    Parameters
    ----------
    token : str

    Returns
    -------
    bool
    """
    return token.lstrip("+-").isdigit() and 1 <= abs(int(token)) <= 31


def _month_days(value: str) -> str:
    # Checked here, so a schedule whose days cannot be shown is reported, not shown as
    # if it were open every day.
    for token in value.split(","):
        if not is_month_day(token.strip()):
            raise ValueError(
                "expected days of the month separated by commas: 1 to 31, or -1 (the last "
                "day) to -31"
            )
    return value


class _Row(BaseModel):
    # extra="ignore": HSDS rows carry many fields the matcher does not need.
    # coerce_numbers_to_str: JSON examples give phone extensions and codes as numbers.
    model_config = ConfigDict(
        extra="ignore", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )

    id: Id


class OrganizationRow(_Row):
    """HSDS ``organization``."""

    name: Text
    description: str | None = None


class ServiceRow(_Row):
    """HSDS ``service``."""

    name: Text
    status: ServiceStatus
    organization_id: str | None = None
    description: str | None = None
    url: str | None = None
    email: str | None = None
    interpretation_services: str | None = None
    application_process: str | None = None
    fees_description: str | None = None
    eligibility_description: str | None = None
    minimum_age: Annotated[float, Field(ge=0, le=130)] | None = None
    maximum_age: Annotated[float, Field(ge=0, le=130)] | None = None
    alert: str | None = None
    assured_date: dt.date | None = None
    last_modified: dt.datetime | None = None

    @model_validator(mode="after")
    def _ages_ordered(self) -> ServiceRow:
        if (
            self.minimum_age is not None
            and self.maximum_age is not None
            and self.minimum_age > self.maximum_age
        ):
            raise ValueError(
                f"minimum_age {self.minimum_age:g} is greater than maximum_age "
                f"{self.maximum_age:g}; the minimum must not exceed the maximum"
            )
        return self


class LocationRow(_Row):
    """HSDS ``location``; coordinates are range-checked later so a bad one only drops itself."""

    location_type: LocationType
    name: str | None = None
    organization_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class AddressRow(_Row):
    """HSDS ``address``."""

    location_id: str | None = None
    address_1: Text
    address_2: str | None = None
    city: Text
    state_province: Text
    postal_code: Text
    country: Text
    address_type: LocationType


class PhoneRow(_Row):
    """HSDS ``phone``; may belong to a service, location, service-at-location or organization."""

    number: Text
    extension: str | None = None
    type: str | None = None
    description: str | None = None
    service_id: str | None = None
    location_id: str | None = None
    service_at_location_id: str | None = None
    organization_id: str | None = None


class ScheduleRow(_Row):
    """HSDS ``schedule`` (RRULE-style opening hours)."""

    service_id: str | None = None
    location_id: str | None = None
    service_at_location_id: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    dtstart: dt.date | None = None
    until: dt.date | None = None
    freq: str | None = None
    interval: Annotated[int, Field(ge=1)] | None = None
    byday: str | None = None
    bymonthday: Annotated[str, AfterValidator(_month_days)] | None = None
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    description: str | None = None


class ServiceAreaRow(_Row):
    """HSDS ``service_area``."""

    service_id: str | None = None
    name: str | None = None
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = None


class LanguageRow(_Row):
    """HSDS ``language``."""

    service_id: str | None = None
    location_id: str | None = None
    phone_id: str | None = None
    name: str | None = None
    code: str | None = None
    note: str | None = None


class ServiceAtLocationRow(_Row):
    """HSDS ``service_at_location``: where a service is delivered."""

    service_id: Id
    location_id: Id
    description: str | None = None


class TaxonomyRow(_Row):
    """HSDS ``taxonomy``."""

    name: Text
    description: str | None = None


class TaxonomyTermRow(_Row):
    """HSDS ``taxonomy_term``."""

    name: Text
    code: str | None = None
    description: str | None = None
    parent_id: str | None = None
    taxonomy: str | None = None
    taxonomy_id: str | None = None


class AttributeRow(_Row):
    """HSDS ``attribute``: applies a taxonomy term to a service (or another entity)."""

    link_id: Id
    taxonomy_term_id: Id
    link_entity: str | None = None
    link_type: str | None = None
    value: str | None = None


class ServiceCapacityRow(_Row):
    """HSDS 3.1 ``service_capacity``: open places and when that was last updated."""

    service_id: Id
    # Finite: "inf" parses as a float and would read "inf open places".
    available: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    maximum: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    description: str | None = None
    updated: Timestamp


ROW_MODELS: dict[str, type[_Row]] = {
    "organization": OrganizationRow,
    "service": ServiceRow,
    "location": LocationRow,
    "address": AddressRow,
    "phone": PhoneRow,
    "schedule": ScheduleRow,
    "service_area": ServiceAreaRow,
    "language": LanguageRow,
    "service_at_location": ServiceAtLocationRow,
    "taxonomy": TaxonomyRow,
    "taxonomy_term": TaxonomyTermRow,
    "attribute": AttributeRow,
    "service_capacity": ServiceCapacityRow,
}
"""The HSDS objects read, by object name; every other table is skipped."""


class DirectoryProblem(BaseModel):
    """One problem found while loading a directory.

    ``severity`` is ``"error"`` when the record was dropped and ``"warning"`` when it was kept
    with the faulty part ignored.
    """

    model_config = ConfigDict(frozen=True)

    file: str
    record_type: str
    record_id: str
    severity: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record_type} {self.record_id!r}: {self.message}"
