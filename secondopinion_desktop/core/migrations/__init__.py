"""Alembic migrations, run in-process by ``secondopinion_desktop.core.db`` (no alembic.ini needed)."""
