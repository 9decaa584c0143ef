"""Decision-log fixtures: one database per backend, isolated per test session."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.config import ServiceSettings
from service.main import create_app
from tests.factories import authorize

ROOT = Path(__file__).resolve().parents[3]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_schema_url():
    # A uniquely named schema per session, so concurrent test runs never collide.
    schema = f"hl_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_SERVER)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}")
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}", engine, schema
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty decision log on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.db'}"
    base, engine, _ = request.getfixturevalue("pg_schema_url")
    # One schema per session; each test starts from an empty log in it.
    with engine.begin() as conn:
        schema = base.rsplit("%3D", 1)[1]
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {schema}.log_entries CASCADE"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {schema}.alembic_version"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {schema}.api_keys"))
        conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {schema}.log_entries_append_only()"))
    return base


def make_settings(registry_dir: Path, database_url: str, **kw) -> ServiceSettings:
    return ServiceSettings(
        registry_dir=registry_dir,
        directory_path=ROOT / "data" / "directory",
        database_url=database_url,
        environment="test",
        **kw,
    )


@pytest.fixture
def client(registry_with_champion, database_url):
    app = create_app(make_settings(registry_with_champion.root, database_url))
    with TestClient(app) as c:
        authorize(c, "admin")
        yield c
