"""Languages: Bahasa Indonesia by default, English by a switch (``?lang=en``, kept in a cookie).

Messages are written in Indonesian in the code and templates; ``translations/en`` holds English.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

__all__ = ["init_app", "LANGUAGES", "current_language"]

LANGUAGES = ("id", "en")
COOKIE = "sigkel_lang"


def current_language() -> str:
    if "sigkel_lang" not in g:
        wanted = request.args.get("lang") or request.cookies.get(COOKIE) or "id"
        g.sigkel_lang = wanted if wanted in LANGUAGES else "id"
    return g.sigkel_lang


def _remember(response):
    wanted = request.args.get("lang")
    if wanted in LANGUAGES and request.cookies.get(COOKIE) != wanted:
        response.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=current_language, default_locale="id")
    app.after_request(_remember)
    app.jinja_env.globals["current_language"] = current_language
