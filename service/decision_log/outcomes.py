"""Later events in a family's life (re-referral, substantiation, removal, injury), row by row.

Rows come from a CSV file (`hotline outcomes import`) or a JSON list (`POST /v1/outcomes`).
Each row is checked on its own: a bad row is reported (row, column, what is accepted) and the
good ones are kept. A row already on record is skipped, so importing a file twice is harmless.

A row names the referral, the household, or both. A referral's event is that referral's own
outcome; a household's is an event in the family's life that later counts for each of the
household's decisions (see :mod:`~service.decision_log.monitoring`). A row with both ids is
both: it is written as two records, the referral's (which keeps the household's hash too) and
the household's, each deduplicated on its own, so the household's record is the same one a
household-only row of that event and day writes.

Good rows are written in chunks of :data:`CHUNK_ROWS`, each in one short transaction under the
chain lock, so that scores (and other imports) are written between them instead of waiting
for the whole import: the duplicates are looked up and the payloads hashed before the lock
is taken, and under it a chunk is one lookup, one head read and one multi-row INSERT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.referral import EARLIEST_RECEIVED
from service.decision_log.bulk import HEAD_SQL, PendingRecord, placed_inserts
from service.decision_log.chain import canonical_json
from service.decision_log.db import DecisionLog, lock_chain, writers_queue
from service.decision_log.errors import NOT_WRITTEN, DecisionLogUnavailable
from service.decision_log.repository import stamp, transaction
from service.decision_log.tables import LogEntry

CHUNK_ROWS: Final = 250
"""Good rows written per transaction (at most 500 records: one INSERT statement)."""
FUTURE_LEEWAY: Final = dt.timedelta(days=1)
"""How far after today (UTC) an event may be dated: the agency's day may be UTC's next one."""

_PARTIAL: Final = (
    "The decision log could not be written from row {row} on: the {accepted} new rows before "
    "it are recorded, none from it; send (or import) the same rows again: those on record are "
    "skipped as duplicates. If it fails again, ask an administrator to check "
    "HOTLINE_DATABASE_URL"
)


class OutcomeEvent(StrEnum):
    """What happened later."""

    re_referral = "re_referral"
    substantiation = "substantiation"
    removal = "removal"
    injury = "injury"


_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_ACCEPTED_ID: Final = "an agency identifier of 1-64 letters, digits or _ . : -"
_ACCEPTED_EVENT: Final = ", ".join(e.value for e in OutcomeEvent)
COLUMNS: Final = ("referral_id", "household_id", "event", "event_date")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row.

    Attributes
    ----------
    row : int
        CSV line number (the header is line 1), or the index in a JSON list (from 0).
    column : str
    message : str
        What was found and what is accepted.
    """

    row: int
    column: str
    message: str


@dataclass
class OutcomeImport:
    """What an import did.

    Attributes
    ----------
    accepted : int
        New events written.
    duplicates : int
        Rows already on record (skipped).
    rejected : list of RowProblem
        One entry per problem; a row with a problem is not written.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [vars(p) for p in self.rejected],
        }


def record_outcomes(
    log: DecisionLog,
    rows: Sequence[Mapping[str, Any]],
    *,
    first_row: int = 0,
    row_numbers: Sequence[int] | None = None,
    recorded_by: Mapping[str, str] | None = None,
) -> OutcomeImport:
    """Check each row, then append the good, new ones to the chain, chunk by chunk.

    Parameters
    ----------
    log : DecisionLog
    rows : sequence of mapping
        Keys ``referral_id`` and/or ``household_id``, ``event``, ``event_date`` (YYYY-MM-DD).
    first_row : int, default 0
        Number of the first row in problem reports (the index of a JSON list's first item).
    row_numbers : sequence of int, optional
        The number of each row in problem reports instead (a CSV record's first line, which
        blank lines and quoted line breaks take apart from its index).
    recorded_by : mapping, optional
        Who wrote them (the API key's id and role), kept in each record as ``recorded_by``;
        None (the command line) leaves it out.

    Returns
    -------
    OutcomeImport

    Raises
    ------
    DecisionLogUnavailable
        A chunk could not be written. The chunks before it are on record (every good row
        before the row the message names), nothing from it on; the message says so, and
        sending the same rows again writes only what is missing.
    """
    numbers = range(first_row, first_row + len(rows)) if row_numbers is None else row_numbers
    result = OutcomeImport()
    good: list[_Row] = []
    for number, row in zip(numbers, rows, strict=True):
        problems = check_row(row, row_number=number)
        if problems:
            result.rejected.extend(problems)
            continue
        good.append(_Row(number, _records(log, row, recorded_by)))
    on_record: set[str] = set()  # dedupe keys found or written so far
    for start in range(0, len(good), CHUNK_ROWS):
        chunk = good[start : start + CHUNK_ROWS]
        try:
            written = _write_chunk(log, chunk, on_record)
        except DecisionLogUnavailable as exc:
            message = (
                _PARTIAL.format(row=chunk[0].number, accepted=result.accepted)
                if start
                else NOT_WRITTEN
            )
            raise DecisionLogUnavailable(message) from exc.__cause__
        result.accepted += sum(written)
        result.duplicates += len(chunk) - sum(written)
    return result


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    records: tuple[PendingRecord, ...]


def _write_chunk(log: DecisionLog, chunk: list[_Row], on_record: set[str]) -> list[bool]:
    # Returns, per row, whether a record of it was written; adds the chunk's keys to on_record
    # once committed. Duplicates are looked up before the chain lock (a re-import of a file
    # on record takes no lock at all), and again under it for what another writer may have
    # written in between: the dedupe key is unique, and one duplicate would fail the chunk.
    keys = [r.dedupe_key for row in chunk for r in row.records if r.dedupe_key]
    found = on_record | _on_record(log, [k for k in keys if k not in on_record])
    fresh: dict[str, PendingRecord] = {}
    owner: dict[str, int] = {}  # a record twice in the chunk is the first row's; later: duplicate
    for i, row in enumerate(chunk):
        for record in row.records:
            assert record.dedupe_key is not None  # every outcome record has one
            if record.dedupe_key not in found and record.dedupe_key not in fresh:
                fresh[record.dedupe_key] = record
                owner[record.dedupe_key] = i
    # Hashed before the lock: the writer then only finishes each hash with its place.
    begun = {key: r.begin_hash() for key, r in fresh.items()}
    if fresh:
        with writers_queue(log.engine), transaction(log) as session:
            lock_chain(session)
            found |= _on_record_in(session, list(fresh))
            records = [(r, begun[k]) for k, r in fresh.items() if k not in found]
            _insert(session, records)
    new_rows = {owner[k] for k in fresh if k not in found}
    on_record.update(keys)
    return [i in new_rows for i in range(len(chunk))]


def _on_record(log: DecisionLog, keys: list[str]) -> set[str]:
    # Without the write lock (on SQLite, a deferred transaction): scores are not held up.
    if not keys:
        return set()
    with transaction(log, read_only=True) as session:
        return _on_record_in(session, keys)


def _on_record_in(session: Session, keys: list[str]) -> set[str]:
    # One query per chunk (at most 500 keys: under every driver's parameter limit).
    if not keys:
        return set()
    found = session.scalars(select(LogEntry.dedupe_key).where(LogEntry.dedupe_key.in_(keys)))
    return {k for k in found if k is not None}


def _insert(session: Session, records: list[tuple[PendingRecord, hashlib._Hash]]) -> None:
    if not records:
        return
    connection = session.connection()
    head = connection.exec_driver_sql(HEAD_SQL).first()
    qmark = connection.dialect.paramstyle == "qmark"
    statements, _ = placed_inserts(
        records, None if head is None else (head[0], head[1]), qmark=qmark
    )
    for sql, values in statements:
        connection.exec_driver_sql(sql, values)


def check_row(row: Mapping[str, Any], *, row_number: int) -> list[RowProblem]:
    """List what is wrong with one outcome row (empty when it is good).

    Parameters
    ----------
    row : mapping
    row_number : int

    Returns
    -------
    list of RowProblem
    """
    if not isinstance(row, Mapping):
        return [RowProblem(row_number, "row", f"expected an object with columns {COLUMNS}")]
    problems = []
    ids = {c: _text(row.get(c)) for c in ("referral_id", "household_id")}
    if not any(ids.values()):
        problems.append(
            RowProblem(
                row_number,
                "referral_id",
                f"neither referral_id nor household_id is "
                f"given; accepted: either one, {_ACCEPTED_ID}",
            )
        )
    for column, value in ids.items():
        if value and not _ID.match(value):
            problems.append(
                RowProblem(
                    row_number, column, f"{value!r} is not an identifier; accepted: {_ACCEPTED_ID}"
                )
            )
    event = _text(row.get("event"))
    if event not in OutcomeEvent.__members__:
        problems.append(
            RowProblem(
                row_number, "event", f"{event!r} is not an event; accepted: {_ACCEPTED_EVENT}"
            )
        )
    day = _text(row.get("event_date"))
    try:
        when = dt.date.fromisoformat(day)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ValueError(day)
    except ValueError:
        problems.append(
            RowProblem(
                row_number,
                "event_date",
                f"{day!r} is not a date; accepted: YYYY-MM-DD, e.g. 2026-03-31",
            )
        )
        return problems
    # An event follows a referral, and none is received before 1900-01-01; the agency's day
    # may be UTC's next one. A year 9999 would count as a "later" outcome of every decision.
    latest = dt.datetime.now(dt.UTC).date() + FUTURE_LEEWAY
    if not EARLIEST_RECEIVED <= when <= latest:
        problems.append(
            RowProblem(
                row_number,
                "event_date",
                f"{day} is outside {EARLIEST_RECEIVED} to {latest}; accepted: the day the "
                "event happened (YYYY-MM-DD), not after tomorrow",
            )
        )
    return problems


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _records(
    log: DecisionLog, row: Mapping[str, Any], recorded_by: Mapping[str, str] | None
) -> tuple[PendingRecord, ...]:
    # A checked row: the referral's record, the household's, or both (see the module's doc).
    referral_id, household_id = _text(row.get("referral_id")), _text(row.get("household_id"))
    event, day = _text(row["event"]), _text(row["event_date"])
    records = []
    household = log.pseudonymizer("household", household_id) if household_id else None
    if referral_id:
        subject = log.pseudonymizer("referral", referral_id)
        payload = {"by": "referral", "subject": subject, "event": event, "event_date": day}
        if household is not None:
            payload["household"] = household
        records.append(_record(subject, payload, recorded_by))
    if household is not None:
        payload = {"by": "household", "subject": household, "event": event, "event_date": day}
        records.append(_record(household, payload, recorded_by))
    return tuple(records)


def _record(
    subject: str, payload: dict[str, Any], recorded_by: Mapping[str, str] | None
) -> PendingRecord:
    return PendingRecord(
        kind="outcome",
        payload=canonical_json(stamp(payload, recorded_by)),
        subject_key=subject,
        dedupe_key=f"outcome:{subject}:{payload['event']}:{payload['event_date']}",
    )
