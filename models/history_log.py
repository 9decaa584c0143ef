"""The registry's append-only ``history.jsonl``: appending safely, reading strictly.

A crash in the middle of an append leaves its record cut short. The next append would have
continued that line, losing both records to every reader (``hotline models history``, and
the champion's lineage a rollback replays). So each record is one ``write`` flushed with
``fsync``, and an append refuses a file that does not end with a newline, naming the line
for someone to repair: an automatic repair could not tell which record it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from models.errors import RegistryError
from models.json_ready import json_ready


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a line, and flush it to the disk.

    Parameters
    ----------
    path : pathlib.Path
        The history file; created when absent.
    record : dict
        JSON-serializable; NaN and infinities are written as ``null``.

    Raises
    ------
    RegistryError
        The last line was cut short (see :func:`check_appendable`); nothing is written.
    """
    check_appendable(path)
    line = json.dumps(json_ready(record), sort_keys=True, allow_nan=False) + "\n"
    # One write to a file opened for appending: a crash leaves the record whole or cut short
    # at the end, never interleaved with another.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def check_appendable(path: Path) -> None:
    """Refuse a history whose last line does not end with a newline.

    Parameters
    ----------
    path : pathlib.Path

    Raises
    ------
    RegistryError
        Naming the file and the line.
    """
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            number = fh.read().count(b"\n") + 1
    except FileNotFoundError:
        return
    raise RegistryError(
        f"{path}, line {number}: cut short (no newline at its end: a write was interrupted); "
        "nothing was recorded or moved: repair or remove that line by hand, then run this again"
    )


def read_records(path: Path, *, strict: bool = True) -> list[dict[str, Any]]:
    """Read every record, oldest first.

    Parameters
    ----------
    path : pathlib.Path
    strict : bool, default True
        Refuse a line that is not a JSON object; False skips it.

    Returns
    -------
    list of dict
        Empty when the file does not exist.

    Raises
    ------
    RegistryError
        A line is not a JSON object (e.g. cut short by a crash): named, with its number,
        since the champion's lineage (and so a rollback) is replayed from every line.
    """
    if not path.is_file():
        return []
    events = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            event = None
        if not isinstance(event, dict):
            if not strict:
                continue
            raise RegistryError(
                f"{path}, line {number}: not a JSON object; the history is append-only, "
                "so repair or remove that line by hand (the alias files are unaffected)"
            )
        events.append(event)
    return events


def recorded_versions(path: Path) -> set[int]:
    """Every version number a history names (as ``version`` or ``previous``).

    Tolerant on purpose, unlike :func:`read_records`: a line cut short must not stop a model
    being registered (the next alias move names it).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    set of int
    """
    return {
        as_version(event.get(key))
        for event in read_records(path, strict=False)
        for key in ("version", "previous")
    }


def as_version(value: object) -> int:
    """Read a version number recorded in a history line or an alias file; 0 if it is none.

    Parameters
    ----------
    value : object

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        return 0
    try:
        return int(value)
    except ValueError:
        return 0
