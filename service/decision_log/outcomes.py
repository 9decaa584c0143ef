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

Each new row is also told apart by whether it matches a scored decision: a row naming a
referral matches when that referral was scored, a household-only row when a scored
decision's referral names that household (the keys ``GET /v1/decisions/{id}`` finds
outcomes by). A row that matches none is recorded all the same (a feed may deliver an
outcome before the score it follows is logged, which then finds it), but the caller is told
which rows: a mistyped id never matches. A row dated before its referral was received is
told too: monitoring counts a referral's own events from the day of the call on
(:mod:`~service.decision_log.monitoring`), so it never counts. Rows are named by number, never
by id. The scored decisions are looked up once per import, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import orjson
from sqlalchemy import ColumnElement, String, cast, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import QueryableAttribute, Session

from models.referral import EARLIEST_RECEIVED, IDENTIFIER_ACCEPTED
from service.decision_log.bulk import HEAD_SQL, PendingRecord, placed_inserts
from service.decision_log.chain import canonical_json
from service.decision_log.db import DecisionLog, lock_chain, writers_queue
from service.decision_log.decision_rows import received_day
from service.decision_log.errors import NOT_WRITTEN, DecisionLogUnavailable
from service.decision_log.repository import stamp, transaction
from service.decision_log.tables import LogEntry, ScoreSummary

CHUNK_ROWS: Final = 250
"""Good rows written per transaction (at most 500 records: one INSERT statement)."""
FUTURE_LEEWAY: Final = dt.timedelta(days=1)
"""How far after today (UTC) an event may be dated: the agency's day may be UTC's next one."""
ROWS_LISTED: Final = 20
"""Row numbers listed per kind of notice (unmatched, dated before); the counts are complete."""

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
    matched : int
        Accepted rows that match a scored decision (see the module's doc).
    unmatched_rows : list of int
        The number of each accepted row that matches none (all of them; :meth:`to_dict`
        lists the first :data:`ROWS_LISTED`).
    before_received_rows : list of int
        The number of each accepted row of a scored referral dated before the day that
        referral was received (all of them): recorded, but never counted as its outcome.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    matched: int = 0
    unmatched_rows: list[int] = field(default_factory=list)
    before_received_rows: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict, with the first :data:`ROWS_LISTED` rows of each notice.

        Row numbers only: the ids (or their keyed hashes) are not repeated back.
        """
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [vars(p) for p in self.rejected],
            "matched": self.matched,
            "unmatched": len(self.unmatched_rows),
            "unmatched_rows": self.unmatched_rows[:ROWS_LISTED],
            "before_received": len(self.before_received_rows),
            "before_received_rows": self.before_received_rows[:ROWS_LISTED],
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
        Of the rows written, also which match no scored decision and which are dated
        before their referral was received.

    Raises
    ------
    DecisionLogUnavailable
        The scored decisions could not be looked up (nothing is written), or a chunk could
        not be written. The chunks before it are on record (every good row before the row
        the message names), nothing from it on; the message says so, and sending the same
        rows again writes only what is missing.
    """
    numbers = range(first_row, first_row + len(rows)) if row_numbers is None else row_numbers
    result = OutcomeImport()
    good: list[_Row] = []
    for number, row in zip(numbers, rows, strict=True):
        problems = check_row(row, row_number=number)
        if problems:
            result.rejected.extend(problems)
            continue
        good.append(_good_row(log, row, number=number, recorded_by=recorded_by))
    try:
        scored = _scored(log, good)
    except DecisionLogUnavailable as exc:  # said as the import's failure: nothing written
        raise DecisionLogUnavailable(NOT_WRITTEN) from exc.__cause__
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
        for done, new in zip(chunk, written, strict=True):
            if new:  # a duplicate was told of when it was new
                _tell(result, done, scored)
    return result


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    records: tuple[PendingRecord, ...]
    by: str  # "referral" when the row names one (matched on it), else "household"
    subject: str  # that one's keyed hash
    event_date: str


@dataclass(frozen=True, slots=True)
class _Scored:
    received: dict[str, str]  # scored referral's key -> the earliest day it was received
    households: set[str]  # keys of the households of scored referrals asked about


def _tell(result: OutcomeImport, row: _Row, scored: _Scored) -> None:
    # Counts one written row as matched or not, and notes one dated before its referral.
    # A row naming a referral is matched on it alone: its household's record may well
    # match, but a mistyped referral id must not pass unnoticed because of it. Received
    # twice (scored again with a corrected received_at), a referral's event counts for the
    # decisions received on or before its day: it counts for none before the earliest.
    if row.by == "referral":
        received = scored.received.get(row.subject)
        if received is None:
            result.unmatched_rows.append(row.number)
            return
        if row.event_date < received:  # both YYYY-MM-DD, which sorts as the days do
            result.before_received_rows.append(row.number)
    elif row.subject not in scored.households:
        result.unmatched_rows.append(row.number)
        return
    result.matched += 1


def _scored(log: DecisionLog, rows: Sequence[_Row]) -> _Scored:
    # A few statements for the whole import, each with all its keys in one parameter.
    # Referrals by the score records' subject_key (indexed: ~1 ms for one, 0.15-0.5 s for
    # 10,000 at 100,000 decisions). Households by the summaries' household_key (indexed;
    # parsing every summary for it took ~0.5 s on SQLite and ~2 s on PostgreSQL at 100,000
    # decisions). Read-only, without the chain lock: scores are written meanwhile.
    referrals = {r.subject for r in rows if r.by == "referral"}
    households = {r.subject for r in rows if r.by == "household"}
    if not referrals and not households:
        return _Scored({}, set())
    received: dict[str, str] = {}
    found: set[str] = set()
    with transaction(log, read_only=True) as session:
        dialect = session.get_bind().dialect.name
        # A score's summary when it has one, as reports read it (decision_rows).
        content = func.coalesce(ScoreSummary.summary, LogEntry.payload)
        records = (
            select().select_from(LogEntry).outerjoin(ScoreSummary, ScoreSummary.seq == LogEntry.seq)
        )
        if referrals:
            # The kind is checked here, not in SQL: SQLite (no statistics) would then read
            # every score by the kind's index instead of the few records of these keys.
            at = _json_text(content, ("referral", "received_at"), dialect=dialect)
            query = records.add_columns(LogEntry.kind, LogEntry.subject_key, at).where(
                _among(LogEntry.subject_key, referrals, dialect=dialect)
            )
            for kind, key, received_at in session.execute(query):
                if kind == "score":
                    day = received_day(received_at)
                    received[key] = min(day, received.get(key, day))
        if households:
            known = ScoreSummary.household_key
            query = select(known).where(_among(known, households, dialect=dialect)).distinct()
            found = set(session.scalars(query))
            if households - found and _unsummarized(session):
                # A score without a summary (written by an older replica during an upgrade)
                # is found by its record: only those records' household is read. Asked only
                # when there are some: the anti-join reads every score record (1 s on SQLite
                # at 100,000 decisions for one mistyped household; found in review).
                household = _json_text(LogEntry.payload, ("household_id",), dialect=dialect)
                query = records.add_columns(household).where(
                    LogEntry.kind == "score",
                    ScoreSummary.seq.is_(None),
                    _among(household, households - found, dialect=dialect),
                )
                found |= set(session.scalars(query.distinct()))
    return _Scored(received, found)


def _unsummarized(session: Session) -> bool:
    # Two counts, each by an index, rather than the anti-join they stand for.
    scores = select(func.count()).select_from(LogEntry).where(LogEntry.kind == "score")
    summaries = select(func.count()).select_from(ScoreSummary)
    return bool(session.scalar(select(scores.scalar_subquery() > summaries.scalar_subquery())))


def _json_text(content: Any, path: tuple[str, ...], *, dialect: str) -> ColumnElement[str]:
    # The log keeps JSON as text on both backends.
    if dialect == "postgresql":
        text: ColumnElement[str] = cast(content, postgresql.JSON)[path].astext
        return text
    return func.json_extract(content, "$." + ".".join(path), type_=String)


def _among(
    column: ColumnElement[Any] | QueryableAttribute[Any], keys: set[str], *, dialect: str
) -> ColumnElement[bool]:
    # The keys as one JSON array parameter: one statement for 1 row or 100,000, where an IN
    # with a parameter per key would pass some driver's limit (500 keys were kept under it).
    listed = literal(orjson.dumps(sorted(keys)).decode(), String)
    if dialect == "postgresql":
        values = func.json_array_elements_text(cast(listed, postgresql.JSON))
    else:
        values = func.json_each(listed)
    return column.in_(select(values.table_valued("value").c.value))


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
                f"given; accepted: either one, {IDENTIFIER_ACCEPTED}",
            )
        )
    for column, value in ids.items():
        if value and not _ID.match(value):
            problems.append(
                RowProblem(
                    row_number,
                    column,
                    f"{value!r} is not an identifier; accepted: {IDENTIFIER_ACCEPTED}",
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


def _good_row(
    log: DecisionLog,
    row: Mapping[str, Any],
    *,
    number: int,
    recorded_by: Mapping[str, str] | None,
) -> _Row:
    # A checked row: the referral's record, the household's, or both (see the module's doc).
    referral_id, household_id = _text(row.get("referral_id")), _text(row.get("household_id"))
    event, day = _text(row["event"]), _text(row["event_date"])
    records = []
    household = log.pseudonymizer("household", household_id) if household_id else None
    referral = log.pseudonymizer("referral", referral_id) if referral_id else None
    if referral is not None:
        payload = {"by": "referral", "subject": referral, "event": event, "event_date": day}
        if household is not None:
            payload["household"] = household
        records.append(_record(referral, payload, recorded_by))
    if household is not None:
        payload = {"by": "household", "subject": household, "event": event, "event_date": day}
        records.append(_record(household, payload, recorded_by))
    if referral is not None:
        return _Row(number, tuple(records), "referral", referral, day)
    assert household is not None  # a checked row names one or the other
    return _Row(number, tuple(records), "household", household, day)


def _record(
    subject: str, payload: dict[str, Any], recorded_by: Mapping[str, str] | None
) -> PendingRecord:
    return PendingRecord(
        kind="outcome",
        payload=canonical_json(stamp(payload, recorded_by)),
        subject_key=subject,
        dedupe_key=f"outcome:{subject}:{payload['event']}:{payload['event_date']}",
    )
