"""Engines, the transaction helper, and the checks that turn connection failures into one sentence.

The caller owns the transaction: functions in ``gis.db`` take a Connection and never commit.
"""

from __future__ import annotations

import contextlib
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from gis.db.embedded import EmbeddedCluster
from gis.errors import DatabaseUnavailable, PostGISMissing

__all__ = [
    "normalise_url",
    "database_url",
    "ensure_database",
    "make_engine",
    "transaction",
    "check_postgis",
    "describe_url",
    "MIN_POSTGIS",
]

MIN_POSTGIS = (3, 3)


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver whatever spelling of a PostgreSQL URL was given."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def describe_url(url: str) -> str:
    """A URL without its password, for messages."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def database_url(settings) -> str:
    """``DATABASE_URL`` when set, else the embedded cluster's URL (which may not be running yet)."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    return EmbeddedCluster.from_settings(settings).url()


def ensure_database(settings) -> str:
    """Make the database usable and return its URL.

    With ``DATABASE_URL`` nothing local is started: the server is checked for PostGIS. Without it,
    the embedded cluster is created and started on demand.
    """
    if settings.database_url:
        url = normalise_url(settings.database_url)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                check_postgis(conn, create=True)
        except sa.exc.OperationalError as exc:
            raise unavailable(engine.url, exc) from exc
        finally:
            engine.dispose()
        return url
    cluster = EmbeddedCluster.from_settings(settings)
    cluster.start()
    return cluster.url()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with pre-ping (survives a database restart) and a short connect timeout."""
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 10)
    connect_args.setdefault("application_name", "sigkel")
    return sa.create_engine(normalise_url(url), connect_args=connect_args, **kwargs)


@contextlib.contextmanager
def transaction(engine: Engine):
    """One transaction: commit on success, roll back on any error, translate connection failures."""
    try:
        with engine.begin() as conn:
            yield conn
    except sa.exc.OperationalError as exc:
        if exc.connection_invalidated or _is_connect_error(exc):
            raise unavailable(engine.url, exc) from exc
        raise


def _is_connect_error(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig)
    return any(
        s in text
        for s in (
            "connection failed",
            "Connection refused",
            "could not connect",
            "No such file",
            "timeout expired",
            "does not exist",
            "server closed the connection",
        )
    )


def unavailable(url, exc: Exception) -> DatabaseUnavailable:
    """A one-sentence error for a database that cannot be reached."""
    where = url.render_as_string(hide_password=True) if hasattr(url, "render_as_string") else url
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else ""
    return DatabaseUnavailable(
        f"Cannot connect to the database at {where}: {reason}",
        "Check DATABASE_URL (host, port, user, password, database name) and that the server is "
        "running; unset DATABASE_URL to use the embedded database.",
    )


def check_postgis(conn: Connection, create: bool = False) -> tuple[int, int]:
    """Return the PostGIS version of the connected database, optionally enabling the extension.

    Raises
    ------
    PostGISMissing
        The server has no PostGIS, the version is older than 3.3, or the extension is not enabled
        and this user may not enable it.
    """
    version = conn.execute(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")).scalar()
    if version is None:
        version = _enable_postgis(conn) if create else None
    if version is None:
        raise PostGISMissing(
            f"PostGIS is not enabled in database {conn.engine.url.database!r}.",
            "Run `sigkel db upgrade`, or ask the administrator to run CREATE EXTENSION postgis;",
        )
    parsed = tuple(int(x) for x in re.findall(r"\d+", version)[:2])
    if parsed < MIN_POSTGIS:
        raise PostGISMissing(
            f"PostGIS {version} is too old; SIG Kelurahan needs 3.3 or newer.",
            "Upgrade the postgis package on the database server.",
        )
    return parsed


def _enable_postgis(conn: Connection) -> str:
    available = conn.execute(
        sa.text("SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")
    ).scalar()
    where = conn.engine.url.render_as_string(hide_password=True)
    if available is None:
        raise PostGISMissing(
            f"The PostgreSQL server at {where} has no PostGIS installed.",
            "Install PostGIS 3.3+ on that server (Debian/Ubuntu: apt-get install "
            "postgresql-<version>-postgis-3), or unset DATABASE_URL to use the embedded database.",
        )
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.ProgrammingError as exc:
        raise PostGISMissing(
            f"PostGIS is installed on the server but not enabled in database "
            f"{conn.engine.url.database!r}, and user {conn.engine.url.username!r} may not enable it.",
            "Ask the administrator to run CREATE EXTENSION postgis; in that database.",
        ) from exc
    return available
