"""Reading stored analysis runs: the servable-run rule, the layer catalogue, a run's output layer."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError

__all__ = ["list_runs", "output_geojson", "read_output"]


# Runs that may be shown: all public categories, or one public category.
_SERVABLE = (
    "(parameters->>'category' IS NULL OR parameters->>'category' IN "
    "(SELECT code FROM complaint_category WHERE public))"
)


def list_runs(
    conn: Connection,
    category: str | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> list[dict]:
    """The layer catalogue: finished runs, newest first, by category and by analysed period
    (runs whose period overlaps [period_from, period_to]; open ends match anything)."""
    rows = (
        conn.execute(
            sa.text(
                "SELECT id, method, parameters, inputs, message, code_version, started_at, finished_at "
                "FROM analysis_run WHERE status = 'done' AND " + _SERVABLE + " "
                "AND (CAST(:cat AS text) IS NULL OR parameters->>'category' = :cat) "
                "AND (CAST(:p0 AS date) IS NULL OR parameters->>'date_to' IS NULL "
                "     OR CAST(parameters->>'date_to' AS date) >= :p0) "
                "AND (CAST(:p1 AS date) IS NULL OR parameters->>'date_from' IS NULL "
                "     OR CAST(parameters->>'date_from' AS date) <= :p1) "
                "ORDER BY id DESC LIMIT 200"
            ),
            {"cat": category, "p0": period_from, "p1": period_to},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def output_geojson(conn: Connection, run_id: int) -> str:
    """A run's output layer as GeoJSON text (properties as stored); runs of non-public categories
    are not served."""
    if not conn.execute(
        sa.text(f"SELECT 1 FROM analysis_run WHERE id = :r AND {_SERVABLE}"), {"r": run_id}
    ).first():
        from gis.errors import NotFound

        raise NotFound(f"There is no analysis run {run_id} to show.")
    text = conn.execute(
        sa.text(
            "SELECT json_build_object('type', 'FeatureCollection', 'run', :r, 'features', "
            "coalesce(json_agg(json_build_object('type', 'Feature', 'id', feature, 'geometry', "
            "ST_AsGeoJSON(geom, 7)::json, 'properties', properties) ORDER BY feature), '[]'::json))::text "
            "FROM analysis_output WHERE run_id = :r"
        ),
        {"r": run_id},
    ).scalar_one()
    if (
        '"features" : []' in text
        and not conn.execute(sa.text("SELECT 1 FROM analysis_run WHERE id = :r"), {"r": run_id}).first()
    ):
        from gis.errors import NotFound

        raise NotFound(f"There is no analysis run {run_id}.")
    return text


def read_output(conn: Connection, run_id: int) -> gpd.GeoDataFrame:
    """A stored output layer as a GeoDataFrame (properties as columns)."""
    rows = conn.execute(
        sa.text(
            "SELECT properties, ST_AsBinary(geom) FROM analysis_output WHERE run_id = :r ORDER BY feature"
        ),
        {"r": run_id},
    ).all()
    if not rows:
        exists = conn.execute(sa.text("SELECT 1 FROM analysis_run WHERE id = :r"), {"r": run_id}).first()
        if not exists:
            raise DataError(f"There is no analysis run {run_id}.")
    return gpd.GeoDataFrame(
        [r[0] for r in rows], geometry=[shapely.from_wkb(bytes(r[1])) for r in rows], crs=4326
    )
