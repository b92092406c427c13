"""Public locations of complaints, generalised by their category's privacy rule.

The exact point (``complaint.geom``) is private. ``geom_public`` is what any public output may show:

* ``exact``: the point itself (a broken street light is where it is);
* ``grid``: the centre of the 100 m cell (in the local UTM zone) containing it, for complaints that
  may sit in front of someone's home;
* ``rt``: a point inside the complaint's RT (security reports);
* ``hidden``: nothing; the category is never placed on a public map.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.db.assign import id_scope

__all__ = ["refresh_public_points", "public_point_sql", "GRID_METRES"]

GRID_METRES = 100


def _utm(g: str) -> str:
    """SQL for the WGS 84 UTM zone EPSG code of point ``g`` (works anywhere in Indonesia)."""
    return (
        f"(CASE WHEN ST_Y({g}) >= 0 THEN 32600 ELSE 32700 END "
        f"+ least(floor((ST_X({g}) + 180) / 6)::int + 1, 60))"
    )


def public_point_sql(geom: str, privacy: str, public: str, rt_point: str) -> str:
    """One SQL expression for a complaint's public point, used by every path that writes it.

    Parameters are SQL expressions: the exact point, the category's privacy class and public flag,
    and a point inside the complaint's RT (or NULL when it has no RT).
    """
    utm = _utm(geom)
    projected = f"ST_Transform({geom}, {utm})"
    cell = (
        f"ST_Transform(ST_SetSRID(ST_MakePoint(floor(ST_X({projected}) / {GRID_METRES}) * {GRID_METRES} + "
        f"{GRID_METRES / 2}, floor(ST_Y({projected}) / {GRID_METRES}) * {GRID_METRES} + "
        f"{GRID_METRES / 2}), {utm}), 4326)"
    )
    return (
        f"CASE WHEN NOT {public} THEN NULL WHEN {privacy} = 'exact' THEN {geom} "
        f"WHEN {privacy} = 'rt' AND {rt_point} IS NOT NULL THEN {rt_point} "
        f"WHEN {privacy} IN ('grid', 'rt') THEN {cell} ELSE NULL END"
    )


def refresh_public_points(conn: Connection, ids: list[int] | str | None = None) -> int:
    """Recompute ``geom_public`` for complaints (all, or ``ids``); returns rows updated.

    Complaints of non-public categories, and those the reporter marked *rahasia*, get no public point.
    """
    scope, params = id_scope(ids, "c")
    expression = public_point_sql(
        "c.geom",
        "cat.privacy",
        "(cat.public AND NOT c.confidential)",
        "(SELECT ST_PointOnSurface(rt.geom) FROM rt WHERE rt.code = c.rt_code)",
    )
    sql = (
        f"UPDATE complaint c SET geom_public = {expression} FROM complaint_category cat "
        f"WHERE cat.code = c.category {scope}"
    )
    return conn.execute(sa.text(sql), params).rowcount
