"""The open-data catalogue: every public dataset (data/opendata.csv) with its size and last change,
and the analysis runs that may be published. Downloads use gis.io.export in its public form."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.analysis.jobs import _SERVABLE

__all__ = ["datasets", "public_runs"]

# the table whose layer_version says when a dataset last changed
_CHANGED = {
    "kelurahan": "kelurahan",
    "rw": "rw",
    "rt": "rt",
    "facilities": "facility",
    "complaints": "complaint",
}
# what the public export of each layer holds (gis.io.export without --private)
_COUNT = {
    "kelurahan": "SELECT count(*) FROM kelurahan",
    "rw": "SELECT count(*) FROM rw",
    "rt": "SELECT count(*) FROM rt",
    "facilities": "SELECT count(*) FROM facility WHERE public",
    "population": "SELECT count(*) FROM population",
    "complaints": "SELECT count(*) FROM complaint c JOIN complaint_category cat ON cat.code = c.category "
    "WHERE cat.public AND NOT c.confidential AND c.geom_public IS NOT NULL",
}


def datasets(conn: Connection, data_dir: Path) -> list[dict]:
    """The rows of data/opendata.csv, each with ``count`` and ``updated`` (None when unknown)."""
    with (Path(data_dir) / "opendata.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    changed = dict(
        conn.execute(sa.text("SELECT layer, max(changed_at) FROM layer_version GROUP BY layer")).all()
    )
    for row in rows:
        row["updated"] = changed.get(_CHANGED.get(row["layer"], ""))
        row["count"] = conn.execute(sa.text(_COUNT[row["layer"]])).scalar_one()
    return rows


def public_runs(conn: Connection, limit: int = 200) -> list[dict]:
    """Finished runs the planner pages may serve (no non-public complaint category), newest first."""
    rows = conn.execute(
        sa.text(
            "SELECT id, method, kelurahan_code, message, parameters, finished_at FROM analysis_run "
            f"WHERE status = 'done' AND {_SERVABLE} ORDER BY finished_at DESC NULLS LAST LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    return [dict(r) for r in rows]
