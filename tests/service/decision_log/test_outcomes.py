"""Outcome imports: written chunk by chunk, so scores are not held up, and idempotent; each
new row is told apart by whether it matches a scored decision."""

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
from service.decision_log.chain import canonical_json
from service.decision_log.db import lock_chain
from service.decision_log.monitoring import decision_frame
from service.decision_log.repository import append, transaction
from service.decision_log.tables import LogEntry
from tests.service.decision_log.factories import score_payload


def _rows(n: int, *, start: int = 0) -> list[dict[str, str]]:
    return [
        {"household_id": f"hh-{i}", "event": "removal", "event_date": "2026-01-02"}
        for i in range(start, start + n)
    ]


def _told(
    accepted: int,
    duplicates: int,
    *,
    rejected: list | None = None,
    matched: int = 0,
    unmatched: list[int] | None = None,
    unmatched_count: int | None = None,
    before_received: list[int] | None = None,
) -> dict:
    """What an import answers; unmatched_count when more rows than those listed match none."""
    unmatched = [] if unmatched is None else unmatched
    before_received = [] if before_received is None else before_received
    return {
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": [] if rejected is None else rejected,
        "matched": matched,
        "unmatched": len(unmatched) if unmatched_count is None else unmatched_count,
        "unmatched_rows": unmatched,
        "before_received": len(before_received),
        "before_received_rows": before_received,
    }


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
    # No decision is scored: every row matches none, the first 20 are listed.
    assert done["result"].to_dict() == _told(
        len(rows), 0, unmatched=list(range(20)), unmatched_count=len(rows)
    )
    assert score.seq == outcomes.CHUNK_ROWS + 1
    with transaction(log, read_only=True) as session:
        last = session.scalar(select(func.max(LogEntry.seq)).where(LogEntry.kind == "outcome"))
    assert last == len(rows) + 1
    assert verify_chain(log).line() == f"ok: {len(rows) + 1} records"
    again = record_outcomes(log, rows)
    assert again.to_dict() == _told(0, len(rows))


def test_repeated_rows_are_written_once_whichever_chunk_they_fall_in(log) -> None:
    chunk = outcomes.CHUNK_ROWS
    rows = _rows(chunk + 10)
    rows.insert(3, dict(rows[0]))  # the same chunk as its first
    rows.append(dict(rows[5]))  # a later chunk
    result = record_outcomes(log, rows, first_row=2)
    # Row 5 (the repeat of row 2) is a duplicate: neither matched nor not.
    assert result.to_dict() == _told(
        chunk + 10, 2, unmatched=[2, 3, 4, *range(6, 23)], unmatched_count=chunk + 10
    )
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
    assert again.to_dict() == _told(
        chunk + 100,
        chunk,
        unmatched=list(range(chunk + 2, chunk + 22)),
        unmatched_count=chunk + 100,
    )
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
    assert record_outcomes(log, [both]).to_dict() == _told(1, 0, unmatched=[0])
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
    assert again.to_dict() == _told(0, 3)


def _score(log, decision_id: str, *, referral: str, household: str, received_at: str) -> dict:
    # A score record keyed as the service keys it: subject_key and ids are the keyed hashes.
    payload = score_payload(decision_id, 12, "screen_out_recommended")
    payload["referral_id"] = log.pseudonymizer("referral", referral)
    payload["household_id"] = log.pseudonymizer("household", household)
    payload["referral"]["received_at"] = received_at
    return payload


def _append_score(log, payload: dict) -> None:
    with transaction(log) as session:
        lock_chain(session)
        append(
            session,
            payload,
            kind="score",
            decision_id=payload["decision_id"],
            subject_key=payload["referral_id"],
            dedupe_key=f"score:{payload['decision_id']}",
        )


def _row(event_date: str, *, referral: str = "", household: str = "", event: str = "removal"):
    return {
        "referral_id": referral,
        "household_id": household,
        "event": event,
        "event_date": event_date,
    }


def test_each_new_row_is_told_whether_it_matches_a_scored_decision(log) -> None:
    # Before: every good row was "accepted", a mistyped id and an event dated before its
    # referral (never counted) alike. They are still recorded; the answer now names them.
    morning = "2026-11-20T10:30:00-05:00"
    _append_score(
        log, _score(log, "a" * 32, referral="ref-1", household="hh-1", received_at=morning)
    )
    # Scored by another path, without a summary: read from the record itself.
    late_evening = _score(
        log, "b" * 32, referral="ref-2", household="hh-2", received_at="2026-03-01T23:30:00-08:00"
    )
    log.committer.submit(
        PendingRecord(
            kind="score",
            payload=canonical_json(late_evening),
            decision_id="b" * 32,
            subject_key=late_evening["referral_id"],
            dedupe_key=f"score:{'b' * 32}",
        )
    ).result(timeout=30)
    rows = [
        _row("2026-11-21", referral="ref-1"),  # 0: matched
        _row("2026-11-02", referral="ref-1", event="re_referral"),  # 1: before 2026-11-20
        _row("2026-11-20", referral="ref-1", event="substantiation"),  # 2: the day of the call
        _row("2026-11-21", referral="ref-9"),  # 3: no such referral scored
        _row("2026-03-05", household="hh-2"),  # 4: matched by the household
        _row("2026-03-05", household="hh-9"),  # 5: no such household scored
        _row("2026-11-22", referral="ref-9", household="hh-1", event="injury"),  # 6: see below
        _row("2026-03-01", referral="ref-2"),  # 7: its own day (UTC's is the 2nd)
        _row("2026-03-01", referral="ref-2", event="arrest"),  # 8: rejected
        _row("2026-11-21", referral="ref-1"),  # 9: a duplicate of row 0
    ]
    result = record_outcomes(log, rows)
    # Row 6 names a scored household, but a referral that was not scored: matched on the
    # referral alone, so the mistyped id is not hidden by its household.
    assert result.to_dict() == _told(
        8,
        1,
        rejected=[
            {
                "row": 8,
                "column": "event",
                "message": "'arrest' is not an event; accepted: "
                "re_referral, substantiation, removal, injury",
            }
        ],
        matched=5,
        unmatched=[3, 5, 6],
        before_received=[1],
    )
    # As monitoring counts them: row 1 is not ref-1's re_referral; rows 2 and 7 count, on
    # the day of the call; row 6's household record is hh-1's later injury.
    frame = decision_frame(log).set_index("decision_id")
    events = ["re_referral", "substantiation", "removal", "injury"]
    assert frame.loc["a" * 32, events].tolist() == [0.0, 1.0, 1.0, 1.0]
    assert frame.loc["b" * 32, events].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert _outcomes_on_record(log) == 9  # every row recorded, row 6 as two records
    # Told when new only: sent again, every row is a duplicate.
    assert record_outcomes(log, [r for r in rows if r["event"] != "arrest"]).to_dict() == (
        _told(0, 9)
    )


def test_the_scored_decisions_are_looked_up_once_per_import(log) -> None:
    # Not once per row, nor per chunk: one statement for the referrals, one for the
    # households by the summaries' indexed key and, as some households were not found
    # there, one count saying no score lacks a summary, so no record is read for them;
    # each with all its keys in one parameter (10,000 would pass SQLite's limit of
    # variables as an IN list).
    chunk = outcomes.CHUNK_ROWS
    _append_score(
        log,
        _score(log, "c" * 32, referral="ref-7", household="hh-7", received_at="2026-05-01T09:00Z"),
    )
    rows = [_row("2026-06-01", referral=f"ref-{i}") for i in range(chunk * 2)]
    rows += [_row("2026-06-01", household=f"hh-{i}") for i in range(chunk * 2)]
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "score_summaries" in statement:
            statements.append(statement)

    sa.event.listen(log.engine, "before_cursor_execute", seen)
    try:
        result = record_outcomes(log, rows)
    finally:
        sa.event.remove(log.engine, "before_cursor_execute", seen)
    assert len(statements) == 3
    assert "household" not in statements[-1]  # before: every score record read for them
    assert (result.accepted, result.matched) == (chunk * 4, 2)
    assert result.unmatched_rows[:8] == [0, 1, 2, 3, 4, 5, 6, 8]
    assert len(result.unmatched_rows) == chunk * 4 - 2
    assert chunk * 2 + 7 not in result.unmatched_rows  # hh-7


def test_a_household_scored_without_a_summary_is_still_matched(log) -> None:
    # Scores written by an older replica during an upgrade have no summary, so no indexed
    # household key: the household is then found by the record itself.
    payload = _score(
        log, "d" * 32, referral="ref-8", household="hh-8", received_at="2026-05-01T09:00Z"
    )
    record = PendingRecord(
        kind="score",
        payload=canonical_json(payload),
        decision_id=payload["decision_id"],
        subject_key=payload["referral_id"],
        dedupe_key=f"score:{payload['decision_id']}",
    )
    log.committer.append(record)
    result = record_outcomes(log, [_row("2026-06-01", household="hh-8")])
    assert (result.accepted, result.matched, result.unmatched_rows) == (1, 1, [])
    result = record_outcomes(log, [_row("2026-06-01", household="hh-9")])
    assert (result.accepted, result.matched, result.unmatched_rows) == (1, 0, [0])
