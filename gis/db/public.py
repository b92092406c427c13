"""Queries behind the public map: facilities, "what's here", nearest facility. Public data only.

Distances are geodesic metres (``geography``); candidates come from the GiST index with the KNN
operator ``<->`` and are then ordered by true distance.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.crs import check_lonlat
from gis.errors import DataError, NotFound

__all__ = [
    "facility_categories",
    "facilities_geojson",
    "whats_here",
    "nearest_facilities",
    "facility_detail",
    "parse_point",
    "MAX_FACILITIES",
]

MAX_FACILITIES = 2000
_PROPS = """json_build_object(
    'id', f.id, 'name', f.name, 'category', f.category, 'category_id', c.name_id,
    'category_en', c.name_en, 'group', c.group_code, 'icon', c.icon, 'address', f.address,
    'hours', f.attributes->>'jam_buka', 'contact', f.attributes->>'kontak',
    'services', f.attributes->'layanan', 'synthetic', f.synthetic,
    'kelurahan_code', f.kelurahan_code, 'rw_code', f.rw_code)"""


def parse_point(lat: str | None, lon: str | None) -> tuple[float, float]:
    """(lon, lat) from query parameters, refusing junk and places outside Indonesia."""
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise DataError("lat and lon must be numbers in degrees, e.g. lat=-6.18&lon=106.87.") from None
    if lat_f != lat_f or lon_f != lon_f:  # NaN
        raise DataError("lat and lon must be numbers, not NaN.")
    check_lonlat(lon_f, lat_f, "lat/lon")
    return lon_f, lat_f


def facility_categories(conn: Connection) -> list[dict]:
    """Categories that have public facilities, with their counts, for the legend and toggles."""
    rows = (
        conn.execute(
            sa.text(
                "SELECT c.code, c.name_id, c.name_en, c.group_code, c.icon, count(f.id) AS n "
                "FROM facility_category c JOIN facility f ON f.category = c.code AND f.public "
                "GROUP BY c.code ORDER BY c.group_code, c.name_id"
            )
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def facilities_geojson(
    conn: Connection,
    bbox=None,
    categories: list[str] | None = None,
    query: str | None = None,
    limit: int = MAX_FACILITIES,
    offset: int = 0,
) -> str:
    """Public facilities as GeoJSON text, filtered and paged; ``numberMatched`` gives the total."""
    where, params = ["f.public"], {"limit": max(1, min(limit, MAX_FACILITIES)), "offset": max(0, offset)}
    if bbox:
        where.append("f.geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip("wsen", bbox, strict=True))
    if categories:
        where.append("f.category = ANY(:cats)")
        params["cats"] = list(categories)
    if query:
        where.append("(f.name ILIKE :q OR f.address ILIKE :q OR c.name_id ILIKE :q)")
        params["q"] = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = f"""
        WITH hit AS (
            SELECT f.*, c.name_id, c.name_en, c.group_code, c.icon FROM facility f
            JOIN facility_category c ON c.code = f.category
            WHERE {" AND ".join(where)}),
        page AS (SELECT * FROM hit ORDER BY name, id LIMIT :limit OFFSET :offset)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'numberMatched', (SELECT count(*) FROM hit),
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', f.id,
                'geometry', ST_AsGeoJSON(f.geom, 7)::json,
                'properties', {_PROPS}) ORDER BY f.name, f.id), '[]'::json))::text
        FROM page f JOIN facility_category c ON c.code = f.category"""
    return conn.execute(sa.text(sql), params).scalar_one()


def facility_detail(conn: Connection, facility_id: int) -> dict:
    row = conn.execute(
        sa.text(
            f"SELECT {_PROPS} AS p, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM facility f "
            "JOIN facility_category c ON c.code = f.category WHERE f.id = :id AND f.public"
        ),
        {"id": facility_id},
    ).first()
    if row is None:
        raise NotFound(f"No public facility {facility_id}.")
    return {**row.p, "lon": row.lon, "lat": row.lat}


def nearest_facilities(
    conn: Connection, lon: float, lat: float, category: str | None = None, k: int = 3
) -> list[dict]:
    """The ``k`` nearest public facilities (optionally of one category), nearest first."""
    where = "f.public" + (" AND f.category = :cat" if category else "")
    rows = (
        conn.execute(
            sa.text(f"""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
        candidates AS (
            SELECT f.*, c.name_id, c.name_en FROM facility f JOIN facility_category c
              ON c.code = f.category, p
            WHERE {where} ORDER BY f.geom <-> p.g LIMIT :k * 4)
        SELECT f.id, f.name, f.category, f.name_id AS category_id, f.name_en AS category_en,
               f.address, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
               ST_Distance(f.geom::geography, p.g::geography) AS distance_m
        FROM candidates f, p ORDER BY distance_m, f.id LIMIT :k"""),
            {"lon": lon, "lat": lat, "k": max(1, min(k, 20)), "cat": category},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def whats_here(conn: Connection, lon: float, lat: float) -> dict:
    """Kelurahan, RW and RT at a point, and the nearest public facility of each category."""
    units = conn.execute(
        sa.text("""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT (SELECT json_build_object('code', k.code, 'name', k.name) FROM kelurahan k, p
                  WHERE ST_Intersects(k.geom, p.g) ORDER BY k.code LIMIT 1) AS kelurahan,
               (SELECT json_build_object('code', w.code, 'name', w.name) FROM rw w, p
                  WHERE ST_Intersects(w.geom, p.g) ORDER BY w.code LIMIT 1) AS rw,
               (SELECT json_build_object('code', t.code, 'name', t.name, 'synthetic', t.synthetic)
                  FROM rt t, p WHERE ST_Intersects(t.geom, p.g) ORDER BY t.code LIMIT 1) AS rt"""),
        {"lon": lon, "lat": lat},
    ).one()
    nearest = (
        conn.execute(
            sa.text("""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT c.code AS category, c.name_id AS category_id, c.name_en AS category_en, n.*
        FROM facility_category c CROSS JOIN LATERAL (
            SELECT f.id, f.name, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
                   ST_Distance(f.geom::geography, p.g::geography) AS distance_m
            FROM facility f, p WHERE f.public AND f.category = c.code
            ORDER BY f.geom <-> p.g LIMIT 1) n
        ORDER BY n.distance_m"""),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .all()
    )
    return {
        "lon": lon,
        "lat": lat,
        "kelurahan": units.kelurahan,
        "rw": units.rw,
        "rt": units.rt,
        "nearest": [dict(r) for r in nearest],
    }


def to_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=float)
