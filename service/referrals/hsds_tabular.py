"""Read an HSDS tabular data package: CSV files described by ``datapackage.json``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from service.referrals.errors import DirectoryError
from service.referrals.hsds_schema import ROW_MODELS, DirectoryProblem
from service.referrals.hsds_tables import RawTables

_BAD_DESCRIPTOR = "{path}: not a readable data package descriptor ({reason})"
_MISSING_FILE = "resource file {path} is listed in datapackage.json but does not exist"


def read_tabular(descriptor: Path) -> RawTables:
    """Read the resources of a tabular data package that name HSDS objects the matcher uses.

    Parameters
    ----------
    descriptor : Path
        The package's ``datapackage.json``. Resources are matched by their ``name`` (the HSDS
        object name, e.g. ``service``); others (contacts, funding, ...) are skipped.

    Returns
    -------
    RawTables
        Raw rows by object and id, with problems for rows without an id, duplicate ids and
        missing resource files.

    Raises
    ------
    DirectoryError
        If the descriptor cannot be read or has no ``resources`` list.
    """
    try:
        package = json.loads(descriptor.read_text("utf-8"))
        resources = package["resources"]
        if not isinstance(resources, list):
            raise TypeError("'resources' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DirectoryError(_BAD_DESCRIPTOR.format(path=descriptor, reason=exc)) from exc
    raw = RawTables()
    for resource in resources:
        name = resource.get("name")
        if name not in ROW_MODELS:
            continue
        path = descriptor.parent / str(resource.get("path", f"{name}.csv"))
        if not path.is_file():
            raw.problems.append(
                DirectoryProblem(
                    file="datapackage.json",
                    record_type="resource",
                    record_id=name,
                    severity="error",
                    message=_MISSING_FILE.format(path=path.name),
                )
            )
            continue
        _read_csv(path, name, raw)
    return raw


def _read_csv(path: Path, table: str, raw: RawTables) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        # Row 1 is the header, so the first record is row 2, as a spreadsheet shows it.
        for number, row in enumerate(csv.DictReader(handle), start=2):
            # An empty cell is an absent value, so a required column left blank reads as
            # "Field required" rather than as a type error.
            data = {k: v for k, v in row.items() if k and v not in ("", None)}
            raw.add(table, data, file=path.name, where=f"row {number}", merge=False)
