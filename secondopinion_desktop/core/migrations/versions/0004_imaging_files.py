"""imaging files

Revision ID: 0004_imaging_files
Revises: 0003_appointments
Create Date: 2026-11-26 18:18:51.798746
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004_imaging_files'
down_revision = '0003_appointments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imaging_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('relative_path', sa.String(length=1000), nullable=False),
    sa.Column('study_uid', sa.String(length=64), nullable=False),
    sa.Column('series_uid', sa.String(length=64), nullable=False),
    sa.Column('sop_instance_uid', sa.String(length=64), nullable=False),
    sa.Column('series_number', sa.Integer(), nullable=True),
    sa.Column('instance_number', sa.Integer(), nullable=True),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_imaging_file_sha256_length')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_imaging_file_size_not_negative')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_imaging_file_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imaging_file'))
    )
    with op.batch_alter_table('imaging_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imaging_file_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_file_sha256'), ['sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('imaging_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imaging_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_imaging_file_record_id'))

    op.drop_table('imaging_file')
