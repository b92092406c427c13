"""Run Alembic migrations on a connection the caller owns (``sigkel db upgrade|downgrade|current``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from gis.db.engine import check_postgis

__all__ = ["upgrade", "downgrade", "current", "head", "alembic_config"]

_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, bound to ``conn``."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection, revision: str = "head") -> str | None:
    """Upgrade the schema to ``revision``; returns the revision now current."""
    check_postgis(conn, create=True)
    command.upgrade(alembic_config(conn), revision)
    return current(conn)


def downgrade(conn: Connection, revision: str = "-1") -> str | None:
    """Downgrade the schema to ``revision`` (``-1`` = one step, ``base`` = empty)."""
    command.downgrade(alembic_config(conn), revision)
    return current(conn)


def current(conn: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
