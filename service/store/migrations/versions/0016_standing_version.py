"""standing version: a number that every change to a clearance or an own-list entry moves on, by trigger

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STANDING_TABLES = ("party_clearances", "own_deny_list")
# An upsert: the row comes back even if something emptied the table (a test's TRUNCATE, a restore).
BUMP = ("INSERT INTO standing_version (id, version) VALUES (1, 1) "
        "ON CONFLICT (id) DO UPDATE SET version = standing_version.version + 1")


def upgrade() -> None:
    op.create_table("standing_version",
                    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("version", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("id"))
    op.execute("INSERT INTO standing_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_standing_version() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in STANDING_TABLES:
            op.execute(f"CREATE TRIGGER {table}_standing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION bump_standing_version()")
        return
    for table in STANDING_TABLES:
        for change in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_standing_{change.lower()} AFTER {change} ON {table} "
                       f"BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in STANDING_TABLES:
            op.execute(f"DROP TRIGGER {table}_standing ON {table}")
        op.execute("DROP FUNCTION bump_standing_version()")
    else:
        for table in STANDING_TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_standing_{change}")
    op.drop_table("standing_version")
