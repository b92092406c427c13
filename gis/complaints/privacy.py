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

__all__ = ["refresh_public_points", "GRID_METRES"]

GRID_METRES = 100

# UTM zone of each point computed in SQL so that the rule works anywhere in Indonesia.
_SQL = """
WITH src AS (
    SELECT c.id, cat.privacy, c.geom, c.rt_code,
           CASE WHEN ST_Y(c.geom) >= 0 THEN 32600 ELSE 32700 END
             + least(floor((ST_X(c.geom) + 180) / 6)::int + 1, 60) AS utm
    FROM complaint c JOIN complaint_category cat ON cat.code = c.category
    WHERE cat.public {scope}
), grid AS (
    SELECT id, ST_Transform(ST_SetSRID(ST_MakePoint(
               floor(ST_X(q) / :cell) * :cell + :cell / 2.0,
               floor(ST_Y(q) / :cell) * :cell + :cell / 2.0), utm), 4326) AS g
    FROM (SELECT id, utm, ST_Transform(geom, utm) AS q FROM src) projected
)
UPDATE complaint c SET geom_public = CASE src.privacy
        WHEN 'exact' THEN src.geom
        WHEN 'grid' THEN grid.g
        WHEN 'rt' THEN coalesce(
            (SELECT ST_PointOnSurface(rt.geom) FROM rt WHERE rt.code = src.rt_code), grid.g)
        ELSE NULL END
FROM src JOIN grid USING (id)
WHERE c.id = src.id
"""


def refresh_public_points(conn: Connection, ids: list[int] | str | None = None) -> int:
    """Recompute ``geom_public`` for complaints (all, or ``ids``); returns rows updated.

    Complaints of non-public categories get no public point at all.
    """
    scope, params = id_scope(ids, "c")
    params["cell"] = GRID_METRES
    hidden = (
        "UPDATE complaint c SET geom_public = NULL FROM complaint_category cat "
        f"WHERE cat.code = c.category AND NOT cat.public {scope}"
    )
    conn.execute(sa.text(hidden), params)
    return conn.execute(sa.text(_SQL.format(scope=scope)), params).rowcount
