"""How transactions begin: reads take no lock on SQLite, PostgreSQL runs READ COMMITTED."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from service.auth import find_key
from service.decision_log import (
    DecisionLogUnavailable,
    PendingRecord,
    get_decision,
    migrate,
    open_log,
    verify_chain,
)
from service.decision_log.chain import canonical_json
from service.decision_log.db import lock_chain
from service.decision_log.repository import transaction
from service.decision_log.tables import LogEntry
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY

DECISION_ID = "0123456789abcdef0123456789abcdef"
REPEATABLE_READ = "%20-cdefault_transaction_isolation%3Drepeatable%5C%20read"
"""Appended to a test URL's ``options``: the server default some installations run with."""


def _score(decision_id: str) -> PendingRecord:
    return PendingRecord(
        kind="score",
        payload=canonical_json({"referral_id": "r-hash", "household_id": "h-hash"}),
        decision_id=decision_id,
        dedupe_key=f"score:{decision_id}",
    )


def test_a_read_held_open_does_not_hold_up_an_append(log) -> None:
    log.committer.append(_score(DECISION_ID))
    with transaction(log, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LogEntry)) == 1
        # Before: SQLite began this read IMMEDIATE, and the append waited until it ended.
        assert log.committer.submit(_score("f" * 32)).result(timeout=5).seq == 2
    assert verify_chain(log).line() == "ok: 2 records"


def test_the_chain_lock_is_refused_in_a_read_only_transaction(log) -> None:
    with (
        pytest.raises(RuntimeError, match="^the chain lock was asked for in a transaction begun"),
        transaction(log, read_only=True) as session,
    ):
        lock_chain(session)


def test_reads_do_not_wait_for_the_sqlite_write_lock(sqlite_log) -> None:
    sqlite_log.committer.append(_score(DECISION_ID))
    writer = sqlite3.connect(sqlite_log.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # as an append (or `hotline outcomes import`) holds it
    try:
        with ThreadPoolExecutor(4) as pool:
            report = pool.submit(verify_chain, sqlite_log)
            record = pool.submit(get_decision, sqlite_log, DECISION_ID)
            key = pool.submit(find_key, sqlite_log, "0123456789abcdef")  # an API key lookup
            # Before: both began IMMEDIATE and waited out busy_timeout (30 s) for the lock.
            assert report.result(timeout=5).line() == "ok: 1 records"
            assert record.result(timeout=5).score == {
                "household_id": "h-hash",
                "referral_id": "r-hash",
            }
            assert key.result(timeout=5) is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_write_transaction_still_takes_the_sqlite_lock_as_it_begins(sqlite_log) -> None:
    other = sqlite3.connect(sqlite_log.engine.url.database, timeout=0, isolation_level=None)
    try:
        with transaction(sqlite_log) as session:
            session.execute(sa.select(LogEntry.seq).limit(1))
            with pytest.raises(sqlite3.OperationalError, match="^database is locked$"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_committers_under_a_repeatable_read_server_default(database_url) -> None:
    url = database_url + REPEATABLE_READ
    plain = sa.create_engine(url)
    with plain.connect() as connection:  # the premise: this URL's sessions default to it
        assert connection.exec_driver_sql("SHOW transaction_isolation").scalar() == (
            "repeatable read"
        )
    plain.dispose()
    workers = [open_log(url, key=KEY, max_batch=1) for _ in range(2)]
    migrate(workers[0].engine)
    try:
        for worker in workers:
            with worker.engine.connect() as connection:
                isolation = connection.exec_driver_sql("SHOW transaction_isolation").scalar()
                assert isolation == "read committed"
            raw = worker.engine.raw_connection()  # how the group committer connects
            try:
                cursor = raw.cursor()
                cursor.execute("SHOW transaction_isolation")
                assert cursor.fetchone() == ("read committed",)
            finally:
                raw.close()
        failed: list[str] = []

        def append(worker_index: int) -> None:
            for i in range(50):
                try:
                    workers[worker_index].committer.append(_score(f"{worker_index:x}{i:031x}"))
                except DecisionLogUnavailable as exc:
                    failed.append(type(exc.__cause__).__name__)

        threads = [threading.Thread(target=append, args=(w,)) for w in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Before: the head was read in the snapshot taken before the lock was granted, so
        # about one append in seven was a UniqueViolation (503).
        assert failed == []
        assert verify_chain(workers[0]).line() == "ok: 100 records"
    finally:
        for worker in workers:
            worker.dispose()
