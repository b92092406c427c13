"""Security on every response and staff authentication for the views that need it.

* Headers on every response: a Content-Security-Policy with a per-request nonce for our inline
  scripts (no CDN, no eval, no framing), nosniff, a strict referrer policy, and a permissions policy
  that allows only geolocation and the camera, for this site.
* Staff sessions: the ``sigkel_sesi`` cookie (HttpOnly, SameSite=Lax; Secure behind HTTPS) holds a
  random token looked up in ``user_session`` on every request (:func:`current_user`).
* CSRF: every state-changing request from a browser session must carry the session's token (form field
  ``csrf_token`` or header ``X-CSRF-Token``). Before login the token lives in Flask's signed cookie.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from markupsafe import Markup

from gis import auth
from gis.errors import DataError, Forbidden, NotAuthenticated
from webmap.db import get_conn

__all__ = ["init_app", "current_user", "login_required", "check_csrf", "csrf_token", "SESSION_COOKIE"]

SESSION_COOKIE = "sigkel_sesi"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _nonced(markup) -> Markup:
    """Add this response's nonce to every <script> of trusted, generated markup (folium's)."""
    nonce = csp_nonce()
    return Markup(re.sub(r"<script(?![^>]*\bnonce=)", f'<script nonce="{nonce}"', str(markup)))


def current_user() -> auth.User | None:
    """The logged-in staff user of this request, or None."""
    if "sigkel_user" not in g:
        token = request.cookies.get(SESSION_COOKIE)
        g.sigkel_user = auth.session_user(get_conn(), token) if token else None
    return g.sigkel_user


def csrf_token() -> str:
    user = current_user() if request.cookies.get(SESSION_COOKIE) else None
    if user is not None:
        return user.csrf_token
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing browser request without this session's CSRF token."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = csrf_token()
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500, before this)
    if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode()):
        raise Forbidden(
            "Formulir kedaluwarsa atau tidak sah (CSRF); muat ulang halaman lalu coba lagi / the form "
            "expired or is not valid: reload the page and try again."
        )


def login_required(*roles: str):
    """Views for logged-in staff with one of ``roles`` (all roles when empty); checks CSRF on writes."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.method == "GET" and not request.path.startswith(("/api/", "/petugas/api/")):
                    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
                raise NotAuthenticated("Silakan masuk dahulu / please log in.")
            if roles and user.role not in roles:
                raise Forbidden("Peran Anda tidak mengizinkan halaman ini / your role does not allow this.")
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                check_csrf()
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _tile_origin() -> str:
    tiles, _ = current_app.config["SIGKEL_SETTINGS"].basemap_tiles()
    if not tiles or tiles.startswith("/"):
        return ""
    parts = urlsplit(tiles.replace("{s}", "a"))
    host = parts.netloc
    if "{s}" in tiles:  # OSM-style subdomains a/b/c
        host = "*." + host.split(".", 1)[1]
    return f" {parts.scheme}://{host}"


def _headers(response):
    tiles = _tile_origin()
    policy = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{csp_nonce()}'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{tiles}; "
        "connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.cookies.get(SESSION_COOKIE) or g.get("sigkel_user") is not None:
        headers.setdefault("Cache-Control", "private, no-store")  # staff pages never cached
    return response


def _refuse_control_characters():
    """NUL and other C0 controls (except tab and newlines) never belong in a form, a query or a path:
    PostgreSQL refuses NUL in text, so they would otherwise surface as a 500 and a stuck offline queue."""
    bad = _CONTROL.search
    if bad(request.path):
        raise DataError("Alamat mengandung karakter kendali / the URL contains a control character.")
    for where, values in (
        ("query", request.args),
        ("form", request.form if request.mimetype in _FORMS else {}),
    ):
        for key, value in values.items(multi=True) if values else ():
            key, value = key or "", value or ""  # a multipart name that does not parse arrives as None
            if bad(key) or bad(value):
                raise DataError(
                    f"Isian {key[:40]!r} mengandung karakter kendali (mis. NUL); hapus lalu kirim ulang / "
                    f"the {where} field contains a control character: remove it and send again."
                )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    app.before_request(_refuse_control_characters)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.filters["nonced"] = _nonced
    app.after_request(_headers)
