"""Static files, with pre-compressed ``.gz`` twins served to browsers that accept gzip."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, request, send_file
from werkzeug.security import safe_join

__all__ = ["init_app"]

STATIC = Path(__file__).with_name("static")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def static_file(filename: str):
    path = safe_join(str(STATIC), filename)
    if path is None or not Path(path).is_file():
        abort(404)
    path = Path(path)
    gz = path.with_suffix(path.suffix + ".gz")
    use_gz = gz.is_file() and "gzip" in request.headers.get("Accept-Encoding", "")
    response = send_file(
        gz if use_gz else path,
        mimetype=_TYPES.get(path.suffix),
        conditional=True,
        etag=True,
        max_age=86400 if "/vendor/" in f"/{filename}" else 3600,
    )
    if use_gz:
        response.headers["Content-Encoding"] = "gzip"
    if gz.is_file():
        response.vary.add("Accept-Encoding")
    return response


def favicon():
    return static_file("favicon.svg")


def init_app(app: Flask) -> None:
    app.add_url_rule("/static/<path:filename>", "static", static_file)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
