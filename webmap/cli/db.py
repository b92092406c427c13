"""``sigkel db …`` (the database server and its schema), ``sigkel demo`` and ``sigkel serve``."""

from __future__ import annotations

import os
import time

import click

from gis.config import Settings
from gis.db import migrate
from gis.db.embedded import EmbeddedCluster
from gis.db.engine import describe_url
from webmap.cli.base import _database, _settings, cli

__all__ = ["db_group", "demo", "serve"]


@cli.group("db")
def db_group():
    """Manage the database server and its schema."""


def _cluster_or_explain(settings: Settings) -> EmbeddedCluster:
    if settings.database_url:
        raise click.ClickException(
            f"DATABASE_URL is set ({describe_url(settings.database_url)}), so sigkel uses that "
            "server and runs no local database. Unset DATABASE_URL to use the embedded one."
        )
    return EmbeddedCluster.from_settings(settings)


@db_group.command("start", with_appcontext=False)
def db_start():
    """Start the embedded database (created on first use)."""
    cluster = _cluster_or_explain(_settings())
    started = cluster.start()
    click.echo("Started." if started else "Already running.")
    click.echo(cluster.status().describe())


@db_group.command("stop", with_appcontext=False)
def db_stop():
    """Stop the embedded database."""
    cluster = _cluster_or_explain(_settings())
    click.echo("Stopped." if cluster.stop() else "It was not running.")


@db_group.command("status", with_appcontext=False)
def db_status():
    """Show whether the embedded database runs."""
    settings = _settings()
    if settings.database_url:
        click.echo(f"Using DATABASE_URL: {describe_url(settings.database_url)}")
        return
    click.echo(EmbeddedCluster.from_settings(settings).status().describe())


@db_group.command("upgrade", with_appcontext=False)
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Bring the tables to the newest schema.

    Also brings the category tables up to date from data/categories.
    """
    from gis import pipelines

    settings = _settings()
    with _database(settings) as (engine, _), engine.begin() as conn:
        before = migrate.current(conn)
        after = migrate.upgrade(conn, revision)
        if after == migrate.head():
            seeded = pipelines.seed_reference(conn, settings.data_dir)
    click.echo(f"Schema: {before or 'empty'} -> {after}")
    if after == migrate.head():
        click.echo("Categories: " + ", ".join(f"{n} {t}" for t, n in seeded.items()))


@db_group.command("downgrade", with_appcontext=False)
@click.argument("revision", default="-1")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision, yes):
    """Undo the last schema change, or back to REVISION.

    'base' removes every table.
    """
    if not yes:
        click.confirm(f"Downgrade the schema to {revision}? Data in removed tables is lost", abort=True)
    with _database(_settings()) as (engine, _), engine.begin() as conn:
        after = migrate.downgrade(conn, revision)
    click.echo(f"Schema now at: {after or 'empty'}")


@db_group.command("current", with_appcontext=False)
def db_current():
    """Show the schema version of the database."""
    with _database(_settings(), announce=False) as (engine, _), engine.connect() as conn:
        now = migrate.current(conn)
    click.echo(f"current: {now or 'empty'}\nhead:    {migrate.head()}")


# -- sigkel demo / serve ----------------------------------------------------------------------


def _serve(settings: Settings, host: str, port: int, workers: int, threads: int, started: bool) -> None:
    """Serve until interrupted; then stop the embedded database if this command started it.

    gunicorn forks its workers from this process and they leave through SystemExit, unwinding this
    same stack: only the process that started the database may stop it.
    """
    from webmap.serve import run_gunicorn

    owner = os.getpid()
    click.echo(f"Serving on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        run_gunicorn(host, port, workers, threads)
    finally:
        if started and os.getpid() == owner:
            cluster = EmbeddedCluster.from_settings(settings)
            others = cluster.client_count()
            if others:
                click.echo(f"Embedded PostGIS left running: {others} other connection(s) use it.")
            else:
                cluster.stop()
                click.echo("Embedded PostGIS stopped.")


_host = click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
_port = click.option("--port", type=int, default=None, help="Port (default 5000).")


@cli.command("demo", with_appcontext=False)
@click.option("--no-serve", is_flag=True, help="Load the data and exit without serving.")
@click.option("--yes", is_flag=True, help="Load even into a database that holds other areas.")
@_host
@_port
def demo(no_serve, yes, host, port):
    """Load the Cempaka Putih demo and serve its map.

    Safe to repeat: loading again updates rows in place and duplicates nothing.
    """
    settings = _settings()
    with _database(settings) as (engine, started):
        t0 = time.monotonic()
        from gis import pipelines

        with engine.begin() as conn:
            migrate.upgrade(conn)
            others = pipelines.non_demo_kelurahan(conn)
            if others and not yes:
                raise click.ClickException(
                    f"This database already holds {len(others)} kelurahan outside the demo area "
                    f"(e.g. {others[0]}); the demo would add synthetic complaints to it. "
                    "Use --yes if that is really what you want."
                )
            read = pipelines.load_demo(conn, settings.data_dir)
            counts = pipelines.demo_counts(conn)
            users, password = pipelines.ensure_demo_accounts(conn, settings.var_dir)
        click.echo(
            f"Demo loaded in {time.monotonic() - t0:.1f} s: " + ", ".join(f"{counts[k]} {k}" for k in counts)
        )
        click.echo(
            f"(files: {read['rw']} RW, {read['rt']} RT synthetic, {read['facilities']} "
            f"facilities, {read['complaints']} complaints synthetic)"
        )
        click.echo(
            f"Staff login at /petugas/masuk: {', '.join(users)} with password {password} "
            f"(kept in {settings.var_dir / 'demo-accounts.txt'})."
        )
    if not no_serve:  # after the engine is disposed: forked workers must not inherit its pool
        _serve(settings, host or settings.host, port or settings.port, 2, 4, started)


@cli.command("serve", with_appcontext=False)
@_host
@_port
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option(
    "--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker."
)
def serve(host, port, workers, threads):
    """Serve the web app with gunicorn.

    The database must have its tables: run `sigkel db upgrade` first.
    """
    settings = _settings()
    with _database(settings) as (engine, started), engine.connect() as conn:
        if migrate.current(conn) is None:
            raise click.ClickException(
                "The database has no tables yet: run `sigkel db "
                "upgrade` (or `sigkel demo` for the demo area)."
            )
    _serve(settings, host or settings.host, port or settings.port, workers, threads, started)
