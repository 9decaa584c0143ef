"""Score summaries: what reports read of each score record, beside it.

Reports parsed every whole score record (~9 KB) to read ~1.6 KB of it: the first report over
100,000 decisions took 14-26 s. The summaries of the records already written are made here,
from the records themselves (about 10 s per 100,000 on this project's machine).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from service.decision_log.chain import canonical_json

# Imported rather than copied: verify_chain checks every summary against the current
# function, so a later change to what a summary holds needs a migration that makes them anew.
from service.decision_log.summary import summarize_score

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHUNK = 2_000
_FK = "fk_score_summaries_seq"
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER score_summaries_no_{verb.lower()} BEFORE {verb} ON score_summaries
    BEGIN SELECT RAISE(ABORT, 'score_summaries is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
_PG_FUNCTION = """CREATE FUNCTION score_summaries_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'score_summaries is append-only'; END; $$ LANGUAGE plpgsql"""
_PG_TRIGGERS = [
    """CREATE TRIGGER score_summaries_append_only BEFORE UPDATE OR DELETE ON score_summaries
    FOR EACH ROW EXECUTE FUNCTION score_summaries_append_only()""",
    """CREATE TRIGGER score_summaries_no_truncate BEFORE TRUNCATE ON score_summaries
    FOR EACH STATEMENT EXECUTE FUNCTION score_summaries_append_only()""",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # On PostgreSQL the foreign key comes last: creating it locks log_entries against writes
    # until the migration commits, and the backfill reads every score record (written
    # first, it held off the writes of replicas still on the old code for the whole
    # backfill: 3.1 s at 50,000 decisions, found in review). Every other step only reads
    # log_entries. SQLite's one writer at a time has no such choice (docs/deployment.md).
    key = () if postgresql else (sa.ForeignKey("log_entries.seq", name=_FK),)
    summaries = op.create_table(
        "score_summaries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            *key,
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("household_key", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    _summarize_existing(op.get_bind(), summaries)
    op.create_index("ix_score_summaries_household_key", "score_summaries", ["household_key"])
    if postgresql:
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
        # NOT VALID: the rows were just read from log_entries in this transaction, so they
        # hold; validating them would scan under the lock. New rows are checked as usual.
        op.create_foreign_key(
            _FK, "score_summaries", "log_entries", ["seq"], ["seq"], postgresql_not_valid=True
        )
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("score_summaries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS score_summaries_append_only()")


def _summarize_existing(connection: sa.Connection, summaries: sa.Table) -> None:
    records = sa.text(
        "SELECT seq, payload FROM log_entries WHERE kind = 'score' AND seq > :after "
        "ORDER BY seq LIMIT :chunk"
    )
    after = 0
    while rows := connection.execute(records, {"after": after, "chunk": _CHUNK}).all():
        made = []
        for seq, payload in rows:
            try:
                content = orjson.loads(payload)
                summary = summarize_score(content)
                household = content["household_id"]
            except (KeyError, TypeError, orjson.JSONDecodeError):
                continue  # not a score record's content: a report reads it whole, as before
            if not isinstance(household, str):
                continue
            made.append(
                {"seq": seq, "household_key": household, "summary": canonical_json(summary)}
            )
        if made:
            connection.execute(summaries.insert(), made)
        after = rows[-1][0]
