"""The chained log_entries table, append-only by trigger.

Revision ID: 0001
Revises:
Create Date: 2026-09-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER log_entries_no_{verb.lower()} BEFORE {verb} ON log_entries
    BEGIN SELECT RAISE(ABORT, 'log_entries is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
_PG_FUNCTION = """CREATE FUNCTION log_entries_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'log_entries is append-only'; END; $$ LANGUAGE plpgsql"""
_PG_TRIGGER = """CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
FOR EACH ROW EXECUTE FUNCTION log_entries_append_only()"""


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=True),
        sa.Column("subject_key", sa.String(64), nullable=True),
        sa.Column("dedupe_key", sa.String(255), nullable=True),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("dedupe_key", name="uq_log_entries_dedupe_key"),
        sa.UniqueConstraint("hash", name="uq_log_entries_hash"),
    )
    op.create_index("ix_log_entries_kind", "log_entries", ["kind"])
    op.create_index("ix_log_entries_decision_id", "log_entries", ["decision_id"])
    op.create_index("ix_log_entries_subject_key", "log_entries", ["subject_key"])
    # The trigger stops accidental edits; the hash chain detects deliberate ones.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("log_entries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS log_entries_append_only()")
