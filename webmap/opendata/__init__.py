"""Open data (/data-terbuka): every public dataset with its description, licence, update date and
downloads (GeoJSON, GeoPackage, CSV), generated from data/opendata.csv and the public analysis runs.

Downloads go through gis.io.export in its public form (published facilities, generalised complaint
points without descriptions), exactly like the OGC API and `sigkel export` without --private.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template

from gis import opendata
from gis.errors import NotFound
from gis.io import export_layer
from webmap.db import get_conn
from webmap.i18n import current_language

__all__ = ["bp", "init_app"]

bp = Blueprint("opendata", __name__, url_prefix="/data-terbuka")
FORMATS = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "csv": "text/csv"}


def _datasets(conn) -> list[dict]:
    return opendata.datasets(conn, current_app.config["SIGKEL_SETTINGS"].data_dir)


@bp.get("/")
def index():
    conn = get_conn()
    return render_template(
        "opendata/index.html",
        datasets=_datasets(conn),
        runs=opendata.public_runs(conn),
        lang=current_language(),
    )


@bp.get("/<dataset>.<fmt>")
def download(dataset: str, fmt: str):
    conn = get_conn()
    found = {d["id"]: d for d in _datasets(conn)}.get(dataset)
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
