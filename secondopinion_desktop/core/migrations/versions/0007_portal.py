"""portal imports: where imported records came from, lab results, medications, allergies, problems

Revision ID: 0007_portal
Revises: 0006_requests
Create Date: 2026-12-02 06:28:32.346837

Every new table gets the three triggers that keep ``folder_change`` (migration 0005) up to date.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

NEW_TABLES = ("record_source", "lab_result", "medication", "allergy", "problem")
STAMP = ("INSERT INTO folder_change (id, changed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
         "ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at;")

revision = '0007_portal'
down_revision = '0006_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allergy',
    sa.Column('substance', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('reaction', sa.String(length=500), nullable=False),
    sa.Column('severity', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('onset', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_allergy_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergy'))
    )
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergy_record_id'), ['record_id'], unique=False)

    op.create_table('lab_result',
    sa.Column('test', sa.String(length=300), nullable=False),
    sa.Column('loinc', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=50), nullable=False),
    sa.Column('reference_range', sa.String(length=200), nullable=False),
    sa.Column('flag', sa.String(length=50), nullable=False),
    sa.Column('observed_at', sa.String(length=20), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=True),
    sa.Column('panel', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_lab_result_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_result'))
    )
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_result_loinc'), ['loinc'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_result_observed_on'), ['observed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lab_result_record_id'), ['record_id'], unique=False)

    op.create_table('medication',
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('dose', sa.String(length=200), nullable=False),
    sa.Column('route', sa.String(length=100), nullable=False),
    sa.Column('frequency', sa.String(length=200), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('start', sa.String(length=20), nullable=False),
    sa.Column('end', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_medication_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication'))
    )
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medication_record_id'), ['record_id'], unique=False)

    op.create_table('problem',
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('code_system', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('onset', sa.String(length=20), nullable=False),
    sa.Column('resolved', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('source_name', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_problem_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem'))
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_record_id'), ['record_id'], unique=False)

    op.create_table('record_source',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=False),
    sa.Column('source_name', sa.String(length=1000), nullable=False),
    sa.Column('position', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('type_code', sa.String(length=40), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('patient_name', sa.String(length=200), nullable=False),
    sa.Column('patient_birth_date', sa.Date(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_source_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_source'))
    )
    with op.batch_alter_table('record_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_source_digest'), ['digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_source_record_id'), ['record_id'], unique=False)
    for table in NEW_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changes_folder AFTER {event} ON {table} "
                       f"BEGIN {STAMP} END")


def downgrade() -> None:
    for table in NEW_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_changes_folder")
    with op.batch_alter_table('record_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_source_record_id'))
        batch_op.drop_index(batch_op.f('ix_record_source_digest'))

    op.drop_table('record_source')
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problem_record_id'))

    op.drop_table('problem')
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medication_record_id'))

    op.drop_table('medication')
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_result_record_id'))
        batch_op.drop_index(batch_op.f('ix_lab_result_observed_on'))
        batch_op.drop_index(batch_op.f('ix_lab_result_loinc'))

    op.drop_table('lab_result')
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergy_record_id'))

    op.drop_table('allergy')
