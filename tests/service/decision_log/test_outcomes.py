"""Outcome imports: written chunk by chunk, so scores are not held up, and idempotent."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

import service.decision_log.outcomes as outcomes
from service.decision_log import (
    DecisionLogUnavailable,
    PendingRecord,
    record_outcomes,
    verify_chain,
)
from service.decision_log.repository import transaction
from service.decision_log.tables import LogEntry


def _rows(n: int, *, start: int = 0) -> list[dict[str, str]]:
    return [
        {"household_id": f"hh-{i}", "event": "removal", "event_date": "2026-01-02"}
        for i in range(start, start + n)
    ]


def _outcomes_on_record(log) -> int:
    with transaction(log, read_only=True) as session:
        return session.scalar(select(func.count()).where(LogEntry.kind == "outcome"))


def test_a_score_is_written_while_a_large_import_runs(log, monkeypatch) -> None:
    # Before: the whole import was one transaction under the chain lock, so every score of
    # every worker waited for it (on SQLite, past the 30 s busy timeout: 503s). Now no lock
    # is held between chunks: the import is held there (as a slow import is, between any
    # two of its 40 chunks) and a score is written meanwhile, right after the first chunk.
    rows = _rows(outcomes.CHUNK_ROWS * 40)
    real, lookups = outcomes._on_record, 0
    between, resume = threading.Event(), threading.Event()

    def held_before_the_second_chunk(log_, keys):
        nonlocal lookups
        lookups += 1
        if lookups == 2:  # the first chunk is committed; the second not yet begun
            between.set()
            assert resume.wait(timeout=60)
        return real(log_, keys)

    monkeypatch.setattr(outcomes, "_on_record", held_before_the_second_chunk)
    done: dict[str, object] = {}
    importing = threading.Thread(
        target=lambda: done.update(result=record_outcomes(log, rows)), daemon=True
    )
    importing.start()
    try:
        assert between.wait(timeout=60)
        # With a timeout: on PostgreSQL a lock held across chunks would wait forever.
        pending = PendingRecord(kind="score", payload="{}", dedupe_key="score:1")
        score = log.committer.submit(pending).result(timeout=30)
    finally:
        resume.set()
        importing.join()
    assert done["result"].to_dict() == {"accepted": len(rows), "duplicates": 0, "rejected": []}
    assert score.seq == outcomes.CHUNK_ROWS + 1
    with transaction(log, read_only=True) as session:
        last = session.scalar(select(func.max(LogEntry.seq)).where(LogEntry.kind == "outcome"))
    assert last == len(rows) + 1
    assert verify_chain(log).line() == f"ok: {len(rows) + 1} records"
    again = record_outcomes(log, rows)
    assert again.to_dict() == {"accepted": 0, "duplicates": len(rows), "rejected": []}


def test_repeated_rows_are_written_once_whichever_chunk_they_fall_in(log) -> None:
    chunk = outcomes.CHUNK_ROWS
    rows = _rows(chunk + 10)
    rows.insert(3, dict(rows[0]))  # the same chunk as its first
    rows.append(dict(rows[5]))  # a later chunk
    result = record_outcomes(log, rows, first_row=2)
    assert result.to_dict() == {"accepted": chunk + 10, "duplicates": 2, "rejected": []}
    assert _outcomes_on_record(log) == chunk + 10


def _failing_chunk(monkeypatch, failing: int) -> None:
    # The given chunk's INSERT fails as a database failure would (a full disk, a dropped
    # connection): its transaction is rolled back, the ones before it are committed.
    real, calls = outcomes._insert, 0

    def insert(session, records) -> None:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        real(session, records)

    monkeypatch.setattr(outcomes, "_insert", insert)


def test_an_interrupted_import_keeps_the_chunks_before_and_a_rerun_completes_it(
    log, monkeypatch
) -> None:
    chunk = outcomes.CHUNK_ROWS
    rows = _rows(chunk * 2 + 100)
    _failing_chunk(monkeypatch, failing=2)
    with pytest.raises(DecisionLogUnavailable) as caught:
        record_outcomes(log, rows, first_row=2)
    assert str(caught.value) == (
        f"The decision log could not be written from row {chunk + 2} on: the {chunk} new rows "
        "before it are recorded, none from it; send (or import) the same rows again: those "
        "on record are skipped as duplicates. If it fails again, ask an administrator to "
        "check HOTLINE_DATABASE_URL"
    )
    assert _outcomes_on_record(log) == chunk
    monkeypatch.undo()
    again = record_outcomes(log, rows, first_row=2)
    assert again.to_dict() == {"accepted": chunk + 100, "duplicates": chunk, "rejected": []}
    assert verify_chain(log).line() == f"ok: {len(rows)} records"


def test_an_import_that_fails_at_once_says_nothing_was_recorded(log, monkeypatch) -> None:
    _failing_chunk(monkeypatch, failing=1)
    with pytest.raises(DecisionLogUnavailable) as caught:
        record_outcomes(log, _rows(3))
    assert str(caught.value) == (
        "The decision log could not be written, so nothing was recorded; retry later or ask "
        "an administrator to check HOTLINE_DATABASE_URL"
    )
    assert _outcomes_on_record(log) == 0


def test_a_row_with_both_ids_is_its_referrals_event_and_its_households(log) -> None:
    # Before: the household id was dropped, so the event counted for no other decision of
    # the household. Now it is written as both records; the household's is the one a
    # household-only row of that event and day writes (and so a duplicate of it).
    both = {
        "referral_id": "R-1",
        "household_id": "hh-9",
        "event": "removal",
        "event_date": "2026-10-25",
    }
    assert record_outcomes(log, [both]).to_dict() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [],
    }
    with transaction(log, read_only=True) as session:
        records = session.execute(
            select(LogEntry.subject_key, LogEntry.dedupe_key, LogEntry.payload).order_by(
                LogEntry.seq
            )
        ).all()
    referral = log.pseudonymizer("referral", "R-1")
    household = log.pseudonymizer("household", "hh-9")
    assert [tuple(r) for r in records] == [
        (
            referral,
            f"outcome:{referral}:removal:2026-10-25",
            '{"by":"referral","event":"removal","event_date":"2026-10-25",'
            f'"household":"{household}","subject":"{referral}"}}',
        ),
        (
            household,
            f"outcome:{household}:removal:2026-10-25",
            '{"by":"household","event":"removal","event_date":"2026-10-25",'
            f'"subject":"{household}"}}',
        ),
    ]
    household_only = {k: v for k, v in both.items() if k != "referral_id"}
    referral_only = {k: v for k, v in both.items() if k != "household_id"}
    again = record_outcomes(log, [both, household_only, referral_only])
    assert again.to_dict() == {"accepted": 0, "duplicates": 3, "rejected": []}
