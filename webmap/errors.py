"""One error handler: expected errors show their safe message; anything else shows nothing inside."""

from __future__ import annotations

import re

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from gis.errors import SigkelError
from webmap.db import mark_failed
from webmap.stale import is_outage, is_retryable

__all__ = ["init_app"]

_TITLES = {
    400: _l("Permintaan tidak valid"),
    401: _l("Perlu masuk"),
    403: _l("Tidak diizinkan"),
    404: _l("Tidak ditemukan"),
    405: _l("Metode tidak diizinkan"),
    409: _l("Tidak dapat dilakukan sekarang"),
    422: _l("Data tidak valid"),
    429: _l("Terlalu banyak percobaan"),
    500: _l("Terjadi kesalahan"),
    503: _l("Layanan sedang tidak tersedia"),
}


# JSON answers outside the JSON path prefixes (the planner's): their errors are JSON too, including a
# 404 for a malformed id that matched no rule (so no endpoint to look at -- hence paths, not endpoints)
_JSON_PATHS = re.compile(
    r"^/perencana/(runs/[^/]*(\.geojson|/status|/classes)|lapisan/[^/]*\.geojson|kelas)$"
)


def _wants_json() -> bool:
    if request.path.startswith(("/api/", "/ogc/", "/open311/", "/tiles/", "/petugas/api/")):
        return True
    if _JSON_PATHS.match(request.path):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _respond(status: int, code: str, message: str, hint: str | None = None):
    mark_failed()
    if _wants_json():
        return jsonify({"error": code, "message": message, **({"hint": hint} if hint else {})}), status
    title = str(_TITLES.get(status, _l("Terjadi kesalahan")))
    return render_template("error.html", status=status, title=title, message=message, hint=hint), status


RETRY_AFTER = "3"  # seconds; a restart of PostgreSQL takes a few


def _outage():
    """The database is not there right now: a 503 that says "try again shortly" and nothing of the
    database's address (that goes to the log). The resident's app keeps the report and resends it."""
    response, status = _respond(
        503,
        "database-unavailable",
        "Layanan sedang tidak tersedia sebentar; coba lagi dalam beberapa detik. Laporan yang belum "
        "terkirim tetap tersimpan di ponsel Anda / the service is briefly unavailable: try again in a "
        "few seconds. Reports not yet sent stay on your phone.",
    )
    return response, status, {"Retry-After": RETRY_AFTER}


def _sigkel_error(exc: SigkelError):
    if is_outage(exc):
        from flask import current_app

        current_app.logger.warning("Database unavailable on %s: %s", request.path, exc.message)
        return _outage()
    response, status = _respond(exc.http_status, exc.code, exc.message, exc.hint)
    if getattr(exc, "retry_after", None):
        return response, status, {"Retry-After": str(exc.retry_after)}
    return response, status


def _http_error(exc: HTTPException):
    original = getattr(exc, "original_exception", None)
    if original is not None and is_retryable(original):  # e.g. the commit in webmap.db failed
        from flask import current_app

        current_app.logger.warning("Database unavailable on %s: %s", request.path, original)
        return _outage()
    return _respond(exc.code or 500, (exc.name or "error").lower().replace(" ", "-"), exc.description or "")


def _unexpected(exc: Exception):
    from flask import current_app
    from sqlalchemy.exc import DataError as DatabaseDataError

    if is_retryable(exc):  # connection lost mid-request, pool exhausted, server restarting, deadlock
        current_app.logger.warning("Database unavailable on %s: %s", request.path, exc)
        return _outage()
    if isinstance(exc, DatabaseDataError):  # e.g. a NUL byte or an out-of-range number in some field
        current_app.logger.info("Refused data on %s: %s", request.path, exc.orig)
        return _respond(
            422, "invalid-data", "Data tidak dapat disimpan: periksa isian Anda / the data is not valid."
        )

    current_app.logger.exception("Unhandled error on %s", request.path)
    return _respond(
        500, "internal-error", "Terjadi kesalahan di server. / Something went wrong on the server."
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(SigkelError, _sigkel_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
