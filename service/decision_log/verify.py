"""Walk the chain and report the first record that does not hold together (or its summary)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select

from service.decision_log.chain import (
    GENESIS,
    canonical_json,
    canonical_json_v1,
    record_hash_of_text,
)
from service.decision_log.db import DecisionLog
from service.decision_log.repository import transaction
from service.decision_log.summary import summaries_kept, summarize_score
from service.decision_log.tables import LogEntry, ScoreSummary


@dataclass(frozen=True)
class ChainReport:
    """The result of a chain check.

    Attributes
    ----------
    records : int
        Records checked (up to and including the first broken one).
    broken : str or None
        One line naming the first broken record and what is wrong; None when intact.
    """

    records: int
    broken: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return self.broken is None

    def line(self) -> str:
        """Return the one-line summary `hotline log verify` prints."""
        return f"ok: {self.records} records" if self.broken is None else self.broken


def verify_chain(log: DecisionLog, *, batch_size: int = 1000) -> ChainReport:
    """Recompute every hash in sequence order, and check each score summary against its record.

    Parameters
    ----------
    log : DecisionLog
    batch_size : int, default 1000
        Rows fetched at a time, so memory stays flat on a long log.

    Returns
    -------
    ChainReport
    """
    expected_seq, prev_hash, count = 1, GENESIS, 0
    # Read-only: on SQLite a walk of a long log must not hold up the scores being appended.
    with transaction(log, read_only=True) as session:
        if summaries_kept(session.connection()):
            records = select(LogEntry, ScoreSummary.summary, ScoreSummary.household_key).outerjoin(
                ScoreSummary, ScoreSummary.seq == LogEntry.seq
            )
        else:  # a log at a schema before summaries, taken as found
            records = select(LogEntry, literal(None), literal(None))
        result = session.execute(
            records.order_by(LogEntry.seq).execution_options(yield_per=batch_size)
        )
        # Closed explicitly: an early return must not leave a server-side cursor open.
        with result:
            for entry, *summary in result:
                count += 1
                problem = _check(
                    entry,
                    summary=None if summary[0] is None else (summary[0], summary[1]),
                    expected_seq=expected_seq,
                    prev_hash=prev_hash,
                )
                if problem:
                    line = f"broken at record {entry.seq} ({_name(entry)}): {problem}"
                    return ChainReport(count, line)
                expected_seq, prev_hash = entry.seq + 1, entry.hash
    return ChainReport(count)


def _check(
    entry: LogEntry, *, summary: tuple[str, str] | None, expected_seq: int, prev_hash: str
) -> str | None:
    if entry.seq != expected_seq:
        if entry.seq == expected_seq + 1:
            return f"expected record {expected_seq} here; record {expected_seq} is missing"
        missing = f"{expected_seq}-{entry.seq - 1}"
        return f"expected record {expected_seq} here; records {missing} are missing"
    if entry.prev_hash != prev_hash:
        return f"prev_hash does not match the hash of record {entry.seq - 1}"
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return "payload is not valid JSON"
    # The stored text must be exactly a canonical form of what it parses to: otherwise an edit
    # that parses to the same value would pass (orjson writes NaN, Infinity and 1e999 as
    # null). Versions before orjson wrote the standard library's form, which differs for
    # some floats. The hash is then taken over the stored text, as the writer took it.
    if _is_canonical(payload, entry.payload):
        digest = record_hash_of_text(
            seq=entry.seq,
            kind=entry.kind,
            decision_id=entry.decision_id,
            subject_key=entry.subject_key,
            dedupe_key=entry.dedupe_key,
            recorded_at=entry.recorded_at,
            payload_text=entry.payload,
            prev_hash=entry.prev_hash,
        )
        if digest == entry.hash:
            return None if summary is None else _check_summary(entry.kind, payload, summary)
    return "its content does not match its hash (edited after it was written)"


def _check_summary(kind: str, payload: Any, summary: tuple[str, str]) -> str | None:
    # Reports read a score from its summary, and outcomes find a household's scores by its
    # key: either saying something else than the record would change a report without
    # breaking the chain.
    if kind != "score":
        return "it has a score summary but is not a score record"
    text, household = summary
    try:
        if (
            canonical_json(summarize_score(payload)) == text
            and payload["household_id"] == household
        ):
            return None
    except (KeyError, TypeError):
        pass
    return "its score summary does not match it (reports read the summary)"


def _is_canonical(payload: Any, text: str) -> bool:
    for serialize in (canonical_json, canonical_json_v1):
        try:
            if serialize(payload) == text:
                return True
        except (TypeError, ValueError):  # e.g. an integer beyond 64 bits, or NaN for json
            continue
    return False


def _name(entry: LogEntry) -> str:
    return f"{entry.kind} of decision {entry.decision_id}" if entry.decision_id else entry.kind
