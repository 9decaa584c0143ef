"""SQLite checkpoints run on their own thread, and still keep the WAL file from growing."""

import sqlite3
import threading
import time

from service.decision_log import PendingRecord, open_log, verify_chain
from service.decision_log.chain import canonical_json
from service.decision_log.db import BACKSTOP_PAGES
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY


def _record(i: int) -> PendingRecord:
    # About the size of a real score record (6-12 KB of JSON): three or four WAL pages.
    return PendingRecord(
        kind="score",
        payload=canonical_json({"i": i, "pad": "x" * 9000}),
        decision_id=f"d{i}",
        dedupe_key=f"score:d{i}",
    )


def _wal_frames(path) -> tuple[int, int]:
    """(frames in the WAL, frames copied), by a checkpoint of our own."""
    with sqlite3.connect(path) as db:
        _busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return frames, copied


def test_commits_leave_checkpoints_to_the_checkpointer(sqlite_log, tmp_path) -> None:
    checkpointer = sqlite_log.committer.checkpointer
    checkpointer.interval = 3600.0  # it never wakes during this test
    checkpointer.due_bytes = 1 << 40
    for i in range(300):
        sqlite_log.committer.append(_record(i))
    # SQLite's default would have checkpointed (and restarted the WAL) at 1,000 pages
    # inside one of these commits: ~2,900 frames here means no commit paid for one.
    frames, copied = _wal_frames(tmp_path / "d.db")
    assert frames > 1_000
    assert frames == copied  # the pages are intact and now in the database file
    assert checkpointer.passes == 0
    with sqlite_log.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == BACKSTOP_PAGES


def _wal_restarts(path) -> int:
    """How many times the WAL file was started over: its header's checkpoint sequence number."""
    with open(path, "rb") as wal:
        header = wal.read(32)
    return int.from_bytes(header[12:16], "big")


def test_the_wal_file_is_reused_under_a_steady_stream_of_commits(sqlite_log, tmp_path) -> None:
    checkpointer = sqlite_log.committer.checkpointer
    checkpointer.interval = 0.01
    checkpointer.due_bytes = 64 * 1024
    checkpointer.restart_frames = 256
    stop = threading.Event()
    written = [0, 0, 0, 0]

    def write(k: int) -> None:
        i = k * 100_000
        while not stop.is_set():
            sqlite_log.committer.append(_record(i))
            i += 1
            written[k] += 1

    # Commits never pause, so no unlocked pass completes: the file can only start over after
    # a pass with the writers held off. The writers stop after the third such pass (not
    # after a fixed count: how far the WAL grows between passes depends on the machine's
    # load, and a slow pass must not fail the test), and at least 400 records.
    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while (checkpointer.locked_passes < 3 or sum(written) < 400) and time.monotonic() < deadline:
        time.sleep(0.005)
    stop.set()
    for t in threads:
        t.join()
    assert checkpointer.locked_passes >= 3
    # The first two locked passes were followed by commits, each of which began the file
    # again from its start instead of appending to it. (SQLite numbers every restart in the
    # WAL header; without the locked passes, none: the file holds every frame ever written.)
    assert _wal_restarts(tmp_path / "d.db-wal") >= 2
    sqlite_log.committer.close()  # stops the checkpointer too
    assert not any(t.name == "decision-log-checkpoint" for t in threading.enumerate())
    report = verify_chain(sqlite_log)
    assert report.ok and report.records == sum(written)


def test_writers_are_held_off_only_once_the_wal_is_large(sqlite_log, tmp_path) -> None:
    # Holding the writers off costs every waiting score the pass's syncs: it is kept for
    # when the WAL has grown past restart_frames, and copying runs unlocked until then.
    checkpointer = sqlite_log.committer.checkpointer
    checkpointer.interval = 0.01
    checkpointer.due_bytes = 64 * 1024
    checkpointer.restart_frames = 4_000
    for i in range(300):  # ~2,900 frames: a commit of one record writes ~10 pages
        sqlite_log.committer.append(_record(i))
    sqlite_log.committer.close()
    assert checkpointer.passes > 0
    assert checkpointer.locked_passes == 0  # ~2,900 frames in all: never past 4,000
    # Everything was copied. (How many frames the WAL holds now says nothing: SQLite starts
    # it over by itself when a pass has copied all of it and the next commit begins, which
    # a fresh clone's busy test run did before the 1,000th frame.)
    frames, copied = _wal_frames(tmp_path / "d.db")
    assert frames == copied


def test_commits_outside_the_score_writer_are_checkpointed_too(sqlite_log) -> None:
    # Screening decisions, statuses, outcomes and keys commit through SQLAlchemy sessions.
    checkpointer = sqlite_log.committer.checkpointer
    checkpointer.interval = 0.01
    sqlite_log.committer.append(_record(0))  # the service's threads run from its first score
    deadline = time.monotonic() + 10
    while checkpointer.passes == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    before = checkpointer.passes
    with sqlite_log.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE scratch (x)")
        connection.exec_driver_sql("INSERT INTO scratch VALUES (1)")
    while checkpointer.passes == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.passes > before


def test_only_a_file_backed_sqlite_log_has_a_checkpointer(database_url) -> None:
    on_disk = open_log(database_url, key=KEY)
    try:
        assert (on_disk.committer.checkpointer is not None) is database_url.startswith("sqlite")
    finally:
        on_disk.dispose()


def test_the_database_file_is_synced_before_the_writers_are_held_off(sqlite_log, tmp_path) -> None:
    # An unlocked pass that does not complete copies pages without syncing them; the
    # checkpointer syncs the file itself then, before it holds the writers off, so the locked
    # pass has little to sync (measured under load: median 24.5 -> 6.8 ms held off).
    checkpointer = sqlite_log.committer.checkpointer
    events: list[str] = []
    real_pass, real_sync = checkpointer._pass, checkpointer._sync_database

    locked_so_far = [0]

    def recording_pass(cursor):
        busy, frames, copied = real_pass(cursor)
        # The count goes up just before a pass with the writers held off.
        if checkpointer.locked_passes != locked_so_far[0]:
            locked_so_far[0] = checkpointer.locked_passes
            events.append("locked pass")
        else:
            events.append("incomplete pass" if copied < frames else "complete pass")
        return busy, frames, copied

    def recording_sync(cursor):
        path = cursor.execute("PRAGMA database_list").fetchone()[2]
        events.append(f"sync {path}")
        real_sync(cursor)

    checkpointer._pass = recording_pass
    checkpointer._sync_database = recording_sync
    checkpointer.interval = 0.01
    checkpointer.due_bytes = 1 << 40  # passes at the interval only
    checkpointer.restart_frames = 1
    stop = threading.Event()

    def write() -> None:  # commits go on during the passes, so the unlocked ones stay incomplete
        i = 0
        while not stop.is_set():
            sqlite_log.committer.append(_record(i))
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.monotonic() + 20
    synced_then_locked = ["incomplete pass", f"sync {tmp_path / 'd.db'}", "locked pass"]
    while time.monotonic() < deadline and not any(
        events[i : i + 3] == synced_then_locked for i in range(len(events))
    ):
        time.sleep(0.01)
    stop.set()
    writer.join()
    sqlite_log.committer.close()
    assert any(events[i : i + 3] == synced_then_locked for i in range(len(events))), events
    # An incomplete pass is always followed by the sync; a complete one (SQLite synced the
    # file itself) never is.
    for before, after in zip(events, events[1:], strict=False):
        assert after.startswith("sync") == (before == "incomplete pass"), (before, after)


def test_a_failed_sync_is_logged_and_the_checkpoint_goes_on(
    sqlite_log, monkeypatch, caplog
) -> None:
    # The sync only shortens the locked pass (which syncs anyway): a file that cannot be
    # opened must not stop the checkpoint that restarts the WAL.
    import service.decision_log.checkpoint as checkpoint

    def refuse(*_args, **_kwargs):
        raise PermissionError("no access")

    checkpointer = sqlite_log.committer.checkpointer
    sqlite_log.committer.append(_record(0))
    monkeypatch.setattr(checkpoint.os, "open", refuse)
    connection = sqlite_log.engine.raw_connection()
    try:
        cursor = connection.cursor()
        with caplog.at_level("WARNING", logger="hotline.decision_log"):
            checkpointer._sync_database(cursor)
        cursor.close()
    finally:
        connection.close()
    assert "decision log database file not synced before a checkpoint: no access" in caplog.text
