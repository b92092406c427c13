"""One database connection per request, inside one transaction the request owns."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, g

from gis.db.engine import database_url, make_engine, unavailable

__all__ = ["init_app", "get_conn", "get_engine"]


def get_engine():
    """The app's engine, created on first use (after the worker has forked)."""
    engine = current_app.extensions.get("sigkel.engine")
    if engine is None:
        url = current_app.config.get("DATABASE_URL") or database_url(current_app.config["SIGKEL_SETTINGS"])
        engine = make_engine(url, pool_size=5, max_overflow=5, pool_timeout=5)
        current_app.extensions["sigkel.engine"] = engine
    return engine


def get_conn() -> sa.Connection:
    """The request's connection; its transaction commits when the request succeeds."""
    if "sigkel_conn" not in g:
        shared = current_app.config.get("SIGKEL_CONNECTION")
        if shared is not None:  # tests: join the test's transaction, roll back with it
            g.sigkel_conn, g.sigkel_tx = shared, shared.begin_nested()
        else:
            try:
                conn = get_engine().connect()
            except sa.exc.OperationalError as exc:
                raise unavailable(get_engine().url, exc) from exc
            g.sigkel_conn, g.sigkel_tx = conn, conn.begin()
    return g.sigkel_conn


def _close(exc: BaseException | None) -> None:
    conn, tx = g.pop("sigkel_conn", None), g.pop("sigkel_tx", None)
    if conn is None:
        return
    if tx is not None and tx.is_active:
        (tx.rollback if exc is not None else tx.commit)()
    if current_app.config.get("SIGKEL_CONNECTION") is None:
        conn.close()


def init_app(app: Flask) -> None:
    app.teardown_request(_close)
