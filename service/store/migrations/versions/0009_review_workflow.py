"""review workflow: screened parties, clearances, own deny list, alerts, monitored parties, workflow events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:16:45.243391
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sa.String(length=16), nullable=False),
    sa.Column('screening_id', sa.String(length=36), nullable=True),
    sa.Column('party_external_id', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('party_role', sa.String(length=40), nullable=True),
    sa.Column('party_name', sa.String(length=500), nullable=True),
    sa.Column('party_country', sa.String(length=2), nullable=True),
    sa.Column('list_name', sa.String(length=80), nullable=True),
    sa.Column('entry_id', sa.String(length=200), nullable=True),
    sa.Column('entry_hash', sa.String(length=80), nullable=True),
    sa.Column('listed_name', sa.String(length=500), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_by', sa.String(length=40), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_entry', ['list_name', 'entry_id'], unique=False)
        batch_op.create_index('ix_alerts_screening_id', ['screening_id'], unique=False)
        batch_op.create_index('ix_alerts_status', ['status', 'id'], unique=False)

    op.create_table('monitored_parties',
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_key_id', sa.String(length=32), nullable=False),
    sa.Column('last_screened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.JSON(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('external_id')
    )
    op.create_table('workflow_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=200), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.create_index('ix_workflow_events_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('alert_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_key_id', sa.String(length=32), nullable=False),
    sa.Column('decided_by_role', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_alert_decisions_alert_id', ['alert_id', 'id'], unique=False)

    op.create_table('screening_parties',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('screening_id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('export_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('screening_parties', schema=None) as batch_op:
        batch_op.create_index('ix_screening_parties_export_date', ['export_date'], unique=False)
        batch_op.create_index('ix_screening_parties_name', ['name'], unique=False)
        batch_op.create_index('ix_screening_parties_screening_id', ['screening_id'], unique=False)

    op.create_table('own_deny_list',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('alert_decision_id', sa.Integer(), nullable=True),
    sa.Column('screening_id', sa.String(length=36), nullable=True),
    sa.Column('party_name', sa.String(length=500), nullable=False),
    sa.Column('name_key', sa.String(length=500), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_key_id', sa.String(length=32), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_key_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['alert_decision_id'], ['alert_decisions.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('own_deny_list', schema=None) as batch_op:
        batch_op.create_index('ix_own_deny_list_name_key', ['name_key'], unique=False)

    op.create_table('party_clearances',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('alert_decision_id', sa.Integer(), nullable=True),
    sa.Column('screening_id', sa.String(length=36), nullable=True),
    sa.Column('party_role', sa.String(length=40), nullable=False),
    sa.Column('party_name', sa.String(length=500), nullable=False),
    sa.Column('name_key', sa.String(length=500), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('list_name', sa.String(length=80), nullable=False),
    sa.Column('entry_id', sa.String(length=200), nullable=False),
    sa.Column('entry_hash', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_key_id', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_key_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['alert_decision_id'], ['alert_decisions.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('party_clearances', schema=None) as batch_op:
        batch_op.create_index('ix_party_clearances_name_key', ['name_key'], unique=False)


    op.create_table('list_entry_states',
    sa.Column('list_name', sa.String(length=80), nullable=False),
    sa.Column('entry_id', sa.String(length=200), nullable=False),
    sa.Column('entry_hash', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('list_name', 'entry_id')
    )
    op.create_table('list_baseline',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('lists_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rulebook_version', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _backfill_screening_parties()


def _backfill_screening_parties() -> None:
    """The parties of screenings recorded before this revision, so a list change finds them too."""
    connection = op.get_bind()
    screenings = sa.table("screenings", sa.column("id", sa.String()), sa.column("reference", sa.String()),
                          sa.column("as_of", sa.Date()), sa.column("declaration", sa.JSON()))
    parties = sa.table("screening_parties", sa.column("screening_id", sa.String()),
                       sa.column("reference", sa.String()), sa.column("role", sa.String()),
                       sa.column("name", sa.String()), sa.column("country", sa.String()),
                       sa.column("export_date", sa.Date()))
    rows = []
    for screening in connection.execute(sa.select(screenings)).mappings():
        for role, party in _named(screening["declaration"] or {}):
            rows.append({"screening_id": screening["id"], "reference": screening["reference"], "role": role,
                         "name": str(party.get("name", ""))[:500], "country": party.get("country"),
                         "export_date": screening["as_of"]})
        if len(rows) >= 5000:
            connection.execute(sa.insert(parties), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(parties), rows)


def _named(declaration: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The declaration's named parties with their roles, as Declaration.named_parties gives them."""
    named = [("consignee", declaration.get("consignee"))]
    named.append(("end_user", declaration.get("end_user")))
    named.extend((str(party.get("role", "party")), party) for party in declaration.get("parties") or [])
    named.append(("exporter", declaration.get("exporter")))
    return [(role, party) for role, party in named if isinstance(party, dict) and party.get("name")]


def downgrade() -> None:
    op.drop_table('list_baseline')
    op.drop_table('list_entry_states')
    with op.batch_alter_table('party_clearances', schema=None) as batch_op:
        batch_op.drop_index('ix_party_clearances_name_key')

    op.drop_table('party_clearances')
    with op.batch_alter_table('own_deny_list', schema=None) as batch_op:
        batch_op.drop_index('ix_own_deny_list_name_key')

    op.drop_table('own_deny_list')
    with op.batch_alter_table('screening_parties', schema=None) as batch_op:
        batch_op.drop_index('ix_screening_parties_screening_id')
        batch_op.drop_index('ix_screening_parties_name')
        batch_op.drop_index('ix_screening_parties_export_date')

    op.drop_table('screening_parties')
    with op.batch_alter_table('alert_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_decisions_alert_id')

    op.drop_table('alert_decisions')
    with op.batch_alter_table('workflow_events', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_events_subject')

    op.drop_table('workflow_events')
    op.drop_table('monitored_parties')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status')
        batch_op.drop_index('ix_alerts_screening_id')
        batch_op.drop_index('ix_alerts_entry')

    op.drop_table('alerts')
