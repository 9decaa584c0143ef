"""Validate raw HSDS records and assemble matching-ready services.

Every record is validated on its own; one that fails is dropped and reported (severity
``error``). A record that validates but points at something missing, or has a part the
matcher cannot use (coordinates out of range, a GeoJSON service area, a verification date in
the future), is kept and reported with severity ``warning``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from service.referrals.areas import read_area
from service.referrals.directory import Capacity, IndexedService, ServiceSite
from service.referrals.eligibility import Requirement, parse_requirement
from service.referrals.hours import change_days, dated_hours, format_hours
from service.referrals.hsds_schema import (
    ROW_MODELS,
    AddressRow,
    AttributeRow,
    DirectoryProblem,
    LanguageRow,
    LocationRow,
    OrganizationRow,
    PhoneRow,
    ScheduleRow,
    ServiceAreaRow,
    ServiceAtLocationRow,
    ServiceCapacityRow,
    ServiceRow,
    TaxonomyTermRow,
)
from service.referrals.hsds_tables import RawTables
from service.referrals.languages import interpretation_offered, normalize_language
from service.referrals.taxonomy import TaxonomyMap
from service.referrals.verification import last_verified

_DANGLING = "{field} {value!r} does not match any {target} in this directory; the link is ignored"
_BAD_COORDINATES = (
    "latitude {lat} / longitude {lon} is outside -90..90 / -180..180; coordinates are ignored"
)
_AREA_UNREADABLE = (
    "cannot tell which places this area covers (extent_type {extent_type!r}); give 5-digit "
    "postal codes as a text extent, or a county name such as 'Demo County' as the name"
)
_NO_AREA = "service has no service_area, so it cannot be matched to a family's place"
_AREA_PARTS_IGNORED = "{problems}; {ignored}"
_FUTURE_DATES = (
    "{dates} {verb} more than a day after {as_of}, the day the directory was loaded; a record "
    "cannot be verified in the future, so {it} not counted as a verification"
)

# The links each record type is checked on: (field, target object).
_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "service": (("organization_id", "organization"),),
    "location": (("organization_id", "organization"),),
    "address": (("location_id", "location"),),
    "phone": (
        ("service_id", "service"),
        ("location_id", "location"),
        ("service_at_location_id", "service_at_location"),
        ("organization_id", "organization"),
    ),
    "schedule": (
        ("service_id", "service"),
        ("location_id", "location"),
        ("service_at_location_id", "service_at_location"),
    ),
    "service_area": (("service_id", "service"),),
    "language": (("service_id", "service"), ("location_id", "location")),
    "service_at_location": (("service_id", "service"), ("location_id", "location")),
    "taxonomy_term": (("taxonomy_id", "taxonomy"),),
    "attribute": (("taxonomy_term_id", "taxonomy_term"),),
    "service_capacity": (("service_id", "service"),),
}
R = TypeVar("R", bound=BaseModel)


@dataclass
class _Valid:
    """Validated rows by object name and id, with the file each came from."""

    rows: dict[str, dict[str, BaseModel]] = field(default_factory=dict)
    files: dict[tuple[str, str], str] = field(default_factory=dict)

    def table(self, name: str, model: type[R]) -> dict[str, R]:
        return self.rows.get(name, {})  # type: ignore[return-value]


def assemble(
    raw: RawTables, *, taxonomy: TaxonomyMap, as_of: dt.date
) -> tuple[list[IndexedService], int, list[DirectoryProblem]]:
    """Validate raw records and build one :class:`IndexedService` per valid service.

    Parameters
    ----------
    raw : RawTables
        Records as read from JSON or CSV.
    taxonomy : TaxonomyMap
        Which taxonomy codes mean which need.
    as_of : datetime.date
        The day of loading: a service's ``assured_date`` or ``last_modified`` more than a day
        after it is reported and not counted as a verification.

    Returns
    -------
    tuple[list[IndexedService], int, list[DirectoryProblem]]
        The services, the number of valid organizations, and every problem found (those met
        while reading come first).
    """
    problems = list(raw.problems)
    valid = _validate(raw, problems)
    _check_links(valid, problems)
    builder = _Builder(valid, taxonomy, problems, as_of=as_of)
    services = [builder.service(row) for row in valid.table("service", ServiceRow).values()]
    return services, len(valid.table("organization", OrganizationRow)), problems


def _validate(raw: RawTables, problems: list[DirectoryProblem]) -> _Valid:
    valid = _Valid()
    for table, records in raw.tables.items():
        model = ROW_MODELS[table]
        rows: dict[str, BaseModel] = {}
        for record_id, record in records.items():
            try:
                rows[record_id] = model.model_validate(record.data)
            except ValidationError as exc:
                problems.append(
                    DirectoryProblem(
                        file=record.file,
                        record_type=table,
                        record_id=record_id,
                        severity="error",
                        message=_describe(exc) + "; the record was skipped",
                    )
                )
                continue
            valid.files[table, record_id] = record.file
        valid.rows[table] = rows
    return valid


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        text = f"{where}: {message}" if where else message
        if where and error["type"] != "missing":
            text += f" (got {error['input']!r})"
        parts.append(text)
    return "; ".join(parts)


def _check_links(valid: _Valid, problems: list[DirectoryProblem]) -> None:
    for table, links in _LINKS.items():
        for record_id, row in valid.rows.get(table, {}).items():
            for name, target in links:
                value = getattr(row, name)
                if value is not None and value not in valid.rows.get(target, {}):
                    problems.append(
                        _warning(
                            valid,
                            table,
                            record_id,
                            _DANGLING.format(field=name, value=value, target=target),
                        )
                    )
        if table == "attribute":
            services = valid.rows.get("service", {})
            for record_id, row in valid.rows.get(table, {}).items():
                assert isinstance(row, AttributeRow)
                if row.link_entity == "service" and row.link_id not in services:
                    message = _DANGLING.format(field="link_id", value=row.link_id, target="service")
                    problems.append(_warning(valid, table, record_id, message))


def _warning(valid: _Valid, table: str, record_id: str, message: str) -> DirectoryProblem:
    return DirectoryProblem(
        file=valid.files[table, record_id],
        record_type=table,
        record_id=record_id,
        severity="warning",
        message=message,
    )


def _group(rows: Mapping[str, R], key: str) -> dict[str, list[R]]:
    grouped: defaultdict[str, list[R]] = defaultdict(list)
    for row in rows.values():
        value = getattr(row, key)
        if value is not None:
            grouped[value].append(row)
    return grouped


class _Builder:
    """Joins validated rows into services; groups children by parent once, up front."""

    def __init__(
        self,
        valid: _Valid,
        taxonomy: TaxonomyMap,
        problems: list[DirectoryProblem],
        *,
        as_of: dt.date,
    ) -> None:
        self.valid = valid
        self.taxonomy = taxonomy
        self.problems = problems
        self.as_of = as_of
        self.organizations = valid.table("organization", OrganizationRow)
        self.locations = valid.table("location", LocationRow)
        self.terms = valid.table("taxonomy_term", TaxonomyTermRow)
        self.coordinates = {lid: self._coordinates(row) for lid, row in self.locations.items()}
        phones = valid.table("phone", PhoneRow)
        schedules = valid.table("schedule", ScheduleRow)
        languages = valid.table("language", LanguageRow)
        self.phones = {k: _group(phones, k) for k in _OWNERS}
        self.schedules = {k: _group(schedules, k) for k in _OWNERS[:3]}
        self.languages = {k: _group(languages, k) for k in ("service_id", "location_id")}
        self.addresses = _group(valid.table("address", AddressRow), "location_id")
        self.areas = _group(valid.table("service_area", ServiceAreaRow), "service_id")
        self.sites = _group(valid.table("service_at_location", ServiceAtLocationRow), "service_id")
        self.capacities = _group(valid.table("service_capacity", ServiceCapacityRow), "service_id")
        attributes = {
            k: v
            for k, v in valid.table("attribute", AttributeRow).items()
            if v.link_entity in (None, "service")
        }
        self.attributes = _group(attributes, "link_id")

    def _coordinates(self, row: LocationRow) -> tuple[float, float] | None:
        if row.latitude is None or row.longitude is None:
            return None
        if -90 <= row.latitude <= 90 and -180 <= row.longitude <= 180:
            return row.latitude, row.longitude
        message = _BAD_COORDINATES.format(lat=f"{row.latitude:g}", lon=f"{row.longitude:g}")
        self.problems.append(_warning(self.valid, "location", row.id, message))
        return None

    def service(self, row: ServiceRow) -> IndexedService:
        codes: list[str] = []
        requirements: list[Requirement] = []
        for attribute in self.attributes.get(row.id, []):
            term = self.terms.get(attribute.taxonomy_term_id)
            if term is None:
                continue
            code = term.code or term.name
            if (attribute.link_type or "").lower() == "eligibility":
                requirements.append(parse_requirement(code, label=attribute.value or term.name))
            else:
                codes.append(code)
        needs = frozenset().union(*(self.taxonomy.needs_for(c) for c in codes))
        zips, counties = self._areas(row.id)
        located = self.sites.get(row.id, [])
        sites = tuple(self._site(sal) for sal in located)
        own_schedules = self.schedules["service_id"].get(row.id, [])
        site_schedules = [self._site_schedules(sal) for sal in located]

        def hours_on(day: dt.date) -> str | None:
            # The service's own hours, else those of its first site that has any.
            own = format_hours(own_schedules, on=day)
            if own is not None:
                return own
            return next((t for t in (format_hours(s, on=day) for s in site_schedules) if t), None)

        changes = change_days(own_schedules).union(*(change_days(s) for s in site_schedules))
        capacity, available = self._capacity(row.id)
        verified = self._verified(row)
        organization = self.organizations.get(row.organization_id or "")
        return IndexedService(
            id=row.id,
            name=row.name,
            organization=organization.name if organization else "",
            status=row.status,
            needs=needs,
            codes=tuple(codes),
            zips=zips,
            counties=counties,
            minimum_age=row.minimum_age,
            maximum_age=row.maximum_age,
            requirements=tuple(requirements),
            languages=self._languages(row.id, sites_of=self.sites.get(row.id, [])),
            interpretation=interpretation_offered(row.interpretation_services),
            capacity=capacity,
            capacity_available=available,
            verified=verified,
            sites=sites,
            phone=_first_phone(self.phones["service_id"].get(row.id, []))
            or next((s.phone for s in sites if s.phone), None)
            or _first_phone(self.phones["organization_id"].get(row.organization_id or "", [])),
            hours=hours_on(self.as_of),
            eligibility_description=row.eligibility_description,
            application_process=row.application_process,
            url=row.url,
            dated_hours=dated_hours(hours_on, changes),
        )

    def _areas(self, service_id: str) -> tuple[frozenset[str], frozenset[str]]:
        areas = self.areas.get(service_id, [])
        if not areas:
            self.problems.append(_warning(self.valid, "service", service_id, _NO_AREA))
        zips: set[str] = set()
        counties: set[str] = set()
        for area in areas:
            text_extent = area.extent if (area.extent_type or "text").lower() == "text" else None
            reading = read_area(area.name, text_extent)
            zips.update(reading.zips)
            counties.update(c.casefold() for c in reading.counties)
            # One warning per area, naming every part left out.
            if reading.problems:
                ignored = "it is ignored" if len(reading.problems) == 1 else "these are ignored"
                if not reading:
                    ignored += ", so this area covers no place"
                message = _AREA_PARTS_IGNORED.format(
                    problems="; ".join(reading.problems), ignored=ignored
                )
            elif not reading:
                message = _AREA_UNREADABLE.format(extent_type=area.extent_type)
            else:
                continue
            self.problems.append(_warning(self.valid, "service_area", area.id, message))
        return frozenset(zips), frozenset(counties)

    def _verified(self, row: ServiceRow) -> dt.date | None:
        dates = {
            "assured_date": row.assured_date,
            "last_modified": row.last_modified.date() if row.last_modified else None,
        }
        verified, future = last_verified(dates, as_of=self.as_of)
        if future:
            # Reported here, once per record, and cut here only: against the day of loading,
            # the real calendar. Ranking judges on the referral's day, which may be days
            # before the load; a date after it is a check made since, not a data error.
            message = _FUTURE_DATES.format(
                dates=" and ".join(f"{name} {day.isoformat()}" for name, day in future.items()),
                verb="is" if len(future) == 1 else "are",
                as_of=self.as_of.isoformat(),
                it="it is" if len(future) == 1 else "they are",
            )
            self.problems.append(_warning(self.valid, "service", row.id, message))
        return verified

    def _languages(
        self, service_id: str, *, sites_of: list[ServiceAtLocationRow]
    ) -> frozenset[str]:
        rows = list(self.languages["service_id"].get(service_id, []))
        for sal in sites_of:
            rows += self.languages["location_id"].get(sal.location_id, [])
        codes = {normalize_language(r.code) for r in rows if r.code}
        # No language records: HSDS says nothing, and a US directory's default is English.
        return frozenset(codes) if codes else frozenset({"en"})

    def _capacity(self, service_id: str) -> tuple[Capacity, float | None]:
        rows = self.capacities.get(service_id, [])
        if not rows:
            return "unknown", None
        latest = max(rows, key=lambda r: r.updated)
        return ("accepting" if latest.available > 0 else "waitlist"), latest.available

    def _site(self, sal: ServiceAtLocationRow) -> ServiceSite:
        location = self.locations.get(sal.location_id)
        coordinates = self.coordinates.get(sal.location_id)
        addresses = self.addresses.get(sal.location_id, [])
        physical = [a for a in addresses if a.address_type == "physical"] or addresses
        phones = self.phones["service_at_location_id"].get(sal.id, []) or self.phones[
            "location_id"
        ].get(sal.location_id, [])
        return ServiceSite(
            name=location.name if location else None,
            address=_address(physical[0]) if physical else None,
            latitude=coordinates[0] if coordinates else None,
            longitude=coordinates[1] if coordinates else None,
            phone=_first_phone(phones),
        )

    def _site_schedules(self, sal: ServiceAtLocationRow) -> list[ScheduleRow]:
        return self.schedules["service_at_location_id"].get(sal.id, []) or self.schedules[
            "location_id"
        ].get(sal.location_id, [])


_OWNERS = ("service_id", "location_id", "service_at_location_id", "organization_id")


def _first_phone(phones: list[PhoneRow]) -> str | None:
    if not phones:
        return None
    # A voice line is the warm-handoff route; fax or text numbers only if nothing else.
    voice = [p for p in phones if (p.type or "voice").lower() == "voice"] or phones
    phone = voice[0]
    number = phone.number.strip('"')
    return f"{number} ext. {phone.extension}" if phone.extension else number


def _address(row: AddressRow) -> str:
    street = ", ".join(p for p in (row.address_1, row.address_2) if p)
    return f"{street}, {row.city}, {row.state_province} {row.postal_code}"
