"""The public map keeps working while the database is down: stale-if-error for public reads.

Every successful answer of a public read (the facility map, the facility list, the complaint map and
report form, their GeoJSON layers and vector tiles) is kept on disk under
``var/cache/public/<database>``; when a later request for the same thing fails because the database
cannot be reached, the last good copy is served instead, marked ``X-Sigkel-Stale: <age in seconds>``
(and ``Age``), at most ``SIGKEL_STALE_MAX_AGE`` seconds old (default seven days). The copies sit on
disk so that every gunicorn worker, including one just started to replace a killed one, can serve them.

Only what the public already sees is kept: these endpoints serve no personal data (the privacy scan
in the tests walks their output), and a staff session never reaches them with its cookie-bound
content. Per-response secrets in a cached page are renewed when it is served: the CSP nonce becomes
this response's nonce, and the report form's no-JavaScript idempotency key becomes a fresh one, so
two residents never share a key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from gis.errors import DatabaseUnavailable

__all__ = ["STALE_ENDPOINTS", "StaleStore", "init_app", "is_outage"]

STALE_ENDPOINTS = (
    "public.index",
    "public.facility_list",
    "api.facilities",
    "api.layer",
    "api.categories",
    "api.facility",
    "tiles.tile",
    "report.form",
    "report.complaint_map",
    "report.complaints_geojson",
    "report.categories",
)
_KEPT_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Content-Language")
_FORM_KEY = re.compile(r"\bform-[A-Za-z0-9_-]{24}\b")  # report.form's kunci: "form-" + token_urlsafe(18)


def is_outage(exc: BaseException) -> bool:
    """True for failures that mean "the database is not there right now" (try again later): no
    connection, a connection lost mid-request, a pool with no free connection, a restart in progress."""
    exc = getattr(exc, "original_exception", None) or exc
    if isinstance(exc, DatabaseUnavailable | sa.exc.TimeoutError):
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(
            exc, sa.exc.OperationalError | sa.exc.InterfaceError
        )
    return False


class StaleStore:
    """Last good copies of public answers, one file per key, written atomically.

    A small in-process memo of what this worker last wrote for a key (a digest of the body) keeps a
    stream of identical answers from rewriting the same file.
    """

    def __init__(self, root: Path, max_entries: int = 5000, max_age: float = 7 * 86400):
        self.root = Path(root)
        self.max_entries = max_entries
        self.max_age = max_age
        self._written: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._puts = 0

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.bin"

    def put(self, key: str, status: int, headers: dict, body: bytes, tokens: dict) -> None:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        with self._lock:
            if self._written.get(key) == digest:
                return
        meta = {"key": key, "status": status, "headers": headers, "tokens": tokens, "stored": time.time()}
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(meta).encode() + b"\n" + body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._written[key] = digest
            self._written.move_to_end(key)
            while len(self._written) > self.max_entries:
                self._written.popitem(last=False)
            self._puts += 1
            prune = self._puts % 500 == 0
        if prune:
            self.prune()

    def get(self, key: str) -> tuple[dict, bytes] | None:
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        head, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if meta.get("key") != key or time.time() - meta["stored"] > self.max_age:
            return None
        return meta, body

    def prune(self) -> int:
        """Drop the oldest copies beyond ``max_entries`` and any older than ``max_age``."""
        files = sorted(self.root.glob("*/*.bin"), key=lambda p: p.stat().st_mtime)
        cutoff = time.time() - self.max_age
        dropped = 0
        for i, path in enumerate(files):
            if i < len(files) - self.max_entries or path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped


def _key() -> str:
    from webmap.i18n import current_language

    query = "&".join(sorted(f"{k}={v}" for k, v in request.args.items(multi=True)))
    return f"{current_language()} {request.path}?{query}"


def _tokens() -> dict:
    return {"nonce": g.get("csp_nonce")}


def _served_stale(meta: dict, body: bytes):
    from webmap.db import mark_failed
    from webmap.security import csp_nonce

    mark_failed()  # nothing of this request may commit
    if meta["headers"].get("Content-Type", "").startswith("text/html"):
        old = (meta.get("tokens") or {}).get("nonce")
        if old:
            body = body.replace(old.encode(), csp_nonce().encode())
        body = _FORM_KEY.sub(lambda _: "form-" + secrets.token_urlsafe(18), body.decode()).encode()
    response = current_app.response_class(body, status=meta["status"])
    for name, value in meta["headers"].items():
        response.headers[name] = value
    age = max(0, int(time.time() - meta["stored"]))
    response.headers["Age"] = str(age)
    response.headers["X-Sigkel-Stale"] = str(age)
    return response


def _storable(response) -> bool:
    """Only anonymous, complete, successful answers: never one seen through a staff session or one
    that sets a cookie, whatever the template shows today."""
    from webmap.security import SESSION_COOKIE

    return (
        response.status_code == 200
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and SESSION_COOKIE not in request.cookies
    )


def _wrap(view, store: StaleStore):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            rv = view(*args, **kwargs)
        except Exception as exc:
            if not is_outage(exc):
                raise
            found = store.get(_key())
            if found is None:
                raise
            current_app.logger.warning("Database unavailable; served %s from the stale copy", request.path)
            return _served_stale(*found)
        response = current_app.make_response(rv)
        if _storable(response):
            headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
            try:
                store.put(_key(), 200, headers, response.get_data(), _tokens())
            except OSError as exc:  # a full disk must not turn a good answer into an error
                current_app.logger.warning("Could not keep a stale copy of %s: %s", request.path, exc)
        return response

    return wrapped


def init_app(app: Flask) -> None:
    """Wrap :data:`STALE_ENDPOINTS` (call after every blueprint is registered)."""
    settings = app.config["SIGKEL_SETTINGS"]
    # one folder per database: a server pointed at another database (a benchmark, a trial) never
    # overwrites the copies of the real map
    source = app.config.get("DATABASE_URL") or settings.database_url or f"embedded:{settings.db_name}"
    folder = hashlib.sha256(str(source).encode()).hexdigest()[:16]
    store = StaleStore(Path(settings.var_dir) / "cache" / "public" / folder, max_age=settings.stale_max_age)
    app.extensions["sigkel.stale"] = store
    for endpoint in STALE_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = _wrap(app.view_functions[endpoint], store)
