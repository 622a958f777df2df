"""audit stamps and name matches: every screening records the software version and the thresholds in
force; names screened alone get an audit trail of their own

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("software_version", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("thresholds", sa.JSON(), nullable=True))
    op.create_table(
        "party_matches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("software_version", sa.String(length=80), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("caller_key_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("party_matches", schema=None) as batch_op:
        batch_op.create_index("ix_party_matches_matched_at", ["matched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("party_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_party_matches_matched_at")
    op.drop_table("party_matches")
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_column("thresholds")
        batch_op.drop_column("software_version")
