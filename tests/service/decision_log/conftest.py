"""Decision-log fixtures: one database per backend, isolated per test session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.decision_log import migrate, open_log
from service.main import create_app
from tests.backends import make_settings, pg_schema
from tests.factories import authorize

PSEUDONYM_KEY = b"test-pseudonym-key-16+"


@pytest.fixture
def sqlite_log(tmp_path):
    """A migrated SQLite decision log in a file (WAL, as the service runs it)."""
    log = open_log(f"sqlite:///{tmp_path / 'd.db'}", key=PSEUDONYM_KEY)
    migrate(log.engine)
    yield log
    log.dispose()


@pytest.fixture(scope="session")
def pg_schema_url():
    # A uniquely named schema per session, so concurrent test runs never collide.
    with pg_schema("hl") as created:
        yield created


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty decision log on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.db'}"
    base, engine, _ = request.getfixturevalue("pg_schema_url")
    # One schema per session; each test starts from an empty log in it.
    with engine.begin() as conn:
        schema = base.rsplit("%3D", 1)[1]
        # Everything in it, whatever later migrations add.
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return base


@pytest.fixture
def log(database_url):
    """A migrated decision log on each backend, disposed afterwards."""
    opened = open_log(database_url, key=PSEUDONYM_KEY)
    migrate(opened.engine)
    yield opened
    opened.dispose()


@pytest.fixture
def client(registry_with_champion, database_url):
    app = create_app(make_settings(registry_with_champion.root, database_url))
    with TestClient(app) as c:
        authorize(c, "admin")
        yield c
