"""Load an HSDS directory (tabular package or JSON) into a :class:`Directory`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from service.referrals.assemble import assemble
from service.referrals.directory import Directory, ZipCentroid
from service.referrals.errors import DirectoryError
from service.referrals.hsds_json import read_json
from service.referrals.hsds_schema import DirectoryProblem
from service.referrals.hsds_tabular import (
    read_csv_rows,
    read_tabular,
    resource_path,
    unreadable_file,
)
from service.referrals.taxonomy import DEFAULT_TAXONOMY, TaxonomyMap

CENTROIDS_FILE = "zip_centroids.csv"
_NOT_FOUND = "{path}: no such file or folder; expected a datapackage.json, a .json file or a folder"
_BAD_CENTROID = (
    "zip {zip!r}, latitude {lat!r}, longitude {lon!r} are not a 5-digit ZIP and coordinates "
    "within -90..90 / -180..180"
)
_NO_SERVICES = (
    "no service records were found; expected a datapackage.json with a 'service' resource, "
    "or .json files holding services; the directory is empty"
)


@dataclass(frozen=True)
class DirectoryLoad:
    """The result of loading a directory: the index, and what was wrong with the input."""

    directory: Directory
    problems: list[DirectoryProblem]
    source: str
    format: Literal["tabular", "json"]
    skipped_files: list[str] = field(default_factory=list)


def load_directory(
    path: Path | str,
    *,
    taxonomy: TaxonomyMap = DEFAULT_TAXONOMY,
    zip_centroids: Path | None = None,
    as_of: dt.date | None = None,
) -> DirectoryLoad:
    """Read an HSDS 3.0 directory into an in-memory index.

    Parameters
    ----------
    path : Path or str
        A tabular data package (its folder, or its ``datapackage.json``), a JSON file, or a
        folder of JSON files (see :mod:`service.referrals.hsds_json`).
    taxonomy : TaxonomyMap
        Which taxonomy codes mean which need; defaults to the shipped Open Eligibility map.
    zip_centroids : Path, optional
        CSV with columns ``zip,county,latitude,longitude``. By default ``zip_centroids.csv``
        beside the directory is read when present.
    as_of : datetime.date, optional
        The day of loading, today by default: a service's ``assured_date`` or
        ``last_modified`` more than a day after it is reported (severity ``warning``) and not
        counted as a verification.

    Returns
    -------
    DirectoryLoad
        The directory and the per-record problems; bad records are skipped, not fatal.

    Raises
    ------
    DirectoryError
        If the path does not exist or its descriptor or JSON cannot be parsed at all.
    """
    path = Path(path)
    if not path.exists():
        raise DirectoryError(_NOT_FOUND.format(path=path))
    folder = path if path.is_dir() else path.parent
    skipped: list[str] = []
    kind: Literal["tabular", "json"]
    descriptor = _descriptor(path)
    if descriptor is not None:
        raw = read_tabular(descriptor)
        kind = "tabular"
    else:
        raw, skipped = read_json(path)
        kind = "json"
    if not raw.tables.get("service"):
        # Said, not left to an empty index: a folder of HSDS CSVs without their
        # datapackage.json would otherwise load as an empty JSON folder, with no problem.
        raw.problems.append(
            DirectoryProblem(
                file=path.name,
                record_type="directory",
                record_id=str(path),
                severity="error",
                message=_NO_SERVICES,
            )
        )
    services, organization_count, problems = assemble(
        raw, taxonomy=taxonomy, as_of=as_of or dt.date.today()
    )
    centroid_file = zip_centroids or folder / CENTROIDS_FILE
    centroids = read_zip_centroids(centroid_file, problems) if centroid_file.exists() else {}
    directory = Directory(services, zip_centroids=centroids, organization_count=organization_count)
    return DirectoryLoad(
        directory=directory, problems=problems, source=str(path), format=kind, skipped_files=skipped
    )


def source_files(path: Path | str) -> list[Path]:
    """List the files :func:`load_directory` reads for a path, to watch them for changes.

    Parameters
    ----------
    path : Path or str
        As for :func:`load_directory`.

    Returns
    -------
    list of Path
        The descriptor and the resources it names (a subfolder's too), or the JSON file(s),
        and the ZIP centroids beside them; those that do not exist are listed all the same
        (their appearing is a change).
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    descriptor = _descriptor(path)
    if descriptor is not None:
        files = [descriptor]
        try:
            resources = json.loads(descriptor.read_text("utf-8")).get("resources", [])
            files += [f for r in resources if (f := resource_path(descriptor, r)) is not None]
        except (OSError, ValueError, AttributeError, TypeError, RecursionError):
            pass  # the descriptor alone: load_directory says what is wrong with it
    elif path.is_dir():
        files = sorted(path.glob("*.json"))
    else:
        files = [path]
    return [*files, folder / CENTROIDS_FILE]


def _descriptor(path: Path) -> Path | None:
    # A tabular data package's descriptor, if the path names one (or a folder holding one).
    if path.name == "datapackage.json":
        return path
    if path.is_dir() and (path / "datapackage.json").exists():
        return path / "datapackage.json"
    return None


def read_zip_centroids(
    path: Path, problems: list[DirectoryProblem] | None = None
) -> dict[str, ZipCentroid]:
    """Read a ZIP centroid table.

    Parameters
    ----------
    path : Path
        CSV with columns ``zip,county,latitude,longitude``.
    problems : list[DirectoryProblem], optional
        Bad rows (a ZIP that is not 5 digits, coordinates that are not numbers in range) are
        appended here and skipped; so is the file, if it is not UTF-8 CSV.

    Returns
    -------
    dict[str, ZipCentroid]
        Centroids by ZIP code; empty if the file cannot be read.
    """
    found: dict[str, ZipCentroid] = {}
    try:
        rows = read_csv_rows(path)
    except ValueError as exc:
        if problems is not None:
            problems.append(unreadable_file(path, exc, resource="zip_centroid"))
        return found
    for number, row in enumerate(rows, start=2):
        zip_code = (row.get("zip") or "").strip()
        try:
            if len(zip_code) != 5 or not zip_code.isdigit():
                raise ValueError(zip_code)
            latitude = float(row.get("latitude") or "")
            longitude = float(row.get("longitude") or "")
            # Also refuses inf and nan: an infinite latitude failed every match in its ZIP
            # (math domain error) and nan read as "nan km" from the centre.
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValueError(latitude, longitude)
        except ValueError:
            if problems is not None:
                message = _BAD_CENTROID.format(
                    zip=zip_code, lat=row.get("latitude"), lon=row.get("longitude")
                )
                problems.append(
                    DirectoryProblem(
                        file=path.name,
                        record_type="zip_centroid",
                        record_id=zip_code or f"row {number}",
                        severity="error",
                        message=message,
                    )
                )
            continue
        found[zip_code] = ZipCentroid(
            zip=zip_code,
            county=(row.get("county") or "").strip(),
            latitude=latitude,
            longitude=longitude,
        )
    return found
