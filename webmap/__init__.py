"""SIG Kelurahan web app: HTTP only. Views parse a request, call ``gis``, serialise the result."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from gis.config import Settings

__all__ = ["create_app"]


def _secret_key(settings: Settings) -> str:
    """SIGKEL_SECRET_KEY, else one generated once and kept in var/ (shared by all workers)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.var_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # created owner-only in one step; concurrent workers race safely on O_EXCL
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Nothing happens at import time; nothing touches the database here.

    Parameters
    ----------
    test_config : dict, optional
        Overrides for tests: ``SIGKEL_SETTINGS`` (a :class:`Settings`), ``DATABASE_URL``, or
        ``SIGKEL_CONNECTION`` (a Connection whose transaction every request then joins).
    """
    app = Flask(__name__, static_folder=None)
    test_config = test_config or {}
    settings = test_config.get("SIGKEL_SETTINGS") or Settings.from_env()
    app.config.from_mapping(
        SIGKEL_SETTINGS=settings,
        SECRET_KEY=test_config.get("SECRET_KEY") or _secret_key(settings),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
    )
    app.config.update(test_config)

    from webmap import (
        api,
        apidoc,
        compress,
        db,
        errors,
        evaluation,
        i18n,
        ogc,
        open311,
        opendata,
        planner,
        public,
        report,
        security,
        staff,
        static,
    )

    for module in (
        db,
        i18n,
        security,
        errors,
        static,
        compress,
        public,
        report,
        staff,
        planner,
        api,
        open311,
        evaluation,
        opendata,
        ogc,
        apidoc,  # /api/openapi.json, the API's description
    ):
        module.init_app(app)
    from webmap import stale

    stale.init_app(app)  # wraps public views registered above: served from the last copy on an outage
    if settings.proxies:  # behind nginx: the client's address and scheme come from X-Forwarded-*
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=settings.proxies, x_proto=settings.proxies, x_host=settings.proxies
        )
    return app
