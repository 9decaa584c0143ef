"""Group commit: batches form while the chain lock is held, fail together, and chain linearly."""

import fcntl
import hashlib
import os
import queue
import signal
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from service.decision_log import (
    DecisionLogUnavailable,
    GroupCommitter,
    PendingRecord,
    migrate,
    open_log,
    verify_chain,
)
from service.decision_log.chain import (
    canonical_json,
    gil_held_sha256,
    record_hash,
    record_hash_of_text,
)
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY


def _record(i: int, *, dedupe: str | None = None) -> PendingRecord:
    return PendingRecord(
        kind="score",
        payload=canonical_json({"i": i, "name": "Zoë", "nested": {"b": [1, 2.5, None], "a": True}}),
        decision_id=f"d{i}",
        subject_key=None,
        dedupe_key=dedupe or f"score:d{i}",
    )


class _Blocker:
    """Hold the SQLite write lock from another connection; tell when the writer checked out."""

    def __init__(self, log) -> None:
        self.checked_out = threading.Event()
        self.raw = log.engine.raw_connection()
        self.raw.execute("BEGIN IMMEDIATE")
        sa.event.listen(log.engine, "checkout", lambda *_: self.checked_out.set())

    def release(self) -> None:
        self.raw.execute("COMMIT")
        self.raw.close()


def test_records_queued_during_a_commit_form_the_next_batch(sqlite_log) -> None:
    sizes: list[tuple[int, bool]] = []
    sqlite_log.committer.listeners.append(lambda n, ok: sizes.append((n, ok)))
    blocker = _Blocker(sqlite_log)
    first = sqlite_log.committer.submit(_record(0))
    assert blocker.checked_out.wait(10)  # the writer holds record 0 and waits for the lock
    rest = [sqlite_log.committer.submit(_record(i)) for i in range(1, 10)]
    blocker.release()
    results = [f.result(timeout=30) for f in [first, *rest]]
    assert [r.seq for r in results] == list(range(1, 11))
    assert [r.batch_size for r in results] == [1] + [9] * 9
    assert sizes == [(1, True), (9, True)]
    assert verify_chain(sqlite_log).ok
    assert verify_chain(sqlite_log).records == 10


def test_a_failed_batch_fails_exactly_its_records(sqlite_log) -> None:
    sizes: list[tuple[int, bool]] = []
    sqlite_log.committer.listeners.append(lambda n, ok: sizes.append((n, ok)))
    blocker = _Blocker(sqlite_log)
    first = sqlite_log.committer.submit(_record(0))
    assert blocker.checked_out.wait(10)
    # Record 2 repeats record 0's dedupe key: the unique index refuses the whole transaction.
    doomed = [
        sqlite_log.committer.submit(_record(1)),
        sqlite_log.committer.submit(_record(2, dedupe="score:d0")),
        sqlite_log.committer.submit(_record(3)),
    ]
    blocker.release()
    assert first.result(timeout=30).seq == 1
    for future in doomed:
        with pytest.raises(DecisionLogUnavailable, match="could not be written"):
            future.result(timeout=30)
    after = sqlite_log.committer.append(_record(4))
    assert (after.seq, after.batch_size) == (2, 1)
    assert sizes == [(1, True), (3, False), (1, True)]
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


def test_many_threads_one_linear_chain(sqlite_log) -> None:
    results = []
    lock = threading.Lock()

    def work(t: int) -> None:
        for k in range(25):
            r = sqlite_log.committer.append(_record(t * 100 + k))
            with lock:
                results.append(r)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.seq for r in results) == list(range(1, 201))
    assert len({r.hash for r in results}) == 200
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 200


def test_max_batch_one_writes_each_record_alone(tmp_path) -> None:
    log = open_log(f"sqlite:///{tmp_path / 'd.db'}", key=KEY, max_batch=1)
    migrate(log.engine)
    try:
        blocker = _Blocker(log)
        futures = [log.committer.submit(_record(0))]
        assert blocker.checked_out.wait(10)
        futures += [log.committer.submit(_record(i)) for i in range(1, 4)]
        blocker.release()
        assert [f.result(timeout=30).batch_size for f in futures] == [1, 1, 1, 1]
    finally:
        log.dispose()


def test_close_writes_what_is_queued_then_refuses(sqlite_log) -> None:
    futures = [sqlite_log.committer.submit(_record(i)) for i in range(5)]
    sqlite_log.committer.close()
    assert sorted(f.result(timeout=1).seq for f in futures) == [1, 2, 3, 4, 5]
    with pytest.raises(DecisionLogUnavailable):
        sqlite_log.committer.submit(_record(9)).result(timeout=1)


def test_max_batch_below_one_is_refused(sqlite_log) -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1, got 0"):
        GroupCommitter(sqlite_log.engine, max_batch=0)


@pytest.mark.parametrize(
    "payload",
    [
        {"a": 1},
        {"z": "Zoë ✓", "a": [1.5, None, {"k": "v"}]},
        [],
        "text",
        3.25,
        {"pad": "Zoë " * 2300},  # a score record's size: hashed in pieces (gil_held_sha256)
    ],
)
@pytest.mark.parametrize("decision_id", [None, "abc"])
def test_hash_of_stored_text_equals_hash_of_parsed_payload(payload, decision_id) -> None:
    columns = {
        "seq": 7,
        "kind": "score",
        "decision_id": decision_id,
        "subject_key": None,
        "dedupe_key": "score:abc",
        "recorded_at": "2026-03-02T10:00:00.000001+00:00",
        "prev_hash": "0" * 64,
    }
    assert record_hash_of_text(payload_text=canonical_json(payload), **columns) == record_hash(
        payload=payload, **columns
    )


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 4094, 4095, 9000])
def test_sha256_fed_in_pieces_is_sha256(size) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    assert gil_held_sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


def test_async_submissions_resolve_on_their_loop_in_one_chain(database_url) -> None:
    import asyncio

    log = open_log(database_url, key=KEY)
    migrate(log.engine)
    wakeups: list[int] = []
    sizes: list[int] = []
    log.committer.listeners.append(lambda n, ok: sizes.append(n))

    async def main():
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(callback, *args, **kwargs):
            if getattr(callback, "__module__", "") == "service.decision_log.batcher":
                wakeups.append(1)  # the writer's, not asyncio.to_thread's own
            return original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        first = log.committer.submit_async(_record(0))
        # The writer holds record 0 while the lock is held elsewhere; 59 more queue up.
        await asyncio.to_thread(blocker.checked_out.wait, 10)
        rest = [log.committer.submit_async(_record(i)) for i in range(1, 60)]
        loop.call_later(0.2, blocker.release)
        return await asyncio.gather(first, *rest)

    try:
        blocker = _Blocker(log) if log.engine.dialect.name == "sqlite" else _PgBlocker(log)
        results = asyncio.run(main())
        assert sorted(r.seq for r in results) == list(range(1, 61))
        assert sizes == [1, 59]
        assert len(wakeups) == 2  # one wake-up of the loop per batch, not per record
        report = verify_chain(log)
        assert report.ok and report.records == 60
    finally:
        log.dispose()


class _PgBlocker:
    """Hold PostgreSQL's chain lock from another session (like _Blocker for SQLite)."""

    def __init__(self, log) -> None:
        from service.decision_log.db import CHAIN_LOCK_KEY

        self.checked_out = threading.Event()
        self.connection = log.engine.connect()
        self.transaction = self.connection.begin()
        self.connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
        sa.event.listen(log.engine, "checkout", lambda *_: self.checked_out.set())

    def release(self) -> None:
        self.transaction.commit()
        self.connection.close()


def test_async_submissions_of_a_failed_batch_all_raise(sqlite_log) -> None:
    import asyncio

    async def main():
        first = sqlite_log.committer.submit_async(_record(0))
        await asyncio.to_thread(blocker.checked_out.wait, 10)
        doomed = [
            sqlite_log.committer.submit_async(_record(1, dedupe="same")),
            sqlite_log.committer.submit_async(_record(2, dedupe="same")),
        ]
        asyncio.get_running_loop().call_later(0.2, blocker.release)
        return await asyncio.gather(first, *doomed, return_exceptions=True)

    blocker = _Blocker(sqlite_log)
    outcomes = asyncio.run(main())
    assert outcomes[0].seq == 1
    assert [type(o) for o in outcomes[1:]] == [DecisionLogUnavailable, DecisionLogUnavailable]
    # the next batch goes through on the writer's replacement connection
    assert sqlite_log.committer.submit(_record(3)).result(timeout=30).seq == 2
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


def test_a_request_gone_before_its_record_is_picked_up_is_not_written(sqlite_log) -> None:
    import asyncio

    async def main():
        first = sqlite_log.committer.submit_async(_record(0))
        await asyncio.to_thread(blocker.checked_out.wait, 10)
        gone = sqlite_log.committer.submit_async(_record(1))
        gone.cancel()  # the client disconnected while its record waited
        kept = sqlite_log.committer.submit_async(_record(2))
        asyncio.get_running_loop().call_later(0.2, blocker.release)
        return await asyncio.gather(first, kept)

    blocker = _Blocker(sqlite_log)
    first, kept = asyncio.run(main())
    assert (first.seq, kept.seq) == (1, 2)
    with sqlite_log.engine.connect() as c:
        ids = c.execute(sa.text("SELECT decision_id FROM log_entries ORDER BY seq")).scalars()
        assert list(ids) == ["d0", "d2"]


def test_a_batch_larger_than_one_statement_allows_is_written_in_chunks(tmp_path) -> None:
    log = open_log(f"sqlite:///{tmp_path / 'd.db'}", key=KEY, max_batch=2000)
    migrate(log.engine)
    try:
        blocker = _Blocker(log)
        first = log.committer.submit(_record(0))
        assert blocker.checked_out.wait(10)
        rest = [log.committer.submit(_record(i)) for i in range(1, 1201)]
        blocker.release()
        assert first.result(timeout=30).seq == 1
        assert [f.result(timeout=60).batch_size for f in rest] == [1200] * 1200
        report = verify_chain(log)
        assert report.ok and report.records == 1201
    finally:
        log.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_writer_reconnects_when_postgres_dropped_its_connection(database_url) -> None:
    log = open_log(database_url, key=KEY)
    migrate(log.engine)
    try:
        assert log.committer.submit(_record(0)).result(timeout=30).seq == 1
        backend = log.committer._raw.dbapi_connection.info.backend_pid
        with log.engine.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        # a server restart or an idle timeout looks the same: the next score still lands
        assert log.committer.submit(_record(1)).result(timeout=30).seq == 2
        assert verify_chain(log).records == 2
    finally:
        log.dispose()


def test_canonical_json_is_sorted_compact_utf8_with_shortest_floats() -> None:
    payload = {"b": [1e-05, 1e16, 0.1, -0.0, 2.5e-300], "a": {"é": "Zoë ✓", "n": None}, "c": 10**15}
    assert canonical_json(payload) == (
        '{"a":{"n":null,"é":"Zoë ✓"},"b":[0.00001,1e+16,0.1,-0.0,2.5e-300],"c":1000000000000000}'
    )


def test_records_hashed_the_pre_orjson_way_still_verify(sqlite_log) -> None:
    from service.decision_log.chain import GENESIS, canonical_json_v1

    payload = {"probability": 1.5e-05, "z": "Zoë"}  # written "1.5e-05" by json, not by orjson
    assert canonical_json_v1(payload) != canonical_json(payload)
    columns = {
        "seq": 1,
        "kind": "score",
        "decision_id": "d1",
        "subject_key": None,
        "dedupe_key": "score:d1",
        "recorded_at": "2026-11-01T10:00:00.000001+00:00",
        "prev_hash": GENESIS,
    }
    digest = record_hash_of_text(payload_text=canonical_json_v1(payload), **columns)
    with sqlite_log.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO log_entries (seq, kind, decision_id, subject_key, dedupe_key, "
                "recorded_at, payload, prev_hash, hash) VALUES (:seq, :kind, :decision_id, "
                ":subject_key, :dedupe_key, :recorded_at, :payload, :prev_hash, :hash)"
            ),
            {**columns, "payload": canonical_json_v1(payload), "hash": digest},
        )
    assert verify_chain(sqlite_log).ok
    # and the new writer chains on after it
    assert sqlite_log.committer.submit(_record(2)).result(timeout=30).seq == 2
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


def test_a_score_with_a_non_finite_feature_is_not_recorded(sqlite_log) -> None:
    import numpy as np

    from models import FEATURE_NAMES, Referral
    from service.decision_log.repository import score_record
    from service.schemas import ScoreResponse
    from tests.service.decision_log.factories import example

    features = np.zeros(len(FEATURE_NAMES))
    features[3] = np.nan
    with pytest.raises(ValueError, match="a feature is not a finite number"):
        score_record(
            sqlite_log,
            ScoreResponse.model_construct(decision_id="d1"),
            referral=Referral.model_validate(example()),
            features=features,
        )


def test_a_record_queued_behind_the_stop_marker_is_refused_not_lost(sqlite_log) -> None:
    committer = sqlite_log.committer
    assert committer.submit(_record(0)).result(timeout=30).seq == 1
    # A submit that passed the "closed?" check just before close() put the stop marker.
    from service.decision_log.batcher import _STOP

    committer._queue.put(_STOP)
    late = concurrent_future()
    committer._queue.put((_record(1), None, late))
    committer._thread.join(10)
    with pytest.raises(DecisionLogUnavailable):
        late.result(timeout=1)


def concurrent_future():
    from concurrent.futures import Future

    return Future()


# The interruption still ends the writer thread (re-raised there, as it should be).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_an_interrupted_writer_answers_its_batch_and_a_new_writer_takes_over(
    sqlite_log, monkeypatch, interruption
) -> None:
    committer = sqlite_log.committer
    assert committer.append(_record(0)).seq == 1
    real_commit = committer._commit
    calls = 0

    def commit_once_interrupted(records):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise interruption()
        return real_commit(records)

    monkeypatch.setattr(committer, "_commit", commit_once_interrupted)
    first_writer = committer._thread
    with pytest.raises(DecisionLogUnavailable, match="could not be written"):
        committer.submit(_record(1)).result(timeout=10)
    first_writer.join(10)
    assert not first_writer.is_alive()
    # The next record is written by a new writer thread, after the last committed one.
    after = committer.append(_record(2))
    assert committer._thread is not first_writer
    assert (after.seq, after.batch_size) == (2, 1)
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


class _GatedQueue:
    """The writer's queue, with the dying writer paused in its final drain until told."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.dying: threading.Thread | None = None
        self.go = threading.Event()
        self.paused = threading.Event()
        self.drained = threading.Event()

    def put(self, item) -> None:
        self.inner.put(item)

    def get(self, *args, **kwargs):
        if self.dying is not None and threading.current_thread() is not self.dying:
            self.drained.wait(10)  # a successor writer reads only after the drain
        return self.inner.get(*args, **kwargs)

    def get_nowait(self):
        if threading.current_thread() is self.dying:
            self.paused.set()
            self.go.wait(10)
        try:
            return self.inner.get_nowait()
        except queue.Empty:
            if threading.current_thread() is self.dying:
                self.drained.set()
            raise


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_record_submitted_while_a_writer_dies_is_written_by_its_successor(
    sqlite_log, monkeypatch
) -> None:
    committer = sqlite_log.committer
    assert committer.append(_record(0)).seq == 1
    gated = _GatedQueue(committer._queue)
    committer._queue = gated
    real_commit = committer._commit

    def commit(records):
        if gated.dying is None:
            gated.dying = threading.current_thread()
            raise SystemExit
        return real_commit(records)

    monkeypatch.setattr(committer, "_commit", commit)
    doomed = committer.submit(_record(1))
    assert gated.paused.wait(10)
    # The dying writer is paused in its drain. A submit now must wait for the drain instead
    # of starting a successor that shares the queue with it (which would fail the record,
    # or swallow close()'s stop marker and leave the successor running).
    submitted: list = []

    def submit_then_close() -> None:
        submitted.append(committer.submit(_record(2)))
        committer.close(timeout=10)

    other = threading.Thread(target=submit_then_close)
    other.start()
    other.join(0.3)
    assert submitted == []  # waiting on the lock the drain holds
    gated.go.set()
    other.join(20)
    with pytest.raises(DecisionLogUnavailable):  # answered once the writer has retired
        doomed.result(timeout=10)
    assert submitted[0].result(timeout=10).seq == 2
    assert not any(t.name == "decision-log-writer" for t in threading.enumerate())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_listener_raising_systemexit_does_not_turn_a_commit_into_a_failure(
    sqlite_log,
) -> None:
    committer = sqlite_log.committer

    def listener(size: int, ok: bool) -> None:
        raise SystemExit

    committer.listeners.append(listener)
    first = committer.submit(_record(0))
    writer_before = committer._thread
    assert (first.result(timeout=10).seq, first.result().batch_size) == (1, 1)
    writer_before.join(10)  # SystemExit ended that writer
    assert not writer_before.is_alive()
    committer.listeners.remove(listener)
    # Written once: the caller was told it was, so nothing retries it into a copy.
    assert committer.append(_record(1)).seq == 2
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


def test_a_child_forked_while_the_lock_is_held_can_still_write(sqlite_log) -> None:
    committer = sqlite_log.committer
    assert committer.append(_record(0)).seq == 1
    with committer._lock:  # e.g. another thread queueing a record at the moment of fork
        pid = os.fork()
        if pid == 0:  # the child: its own writer, its own connection, the same chain
            code = 1
            try:
                signal.alarm(20)  # a child stuck on the inherited lock dies, not the run
                code = 0 if committer.append(_record(1)).seq == 2 else 1
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_interruption_inside_the_transaction_releases_the_locks(sqlite_log, monkeypatch) -> None:
    import service.decision_log.bulk as bulk

    committer = sqlite_log.committer
    assert committer.append(_record(0)).seq == 1
    real = bulk.finish_record_hash
    calls = 0

    def interrupted(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:  # after BEGIN IMMEDIATE, with the file queue and the write lock held
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "finish_record_hash", interrupted)
    with pytest.raises(DecisionLogUnavailable):
        committer.submit(_record(1)).result(timeout=10)
    # Both locks were released before the caller was answered: the writers' file queue and
    # SQLite's write lock can be taken at once (neither call waits).
    database = sqlite_log.engine.url.database
    with open(f"{database}.writers", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    assert committer.append(_record(2)).seq == 2
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == 2
