"""The analysis runs a planner may see: :func:`list_layers` (filtered, newest first) and
:func:`servable_run` (one run, any status).

Only runs whose outputs may be shown to anyone are listed or read (all public complaint categories,
or one public category; the planning jobs use population and public facilities).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, NotFound
from gis.planning.catalogue.labels import METHODS

__all__ = ["list_layers", "servable_run"]

# Runs that may be shown: all public categories, or one public category (as gis.analysis.jobs).
_SERVABLE = (
    "(r.parameters->>'category' IS NULL OR r.parameters->>'category' IN "
    "(SELECT code FROM complaint_category WHERE public))"
)
# The analysed period of a run: its complaint dates, or the population year of a planning run.
_PERIOD_FROM = (
    "coalesce(CAST(r.parameters->>'date_from' AS date), "
    "make_date(CAST(coalesce(r.inputs->>'year', r.parameters->>'year') AS int), 1, 1))"
)
_PERIOD_TO = (
    "coalesce(CAST(r.parameters->>'date_to' AS date), "
    "make_date(CAST(coalesce(r.inputs->>'year', r.parameters->>'year') AS int), 12, 31))"
)


def list_layers(
    conn: Connection,
    method: str | None = None,
    category: str | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    status: str | None = None,
    limit: int = 300,
) -> list[dict]:
    """Analysis runs, newest first, with ``label``, ``description``, ``period`` and ``fields``.

    ``category`` matches a run's complaint category or facility type; the period filter keeps runs
    whose analysed period overlaps [period_from, period_to] (an open end matches anything).
    """
    if method is not None and method not in METHODS:
        raise DataError(f"Metode tidak dikenal: {method!r}.", f"Metode: {', '.join(METHODS)}.")
    if status is not None and status not in ("running", "done", "failed"):
        raise DataError(f"Status tidak dikenal: {status!r}.")
    rows = (
        conn.execute(
            sa.text(
                f"SELECT r.id, r.method, r.kelurahan_code, k.name AS kelurahan_name, r.parameters, "
                f"r.inputs, r.status, r.message, r.code_version, r.timings, r.started_at, r.finished_at, "
                f"{_PERIOD_FROM} AS period_from, {_PERIOD_TO} AS period_to "
                f"FROM analysis_run r LEFT JOIN kelurahan k ON k.code = r.kelurahan_code "
                f"WHERE {_SERVABLE} "
                "AND (CAST(:method AS text) IS NULL OR r.method = :method) "
                "AND (CAST(:status AS text) IS NULL OR r.status = :status) "
                "AND (CAST(:cat AS text) IS NULL OR r.parameters->>'category' = :cat "
                "     OR (r.method IN ('coverage', 'accessibility', 'deficit', 'siting') "
                "         AND r.parameters->>'facility_type' = :cat)) "
                f"AND (CAST(:p0 AS date) IS NULL OR {_PERIOD_TO} IS NULL OR {_PERIOD_TO} >= :p0) "
                f"AND (CAST(:p1 AS date) IS NULL OR {_PERIOD_FROM} IS NULL OR {_PERIOD_FROM} <= :p1) "
                "ORDER BY r.id DESC LIMIT :limit"
            ),
            {
                "method": method,
                "status": status,
                "cat": category,
                "p0": period_from,
                "p1": period_to,
                "limit": limit,
            },
        )
        .mappings()
        .all()
    )
    out = []
    for row in rows:
        run = dict(row)
        label, description = METHODS.get(run["method"], (run["method"], ""))
        run["label"], run["description"] = label, description
        out.append(run)
    return out


def servable_run(conn: Connection, run_id: int) -> dict:
    """A run that may be shown (any status), or NotFound."""
    row = (
        conn.execute(
            sa.text(
                "SELECT r.id, r.method, r.kelurahan_code, k.name AS kelurahan_name, r.parameters, r.inputs, "
                "r.status, r.message, r.code_version, r.timings, r.started_at, r.finished_at, "
                "extract(epoch FROM coalesce(r.finished_at, now()) - r.started_at) AS elapsed_s "
                f"FROM analysis_run r LEFT JOIN kelurahan k ON k.code = r.kelurahan_code WHERE r.id = :r "
                f"AND {_SERVABLE}"
            ),
            {"r": run_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Tidak ada run analisis {run_id} / there is no analysis run {run_id}.")
    run = dict(row)
    run["label"], run["description"] = METHODS.get(run["method"], (run["method"], ""))
    run["elapsed_s"] = float(run["elapsed_s"] or 0.0)
    return run
