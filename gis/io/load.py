"""Bulk loading: COPY into a temporary staging table, then upsert by natural key in one statement.

The staging table is TEMP (no WAL, dropped at commit); the upsert records the ids it touched in a
second temp table that scopes the spatial assignment. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["POINT_SPECS", "create_staging", "copy_frame", "upsert_points", "to_copy_text"]

# table -> (natural key, staged text columns, columns reset on update)
POINT_SPECS = {
    "complaint": (
        ("source", "source_id"),
        [
            "ticket",
            "category",
            "description",
            "status",
            "status_reason",
            "created_at",
            "resolved_at",
            "source",
            "source_id",
        ],
    ),
    "facility": (("source", "source_id"), ["category", "name", "address", "source", "source_id"]),
}
_STAGE = "_sigkel_stage"
IDS = "_sigkel_import_ids"


def _escape(values: pd.Series) -> pd.Series:
    """COPY text format: escape backslash, tab, newline and carriage return; None becomes \\N."""
    text = values.astype(object).where(values.notna(), None)
    return text.map(
        lambda v: (
            "\\N"
            if v is None
            else str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        )
    )


def to_copy_text(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """Rows as COPY text: the columns, then the geometry as hex EWKB with SRID 4326."""
    parts = []
    for column in columns:
        series = frame[column]
        if (
            pd.api.types.is_datetime64_any_dtype(series)
            or series.map(lambda v: hasattr(v, "isoformat")).any()
        ):
            series = series.map(lambda v: v.isoformat() if v is not None and not pd.isna(v) else None)
        parts.append(_escape(series).to_numpy())
    geoms = shapely.set_srid(frame.geometry.values, 4326)
    parts.append(shapely.to_wkb(geoms, hex=True, include_srid=True))
    if not len(frame):
        return ""
    return "\n".join(map("\t".join, zip(*parts, strict=True))) + "\n"


def create_staging(conn: Connection, table: str) -> None:
    """A fresh TEMP staging table for ``table`` and the id list of the rows an upsert touched."""
    _, columns = POINT_SPECS[table]
    cols = ", ".join(f"{c} text" for c in columns)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {_STAGE}; DROP TABLE IF EXISTS {IDS}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {_STAGE} ({cols}, geom text) ON COMMIT DROP"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {IDS} (id bigint PRIMARY KEY, inserted boolean) ON COMMIT DROP"))


def copy_frame(conn: Connection, table: str, frame: gpd.GeoDataFrame) -> int:
    """COPY rows into the staging table; returns rows written."""
    _, columns = POINT_SPECS[table]
    text = to_copy_text(frame, columns)
    if not text:
        return 0
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {_STAGE} ({', '.join(columns)}, geom) FROM STDIN") as copy,
    ):
        copy.write(text)
    return len(frame)


_UPSERT = {
    "complaint": """
        WITH up AS (
            INSERT INTO complaint (ticket, category, description, status, status_reason, created_at,
                                   resolved_at, source, source_id, geom)
            SELECT ticket, category, description, status, status_reason,
                   coalesce(created_at::timestamptz, now()), resolved_at::timestamptz, source,
                   source_id, geom::geometry
            FROM {stage}
            ON CONFLICT (source, source_id) DO UPDATE SET
                category = EXCLUDED.category, description = EXCLUDED.description,
                status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
                created_at = EXCLUDED.created_at, resolved_at = EXCLUDED.resolved_at,
                geom = EXCLUDED.geom, updated_at = now(),
                rt_code = NULL, rw_code = NULL, kelurahan_code = NULL
            RETURNING id, (xmax = 0) AS inserted)
        INSERT INTO {ids} SELECT id, inserted FROM up""",
    "facility": """
        WITH up AS (
            INSERT INTO facility (category, name, address, source, source_id, geom)
            SELECT category, name, address, source, source_id, geom::geometry FROM {stage}
            ON CONFLICT (source, source_id) DO UPDATE SET
                category = EXCLUDED.category, name = EXCLUDED.name, address = EXCLUDED.address,
                geom = EXCLUDED.geom, updated_at = now(),
                rt_code = NULL, rw_code = NULL, kelurahan_code = NULL
            RETURNING id, (xmax = 0) AS inserted)
        INSERT INTO {ids} SELECT id, inserted FROM up""",
}


def upsert_points(conn: Connection, table: str) -> tuple[int, int]:
    """Move the staged rows into ``table``; returns (inserted, updated)."""
    conn.execute(sa.text(_UPSERT[table].format(stage=_STAGE, ids=IDS)))
    row = conn.execute(
        sa.text(f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM {IDS}")
    ).one()
    return int(row[0]), int(row[1])
