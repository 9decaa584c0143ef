"""Raw HSDS records gathered from either serialisation, before validation.

Both readers (``hsds_tabular``, ``hsds_json``) fill one :class:`RawTables`: per HSDS object
name, the raw records by id, each remembering the file it came from so a problem can name it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.referrals.hsds_schema import DirectoryProblem

_NO_ID = "record has no id; it was skipped"
_DUPLICATE = "duplicate id in {file}; the first record ({first}) was kept"


@dataclass
class RawRecord:
    """One record as read: its source file, where in that file, and its field values."""

    file: str
    where: str
    data: dict[str, Any]


@dataclass
class RawTables:
    """Raw records by HSDS object name and id, plus the problems met while reading them."""

    tables: dict[str, dict[str, RawRecord]] = field(default_factory=dict)
    problems: list[DirectoryProblem] = field(default_factory=list)

    def add(
        self,
        table: str,
        data: Mapping[str, Any],
        *,
        file: str,
        where: str,
        merge: bool,
    ) -> None:
        """Add one record.

        Parameters
        ----------
        table : str
            HSDS object name, e.g. ``"service"``.
        data : Mapping[str, Any]
            The record's scalar fields (empty strings already turned into ``None``).
        file : str
            Source file name, for problem reports.
        where : str
            Position in the file (``"row 3"``, ``"contents[0].phones[1]"``).
        merge : bool
            Nested JSON repeats one record under several parents (a phone under its service
            and its location), so JSON merges repeats. Within one table file a repeated id
            is an error; across files (several views of one export) records are merged.
        """
        raw_id = data.get("id")
        record_id = str(raw_id).strip() if raw_id is not None else ""
        if not record_id:
            self.problems.append(
                DirectoryProblem(
                    file=file, record_type=table, record_id=where, severity="error", message=_NO_ID
                )
            )
            return
        rows = self.tables.setdefault(table, {})
        existing = rows.get(record_id)
        if existing is None:
            rows[record_id] = RawRecord(file=file, where=where, data=dict(data))
        elif merge or existing.file != file:
            for key, value in data.items():
                if existing.data.get(key) is None and value is not None:
                    existing.data[key] = value
        else:
            self.problems.append(
                DirectoryProblem(
                    file=file,
                    record_type=table,
                    record_id=record_id,
                    severity="error",
                    message=_DUPLICATE.format(file=file, first=existing.where),
                )
            )
