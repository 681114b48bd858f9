"""records requests: requests to facilities, their log and letters, slide shipments, folder settings

Revision ID: 0006_requests
Revises: 0005_folder_change
Create Date: 2026-12-02 03:56:09.344693

Also the records department's portal, mailing address and own release form on each facility. Every new table
gets the three triggers that keep ``folder_change`` (migration 0005) up to date.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

NEW_TABLES = ("records_request", "request_record", "request_event", "request_letter", "material_shipment",
              "setting")
STAMP = ("INSERT INTO folder_change (id, changed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
         "ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at;")


revision = '0006_requests'
down_revision = '0005_folder_change'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('records_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('facility_name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sent', 'extended', 'partly_received', 'complete', 'refused', 'cancelled', name='request_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('medical_record_number', sa.String(length=100), nullable=False),
    sa.Column('scope_from', sa.Date(), nullable=True),
    sa.Column('scope_to', sa.Date(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('copy_format', sa.Enum('pdf', 'portal', 'paper', name='copy_format', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('images_media', sa.Enum('none', 'cd', 'download', name='images_media', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('delivery', sa.Enum('mail', 'pick_up', 'email', 'fax', 'portal', 'third_party', name='delivery', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('send_to_name', sa.String(length=300), nullable=False),
    sa.Column('send_to_address', sa.Text(), nullable=False),
    sa.Column('send_to_fax', sa.String(length=100), nullable=False),
    sa.Column('send_to_phone', sa.String(length=100), nullable=False),
    sa.Column('send_to_email', sa.String(length=200), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('sent_via', sa.Enum('fax', 'mail', 'email', 'portal', 'in_person', 'phone', name='request_via', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('extended_due_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('extra_paragraph', sa.Text(), nullable=False),
    sa.Column('release_material', sa.Text(), nullable=False),
    sa.Column('unstained_count', sa.Integer(), nullable=True),
    sa.Column('unstained_microns', sa.Integer(), nullable=True),
    sa.Column('return_instructions', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('due_on IS NULL OR sent_on IS NULL OR due_on >= sent_on', name=op.f('ck_records_request_due_after_sent')),
    sa.CheckConstraint('length(trim(facility_name)) > 0', name=op.f('ck_records_request_facility_name_not_blank')),
    sa.CheckConstraint('unstained_count IS NULL OR unstained_count >= 0', name=op.f('ck_records_request_unstained_not_negative')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_records_request_facility_id_facility'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records_request'))
    )
    with op.batch_alter_table('records_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_request_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_request_status'), ['status'], unique=False)

    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('sent', 'called', 'own_form', 'fee_quoted', 'extension', 'partly_received', 'received', 'refused', 'escalated', 'cancelled', 'note', name='request_event_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['records_request.id'], name=op.f('fk_request_event_request_id_records_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_request_id'), ['request_id'], unique=False)

    op.create_table('request_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('request', 'release', name='letter_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['records_request.id'], name=op.f('fk_request_letter_request_id_records_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_letter'))
    )
    with op.batch_alter_table('request_letter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_letter_request_id'), ['request_id'], unique=False)

    op.create_table('material_shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('material', sa.Enum('stained_slides', 'unstained_slides', 'recuts', 'blocks', 'other', name='material_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('from_lab', sa.String(length=300), nullable=False),
    sa.Column('to_whom', sa.String(length=300), nullable=False),
    sa.Column('carrier', sa.String(length=100), nullable=False),
    sa.Column('tracking_number', sa.String(length=200), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('due_back_on', sa.Date(), nullable=True),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('count IS NULL OR count >= 0', name=op.f('ck_material_shipment_count_not_negative')),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_material_shipment_record_id_record'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['records_request.id'], name=op.f('fk_material_shipment_request_id_records_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_shipment'))
    )
    with op.batch_alter_table('material_shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_shipment_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_shipment_request_id'), ['request_id'], unique=False)

    op.create_table('request_record',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_request_record_record_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['records_request.id'], name=op.f('fk_request_record_request_id_records_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'record_id', name=op.f('pk_request_record'))
    )
    with op.batch_alter_table('request_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_record_record_id'), ['record_id'], unique=False)

    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.add_column(sa.Column('records_portal', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('records_address', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('records_form', sa.Text(), nullable=False, server_default=''))

    for table in NEW_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changes_folder AFTER {event} ON {table} "
                       f"BEGIN {STAMP} END")



def downgrade() -> None:
    for table in NEW_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_changes_folder")
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('records_form')
        batch_op.drop_column('records_address')
        batch_op.drop_column('records_portal')

    with op.batch_alter_table('request_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_record_record_id'))

    op.drop_table('request_record')
    with op.batch_alter_table('material_shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_shipment_request_id'))
        batch_op.drop_index(batch_op.f('ix_material_shipment_record_id'))

    op.drop_table('material_shipment')
    with op.batch_alter_table('request_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_letter_request_id'))

    op.drop_table('request_letter')
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_request_id'))

    op.drop_table('request_event')
    with op.batch_alter_table('records_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_request_status'))
        batch_op.drop_index(batch_op.f('ix_records_request_facility_id'))

    op.drop_table('records_request')
    op.drop_table('setting')
    # Dropping the columns rebuilt the facility table, which took its triggers (migration 0005) along.
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS facility_{event.lower()}_changes_folder")
        op.execute(f"CREATE TRIGGER facility_{event.lower()}_changes_folder AFTER {event} ON facility "
                   f"BEGIN {STAMP} END")
