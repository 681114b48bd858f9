"""checklist and questions

Revision ID: 0002_checklist_questions
Revises: 0001_initial
Create Date: 2026-11-26 17:45:53.009680
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002_checklist_questions'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_checklist_item_title_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item')),
    sa.UniqueConstraint('key', name=op.f('uq_checklist_item_key'))
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.String(length=50), nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_question_text_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )


def downgrade() -> None:
    op.drop_table('question')
    op.drop_table('checklist_item')
