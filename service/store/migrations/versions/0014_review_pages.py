"""the reviewers' pages: sign-in sessions, the queue of undecided held screenings and their facets

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

HELD = ("review", "block")


def upgrade() -> None:
    op.create_table(
        "review_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_review_sessions_key_id", "review_sessions", ["key_id"], unique=False)
    op.create_table(
        "screening_facets",
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"]),
        sa.PrimaryKeyConstraint("facet", "value", "screening_id"),
    )
    op.create_index("ix_screening_facets_screening_id", "screening_facets", ["screening_id"], unique=False)
    op.create_index("ix_screening_facets_riskiest", "screening_facets", ["facet", "value", "risk_score",
                                                                           "screening_id"], unique=False)
    op.create_table(
        "review_queue",
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reference_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"]),
        sa.PrimaryKeyConstraint("screening_id"),
    )
    op.create_index("ix_review_queue_reference_key", "review_queue", ["reference_key"], unique=False)
    op.create_index("ix_review_queue_riskiest", "review_queue", ["risk_score", "screening_id"], unique=False)
    op.create_index("ix_review_queue_verdict", "review_queue", ["verdict", "risk_score", "screening_id"],
                    unique=False)
    _backfill_queue()
    _backfill_facets()


def _backfill_queue() -> None:
    """Held screenings recorded before this revision and not decided yet join the queue."""
    op.execute(
        "INSERT INTO review_queue (screening_id, verdict, risk_score, screened_at, reference, reference_key) "
        "SELECT id, verdict, risk_score, screened_at, reference, lower(reference) FROM screenings "
        "WHERE verdict IN ('review', 'block') "
        "AND NOT EXISTS (SELECT 1 FROM decisions WHERE decisions.screening_id = screenings.id)"
    )


def _backfill_facets() -> None:
    """The facets of the screenings just queued, so the queue filters them too."""
    connection = op.get_bind()
    screenings = sa.table("screenings", sa.column("id", sa.String()), sa.column("risk_score", sa.Integer()),
                          sa.column("declaration", sa.JSON()), sa.column("findings", sa.JSON()))
    queue = sa.table("review_queue", sa.column("screening_id", sa.String()))
    facets = sa.table("screening_facets", sa.column("facet", sa.String()), sa.column("value", sa.String()),
                      sa.column("screening_id", sa.String()), sa.column("risk_score", sa.Integer()))
    rows: list[dict[str, Any]] = []
    query = sa.select(screenings).where(screenings.c.id.in_(sa.select(queue.c.screening_id)))
    for screening in connection.execute(query).mappings():
        rows.extend({"facet": facet, "value": value, "screening_id": screening["id"],
                     "risk_score": screening["risk_score"]}
                    for facet, value in sorted(_facets(screening["findings"] or [], screening["declaration"] or {})))
        if len(rows) >= 5000:
            connection.execute(sa.insert(facets), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(facets), rows)


def _facets(findings: list[dict[str, Any]], declaration: dict[str, Any]) -> set[tuple[str, str]]:
    """As service.store.review_queue.facets_of gives them (copied: a migration stays as it was written)."""
    found: set[tuple[str, str]] = set()
    for finding in findings:
        if finding.get("action") in HELD:
            found.add(("rule", str(finding["rule_id"])[:200]))
        listed = (finding.get("evidence") or {}).get("list")
        if finding.get("category") == "denied_party" and listed:
            found.add(("list", str(listed)[:200]))
    parties = [declaration.get("consignee"), declaration.get("end_user"), *(declaration.get("parties") or [])]
    countries = [declaration.get("destination_country"), *(declaration.get("transit_countries") or [])]
    countries.extend(party.get("country") for party in parties if isinstance(party, dict) and party.get("name"))
    found.update(("country", str(country)) for country in countries if country)
    return found


def downgrade() -> None:
    op.drop_index("ix_review_queue_verdict", table_name="review_queue")
    op.drop_index("ix_review_queue_riskiest", table_name="review_queue")
    op.drop_index("ix_review_queue_reference_key", table_name="review_queue")
    op.drop_table("review_queue")
    op.drop_index("ix_screening_facets_riskiest", table_name="screening_facets")
    op.drop_index("ix_screening_facets_screening_id", table_name="screening_facets")
    op.drop_table("screening_facets")
    op.drop_index("ix_review_sessions_key_id", table_name="review_sessions")
    op.drop_table("review_sessions")
