"""Run the Alembic migrations shipped with the package (at app start and `hotline log migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migrate(engine: Engine, *, revision: str = "head") -> None:
    """Upgrade the decision-log schema.

    Several workers may call this at once: the migration runs in one transaction that first
    takes a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so the
    others wait and then find nothing to do.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    revision : str, default "head"
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
