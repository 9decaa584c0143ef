"""Group commit: batches form while the chain lock is held, fail together, and chain linearly."""

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
from service.decision_log.chain import canonical_json, record_hash, record_hash_of_text

KEY = b"test-pseudonym-key-16+"


def _record(i: int, *, dedupe: str | None = None) -> PendingRecord:
    return PendingRecord(
        kind="score",
        payload=canonical_json({"i": i, "name": "Zoë", "nested": {"b": [1, 2.5, None], "a": True}}),
        decision_id=f"d{i}",
        subject_key=None,
        dedupe_key=dedupe or f"score:d{i}",
    )


@pytest.fixture
def sqlite_log(tmp_path):
    log = open_log(f"sqlite:///{tmp_path / 'd.db'}", key=KEY)
    migrate(log.engine)
    yield log
    log.dispose()


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
    [{"a": 1}, {"z": "Zoë ✓", "a": [1.5, None, {"k": "v"}]}, [], "text", 3.25],
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
