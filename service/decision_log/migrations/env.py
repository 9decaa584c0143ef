"""Alembic environment: runs on the connection handed over by service.decision_log.migrate."""

from __future__ import annotations

from alembic import context

from service.decision_log.db import MIGRATION_LOCK_KEY, advisory_lock
from service.decision_log.tables import Base

connection = context.config.attributes["connection"]
# Workers starting together would otherwise race to create the same tables (PostgreSQL).
advisory_lock(connection, key=MIGRATION_LOCK_KEY)
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
