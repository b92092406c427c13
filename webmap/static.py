"""Static files, with pre-compressed ``.gz`` twins served to browsers that accept gzip."""

from __future__ import annotations

import gzip
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_file
from werkzeug.security import safe_join

from gis.basemap import LocalTiles, is_local_basemap

__all__ = ["init_app"]

STATIC = Path(__file__).with_name("static")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def static_file(filename: str):
    path = safe_join(str(STATIC), filename)
    if path is None or not Path(path).is_file():
        abort(404)
    path = Path(path)
    gz = path.with_suffix(path.suffix + ".gz")
    accepts = "gzip" in request.headers.get("Accept-Encoding", "")
    if accepts and not gz.is_file() and path.suffix in _TYPES:
        return _gzipped(path, filename)
    use_gz = gz.is_file() and accepts
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


_GZ_CACHE: dict[tuple[str, float], bytes] = {}


def _gzipped(path: Path, filename: str):
    """Our own CSS/JS/SVG, gzipped once per file version and kept in memory."""
    key = (str(path), path.stat().st_mtime)
    data = _GZ_CACHE.get(key)
    if data is None:
        data = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
        _GZ_CACHE[key] = data
    response = Response(data, mimetype=_TYPES[path.suffix])
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{int(key[1])}-{len(data)}-gz")
    response.cache_control.public = True
    response.cache_control.max_age = 86400 if "/vendor/" in f"/{filename}" else 3600
    return response.make_conditional(request)


def basemap_tile(z: int, x: int, y: int):
    """Tiles of a local basemap (MBTiles or folder), for offices without internet."""
    settings = current_app.config["SIGKEL_SETTINGS"]
    if not is_local_basemap(settings.basemap):
        abort(404)
    found = LocalTiles(settings.basemap).get(z, x, y)
    if found is None:
        abort(404)
    response = Response(found[0], mimetype=found[1])
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 86400
    return response


def favicon():
    return static_file("favicon.svg")


def init_app(app: Flask) -> None:
    app.add_url_rule("/static/<path:filename>", "static", static_file)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    app.add_url_rule("/basemap/<int:z>/<int:x>/<int:y>", "basemap", basemap_tile)
