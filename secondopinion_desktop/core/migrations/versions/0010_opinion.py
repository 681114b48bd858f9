"""after the consult: the second opinion per appointment, its follow-up questions, and the center's own list

Revision ID: 0010_opinion
Revises: 0009_health
Create Date: 2026-12-03 12:30:00

``opinion`` holds what the consultant said (one per appointment), ``opinion_follow_up`` the questions sent
after the visit with their answers. ``appointment_requirement`` is the receiving center's list of what to send,
each item linked to the records that answer it (``requirement_record``). ``appointment.follow_up_of_id`` names
the visit a follow-up continues (its unanswered questions were carried forward). All are the patient's own
entries, so each stamps ``folder_change`` as the other tables do.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_opinion'
down_revision = '0009_health'
branch_labels = None
depends_on = None

NEW_TABLES = ("opinion", "opinion_follow_up", "appointment_requirement", "requirement_record")
STAMP = ("INSERT INTO folder_change (id, changed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
         "ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at;")


def upgrade() -> None:
    op.create_table('appointment_requirement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_appointment_requirement_text_not_blank')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                            name=op.f('fk_appointment_requirement_appointment_id_appointment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_requirement'))
    )
    with op.batch_alter_table('appointment_requirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_requirement_appointment_id'), ['appointment_id'],
                              unique=False)

    op.create_table('opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.Enum('confirmed', 'refined', 'changed', name='diagnosis_verdict', native_enum=False,
                                 create_constraint=True, length=32), nullable=True),
    sa.Column('diagnosis', sa.Text(), nullable=False),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('trials', sa.Text(), nullable=False),
    sa.Column('further_tests', sa.Text(), nullable=False),
    sa.Column('next_steps', sa.Text(), nullable=False),
    sa.Column('report_record_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_opinion_appointment_id_appointment'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_record_id'], ['record.id'], name=op.f('fk_opinion_report_record_id_record'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_opinion_appointment_id'))
    )
    op.create_table('opinion_follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opinion_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=1000), nullable=False),
    sa.Column('asked_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.CheckConstraint('length(trim(question)) > 0', name=op.f('ck_opinion_follow_up_question_not_blank')),
    sa.ForeignKeyConstraint(['opinion_id'], ['opinion.id'], name=op.f('fk_opinion_follow_up_opinion_id_opinion'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_follow_up'))
    )
    with op.batch_alter_table('opinion_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opinion_follow_up_opinion_id'), ['opinion_id'], unique=False)

    op.create_table('requirement_record',
    sa.Column('requirement_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_requirement_record_record_id_record'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requirement_id'], ['appointment_requirement.id'],
                            name=op.f('fk_requirement_record_requirement_id_appointment_requirement'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('requirement_id', 'record_id', name=op.f('pk_requirement_record'))
    )
    with op.batch_alter_table('requirement_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requirement_record_record_id'), ['record_id'], unique=False)

    # Added in place (no copy of the table, whose triggers and the rows that point at it stay as they are).
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_of_id', sa.Integer(), nullable=True))

    for table in NEW_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changes_folder AFTER {event} ON {table} "
                       f"BEGIN {STAMP} END")


def downgrade() -> None:
    for table in NEW_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_changes_folder")
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('follow_up_of_id')
    op.drop_table('requirement_record')
    op.drop_table('opinion_follow_up')
    op.drop_table('opinion')
    op.drop_table('appointment_requirement')
