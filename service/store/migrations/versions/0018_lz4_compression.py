"""large stored values compressed with lz4 on PostgreSQL (where the server has it)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The columns whose values pass PostgreSQL's 2 KB compression threshold: a held screening's findings
# (about 7 KB of rule texts), a large declaration, a stored Idempotency-Key answer (the whole verdict).
# pglz, the default, spent about 65 µs of the database server's CPU a row on the findings, lz4 about 25 µs.
LARGE = (("screenings", "findings"), ("screenings", "declaration"), ("screenings", "result"),
         ("idempotency_records", "body"))
HAS_LZ4 = ("SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS (SELECT 1 FROM pg_settings "
           "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))")


def _compress_with(method: str) -> None:
    """New values of the large columns compressed with `method` (values stored before stay as they are,
    readable either way). Nothing on SQLite, nor on a PostgreSQL server built without lz4."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not bind.exec_driver_sql(HAS_LZ4).scalar():
        return
    for table, column in LARGE:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    _compress_with("lz4")


def downgrade() -> None:
    _compress_with("pglz")
