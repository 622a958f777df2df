"""screening facets: one order kept, riskiest first; its primary key becomes that order

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = "facet, value, risk_score, screening_id"


def _facets_table(name: str, key: list[str], key_name: str) -> None:
    op.create_table(
        name,
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"]),
        sa.PrimaryKeyConstraint(*key, name=key_name),
    )


def _rebuild(key: list[str], key_name: str) -> None:
    """The facets copied into a table with `key` as its primary key, which then takes the name (the one
    way to change a primary key that SQLite and PostgreSQL share). The key's name must differ from the
    old key's: PostgreSQL names its index so, and both tables exist for a moment."""
    _facets_table("screening_facets_rebuilt", key, key_name)
    op.execute(f"INSERT INTO screening_facets_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM screening_facets")
    op.drop_index("ix_screening_facets_screening_id", table_name="screening_facets")
    op.drop_table("screening_facets")
    op.rename_table("screening_facets_rebuilt", "screening_facets")
    op.create_index("ix_screening_facets_screening_id", "screening_facets", ["screening_id"], unique=False)


def upgrade() -> None:
    op.drop_index("ix_screening_facets_riskiest", table_name="screening_facets")
    _rebuild(["facet", "value", "risk_score", "screening_id"], "screening_facets_riskiest_pkey")


def downgrade() -> None:
    _rebuild(["facet", "value", "screening_id"], "screening_facets_pkey")
    op.create_index("ix_screening_facets_riskiest", "screening_facets", ["facet", "value", "risk_score",
                                                                           "screening_id"], unique=False)
