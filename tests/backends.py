"""Test helpers for the service's backends: settings for a test app, a PostgreSQL scratch schema."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from service.config import ServiceSettings
from service.main import create_app

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_settings(registry_dir: Path, database_url: str, **kw) -> ServiceSettings:
    return ServiceSettings(
        registry_dir=registry_dir,
        directory_path=ROOT / "data" / "directory",
        database_url=database_url,
        environment="test",
        **kw,
    )


def unstarted_app() -> FastAPI:
    """An app never started: its routes and schema, without a model or a log to read."""
    return create_app(
        ServiceSettings(
            registry_dir=ROOT / "var" / "no-registry",
            directory_path=ROOT / "data" / "directory",
            # Never opened (the app is never started); in-memory SQLite is refused.
            database_url=f"sqlite:///{Path(tempfile.gettempdir()) / 'hotline-unstarted.db'}",
        )
    )


@contextmanager
def pg_schema(prefix: str) -> Iterator[tuple[str, sa.Engine, str]]:
    """Yield (url, engine, schema) of a uniquely named schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_SERVER)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}")
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}", engine, schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def find_middleware(app, kind):
    """The first middleware of a kind in an app's stack (e.g. to fill its admission slots)."""
    while app is not None and not isinstance(app, kind):
        app = getattr(app, "app", None)
    assert app is not None
    return app
