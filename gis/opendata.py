"""The open-data catalogue: every public dataset (data/opendata.csv) with its size and last change,
and the analysis runs that may be published. Downloads use gis.io.export in its public form."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.analysis.jobs import _SERVABLE

__all__ = ["datasets", "public_runs"]

COUNT_SECONDS = 60
_COUNTS: dict[tuple, tuple] = {}  # (database, layer) -> (layer version, count, when counted)

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
    changes = conn.execute(
        sa.text("SELECT layer, max(changed_at), sum(version) FROM layer_version GROUP BY layer")
    ).all()
    changed = {layer: at for layer, at, _ in changes}
    versions = {layer: version for layer, _, version in changes}
    database = conn.engine.url.render_as_string(hide_password=True)
    # a transaction that has written sees its own uncommitted rows: neither use nor keep shared counts
    own_writes = conn.execute(sa.text("SELECT txid_current_if_assigned() IS NOT NULL")).scalar()
    for row in rows:
        row["updated"] = changed.get(_CHANGED.get(row["layer"], ""))
        version = versions.get(_CHANGED.get(row["layer"], ""))
        cached = _COUNTS.get((database, row["layer"]))
        if (
            version is None
            or own_writes
            or cached is None
            or cached[0] != version
            or time.monotonic() - cached[2] > COUNT_SECONDS
        ):
            # counted again when the layer changes, or after a minute (a category made private
            # changes what is public without changing the layer)
            count = conn.execute(sa.text(_COUNT[row["layer"]])).scalar_one()
            cached = (version, count, time.monotonic())
            if version is not None and not own_writes:
                _COUNTS[(database, row["layer"])] = cached
        row["count"] = cached[1]
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
