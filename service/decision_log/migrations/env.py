"""Alembic environment: runs on the connection handed over by service.decision_log.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from service.decision_log.db import MIGRATION_LOCK_KEY
from service.decision_log.tables import Base

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # Workers starting together would otherwise race to create the same tables.
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
