"""Bulk loading: COPY into a temporary staging table, resolve units there, then one upsert.

Every imported row is written to its table once: its RT, RW and kelurahan (and, for complaints, its
public point) are worked out on the staging table first, with the same per-polygon GiST-indexed
join as :mod:`gis.db.assign`, and go in with the upsert. (Writing first and updating after wrote
each row three times, through every index and foreign-key check.)

Staging tables are TEMP (no WAL) and dropped at commit. Everything runs in the caller's transaction.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.complaints.privacy import public_point_sql
from gis.db.assign import UNIT_LEVELS

__all__ = [
    "POINT_SPECS",
    "create_staging",
    "copy_frame",
    "resolve_units",
    "upsert_points",
    "to_copy_text",
    "IDS",
]

POINT_SPECS = {
    "complaint": [
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
    "facility": ["category", "name", "address", "source", "source_id"],
}
_STAGE = "_sigkel_stage"
_UNITS = "_sigkel_stage_units"
IDS = "_sigkel_import_ids"


def _escape(values: pd.Series) -> list[str]:
    """COPY text format: escape backslash, tab, newline and carriage return; None becomes \\N."""
    out = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            out.append("\\N")
        else:
            text = v.isoformat() if hasattr(v, "isoformat") else str(v)
            if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
                text = (
                    text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
                )
            out.append(text)
    return out


def to_copy_text(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """Rows as COPY text: the columns, then the geometry as hex EWKB with SRID 4326."""
    if not len(frame):
        return ""
    parts = [_escape(frame[column]) for column in columns]
    parts.append(shapely.to_wkb(shapely.set_srid(frame.geometry.values, 4326), hex=True, include_srid=True))
    return "\n".join(map("\t".join, zip(*parts, strict=True))) + "\n"


def create_staging(conn: Connection, table: str) -> None:
    """Fresh TEMP tables: the staged rows, their units, and the ids the upsert touched."""
    cols = ", ".join(f"{c} text" for c in POINT_SPECS[table])
    conn.execute(
        sa.text(f"DROP TABLE IF EXISTS {_STAGE}; DROP TABLE IF EXISTS {_UNITS}; DROP TABLE IF EXISTS {IDS}")
    )
    conn.execute(
        sa.text(
            f"CREATE TEMP TABLE {_STAGE} (n bigint GENERATED ALWAYS AS IDENTITY, {cols}, "
            "geom geometry(Point, 4326)) ON COMMIT DROP"
        )
    )
    conn.execute(
        sa.text(
            f"CREATE TEMP TABLE {_UNITS} (n bigint PRIMARY KEY, rt_code text, rw_code text, "
            "kelurahan_code text) ON COMMIT DROP"
        )
    )
    conn.execute(sa.text(f"CREATE TEMP TABLE {IDS} (id bigint PRIMARY KEY, inserted boolean) ON COMMIT DROP"))


def copy_frame(conn: Connection, table: str, frame: gpd.GeoDataFrame) -> int:
    """COPY rows into the staging table (the geometry column parses the hex EWKB); rows written."""
    columns = POINT_SPECS[table]
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


def resolve_units(conn: Connection) -> dict:
    """RT, RW and kelurahan of every staged point, looping over polygons with the GiST index.

    A point on a shared edge goes to the unit with the smallest code, as in gis.db.assign.
    """
    conn.execute(sa.text(f"CREATE INDEX ON {_STAGE} USING gist (geom); ANALYZE {_STAGE}"))
    staged = conn.execute(sa.text(f"SELECT count(*) FROM {_STAGE}")).scalar_one()
    counts = {}
    for level, rt, rw, kel in UNIT_LEVELS:  # a later level fills only what finer ones left
        if conn.execute(sa.text(f"SELECT count(*) FROM {_UNITS}")).scalar_one() == staged:
            counts[level] = 0  # everything already has a finer unit
            continue
        counts[level] = conn.execute(
            sa.text(f"""
            INSERT INTO {_UNITS} (n, rt_code, rw_code, kelurahan_code)
            SELECT DISTINCT ON (s.n) s.n, {rt}, {rw}, {kel}
            FROM {level} CROSS JOIN LATERAL (
                SELECT n FROM {_STAGE} s WHERE ST_Intersects({level}.geom, s.geom)) s
            ORDER BY s.n, {level}.code
            ON CONFLICT (n) DO NOTHING""")
        ).rowcount
    counts["unassigned"] = staged - conn.execute(sa.text(f"SELECT count(*) FROM {_UNITS}")).scalar_one()
    return counts


_RT_POINT = "(SELECT ST_PointOnSurface(rt.geom) FROM rt WHERE rt.code = u.rt_code)"
_UPSERT = {
    "complaint": f"""
        WITH up AS (
            INSERT INTO complaint (ticket, category, description, status, status_reason, created_at,
                                   resolved_at, source, source_id, geom, rt_code, rw_code, kelurahan_code,
                                   geom_public)
            SELECT s.ticket, s.category, s.description, s.status, s.status_reason,
                   coalesce(s.created_at::timestamptz, now()), s.resolved_at::timestamptz, s.source,
                   s.source_id, s.geom, u.rt_code, u.rw_code, u.kelurahan_code,
                   {public_point_sql("s.geom", "cat.privacy", "cat.public", _RT_POINT)}
            FROM {_STAGE} s JOIN complaint_category cat ON cat.code = s.category
            LEFT JOIN {_UNITS} u ON u.n = s.n
            ON CONFLICT (source, source_id) DO UPDATE SET
                category = EXCLUDED.category, description = EXCLUDED.description,
                status = EXCLUDED.status, status_reason = EXCLUDED.status_reason,
                created_at = EXCLUDED.created_at, resolved_at = EXCLUDED.resolved_at,
                geom = EXCLUDED.geom, geom_public = EXCLUDED.geom_public, updated_at = now(),
                rt_code = EXCLUDED.rt_code, rw_code = EXCLUDED.rw_code,
                kelurahan_code = EXCLUDED.kelurahan_code
            RETURNING id, (xmax = 0) AS inserted)
        INSERT INTO {IDS} SELECT id, inserted FROM up""",
    "facility": f"""
        WITH up AS (
            INSERT INTO facility (category, name, address, source, source_id, geom, rt_code, rw_code,
                                  kelurahan_code)
            SELECT s.category, s.name, s.address, s.source, s.source_id, s.geom, u.rt_code, u.rw_code,
                   u.kelurahan_code
            FROM {_STAGE} s LEFT JOIN {_UNITS} u ON u.n = s.n
            ON CONFLICT (source, source_id) DO UPDATE SET
                category = EXCLUDED.category, name = EXCLUDED.name, address = EXCLUDED.address,
                geom = EXCLUDED.geom, updated_at = now(), rt_code = EXCLUDED.rt_code,
                rw_code = EXCLUDED.rw_code, kelurahan_code = EXCLUDED.kelurahan_code
            RETURNING id, (xmax = 0) AS inserted)
        INSERT INTO {IDS} SELECT id, inserted FROM up""",
}


def upsert_points(conn: Connection, table: str) -> tuple[int, int]:
    """Move the staged rows, with their units, into ``table``; returns (inserted, updated).

    The table and the id list are analysed right after: autovacuum may have sampled the table while
    this transaction's rows were invisible to it, and plans built on "0 rows" go quadratic.
    """
    conn.execute(sa.text(_UPSERT[table]))
    conn.execute(sa.text(f"ANALYZE {table}; ANALYZE {IDS}"))
    row = conn.execute(
        sa.text(f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM {IDS}")
    ).one()
    return int(row[0]), int(row[1])
