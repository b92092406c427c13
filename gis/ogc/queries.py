"""OGC API Features queries: a page of features, or one feature, assembled as GeoJSON in PostGIS."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import NotFound
from gis.ogc.catalog import Collection
from gis.ogc.params import CRS84, Query, _epsg, _geom_out

__all__ = ["Page", "item", "items"]


@dataclass
class Page:
    """One page of features: the GeoJSON array as text, and the counts."""

    features: str
    matched: int
    returned: int


def _envelope(epsg: int, across: bool) -> str:
    if across:  # west > east in degrees: a box across the antimeridian, as two boxes
        return (
            "ST_Collect(ST_MakeEnvelope(:bx0, :by0, 180, :by1, 4326), "
            "ST_MakeEnvelope(-180, :by0, :bx1, :by1, 4326))"
        )
    if epsg == 4326:
        return "ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)"
    # a projected box has curved sides in degrees: segmentise (25 m) before transforming
    return f"ST_Transform(ST_Segmentize(ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, {epsg}), 25), 4326)"


def _where(coll: Collection, q: Query) -> tuple[str, dict]:
    where, params = [f"({coll.where})"], {}
    if q.bbox:
        epsg, (x0, y0, x1, y1) = _epsg(q.bbox_crs), q.bbox
        if q.bbox_crs != CRS84 and epsg == 4326:  # latitude first
            x0, y0, x1, y1 = y0, x0, y1, x1
        params.update(bx0=x0, by0=y0, bx1=x1, by1=y1)
        where.append(f"ST_Intersects({coll.geom}, {_envelope(epsg, epsg == 4326 and x0 > x1)})")
    if q.interval and coll.time:  # features without a time match any datetime (Req. 25 C)
        start, end = q.interval
        if end is not None:
            where.append(f"{coll.time[0]} <= :t1")
            params["t1"] = end
        if start is not None:
            where.append(f"{coll.time[1]} >= :t0")
            params["t0"] = start
    for i, (name, value) in enumerate(q.filters.items()):
        where.append(f"{coll.props[name].expr} = :p{i}")
        params[f"p{i}"] = value
    return " AND ".join(where), params


def _feature(coll: Collection, crs: str) -> str:
    geom, digits = _geom_out(coll.geom, crs)
    return (
        f"json_build_object('type', 'Feature', 'id', {coll.key}, "
        f"'geometry', ST_AsGeoJSON({geom}, {digits}, 0)::json, 'properties', {coll.properties_json()})"
    )


def items(conn: Connection, coll: Collection, q: Query) -> Page:
    """A page of features in a stable order (by id), with numberMatched for the whole filter."""
    where, params = _where(coll, q)
    sql = f"""
        SELECT (SELECT count(*) FROM {coll.table} WHERE {where}) AS matched, count(s.f) AS returned,
               coalesce(json_agg(s.f ORDER BY s.k), '[]'::json)::text AS features
        FROM (SELECT {_feature(coll, q.crs)} AS f, {coll.key} AS k FROM {coll.table} WHERE {where}
              ORDER BY {coll.key} LIMIT :limit OFFSET :offset) s"""
    row = conn.execute(sa.text(sql), {**params, "limit": q.limit, "offset": q.offset}).one()
    return Page(row.features, row.matched, row.returned)


def item(conn: Connection, coll: Collection, feature_id: str, crs: str = CRS84) -> str:
    """One feature as GeoJSON text; NotFound when it does not exist or is not public."""
    found = None
    if coll.key_type == "string" or re.fullmatch(r"[0-9]{1,12}", feature_id):
        value = int(feature_id) if coll.key_type == "integer" else feature_id
        sql = (
            f"SELECT {_feature(coll, crs)}::text FROM {coll.table} WHERE ({coll.where}) AND {coll.key} = :id"
        )
        found = conn.execute(sa.text(sql), {"id": value}).scalar()
    if found is None:
        raise NotFound(f"Fitur {feature_id!r} tidak ada di {coll.id} / no such feature in {coll.id}.")
    return found
