"""documents the app can read: each attached file's text, page by page, and a full-text index of it

Revision ID: 0008_documents
Revises: 0007_portal
Create Date: 2026-12-02 14:45:00

``document_text`` holds one row per distinct file (by its vault sha256, so a file attached twice is read once):
whether it is waiting to be read, read, or could not be read (and why). ``document_page`` holds its text page by
page. ``document_fts`` is an FTS5 index over ``document_page.text`` (external content, kept in step by triggers):
words folded to lower case without diacritics, with prefix indexes for type-ahead search.

Attaching a file queues it (a trigger on ``attachment``, so every way of attaching does); removing the last
attachment of a file removes its text. These tables hold text derived from the files, not the patient's own entries, so they do not stamp
``folder_change``: reading a document in the background is not a change the patient made.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_documents'
down_revision = '0007_portal'
branch_labels = None
depends_on = None

FTS = ("CREATE VIRTUAL TABLE document_fts USING fts5(text, content='document_page', content_rowid='id', "
       "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')")
TRIGGERS = (
    "CREATE TRIGGER document_page_ai AFTER INSERT ON document_page BEGIN "
    "INSERT INTO document_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER document_page_ad AFTER DELETE ON document_page BEGIN "
    "INSERT INTO document_fts (document_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER document_page_au AFTER UPDATE ON document_page BEGIN "
    "INSERT INTO document_fts (document_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO document_fts (rowid, text) VALUES (new.id, new.text); END",
    # every new file is queued for reading in the transaction that attaches it, whichever path attached it
    "CREATE TRIGGER attachment_queues_text AFTER INSERT ON attachment BEGIN "
    "INSERT OR IGNORE INTO document_text (sha256, state, reason, pages, pages_read, method, attempts, queued_at) "
    "VALUES (new.sha256, 'pending', '', 0, 0, '', 0, strftime('%Y-%m-%d %H:%M:%f', 'now')); END",
    # and its text goes when the last attachment of that file does
    "CREATE TRIGGER attachment_forgets_text AFTER DELETE ON attachment "
    "WHEN NOT EXISTS (SELECT 1 FROM attachment WHERE sha256 = old.sha256) BEGIN "
    "DELETE FROM document_text WHERE sha256 = old.sha256; END",
)


def upgrade() -> None:
    op.create_table('document_text',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('pages_read', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('identity', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_document_text'))
    )
    with op.batch_alter_table('document_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_text_state'), ['state'], unique=False)

    op.create_table('document_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['document_text.sha256'],
                            name=op.f('fk_document_page_sha256_document_text'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_page')),
    sa.UniqueConstraint('sha256', 'page', name=op.f('uq_document_page_sha256'))
    )
    op.create_index('ix_document_page_owner', 'document_page', ['id', 'sha256', 'page'], unique=False)
    op.execute(FTS)
    for trigger in TRIGGERS:
        op.execute(trigger)
    # every file already in the folder is read once after the upgrade
    op.execute("INSERT INTO document_text (sha256, state, reason, pages, pages_read, method, attempts, queued_at) "
               "SELECT DISTINCT sha256, 'pending', '', 0, 0, '', 0, strftime('%Y-%m-%d %H:%M:%f', 'now') "
               "FROM attachment")


def downgrade() -> None:
    for name in ("attachment_forgets_text", "attachment_queues_text", "document_page_au", "document_page_ad",
                 "document_page_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS document_fts")
    op.drop_index('ix_document_page_owner', table_name='document_page')
    op.drop_table('document_page')
    with op.batch_alter_table('document_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_text_state'))
    op.drop_table('document_text')
