"""Refuse TRUNCATE of log_entries on PostgreSQL, as UPDATE and DELETE already are.

Row-level triggers do not fire for ``TRUNCATE``, so it emptied the log without a word, and
``hotline log verify`` then reported ``ok: 0 records``. SQLite has no ``TRUNCATE``: its
``DELETE FROM log_entries`` (the truncate optimization included) fires the delete trigger.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The function of 0001 raises 'log_entries is append-only' for statement triggers too.
_PG_TRIGGER = """CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
FOR EACH STATEMENT EXECUTE FUNCTION log_entries_append_only()"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS log_entries_no_truncate ON log_entries")
