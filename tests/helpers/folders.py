"""Data folders for tests: one as an older version of the app left it."""

from __future__ import annotations

from pathlib import Path


def make_folder_at(path: Path, revision: str) -> None:
    """A data folder whose database was made by an older version (stopped at ``revision``)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from secondopinion_desktop.core.db import MIGRATIONS_DIR

    path.mkdir(mode=0o700)
    engine = create_engine(f"sqlite:///{path / 'secondopinion.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
    engine.dispose()
