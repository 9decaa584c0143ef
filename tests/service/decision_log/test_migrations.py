"""The schema's migrations: the log refuses to be emptied, and each step downgrades cleanly."""

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from service.decision_log import PendingRecord, migrate, open_log, verify_chain
from service.decision_log.migrate import MIGRATIONS_DIR
from tests.service.decision_log.conftest import PSEUDONYM_KEY as KEY

EMPTY_THE_LOG = {
    "postgresql": "TRUNCATE log_entries",
    # SQLite has no TRUNCATE; an unqualified DELETE is its form of it.
    "sqlite": "DELETE FROM log_entries",
}


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


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
    _downgrade(log.engine, "0002")
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
