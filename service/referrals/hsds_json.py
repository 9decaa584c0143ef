"""Read HSDS 3.0 JSON: nested services, organizations, pages, or the tabular JSON form.

A JSON directory export is any of these shapes, in one file or in every ``*.json`` file of a
folder (read in name order):

- a service (``service_full.json``), a list of services, or a ``Page`` whose ``contents``
  are services (``service_list.json``);
- an organization with nested ``services`` (``organization_full.json``) or a list/page of them;
- a service-at-location with nested ``service`` and ``location``;
- the tabular form as JSON, ``{"services.csv": [rows], ...}`` (``tabular.json``).

Files of any other shape (``base.json``, a lone taxonomy) are listed as skipped. Nested
objects are flattened into rows carrying their parent's id, so one validator serves both
serialisations. The same record may appear in several files or under several parents (the
official example repeats one service five times); repeats are merged by id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from service.referrals.errors import DirectoryError
from service.referrals.hsds_schema import ROW_MODELS
from service.referrals.hsds_tables import RawTables

_UNREADABLE = "{path}: not readable as JSON ({reason})"
# Tabular file names (3.0 root datapackage.json paths) to HSDS object names.
_CSV_TABLES = {
    "organizations.csv": "organization",
    "services.csv": "service",
    "locations.csv": "location",
    "addresses.csv": "address",
    "phones.csv": "phone",
    "schedules.csv": "schedule",
    "service_areas.csv": "service_area",
    "languages.csv": "language",
    "service_at_location.csv": "service_at_location",
    "taxonomies.csv": "taxonomy",
    "taxonomy_terms.csv": "taxonomy_term",
    "attributes.csv": "attribute",
    "service_capacities.csv": "service_capacity",
}
assert set(_CSV_TABLES.values()) == set(ROW_MODELS)


def read_json(path: Path) -> tuple[RawTables, list[str]]:
    """Read a JSON file, or every ``*.json`` file in a folder, into raw HSDS tables.

    Parameters
    ----------
    path : Path
        A ``.json`` file or a folder of them.

    Returns
    -------
    tuple[RawTables, list[str]]
        The raw tables and the names of files skipped because they hold no services.

    Raises
    ------
    DirectoryError
        If a file is not valid JSON.
    """
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    raw = RawTables()
    skipped: list[str] = []
    for file in files:
        # RecursionError: json gives up on arrays or objects nested thousands deep.
        try:
            document = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise DirectoryError(_UNREADABLE.format(path=file, reason=exc)) from exc
        if not _Flattener(raw, file.name).document(document):
            skipped.append(file.name)
    return raw, skipped


def _scalars(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not isinstance(v, dict | list)}


def _objects(obj: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = obj.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _is_service(obj: Any) -> bool:
    return isinstance(obj, dict) and "status" in obj and "name" in obj


def _is_organization(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("services"), list)


class _Flattener:
    """Walks one JSON document and adds its records to ``raw``."""

    def __init__(self, raw: RawTables, file: str) -> None:
        self.raw = raw
        self.file = file

    def add(self, table: str, data: Mapping[str, Any], where: str) -> None:
        self.raw.add(table, data, file=self.file, where=where, merge=True)

    def document(self, doc: Any) -> bool:
        """Add the document's records; return False if its shape holds no services."""
        if isinstance(doc, dict) and "contents" in doc and isinstance(doc["contents"], list):
            return self.items(doc["contents"], "contents")
        if isinstance(doc, list):
            return self.items(doc, "")
        if isinstance(doc, dict) and any(k in _CSV_TABLES for k in doc):
            self.tabular(doc)
            return True
        return self.items([doc], "")

    def items(self, items: list[Any], prefix: str) -> bool:
        found = False
        for i, item in enumerate(items):
            where = f"{prefix}[{i}]" if prefix or len(items) > 1 else "$"
            if _is_organization(item):
                self.organization(item, where)
            elif isinstance(item, dict) and _is_service(item.get("service")):
                self.service_at_location_full(item, where)
            elif _is_service(item):
                self.service(item, where, organization_id=None)
            else:
                continue
            found = True
        return found

    def tabular(self, doc: Mapping[str, Any]) -> None:
        for name, rows in doc.items():
            table = _CSV_TABLES.get(name)
            if table is None or not isinstance(rows, list):
                continue
            for i, row in enumerate(rows):
                if isinstance(row, dict):
                    data = {k: (None if v == "" else v) for k, v in _scalars(row).items()}
                    self.raw.add(table, data, file=self.file, where=f"{name}[{i}]", merge=False)

    def organization(self, org: Mapping[str, Any], where: str) -> None:
        self.add("organization", _scalars(org), where)
        org_id = org.get("id")
        for i, loc in _objects(org, "locations"):
            self.location(loc, f"{where}.locations[{i}]", organization_id=org_id)
        for i, phone in _objects(org, "phones"):
            self.add(
                "phone", {**_scalars(phone), "organization_id": org_id}, f"{where}.phones[{i}]"
            )
        for i, svc in _objects(org, "services"):
            self.service(svc, f"{where}.services[{i}]", organization_id=org_id)

    def service(self, svc: Mapping[str, Any], where: str, *, organization_id: Any) -> None:
        sid = svc.get("id")
        org = svc.get("organization")
        if isinstance(org, dict):
            self.add("organization", _scalars(org), f"{where}.organization")
            organization_id = org.get("id", organization_id)
        row = _scalars(svc)
        if organization_id is not None:
            row["organization_id"] = organization_id
        self.add("service", row, where)
        for key, table in (
            ("phones", "phone"),
            ("schedules", "schedule"),
            ("service_areas", "service_area"),
            ("languages", "language"),
            ("capacities", "service_capacity"),
        ):
            for i, child in _objects(svc, key):
                self.add(table, {**_scalars(child), "service_id": sid}, f"{where}.{key}[{i}]")
        for i, attribute in _objects(svc, "attributes"):
            self.attribute(attribute, f"{where}.attributes[{i}]", link_id=sid)
        for i, sal in _objects(svc, "service_at_locations"):
            self.service_at_location(sal, f"{where}.service_at_locations[{i}]", service_id=sid)

    def service_at_location_full(self, sal: Mapping[str, Any], where: str) -> None:
        svc = sal["service"]
        self.service(svc, f"{where}.service", organization_id=None)
        self.service_at_location(sal, where, service_id=svc.get("id"))

    def service_at_location(self, sal: Mapping[str, Any], where: str, *, service_id: Any) -> None:
        loc = sal.get("location")
        location_id = loc.get("id") if isinstance(loc, dict) else sal.get("location_id")
        row = {**_scalars(sal), "service_id": service_id, "location_id": location_id}
        self.add("service_at_location", row, where)
        for key, table in (("phones", "phone"), ("schedules", "schedule")):
            for i, child in _objects(sal, key):
                data = {**_scalars(child), "service_at_location_id": sal.get("id")}
                self.add(table, data, f"{where}.{key}[{i}]")
        if isinstance(loc, dict):
            self.location(loc, f"{where}.location", organization_id=None)

    def location(self, loc: Mapping[str, Any], where: str, *, organization_id: Any) -> None:
        row = _scalars(loc)
        if organization_id is not None:
            row["organization_id"] = organization_id
        self.add("location", row, where)
        for key, table in (
            ("addresses", "address"),
            ("phones", "phone"),
            ("languages", "language"),
            ("schedules", "schedule"),
        ):
            for i, child in _objects(loc, key):
                data = {**_scalars(child), "location_id": loc.get("id")}
                self.add(table, data, f"{where}.{key}[{i}]")

    def attribute(self, attribute: Mapping[str, Any], where: str, *, link_id: Any) -> None:
        term = attribute.get("taxonomy_term")
        row = {**_scalars(attribute), "link_id": link_id, "link_entity": "service"}
        if isinstance(term, dict):
            term_row = _scalars(term)
            detail = term.get("taxonomy_detail")
            if isinstance(detail, dict):
                self.add("taxonomy", _scalars(detail), f"{where}.taxonomy_term.taxonomy_detail")
                term_row.setdefault("taxonomy_id", detail.get("id"))
            self.add("taxonomy_term", term_row, f"{where}.taxonomy_term")
            row["taxonomy_term_id"] = term.get("id")
        self.add("attribute", row, where)
