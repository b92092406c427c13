"""Read queries returning GeoJSON text or plain values; the web layer only serialises them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, NotFound

__all__ = ["BOUNDARY_LAYERS", "boundary_geojson", "map_center", "parse_bbox", "ping"]

# layer -> (FROM clause, properties expression, order). Only public attributes appear here.
BOUNDARY_LAYERS = {
    "kecamatan": (
        "kecamatan x",
        "json_build_object('code', x.code, 'name', x.name, 'label', x.name)",
        "x.code",
    ),
    "kelurahan": (
        "kelurahan x",
        "json_build_object('code', x.code, 'name', x.name, "
        "'kecamatan_code', x.kecamatan_code, 'label', x.name)",
        "x.code",
    ),
    "rw": (
        "rw x JOIN kelurahan k ON k.code = x.kelurahan_code",
        "json_build_object('code', x.code, 'name', x.name, 'kelurahan_code', x.kelurahan_code, "
        "'kelurahan', k.name, 'label', x.name || ' · ' || k.name)",
        "x.code",
    ),
    "rt": (
        "rt x JOIN kelurahan k ON k.code = x.kelurahan_code",
        "json_build_object('code', x.code, 'name', x.name, 'rw_code', x.rw_code, "
        "'kelurahan_code', x.kelurahan_code, 'kelurahan', k.name, 'synthetic', x.synthetic, "
        "'label', x.name || ' · ' || k.name)",
        "x.code",
    ),
}
MAX_FEATURES = 5000


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``W,S,E,N`` in degrees; raise DataError saying what is wrong."""
    if not text:
        return None
    parts = text.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise DataError(f"bbox must be four numbers W,S,E,N, got {text!r}.") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise DataError(f"bbox {text!r} is not W,S,E,N in degrees with W<E and S<N.")
    return west, south, east, north


def boundary_geojson(
    conn: Connection, layer: str, bbox=None, kelurahan: str | None = None, limit: int = MAX_FEATURES
) -> str:
    """A boundary layer as GeoJSON text, assembled in PostGIS.

    Parameters
    ----------
    layer : {'kecamatan', 'kelurahan', 'rw', 'rt'}
    bbox : (W, S, E, N), optional
        Only features intersecting it (uses the GiST index).
    kelurahan : str, optional
        Only features of this kelurahan code.
    limit : int
        At most this many features.
    """
    if layer not in BOUNDARY_LAYERS:
        raise NotFound(f"There is no boundary layer {layer!r}; try one of {sorted(BOUNDARY_LAYERS)}.")
    source, props, order = BOUNDARY_LAYERS[layer]
    where, params = ["TRUE"], {"limit": max(1, min(limit, MAX_FEATURES))}
    if bbox:
        where.append("x.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip("wsen", bbox, strict=True))
    if kelurahan:
        column = "x.code" if layer == "kelurahan" else "x.kelurahan_code"
        where.append(f"{column} = :kel" if layer != "kecamatan" else "x.code = left(:kel, 8)")
        params["kel"] = kelurahan
    sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
                                 coalesce(json_agg(f.feature), '[]'::json))::text
        FROM (SELECT json_build_object('type', 'Feature', 'id', x.code,
                                       'geometry', ST_AsGeoJSON(x.geom, 7)::json,
                                       'properties', {props}) AS feature
              FROM {source} WHERE {" AND ".join(where)} ORDER BY {order} LIMIT :limit) f"""
    return conn.execute(sa.text(sql), params).scalar_one()


def ping(conn: Connection) -> bool:
    """True when the database answers a trivial query."""
    return conn.execute(sa.text("SELECT 1")).scalar_one() == 1


def map_center(conn: Connection) -> tuple[float, float] | None:
    """(lat, lon) of the centre of all kelurahan, or None when none are loaded."""
    row = conn.execute(
        sa.text(
            "SELECT ST_Y(c), ST_X(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) AS c "
            "FROM kelurahan) e WHERE c IS NOT NULL"
        )
    ).first()
    return (row[0], row[1]) if row else None
