"""One database connection per request, inside one transaction the request owns."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Flask, current_app, g

from gis.db.engine import database_url, make_engine, unavailable

__all__ = ["init_app", "get_conn", "get_engine", "mark_failed"]


_ENGINE_LOCK = threading.Lock()


def get_engine():
    """The app's engine, created on first use (after the worker has forked)."""
    engine = current_app.extensions.get("sigkel.engine")
    if engine is not None:
        return engine
    with _ENGINE_LOCK:
        engine = current_app.extensions.get("sigkel.engine")
        if engine is not None:
            return engine
        settings = current_app.config["SIGKEL_SETTINGS"]
        url = current_app.config.get("DATABASE_URL") or database_url(settings)
        # Short waits: while the database restarts, a resident's phone gets a 503 with Retry-After at
        # once (and queues the report) instead of hanging on a connection that is not coming.
        engine = make_engine(
            url,
            pool_size=5,
            max_overflow=5,
            pool_timeout=settings.db_connect_timeout,
            connect_args={
                "connect_timeout": settings.db_connect_timeout,
                # a database across a network that stops answering is noticed in seconds, not minutes
                # (libpq ignores these on a unix socket)
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "tcp_user_timeout": 15000,
            },
        )
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


def mark_failed() -> None:
    """Called by the error handlers: the request's transaction must roll back."""
    g.sigkel_failed = True


def _finish(response):
    """Commit before the response leaves, so a failed commit is a 5xx, not a lost write."""
    tx = g.get("sigkel_tx")
    if tx is not None and tx.is_active and not g.get("sigkel_failed") and response.status_code < 400:
        tx.commit()
    return response


def _close(exc: BaseException | None) -> None:
    conn, tx = g.pop("sigkel_conn", None), g.pop("sigkel_tx", None)
    if conn is None:
        return
    try:
        if tx is not None and tx.is_active:
            tx.rollback()  # anything not committed by _finish failed
    finally:
        if current_app.config.get("SIGKEL_CONNECTION") is None:
            conn.close()


def init_app(app: Flask) -> None:
    app.after_request(_finish)
    app.teardown_request(_close)
