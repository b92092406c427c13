"""The layer API: GeoJSON per layer (bbox, kelurahan filter, limit)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from gis.db.queries import MAX_FEATURES, boundary_geojson, parse_bbox
from gis.errors import DataError
from webmap.db import get_conn

__all__ = ["bp", "init_app"]

bp = Blueprint("api", __name__, url_prefix="/api")


def _limit() -> int:
    raw = request.args.get("limit", str(MAX_FEATURES))
    if not raw.isdigit() or int(raw) < 1:
        raise DataError(f"limit must be a positive whole number, got {raw!r}.")
    return int(raw)


@bp.get("/layers/<layer>.geojson")
def layer(layer: str):
    body = boundary_geojson(
        get_conn(),
        layer,
        bbox=parse_bbox(request.args.get("bbox")),
        kelurahan=request.args.get("kelurahan"),
        limit=_limit(),
    )
    response = Response(body, mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
