"""gzip for text responses (HTML, JSON, GeoJSON) when the client accepts it: residents on weak
connections download a fifth of the bytes. Files sent with send_file are handled by webmap.static."""

from __future__ import annotations

import gzip

from flask import Flask, request

__all__ = ["init_app", "COMPRESSIBLE", "MIN_BYTES"]

COMPRESSIBLE = {
    "text/html",
    "application/json",
    "application/geo+json",
    "text/css",
    "text/javascript",
    "image/svg+xml",
    "application/xml",
    "text/xml",
    "text/csv",
}
MIN_BYTES = 1024


def _compress(response):
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code >= 300
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
        or "gzip" not in request.headers.get("Accept-Encoding", "")
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    if response.headers.get("ETag"):  # a different representation needs a different tag
        tag, weak = response.get_etag()
        response.set_etag(f"{tag}-gz", weak=weak)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_compress)
