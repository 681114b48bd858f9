"""appointments and treatment history

Revision ID: 0003_appointments
Revises: 0002_checklist_questions
Create Date: 2026-11-26 17:54:17.275660
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003_appointments'
down_revision = '0002_checklist_questions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('treatment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('surgery', 'chemotherapy', 'radiation', 'targeted', 'immunotherapy', 'hormone', 'other', name='treatment_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('response', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_treatment_line'))
    )
    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('attendees', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinician.id'], name=op.f('fk_appointment_clinician_id_clinician'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_clinician_id'), ['clinician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)

    op.create_table('appointment_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_appointment_note_appointment_id_appointment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_note'))
    )
    with op.batch_alter_table('appointment_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_note_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('appointment_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_appointment_question_text_not_blank')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_appointment_question_appointment_id_appointment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_question'))
    )
    with op.batch_alter_table('appointment_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_question_appointment_id'), ['appointment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appointment_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_question_appointment_id'))

    op.drop_table('appointment_question')
    with op.batch_alter_table('appointment_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_note_appointment_id'))

    op.drop_table('appointment_note')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index(batch_op.f('ix_appointment_clinician_id'))

    op.drop_table('appointment')
    op.drop_table('treatment_line')
