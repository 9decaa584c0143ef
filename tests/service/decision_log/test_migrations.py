"""The schema's migrations: the log refuses to be emptied, and each step downgrades cleanly."""

import pytest
import sqlalchemy as sa

from service.decision_log import PendingRecord, migrate, open_log, verify_chain
from service.decision_log.errors import SchemaTooNew
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY
from tests.service.decision_log.factories import NEWER, downgrade

EMPTY_THE_LOG = {
    # CASCADE: the score summaries' foreign key alone refuses a plain TRUNCATE.
    "postgresql": "TRUNCATE log_entries CASCADE",
    # SQLite has no TRUNCATE; an unqualified DELETE is its form of it.
    "sqlite": "DELETE FROM log_entries",
}


def _empty(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(EMPTY_THE_LOG[engine.dialect.name]))


@pytest.fixture
def log(database_url):
    opened = open_log(database_url, key=KEY)
    migrate(opened.engine)
    opened.committer.append(PendingRecord(kind="score", payload="{}", dedupe_key="score:x"))
    yield opened
    opened.dispose()


def test_the_log_cannot_be_emptied_at_once(log) -> None:
    # Before: PostgreSQL's row triggers did not fire for TRUNCATE, and verify then said
    # "ok: 0 records".
    with pytest.raises(sa.exc.DBAPIError, match="log_entries is append-only"):
        _empty(log.engine)
    assert verify_chain(log).line() == "ok: 1 records"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_downgrading_0003_drops_only_the_truncate_trigger(log) -> None:
    downgrade(log.engine, "0002")
    with (
        pytest.raises(sa.exc.DBAPIError, match="log_entries is append-only"),
        log.engine.begin() as connection,
    ):
        connection.execute(sa.text("DELETE FROM log_entries"))
    _empty(log.engine)
    assert verify_chain(log).line() == "ok: 0 records"
    migrate(log.engine)
    with pytest.raises(sa.exc.DBAPIError, match="log_entries is append-only"):
        _empty(log.engine)


@pytest.mark.parametrize("revision", ["0001", "0002", "0003"])
def test_a_log_with_records_at_an_older_revision_is_upgraded(database_url, revision) -> None:
    # The logs that exist were written at these revisions: upgrading keeps every record and
    # the chain, and adds what later revisions add (the key table, the TRUNCATE trigger).
    older = open_log(database_url, key=KEY)
    try:
        migrate(older.engine, revision=revision)
        for n in range(3):
            record = PendingRecord(kind="score", payload=f'{{"n":{n}}}', dedupe_key=f"score:{n}")
            older.committer.append(record)
        migrate(older.engine)
        with older.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalars().all() == ["0005"]
            payloads = connection.execute(sa.text("SELECT payload FROM log_entries ORDER BY seq"))
            assert payloads.scalars().all() == ['{"n":0}', '{"n":1}', '{"n":2}']
            assert sa.inspect(connection).has_table("api_keys")
            assert sa.inspect(connection).has_table("rules_versions")
        assert verify_chain(older).line() == "ok: 3 records"
        with pytest.raises(sa.exc.DBAPIError, match="log_entries is append-only"):
            _empty(older.engine)
    finally:
        older.dispose()


def _at_revision(engine: sa.Engine, revision: str) -> None:
    # What a newer version of the service leaves behind after migrating the database.
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_at_an_unknown_revision_is_refused_in_one_line(log) -> None:
    _at_revision(log.engine, "0099")
    with pytest.raises(SchemaTooNew) as refused:
        migrate(log.engine)
    assert str(refused.value) == NEWER
    with log.engine.connect() as connection:  # nothing was changed
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        assert version.scalars().all() == ["0099"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_replicas_on_the_old_code_keep_writing_while_0005_summarizes(log) -> None:
    # Before: 0005 created its foreign key first, which locks log_entries against writes
    # until the migration commits, and then read every score record to summarize it: the
    # replicas not yet upgraded could not log a score for the whole backfill.
    downgrade(log.engine, "0004")
    probe = sa.create_engine(log.engine.url)
    written: list[int] = []

    def old_replica_writes(conn, cursor, statement, *args) -> None:
        if statement.startswith("SELECT seq, payload FROM log_entries") and not written:
            with probe.begin() as other:
                other.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                other.execute(
                    sa.text(
                        "INSERT INTO log_entries (seq, kind, recorded_at, payload, prev_hash, "
                        "hash) VALUES (2, 'score', 'now', '{}', 'p', 'h')"
                    )
                )
            written.append(1)

    sa.event.listen(log.engine, "before_cursor_execute", old_replica_writes)
    try:
        migrate(log.engine)
    finally:
        sa.event.remove(log.engine, "before_cursor_execute", old_replica_writes)
        probe.dispose()
    assert written == [1]
    with log.engine.connect() as connection:  # and the summaries' foreign key is there
        keys = sa.inspect(connection).get_foreign_keys("score_summaries")
    assert [(k["referred_table"], k["constrained_columns"]) for k in keys] == [
        ("log_entries", ["seq"])
    ]
