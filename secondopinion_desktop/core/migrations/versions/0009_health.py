"""the health summary: medications, allergies and lab values entered by hand as well as imported

Revision ID: 0009_health
Revises: 0008_documents
Create Date: 2026-12-02 18:40:00

``lab_result``, ``medication`` and ``allergy`` were filled only by portal imports, so every row belonged to an
imported record. A value typed from a paper result, or a medication the patient lists herself, belongs to no
record (or to the record of the paper it was copied from): ``record_id`` may now be NULL, and ``origin`` says
``import`` or ``hand``. A medication also keeps why it is taken and who prescribed it; an allergy whether it is
an allergy or an intolerance.

SQLite cannot change a column's NULL rule in place, so the three tables are copied (batch mode); the copy loses
the triggers that stamp ``folder_change``, which are made again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_health'
down_revision = '0008_documents'
branch_labels = None
depends_on = None

TABLES = ("lab_result", "medication", "allergy")
STAMP = ("INSERT INTO folder_change (id, changed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
         "ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at;")


def _triggers(create: bool) -> None:
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"{table}_{event.lower()}_changes_folder"
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            if create:
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {STAMP} END")


def upgrade() -> None:
    _triggers(False)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None, recreate='always') as batch_op:
            batch_op.alter_column('record_id', existing_type=sa.Integer(), nullable=True)
            batch_op.add_column(sa.Column('origin', sa.String(length=20), server_default=sa.text("'import'"),
                                          nullable=False))
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(sa.Column('prescriber', sa.String(length=200), server_default=sa.text("''"),
                                      nullable=False))
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=20), server_default=sa.text("''"),
                                      nullable=False))
    _triggers(True)


def downgrade() -> None:
    _triggers(False)
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE record_id IS NULL")
    with op.batch_alter_table('allergy', schema=None) as batch_op:
        batch_op.drop_column('category')
    with op.batch_alter_table('medication', schema=None) as batch_op:
        batch_op.drop_column('prescriber')
        batch_op.drop_column('reason')
    for table in TABLES:
        with op.batch_alter_table(table, schema=None, recreate='always') as batch_op:
            batch_op.drop_column('origin')
            batch_op.alter_column('record_id', existing_type=sa.Integer(), nullable=False)
    _triggers(True)
