"""Open data (/data-terbuka): every public dataset with its description, licence, update date and
downloads (GeoJSON, GeoPackage, CSV), generated from data/opendata.csv and the public analysis runs.

Downloads go through gis.io.export in its public form (published facilities, generalised complaint
points without descriptions), exactly like the OGC API and `sigkel export` without --private.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, render_template

from gis.errors import NotFound
from gis.io import export_layer
from webmap.db import get_conn
from webmap.i18n import current_language

__all__ = ["bp", "init_app", "datasets"]

bp = Blueprint("opendata", __name__, url_prefix="/data-terbuka")
FORMATS = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "csv": "text/csv"}
# table whose layer_version tells when a dataset last changed
CHANGED = {
    "kelurahan": "kelurahan",
    "rw": "rw",
    "rt": "rt",
    "facilities": "facility",
    "complaints": "complaint",
}


def datasets(conn) -> list[dict]:
    path = Path(current_app.config["SIGKEL_SETTINGS"].data_dir) / "opendata.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    changed = dict(
        conn.execute(sa.text("SELECT layer, max(changed_at) FROM layer_version GROUP BY layer")).all()
    )
    for row in rows:
        row["updated"] = changed.get(CHANGED.get(row["layer"], ""))
        row["count"] = _count(conn, row["layer"])
    return rows


def _count(conn, layer: str) -> int:
    sql = {
        "kelurahan": "SELECT count(*) FROM kelurahan",
        "rw": "SELECT count(*) FROM rw",
        "rt": "SELECT count(*) FROM rt",
        "facilities": "SELECT count(*) FROM facility WHERE public",
        "population": "SELECT count(*) FROM population",
        "complaints": "SELECT count(*) FROM complaint c JOIN complaint_category cat ON cat.code = c.category "
        "WHERE cat.public AND NOT c.confidential AND c.geom_public IS NOT NULL",
    }[layer]
    return conn.execute(sa.text(sql)).scalar_one()


def _public_runs(conn) -> list[dict]:
    """Runs the planner pages may serve (the same rule as gis.analysis.jobs.list_runs: no run of a
    non-public complaint category), newest first."""
    rows = conn.execute(
        sa.text("""SELECT id, method, kelurahan_code, message, parameters, finished_at FROM analysis_run
                   WHERE status = 'done' AND (parameters->>'category' IS NULL OR parameters->>'category' IN
                         (SELECT code FROM complaint_category WHERE public))
                   ORDER BY finished_at DESC NULLS LAST LIMIT 200""")
    ).mappings()
    return [dict(r) for r in rows]


@bp.get("/")
def index():
    conn = get_conn()
    return render_template(
        "opendata/index.html", datasets=datasets(conn), runs=_public_runs(conn), lang=current_language()
    )


@bp.get("/<dataset>.<fmt>")
def download(dataset: str, fmt: str):
    conn = get_conn()
    found = {d["id"]: d for d in datasets(conn)}.get(dataset)
    if found is None or fmt not in FORMATS:
        raise NotFound(f"Dataset {dataset!r} dalam format {fmt!r} tidak ada / no such download.")
    with tempfile.TemporaryDirectory(prefix="sigkel-open-") as tmp:
        out = Path(tmp) / f"{dataset}.{fmt}"
        export_layer(conn, found["layer"], fmt, out)
        body = out.read_bytes()
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="sigkel-{dataset}.{fmt}"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
