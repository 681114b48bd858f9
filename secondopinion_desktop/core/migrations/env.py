"""Alembic environment: always run in-process with a connection handed over by ``core.db``."""

from alembic import context

from secondopinion_desktop.core.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by someone running the alembic CLI by hand
    raise RuntimeError("Run migrations through secondopinion_desktop.core.db.open_data_folder().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    transaction_per_migration=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
