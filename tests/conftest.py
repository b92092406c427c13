"""Fixtures: real PostGIS (the embedded cluster, or SIGKEL_TEST_DATABASE_URL), never a stand-in.

* one engine per session on the database ``sigkel_test``, migrated and loaded with the demo once;
* ``conn``: a connection per test inside a transaction that is always rolled back;
* ``app``/``client``/``runner``: the Flask app whose requests join the test's transaction;
* ``scratch_db``: a fresh, empty database for tests that migrate or run the CLI.

A database that cannot be started or reached fails the run: it is never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis.config import Settings, project_root
from gis.db import migrate
from gis.db.embedded import EmbeddedCluster
from gis.db.engine import make_engine, normalise_url
from gis.errors import SigkelError

ROOT = project_root()
SHARED_DATASETS = Path(os.environ.get("SIGKEL_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
TEST_DB = f"sigkel_test_{os.getpid()}"  # concurrent runs never share (or drop) each other's


@pytest.fixture(scope="session")
def settings() -> Settings:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def cluster(settings):
    """The embedded cluster under var/, started for the session (stopped if we started it)."""
    if os.environ.get("SIGKEL_TEST_DATABASE_URL"):
        yield None
        return
    cluster = EmbeddedCluster.from_settings(settings)
    try:
        started = cluster.start()
    except SigkelError as exc:
        pytest.exit(f"Cannot start the embedded PostGIS for the tests: {exc}", returncode=3)
    yield cluster
    if started:
        cluster.stop()


def _admin(url: str):
    import psycopg

    parsed = sa.engine.make_url(normalise_url(url)).set(database="postgres", drivername="postgresql")
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


def _recreate(url: str, name: str, postgis: bool = True) -> str:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    new = sa.engine.make_url(normalise_url(url)).set(database=name)
    if postgis:
        engine = sa.create_engine(new)
        with engine.begin() as c:
            c.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    return new.render_as_string(hide_password=False)


def _drop(url: str, name: str) -> None:
    from psycopg import sql

    with _admin(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def server_url(cluster) -> str:
    """A URL on the server the tests use (its database part is replaced per use)."""
    return os.environ.get("SIGKEL_TEST_DATABASE_URL") or cluster.url("postgres")


@pytest.fixture(scope="session")
def database_url(server_url, settings) -> str:
    """The session's test database: migrated to head and loaded with the demo, committed."""
    url = _recreate(server_url, TEST_DB)
    engine = make_engine(url)
    from gis import pipelines

    with engine.begin() as conn:
        migrate.upgrade(conn)
        pipelines.load_demo(conn, settings.data_dir)
    engine.dispose()
    yield url
    _drop(server_url, TEST_DB)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine):
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        tx = connection.begin()
        try:
            yield connection
        finally:
            tx.rollback()


@pytest.fixture
def scratch_db(server_url):
    """Factory of empty databases (PostGIS enabled unless postgis=False), dropped afterwards."""
    made = []

    def make(postgis: bool = True) -> str:
        name = f"sigkel_scratch_{uuid.uuid4().hex[:10]}"
        made.append(name)
        return _recreate(server_url, name, postgis=postgis)

    yield make
    for name in made:
        _drop(server_url, name)


@pytest.fixture
def app(settings, conn):
    from webmap import create_app

    return create_app(
        {"TESTING": True, "SECRET_KEY": "test", "SIGKEL_SETTINGS": settings, "SIGKEL_CONNECTION": conn}
    )


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"The public datasets are missing at {SHARED_DATASETS}; set SIGKEL_SHARED_DATASETS.")
    return SHARED_DATASETS


@pytest.fixture
def fresh_var_dir():
    """A var/ folder for a throwaway embedded cluster, stopped and removed afterwards.

    It lives under the project (pytest's own temporary folders are private to the user running the
    tests) so that the cluster's OS user can reach it when the tests run as root.
    """
    path = project_root() / "var" / "test-clusters" / uuid.uuid4().hex[:8]
    yield path
    cluster = EmbeddedCluster(path)
    if cluster.running:
        cluster.stop()
    shutil.rmtree(cluster.var_dir, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
