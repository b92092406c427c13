"""The layer API: GeoJSON per layer, facilities, "what's here", nearest facility, vector tiles."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from gis.db import public, tiles
from gis.db.queries import MAX_FEATURES, boundary_geojson, parse_bbox
from gis.errors import DataError
from webmap.db import get_conn
from webmap.tilecache import TileCache

__all__ = ["bp", "tiles_bp", "init_app"]

bp = Blueprint("api", __name__, url_prefix="/api")
tiles_bp = Blueprint("tiles", __name__, url_prefix="/tiles")


def _int_arg(name: str, default: int, minimum: int = 0) -> int:
    raw = request.args.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < minimum:
        raise DataError(f"{name} must be a whole number ≥ {minimum}, got {raw!r}.")
    return int(raw)


def _geojson(body: str, max_age: int = 300) -> Response:
    response = Response(body, mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


@bp.get("/layers/facilities.geojson")
def facilities():
    categories = [c for c in request.args.get("category", "").split(",") if c]
    body = public.facilities_geojson(
        get_conn(),
        bbox=parse_bbox(request.args.get("bbox")),
        categories=categories,
        query=(request.args.get("q") or "").strip()[:100] or None,
        limit=_int_arg("limit", public.MAX_FACILITIES, 1),
        offset=_int_arg("offset", 0),
    )
    return _geojson(body, max_age=60)


@bp.get("/layers/<layer>.geojson")
def layer(layer: str):
    body = boundary_geojson(
        get_conn(),
        layer,
        bbox=parse_bbox(request.args.get("bbox")),
        kelurahan=request.args.get("kelurahan"),
        limit=_int_arg("limit", MAX_FEATURES, 1),
    )
    return _geojson(body)


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    return jsonify(public.facility_detail(get_conn(), facility_id))


@bp.get("/categories")
def categories():
    return jsonify(public.facility_categories(get_conn()))


@bp.get("/whats-here")
def whats_here():
    lon, lat = public.parse_point(request.args.get("lat"), request.args.get("lon"))
    return jsonify(public.whats_here(get_conn(), lon, lat))


@bp.get("/nearest")
def nearest():
    lon, lat = public.parse_point(request.args.get("lat"), request.args.get("lon"))
    found = public.nearest_facilities(
        get_conn(), lon, lat, request.args.get("category") or None, k=_int_arg("k", 3, 1)
    )
    return jsonify({"lon": lon, "lat": lat, "facilities": found})


@tiles_bp.get("/<layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int):
    tiles.check_tile(layer, z, x, y)
    conn = get_conn()
    version = tiles.layer_versions(conn)[layer]
    etag = f"{layer}-{version}-{z}-{x}-{y}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        cache: TileCache = current_app.extensions["sigkel.tiles"]
        key = (layer, version, z, x, y)
        data = cache.get(key)
        if data is None:
            data = tiles.tile(conn, layer, z, x, y)
            cache.put(key, data)
        response = Response(data, mimetype="application/vnd.mapbox-vector-tile")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


def init_app(app: Flask) -> None:
    app.extensions["sigkel.tiles"] = TileCache(app.config.get("SIGKEL_TILE_CACHE", 4096))
    app.register_blueprint(bp)
    app.register_blueprint(tiles_bp)
