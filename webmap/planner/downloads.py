"""A layer's GeoJSON for the maps, and the files to keep: a run's output or a base layer, as GeoJSON,
GeoPackage, zipped Shapefile or CSV."""

from __future__ import annotations

import io

from flask import Response, redirect, request, send_file, url_for
from flask_babel import gettext as _

from gis.analysis import jobs
from gis.errors import NotFound
from gis.planning import catalogue as cat
from gis.planning.downloads import export_file
from webmap.db import get_conn
from webmap.planner.blueprint import bp

__all__ = ["output", "base_geojson", "download", "base_download"]


@bp.get("/runs/<int:run_id>.geojson")
def output(run_id: int):
    """The run's layer for the map (inline), or with ``?unduh=1`` the GeoJSON file to keep."""
    if request.args.get("unduh"):
        return _download_run(run_id, "geojson")
    return Response(jobs.output_geojson(get_conn(), run_id), mimetype="application/geo+json")


@bp.get("/lapisan/<ref>.geojson")
def base_geojson(ref: str):
    """A base layer for the map (inline), or with ``?unduh=1`` the exported GeoJSON file."""
    layer = cat.parse_ref(ref)
    if layer.run is not None:
        return redirect(url_for("planner.output", run_id=layer.run, **request.args))
    if request.args.get("unduh") and not layer.category:
        return base_download(layer.base, "geojson")
    frame = cat.base_layer_frame(get_conn(), layer)
    return Response(frame.to_json(na="null", drop_id=True), mimetype="application/geo+json")


def _send_export(layer: str, fmt: str, name: str, run: int | None = None):
    data, filename, mimetype = export_file(get_conn(), layer, fmt, name, run=run)
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )


def _download_run(run_id: int, fmt: str):
    run = cat.servable_run(get_conn(), run_id)
    if run["status"] != "done":
        raise NotFound(_("Run %(id)s belum selesai; belum ada berkas untuk diunduh.", id=run_id))
    return _send_export("analysis", fmt, f"sigkel-run-{run_id}-{run['method']}", run=run_id)


@bp.get("/runs/<int:run_id>.<any(gpkg, shp, csv):fmt>")
def download(run_id: int, fmt: str):
    return _download_run(run_id, fmt)


@bp.get("/lapisan/<any(penduduk, rw, fasilitas):key>.<any(gpkg, shp, csv):fmt>")
def base_download(key: str, fmt: str):
    layer = {"penduduk": "population", "rw": "rw", "fasilitas": "facilities"}[key]
    return _send_export(layer, fmt, f"sigkel-{key}")
