"""The production request path (its own connection per request): commit on success only."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Blueprint

from gis.errors import DataError
from webmap import create_app
from webmap.db import get_conn


@pytest.fixture
def app_with_writer(settings, database_url, engine):
    marker = f"txn-test-{uuid.uuid4().hex[:8]}"
    bp = Blueprint("writer", __name__)

    def _write(action):
        get_conn().execute(
            sa.text("INSERT INTO audit_log (action, object_type) VALUES (:a, 'test')"),
            {"a": f"{marker}-{action}"},
        )

    @bp.post("/_write/ok")
    def ok():
        _write("ok")
        return {"done": True}

    @bp.post("/_write/fails")
    def fails():
        _write("fails")
        raise DataError("refused half-way")

    @bp.post("/_write/crashes")
    def crashes():
        _write("crashes")
        raise RuntimeError("bug")

    app = create_app({"DATABASE_URL": database_url, "SIGKEL_SETTINGS": settings, "SECRET_KEY": "t"})
    app.register_blueprint(bp)
    yield app, marker
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE action LIKE :m"), {"m": f"{marker}%"})
    app.extensions["sigkel.engine"].dispose()


def test_commit_on_success_rollback_on_any_error(app_with_writer, engine):
    app, marker = app_with_writer
    client = app.test_client()
    assert client.post("/_write/ok").status_code == 200
    assert client.post("/_write/fails").status_code == 422
    assert client.post("/_write/crashes").status_code == 500
    with engine.connect() as conn:
        written = set(
            conn.execute(
                sa.text("SELECT action FROM audit_log WHERE action LIKE :m"), {"m": f"{marker}%"}
            ).scalars()
        )
    assert written == {f"{marker}-ok"}
