"""Rules versions: the content each version was first served with.

A rules file whose content changed under an unchanged version was refused only by the
process that had served the old content; a restarted worker, or another replica, served the
new content under the old version. This table is shared by all of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_versions",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("first_served_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rules_versions")
