"""Idempotent writes: upsert rows by natural key (re-importing never duplicates)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

__all__ = ["upsert", "frame_rows"]

_BATCH = 1000


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # numpy scalar -> Python
    return value


def frame_rows(frame: pd.DataFrame, columns: Sequence[str], json_columns: Sequence[str] = ()):
    """Rows of ``frame`` as dicts for ``columns``; geometry as hex EWKB with SRID 4326."""
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    # Hex EWKB keeps every bit of the coordinates (to_wkt rounds to 6 decimals by default).
    geoms = (
        shapely.to_wkb(shapely.set_srid(frame.geometry.values, 4326), hex=True, include_srid=True)
        if is_geo
        else None
    )
    for i, (_, row) in enumerate(frame.iterrows()):
        out = {c: _clean(row[c]) for c in columns if c != "geom"}
        for c in json_columns:
            if isinstance(out.get(c), str):
                out[c] = json.loads(out[c])
        if is_geo:
            out["geom"] = geoms[i]
        yield out


def upsert(
    conn: Connection, table: sa.Table, rows: Iterable[dict], key: Sequence[str], returning: Sequence[str] = ()
) -> list:
    """Insert rows, updating the other columns where ``key`` already exists.

    Returns the ``returning`` columns plus ``inserted`` (True for new rows) per row, in order.
    """
    out = []
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            out += _upsert_batch(conn, table, batch, key, returning)
            batch = []
    if batch:
        out += _upsert_batch(conn, table, batch, key, returning)
    return out


def _upsert_batch(conn, table, batch, key, returning):
    stmt = insert(table).values(batch)
    update = {c: stmt.excluded[c] for c in batch[0] if c not in key}
    if "updated_at" in table.c:
        update["updated_at"] = sa.func.now()
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=update)
    if returning:
        # xmax = 0 only for a row version this statement inserted (not updated).
        stmt = stmt.returning(
            *(table.c[c] for c in returning), sa.literal_column("(xmax = 0)").label("inserted")
        )
        return list(conn.execute(stmt))
    conn.execute(stmt)
    return []
