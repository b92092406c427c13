"""Mapbox vector tiles with ST_AsMVT, in the shape the PostGIS documentation gives.

The tile envelope (EPSG:3857) is expanded by the buffer and transformed to EPSG:4326 for the
``&&`` filter, so the table's GiST index is used; geometries are clipped with extent 4096 and a
64-unit buffer. Complaint points (public, generalised) are aggregated into 64-pixel cells below
zoom 15, so no tile grows with the number of complaints.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, NotFound

__all__ = ["TILE_LAYERS", "tile", "layer_versions", "check_tile", "AGGREGATE_BELOW"]

EXTENT, BUFFER = 4096, 64
AGGREGATE_BELOW = 15
MAX_POINTS = 4000  # more points than this in one tile are aggregated into 128×128 cells
MAX_ZOOM = 22

# layer -> (FROM clause with alias t, geometry expression, property columns)
TILE_LAYERS = {
    "rw": (
        "rw t JOIN kelurahan k ON k.code = t.kelurahan_code",
        "t.geom",
        "t.code, t.name, k.name AS kelurahan",
    ),
    "rt": ("rt t", "t.geom", "t.code, t.name, t.synthetic"),
    "kelurahan": ("kelurahan t", "t.geom", "t.code, t.name"),
    "facilities": ("facility t WHERE t.public", "t.geom", "t.id, t.name, t.category"),
    "complaints": (
        "complaint t JOIN complaint_category c ON c.code = t.category "
        "WHERE c.public AND NOT t.confidential AND t.geom_public IS NOT NULL",
        "t.geom_public",
        "t.ticket, t.category, t.status",
    ),
}
# tiled layer -> the tables whose changes alter its tiles
_DEPENDS = {
    "rw": ("rw", "kelurahan"),
    "rt": ("rt",),
    "kelurahan": ("kelurahan",),
    "facilities": ("facility",),
    "complaints": ("complaint", "complaint_category"),
}


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    if layer not in TILE_LAYERS:
        raise NotFound(f"No tile layer {layer!r}; layers: {', '.join(TILE_LAYERS)}.")
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise DataError(f"Tile {z}/{x}/{y} does not exist (0 ≤ x, y < 2^z, z ≤ {MAX_ZOOM}).")


def layer_versions(conn: Connection) -> dict[str, str]:
    """A change token per tiled layer: the change counters of the tables it depends on, and the
    time of the latest change (so tokens do not repeat when a database is rebuilt)."""
    rows = {
        r.layer: r
        for r in conn.execute(
            sa.text(
                "SELECT layer, sum(version) AS version, max(changed_at) AS changed_at FROM layer_version "
                "GROUP BY layer"
            )
        )
    }
    tokens = {}
    for name, tables in _DEPENDS.items():
        found = [rows[t] for t in tables if t in rows]
        counts = ".".join(str(rows[t].version) if t in rows else "0" for t in tables)
        latest = max((int(r.changed_at.timestamp()) for r in found), default=0)
        tokens[name] = f"{counts}.{latest}"
    return tokens


def _count_over(conn, source, joiner, geom, bounds, params, limit: int = MAX_POINTS) -> bool:
    """True when the tile holds more than ``limit`` points (stops counting at limit + 1)."""
    sql = f"""WITH {bounds} SELECT count(*) FROM (SELECT 1 FROM bounds, {source}{joiner}
              {geom} && bounds.g4326 LIMIT :limit) hits"""
    return conn.execute(sa.text(sql), {**params, "limit": limit + 1}).scalar_one() > limit


def tile(conn: Connection, layer: str, z: int, x: int, y: int) -> bytes:
    """One tile as MVT bytes (empty bytes when nothing is there)."""
    check_tile(layer, z, x, y)
    source, geom, props = TILE_LAYERS[layer]
    joiner = " AND " if " WHERE " in source else " WHERE "
    params = {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER, "layer": layer}
    bounds = """bounds AS (
        SELECT ST_TileEnvelope(:z, :x, :y) AS g3857,
               ST_Transform(ST_Expand(ST_TileEnvelope(:z, :x, :y),
                   (ST_XMax(ST_TileEnvelope(:z, :x, :y)) - ST_XMin(ST_TileEnvelope(:z, :x, :y)))
                   * :buffer / :extent), 4326) AS g4326)"""
    aggregate = False
    if layer == "complaints":
        # Aggregate at low zoom, and at any zoom where the tile holds too many points to send one
        # by one (with 100k+ complaints a z15-z17 tile reached megabytes): no tile grows with the
        # number of complaints.
        aggregate = z < AGGREGATE_BELOW or _count_over(conn, source, joiner, geom, bounds, params)
        params["cells"] = 64 if z < AGGREGATE_BELOW else 128
    if aggregate:
        sql = f"""WITH {bounds},
            pts AS (SELECT ST_Transform({geom}, 3857) AS g, t.category
                    FROM bounds, {source}{joiner}{geom} && bounds.g4326),
            cells AS (
                SELECT count(*) AS n, mode() WITHIN GROUP (ORDER BY category) AS category,
                       ST_SetSRID(ST_MakePoint(avg(ST_X(g)), avg(ST_Y(g))), 3857) AS g
                FROM pts, bounds
                GROUP BY floor((ST_X(g) - ST_XMin(bounds.g3857)) / ((ST_XMax(bounds.g3857)
                             - ST_XMin(bounds.g3857)) / :cells)),
                         floor((ST_Y(g) - ST_YMin(bounds.g3857)) / ((ST_YMax(bounds.g3857)
                             - ST_YMin(bounds.g3857)) / :cells))),
            mvt AS (SELECT ST_AsMVTGeom(cells.g, bounds.g3857, :extent, :buffer, true) AS geom,
                           n, category FROM cells, bounds)
            SELECT ST_AsMVT(mvt.*, :layer, :extent, 'geom') FROM mvt WHERE geom IS NOT NULL"""
    else:
        sql = f"""WITH {bounds},
            mvt AS (
                SELECT ST_AsMVTGeom(ST_Transform({geom}, 3857), bounds.g3857, :extent, :buffer,
                                    true) AS geom, {props}
                FROM bounds, {source}{joiner}{geom} && bounds.g4326)
            SELECT ST_AsMVT(mvt.*, :layer, :extent, 'geom') FROM mvt WHERE geom IS NOT NULL"""
    data = conn.execute(sa.text(sql), params).scalar()
    return bytes(data) if data else b""
