"""batch jobs record the last chunk whose screenings are committed, so an interrupted job can resume

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 20:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chunks_committed", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("rows_committed", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("resumes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_column("resumes")
        batch_op.drop_column("rows_committed")
        batch_op.drop_column("chunks_committed")
