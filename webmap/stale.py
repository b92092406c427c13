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
import urllib.parse
from collections import OrderedDict
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from gis.errors import DatabaseUnavailable

__all__ = ["STALE_ENDPOINTS", "StaleStore", "init_app", "is_outage", "is_retryable"]

# endpoint -> the query parameters it reads; a request with any other parameter is not kept (so junk
# parameters cannot multiply copies), and ``lang`` is read by every page
STALE_ENDPOINTS = {
    "public.index": (),
    "public.facility_list": (),
    "api.facilities": ("category", "bbox", "q", "limit", "offset"),
    "api.layer": ("bbox", "kelurahan", "limit"),
    "api.categories": (),
    "api.facility": (),
    "tiles.tile": (),
    "report.form": (),
    "report.complaint_map": (),
    "report.complaints_geojson": ("bbox", "kategori", "status"),
    "report.categories": (),
}
_KEPT_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Content-Language")
# the report form's no-JavaScript idempotency key, recorded when a page is kept and renewed when served
_FORM_KEY = re.compile(r'name="kunci" id="kunci" value="(form-[A-Za-z0-9_-]+)"')
REFRESH_SECONDS = 60  # an unchanged answer is rewritten at most this often (keeps its age honest)


_OUTAGE_STATES = ("57P01", "57P02", "57P03", "53300")  # admin/crash shutdown, starting up, too many
_RETRY_STATES = ("40001", "40P01")  # serialization failure, deadlock: try again, but not an outage


def _sqlstate(exc) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def is_outage(exc: BaseException) -> bool:
    """True for failures that mean "the database is not there right now" (try again later): no
    connection, a connection lost mid-request (SQLSTATE class 08, or a client-side failure without a
    state), a pool with no free connection, a shutdown or start-up in progress, no free connection
    slot. A statement timeout, a full disk or a query error is not an outage: it stays a 500."""
    exc = getattr(exc, "original_exception", None) or exc
    if isinstance(exc, DatabaseUnavailable | sa.exc.TimeoutError):
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is None:
        return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError)
    return state.startswith("08") or state in _OUTAGE_STATES


def is_retryable(exc: BaseException) -> bool:
    """An outage, or a transaction the database asks us to run again (the client resends)."""
    exc = getattr(exc, "original_exception", None) or exc
    return is_outage(exc) or (isinstance(exc, sa.exc.DBAPIError) and _sqlstate(exc) in _RETRY_STATES)


class StaleStore:
    """Last good copies of public answers, one file per key, written atomically, bounded in count and
    in bytes (pruned oldest first).

    A small in-process memo of what this worker last wrote for a key (a digest of the body, and when)
    keeps a stream of identical answers from rewriting the same file more than once a minute; the
    file is rewritten when it has gone (pruned by another worker) or the minute is over, so its
    ``stored`` time says when the answer was last known good.
    """

    def __init__(
        self,
        root: Path,
        max_entries: int = 5000,
        max_age: float = 7 * 86400,
        max_bytes: int = 256 * 1024 * 1024,
    ):
        self.root = Path(root)
        self.max_entries = max_entries
        self.max_age = max_age
        self.max_bytes = max_bytes
        self._written: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._puts = 0
        self._bytes = 0

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.bin"

    def put(
        self, key: str, status: int, headers: dict, body: bytes, tokens: dict, digest: str | None = None
    ) -> None:
        """Keep ``body`` for ``key``. ``digest`` names the content when the caller knows it (a tile's
        ETag), which spares hashing large bodies on the hot path."""
        digest = digest or hashlib.blake2b(body, digest_size=16).hexdigest()
        path = self._path(key)
        now = time.time()
        with self._lock:
            last = self._written.get(key)
        if last and last[0] == digest and now - last[1] < REFRESH_SECONDS and path.exists():
            return
        meta = {"key": key, "status": status, "headers": headers, "tokens": tokens, "stored": now}
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
            self._written[key] = (digest, now)
            self._written.move_to_end(key)
            while len(self._written) > self.max_entries:
                self._written.popitem(last=False)
            self._puts += 1
            self._bytes += len(body)
            prune = self._puts % 100 == 0 or self._bytes > self.max_bytes // 8
            if prune:
                self._bytes = 0
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
        """Drop copies older than ``max_age``, then the oldest beyond ``max_entries`` or ``max_bytes``,
        and temporary files left by a worker killed mid-write. Returns how many files went."""
        now = time.time()
        files = []
        for path in self.root.glob("*/*"):
            try:
                st = path.stat()
            except OSError:
                continue
            if path.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:
                    path.unlink(missing_ok=True)
                continue
            files.append((st.st_mtime, st.st_size, path))
        files.sort(reverse=True)  # newest first: keep them
        kept = total = dropped = 0
        for mtime, size, path in files:
            if now - mtime > self.max_age or kept >= self.max_entries or total + size > self.max_bytes:
                path.unlink(missing_ok=True)
                dropped += 1
                continue
            kept += 1
            total += size
        return dropped


def _key() -> str:
    from webmap.i18n import current_language

    query = urllib.parse.urlencode(sorted(request.args.items(multi=True)))
    return f"{current_language()} {request.path}?{query}"


def _known_parameters(endpoint: str) -> bool:
    allowed = {"lang", *STALE_ENDPOINTS.get(endpoint, ())}
    return all(name in allowed for name in request.args)


def _tokens(body: bytes, html: bool) -> dict:
    tokens = {"nonce": g.get("csp_nonce")}
    if html:
        found = _FORM_KEY.search(body.decode(errors="replace"))
        if found:
            tokens["kunci"] = found.group(1)
    return tokens


def _served_stale(meta: dict, body: bytes):
    from webmap.db import mark_failed
    from webmap.security import csp_nonce

    mark_failed()  # nothing of this request may commit
    if meta["headers"].get("Content-Type", "").startswith("text/html"):
        tokens = meta.get("tokens") or {}
        if tokens.get("nonce"):
            body = body.replace(tokens["nonce"].encode(), csp_nonce().encode())
        if tokens.get("kunci"):  # two residents must never share the form's idempotency key
            body = body.replace(tokens["kunci"].encode(), ("form-" + secrets.token_urlsafe(18)).encode())
    response = current_app.response_class(body, status=meta["status"])
    for name, value in meta["headers"].items():
        response.headers[name] = value
    age = max(0, int(time.time() - meta["stored"]))
    response.headers["Age"] = str(age)
    response.headers["X-Sigkel-Stale"] = str(age)
    return response


def _storable(response) -> bool:
    """Only anonymous, complete, successful answers: never one seen through a staff session, whatever
    the template shows today. (Set-Cookie is never kept or replayed: only ``_KEPT_HEADERS`` are.)"""
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
        if _storable(response) and _known_parameters(request.endpoint):
            headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
            body = response.get_data()
            try:
                store.put(
                    _key(),
                    200,
                    headers,
                    body,
                    _tokens(body, response.mimetype == "text/html"),
                    digest=response.headers.get("ETag"),  # a strong tag: same tag, same bytes
                )
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
