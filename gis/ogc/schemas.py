"""OGC API Features descriptions: collection extents, and the JSON Schemas of features and queryables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.ogc.catalog import Collection, _utc
from gis.ogc.params import CRS84

__all__ = ["TRS", "describe", "feature_schema", "json_type", "queryables"]

TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def describe(conn: Connection, colls: list[Collection], crs_list: list[str]) -> list[dict]:
    """Collection descriptions (without links): extent from PostGIS, CRS list, storage CRS."""
    runs = [c.run_id for c in colls if c.run_id]
    boxes = {
        r.run_id: r
        for r in conn.execute(
            sa.text(
                "SELECT run_id, ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT "
                "run_id, ST_Extent(geom) e FROM analysis_output WHERE run_id = ANY(:r) GROUP BY run_id) s"
            ),
            {"r": runs},
        )
    }
    out = []
    for c in colls:
        row = boxes.get(c.run_id) if c.run_id else _extent(conn, c)
        bbox = [[row.x0, row.y0, row.x1, row.y1]] if row and row.x0 is not None else []
        extent = {"spatial": {"bbox": bbox, "crs": CRS84}}
        period = (row.t0, row.t1) if c.time else c.period
        if period:
            extent["temporal"] = {"interval": [list(period)], "trs": TRS}
        info = {"id": c.id, "title": c.title, "description": c.description, "extent": extent}
        out.append({**info, "itemType": "feature", "crs": crs_list, "storageCrs": CRS84})
    return out


def _extent(conn: Connection, c: Collection):
    t0, t1 = (_utc(f"min({c.time[0]})"), _utc(f"max({c.time[1]})")) if c.time else ("NULL", "NULL")
    return conn.execute(
        sa.text(
            f"SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1, t0, t1 FROM "
            f"(SELECT ST_Extent({c.geom}) e, {t0} t0, {t1} t1 FROM {c.table} WHERE {c.where}) s"
        )
    ).one()


_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date-time": {"type": "string", "format": "date-time"},
    None: {},
}
_DRAFT = "https://json-schema.org/draft/2019-09/schema"


def json_type(kind: str | None) -> dict:
    """The JSON Schema of a property type."""
    return dict(_TYPES[kind])


def feature_schema(coll: Collection, url: str) -> dict:
    """JSON Schema of one GeoJSON feature of the collection (the ``describedby`` link, read by GDAL)."""
    props = {name: {"title": name, **_TYPES[p.type]} for name, p in coll.props.items()}
    return {
        "$schema": _DRAFT,
        "$id": url,
        "title": coll.title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": coll.key_type},
            "geometry": {"$ref": "https://geojson.org/schema/Geometry.json"},
            "properties": {"type": "object", "properties": props},
        },
    }


def queryables(coll: Collection, url: str) -> dict:
    """The properties that may be used as ``?name=value`` filters (equality), as a JSON Schema."""
    props = {n: {"title": n, **_TYPES[coll.props[n].type]} for n in coll.queryables}
    return {"$schema": _DRAFT, "$id": url, "type": "object", "title": coll.title, "properties": props}
