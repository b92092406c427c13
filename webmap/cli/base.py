"""The ``sigkel`` click group and what every command shares: the settings and a database engine.

Kept apart from ``webmap.cli`` so the command modules can import the group without an import cycle.
"""

from __future__ import annotations

import contextlib

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup

from gis.config import Settings
from gis.db.embedded import EmbeddedCluster
from gis.db.engine import ensure_database, make_engine
from gis.errors import SigkelError

__all__ = ["SigkelGroup", "_database", "_settings", "cli"]


def _create_app():
    from webmap import create_app

    return create_app()


class SigkelGroup(FlaskGroup):
    """Turns expected errors into a message and exit status 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SigkelError as exc:
            raise click.ClickException(str(exc)) from exc
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(
                f"Lost the connection to the database: {reason}. Check that it is running "
                "(sigkel db status) and try again."
            ) from exc
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            hint = ""
            if "permission denied" in reason:
                hint = (
                    " The database user may lack rights on schema public (PostgreSQL 15+): "
                    "GRANT CREATE ON SCHEMA public TO <user>;"
                )
            raise click.ClickException(f"The database refused the operation: {reason}.{hint}") from exc


@click.group(
    cls=SigkelGroup, create_app=_create_app, add_version_option=False, load_dotenv=False, set_debug_flag=False
)
def cli():
    """SIG Kelurahan: maps, complaints and planning layers for a kelurahan office.

    Without DATABASE_URL, sigkel runs its own PostGIS database under var/.
    """


def _settings() -> Settings:
    return Settings.from_env()


@contextlib.contextmanager
def _database(settings: Settings, announce: bool = True):
    """An engine on a usable database; stops the embedded one afterwards if we started it."""
    started = False
    if settings.database_url:
        url = ensure_database(settings)
    else:
        cluster = EmbeddedCluster.from_settings(settings)
        started = cluster.start()
        url = cluster.url()
        if announce and started:
            click.echo(f"Embedded PostGIS started ({cluster.data_dir}).")
    engine = make_engine(url)
    try:
        yield engine, started
    finally:
        engine.dispose()
