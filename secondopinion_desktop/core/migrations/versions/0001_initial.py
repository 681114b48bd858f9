"""initial schema

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-26 17:05:44.974464
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('hospital', 'cancer_center', 'clinic', 'lab', 'imaging_center', 'other', name='facility_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=100), nullable=False),
    sa.Column('records_contact', sa.String(length=200), nullable=False),
    sa.Column('records_phone', sa.String(length=100), nullable=False),
    sa.Column('records_fax', sa.String(length=100), nullable=False),
    sa.Column('records_email', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('name', name=op.f('uq_facility_name'))
    )
    op.create_table('profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('medical_record_numbers', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('cancer_type', sa.String(length=200), nullable=False),
    sa.Column('histology', sa.String(length=200), nullable=False),
    sa.Column('grade', sa.String(length=100), nullable=False),
    sa.Column('tnm_stage', sa.String(length=100), nullable=False),
    sa.Column('stage_group', sa.String(length=50), nullable=False),
    sa.Column('biomarkers', sa.Text(), nullable=False),
    sa.Column('diagnosis_date', sa.Date(), nullable=True),
    sa.Column('insurer', sa.String(length=200), nullable=False),
    sa.Column('member_number', sa.String(length=100), nullable=False),
    sa.Column('group_number', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile'))
    )
    op.create_table('clinician',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('specialty', sa.String(length=200), nullable=False),
    sa.Column('credentials', sa.String(length=100), nullable=False),
    sa.Column('board_certification', sa.String(length=300), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('role', sa.Enum('treating', 'second_opinion', 'other', name='clinician_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_clinician_facility_id_facility'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinician'))
    )
    with op.batch_alter_table('clinician', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinician_facility_id'), ['facility_id'], unique=False)

    op.create_table('record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lab', 'imaging', 'pathology', 'molecular', 'clinical', 'treatment', 'identity', 'other', name='record_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('date_of_service', sa.Date(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('needed', 'requested', 'received', 'sent', name='record_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('imaging_modality', sa.String(length=50), nullable=False),
    sa.Column('imaging_body_region', sa.String(length=200), nullable=False),
    sa.Column('images_location', sa.Enum('cd', 'files', 'portal', 'at_facility', name='images_location', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('accession_number', sa.String(length=100), nullable=False),
    sa.Column('specimen_site', sa.String(length=200), nullable=False),
    sa.Column('slides_count', sa.Integer(), nullable=True),
    sa.Column('blocks_count', sa.Integer(), nullable=True),
    sa.Column('material_holder', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('blocks_count IS NULL OR blocks_count >= 0', name=op.f('ck_record_blocks_not_negative')),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_record_title_not_blank')),
    sa.CheckConstraint('slides_count IS NULL OR slides_count >= 0', name=op.f('ck_record_slides_not_negative')),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinician.id'], name=op.f('fk_record_clinician_id_clinician'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_record_facility_id_facility'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_clinician_id'), ['clinician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_status'), ['status'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=1000), nullable=False),
    sa.Column('media_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_attachment_sha256_length')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_attachment_size_not_negative')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_attachment_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_record_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_status'))
        batch_op.drop_index(batch_op.f('ix_record_kind'))
        batch_op.drop_index(batch_op.f('ix_record_facility_id'))
        batch_op.drop_index(batch_op.f('ix_record_clinician_id'))

    op.drop_table('record')
    with op.batch_alter_table('clinician', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinician_facility_id'))

    op.drop_table('clinician')
    op.drop_table('profile')
    op.drop_table('facility')
