"""Place prepared records at the head of the chain and insert them with multi-row INSERTs.

Used by the group committer (score records) and by outcome imports: both hash each record's
payload before they take the chain lock (:func:`~service.decision_log.chain.hash_record_head`),
and under it only read the head (:data:`HEAD_SQL`) and run :func:`placed_inserts`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from service.decision_log.chain import GENESIS, finish_record_hash, hash_record_head
from service.decision_log.tables import LogEntry, ScoreSummary

HEAD_SQL: Final = f"SELECT seq, hash FROM {LogEntry.__tablename__} ORDER BY seq DESC LIMIT 1"
"""The head of the chain: ``(seq, hash)`` of the last record, no row when the log is empty."""

COLUMNS: Final = (
    "seq",
    "kind",
    "decision_id",
    "subject_key",
    "dedupe_key",
    "recorded_at",
    "payload",
    "prev_hash",
    "hash",
)
SUMMARY_COLUMNS: Final = ("seq", "household_key", "summary")
ROWS_PER_INSERT: Final = 500
"""Records per INSERT statement: 6,000 parameters with their summaries, under SQLite's 32,766
and PostgreSQL's 65,535."""


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A record waiting for its place in the chain.

    Attributes
    ----------
    kind : str
    payload : str
        Canonical JSON of the content (:func:`~service.decision_log.chain.canonical_json`).
    decision_id, subject_key, dedupe_key : str or None
        See :class:`~service.decision_log.tables.LogEntry`.
    summary : str or None
        Canonical JSON of a score record's summary
        (:func:`~service.decision_log.summary.summarize_score`), written beside it.
    household_key : str or None
        With a summary: the keyed hash of the scored referral's household, kept (indexed)
        beside the summary.
    """

    kind: str
    payload: str
    decision_id: str | None = None
    subject_key: str | None = None
    dedupe_key: str | None = None
    summary: str | None = None
    household_key: str | None = None

    def begin_hash(self) -> hashlib._Hash:
        """Hash all of the record but its place, before the chain lock is taken.

        Returns
        -------
        hashlib._Hash
            To be finished with ``seq`` and ``prev_hash`` under the lock.
        """
        return hash_record_head(
            kind=self.kind,
            decision_id=self.decision_id,
            dedupe_key=self.dedupe_key,
            payload_text=self.payload,
        )


def placed_inserts(
    records: Sequence[tuple[PendingRecord, hashlib._Hash]],
    head: tuple[int, str] | None,
    *,
    qmark: bool,
) -> tuple[list[tuple[str, tuple[object, ...]]], list[tuple[int, str]]]:
    """Place records after ``head`` and return the INSERTs that write them and their summaries.

    Multi-row INSERTs rather than ``executemany``: that steps the statement once per row, and
    each step releases the GIL (which the service's busy event loop then holds until its next
    switch). Chunked, because drivers bound the parameters of one statement.

    Parameters
    ----------
    records : sequence of (PendingRecord, hashlib sha256 object)
        Each with the hash begun by :meth:`PendingRecord.begin_hash`.
    head : (int, str) or None
        ``(seq, hash)`` read with :data:`HEAD_SQL` under the chain lock; None for an empty log.
    qmark : bool
        The driver's placeholder is ``?`` (sqlite3); otherwise ``%s`` (psycopg).

    Returns
    -------
    statements : list of (str, tuple)
        SQL and parameters, at most :data:`ROWS_PER_INSERT` records each, to run in order in
        the transaction that read ``head``.
    chained : list of (int, str)
        ``(seq, hash)`` of each record.
    """
    params, chained = chain_rows(records, head)
    width = len(COLUMNS)
    statements: list[tuple[str, tuple[object, ...]]] = []
    for start in range(0, len(records), ROWS_PER_INSERT):
        count = min(ROWS_PER_INSERT, len(records) - start)
        entries = tuple(params[start * width : (start + count) * width])
        entries_sql = _insert_sql(LogEntry.__tablename__, COLUMNS, count, qmark=qmark)
        summaries: list[object] = []
        for i in range(start, start + count):
            record = records[i][0]
            if record.summary is not None:
                summaries += (chained[i][0], record.household_key, record.summary)
        if not summaries:
            statements.append((entries_sql, entries))
            continue
        summaries_sql = _insert_sql(
            ScoreSummary.__tablename__,
            SUMMARY_COLUMNS,
            len(summaries) // len(SUMMARY_COLUMNS),
            qmark=qmark,
        )
        if qmark:  # SQLite has no INSERT inside WITH; a second statement costs no round trip
            statements += [(entries_sql, entries), (summaries_sql, tuple(summaries))]
        else:
            # One statement, one round trip: a second one cost PostgreSQL a quarter of its
            # appends per second (bench_decision_log). Its foreign key is checked at the end
            # of the statement, when the records are in.
            sql = f"WITH entries AS ({entries_sql}) {summaries_sql}"
            statements.append((sql, entries + tuple(summaries)))
    return statements, chained


def chain_rows(
    records: Sequence[tuple[PendingRecord, hashlib._Hash]], head: tuple[int, str] | None
) -> tuple[list[object], list[tuple[int, str]]]:
    """Give each record the next place after ``head`` and finish its hash.

    Parameters
    ----------
    records : sequence of (PendingRecord, hashlib sha256 object)
        Each with the hash begun by :func:`~service.decision_log.chain.hash_record_head`.
    head : (int, str) or None
        ``(seq, hash)`` read with :data:`HEAD_SQL` under the chain lock; None for an empty log.

    Returns
    -------
    params : list
        The column values of every row, row after row, in :data:`COLUMNS` order.
    chained : list of (int, str)
        ``(seq, hash)`` of each record.
    """
    seq, prev_hash = head if head else (0, GENESIS)
    params: list[object] = []
    chained: list[tuple[int, str]] = []
    for record, payload_hash in records:
        seq += 1
        recorded_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        digest = finish_record_hash(
            payload_hash,
            seq=seq,
            subject_key=record.subject_key,
            recorded_at=recorded_at,
            prev_hash=prev_hash,
        )
        params += (
            seq,
            record.kind,
            record.decision_id,
            record.subject_key,
            record.dedupe_key,
            recorded_at,
            record.payload,
            prev_hash,
            digest,
        )
        chained.append((seq, digest))
        prev_hash = digest
    return params, chained


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], rows: int, *, qmark: bool) -> str:
    mark = "?" if qmark else "%s"
    row = "(" + ", ".join([mark] * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row] * rows)
