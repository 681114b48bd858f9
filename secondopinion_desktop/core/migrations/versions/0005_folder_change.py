"""folder change: when anything in the data folder last changed

Revision ID: 0005_folder_change
Revises: 0004_imaging_files
Create Date: 2026-12-01 20:55:00

One row, kept up to date by triggers on every table that holds the patient's data, so that an edit, an answer
typed at the visit or a deletion all count. A restore compares it with the backup's to warn when the backup is
older than the records it would replace.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_folder_change'
down_revision = '0004_imaging_files'
branch_labels = None
depends_on = None

TABLES = ("profile", "facility", "clinician", "record", "attachment", "checklist_item", "question", "appointment",
          "appointment_question", "appointment_note", "treatment_line", "imaging_file")
STAMP = ("INSERT INTO folder_change (id, changed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
         "ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at;")


def upgrade() -> None:
    op.create_table('folder_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_folder_change'))
    )
    # A folder made by an earlier version starts from the latest time its rows carry.
    op.execute("INSERT INTO folder_change (id, changed_at) SELECT 1, max(stamp) FROM ("
               "SELECT max(updated_at) AS stamp FROM record UNION ALL SELECT max(updated_at) FROM profile "
               "UNION ALL SELECT max(updated_at) FROM appointment UNION ALL SELECT max(updated_at) FROM "
               "appointment_note UNION ALL SELECT max(updated_at) FROM checklist_item UNION ALL "
               "SELECT max(created_at) FROM question UNION ALL SELECT max(created_at) FROM treatment_line"
               ") WHERE stamp IS NOT NULL HAVING max(stamp) IS NOT NULL")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_changes_folder AFTER {event} ON {table} "
                       f"BEGIN {STAMP} END")


def downgrade() -> None:
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_changes_folder")
    op.drop_table('folder_change')
