"""Read an HSDS tabular data package: CSV files described by ``datapackage.json``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from service.referrals.errors import DirectoryError
from service.referrals.hsds_schema import ROW_MODELS, DirectoryProblem
from service.referrals.hsds_tables import RawTables

_BAD_DESCRIPTOR = "{path}: not a readable data package descriptor ({reason})"
_MISSING_FILE = "resource file {path} is listed in datapackage.json but does not exist"
_UNREADABLE_FILE = "{reason}; the file was skipped"


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
        missing or unreadable resource files.

    Raises
    ------
    DirectoryError
        If the descriptor cannot be read or has no ``resources`` list of objects.
    """
    try:
        package = json.loads(descriptor.read_text("utf-8"))
        resources = package["resources"]
        if not isinstance(resources, list):
            raise TypeError("'resources' is not a list")
        if not all(isinstance(resource, dict) for resource in resources):
            raise TypeError("every item of 'resources' must be an object")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DirectoryError(_BAD_DESCRIPTOR.format(path=descriptor, reason=exc)) from exc
    raw = RawTables()
    for resource in resources:
        path = resource_path(descriptor, resource)
        if path is None:
            continue
        name = resource["name"]
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


def resource_path(descriptor: Path, resource: dict[str, Any]) -> Path | None:
    """Locate the file of one resource of a data package, if it is one the matcher reads.

    Parameters
    ----------
    descriptor : Path
        The package's ``datapackage.json``.
    resource : dict
        One item of its ``resources``.

    Returns
    -------
    Path or None
        Its ``path`` (by default ``<name>.csv``) beside the descriptor; None for a resource
        that names no HSDS object the matcher uses.
    """
    name = resource.get("name")
    if not isinstance(name, str) or name not in ROW_MODELS:
        return None
    return descriptor.parent / str(resource.get("path", f"{name}.csv"))


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Read every row of a UTF-8 CSV file, or none.

    The whole file is read before any row is used, so a file that breaks off halfway (a
    byte that is not UTF-8, a field over the csv module's size limit) is reported once and
    skipped as a whole instead of loading its first rows and crashing the loader.

    Parameters
    ----------
    path : Path
        The CSV file; a UTF-8 byte-order mark is allowed.

    Returns
    -------
    list[dict[str, str]]
        The rows by column name, as :class:`csv.DictReader` gives them.

    Raises
    ------
    ValueError
        If the file cannot be read, is not UTF-8 text or is not CSV; the message says why.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc}); save it as UTF-8") from exc
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as exc:
        # The underlying reader's count: DictReader's own is updated only after a good row.
        line = reader.reader.line_num
        raise ValueError(f"not readable as CSV at line {line} ({exc})") from exc


def unreadable_file(path: Path, reason: ValueError, *, resource: str) -> DirectoryProblem:
    """Report a CSV file that :func:`read_csv_rows` refused; the whole file is skipped.

    Parameters
    ----------
    path : Path
        The file.
    reason : ValueError
        What :func:`read_csv_rows` raised; its message says why the file cannot be read.
    resource : str
        What the file holds (an HSDS object name, or ``zip_centroid``), named as the record.

    Returns
    -------
    DirectoryProblem
        An error on the file as a resource.
    """
    return DirectoryProblem(
        file=path.name,
        record_type="resource",
        record_id=resource,
        severity="error",
        message=_UNREADABLE_FILE.format(reason=reason),
    )


def _read_csv(path: Path, table: str, raw: RawTables) -> None:
    try:
        rows = read_csv_rows(path)
    except ValueError as exc:
        raw.problems.append(unreadable_file(path, exc, resource=table))
        return
    # Row 1 is the header, so the first record is row 2, as a spreadsheet shows it.
    for number, row in enumerate(rows, start=2):
        # An empty cell is an absent value, so a required column left blank reads as
        # "Field required" rather than as a type error.
        data = {k: v for k, v in row.items() if k and v not in ("", None)}
        raw.add(table, data, file=path.name, where=f"row {number}", merge=False)
