"""Decision-log URLs the service can use, and the SQLite writers' queue."""

import logging

import pytest

from service.decision_log import InvalidDatabaseUrl, PendingRecord, migrate, open_log
from service.decision_log.db import database_url_of
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY

ACCEPTED = "accepted: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite+pysqlite://",
        "sqlite:///file:x?mode=memory",
        "sqlite:///file::memory:?uri=true",
    ],
)
def test_an_in_memory_database_is_refused_naming_the_accepted_forms(url) -> None:
    # Before: accepted, but each connection (each thread) had its own empty database, so the
    # writer found no table and every score was a 503.
    with pytest.raises(InvalidDatabaseUrl) as refused:
        database_url_of(url)
    assert str(refused.value) == (
        f"{url!r} is an in-memory SQLite database, which every connection (and so every "
        f"thread of the service) sees empty and loses on exit; {ACCEPTED}"
    )


def test_a_writers_queue_that_cannot_be_opened_does_not_stop_the_writes(tmp_path, caplog) -> None:
    # Before: the OSError of opening <db>.writers (a read-only directory) reached the request
    # as a 500. The queue only makes waits fair; BEGIN IMMEDIATE keeps the chain linear.
    database = tmp_path / "d.db"
    (tmp_path / "d.db.writers").mkdir()  # opening it fails, as in a read-only directory
    log = open_log(f"sqlite:///{database}", key=KEY)
    try:
        migrate(log.engine)
        caplog.set_level(logging.WARNING, logger="hotline.decision_log")
        for n in (1, 2):
            record = PendingRecord(kind="score", payload="{}", dedupe_key=f"score:{n}")
            assert log.committer.append(record).seq == n
    finally:
        log.dispose()
    warnings = [m for m in caplog.messages if m.startswith("decision log writers not queued")]
    assert warnings == [
        f"decision log writers not queued ({database}.writers): [Errno 21] Is a directory: "
        f"'{database}.writers'"
    ]


@pytest.mark.parametrize(
    ("url", "timeout"),
    [
        ("postgresql+psycopg://hotline@db.invalid:5432/hotline", 10),
        ("postgresql+psycopg://hotline@db.invalid:5432/hotline?connect_timeout=3", "3"),
    ],
)
def test_a_postgresql_connection_gives_up_after_a_bound(url, timeout) -> None:
    # Before: no bound, so against a host dropping packets every score, key lookup and
    # report waited the operating system's two minutes for each new connection.
    import sqlalchemy as sa

    from service.decision_log.db import make_engine

    engine = make_engine(url)
    asked: list[dict] = []

    @sa.event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):
        asked.append(dict(cparams))
        raise ConnectionRefusedError("not connecting in a test")

    with pytest.raises(ConnectionRefusedError):
        engine.connect()
    engine.dispose()
    assert asked[0]["connect_timeout"] == timeout
