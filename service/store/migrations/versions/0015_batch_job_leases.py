"""batch jobs carry a lease (holder and expiry), so that replicas sharing one database run each job once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_holder", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    # Jobs left by a version without leases: held by nobody we know, their lease ends with their last beat.
    op.execute("UPDATE batch_jobs SET lease_holder = 'before-leases', lease_expires_at = heartbeat_at "
               "WHERE status IN ('queued', 'running')")


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_holder")
