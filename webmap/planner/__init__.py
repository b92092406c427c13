"""Planner pages (perencana): the analysis layer catalogue and hot spot maps, two side by side."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from gis.analysis import jobs
from gis.errors import DataError
from gis.render import base_map, map_parts
from webmap.db import get_conn
from webmap.public import DEFAULT_CENTER

__all__ = ["bp", "init_app"]

bp = Blueprint("planner", __name__, url_prefix="/perencana")


def _legend() -> list[tuple[int, str, str]]:
    return [
        (3, "#b2182b", _("Titik panas, kepercayaan 99%")),
        (2, "#ef8a62", _("Titik panas, 95%")),
        (1, "#fddbc7", _("Titik panas, 90%")),
        (0, "#d9d9d9", _("Tidak signifikan")),
        (-1, "#d1e5f0", _("Titik dingin, 90%")),
        (-2, "#67a9cf", _("Titik dingin, 95%")),
        (-3, "#2166ac", _("Titik dingin, kepercayaan 99%")),
    ]


@bp.get("/")
def catalogue():
    category = request.args.get("category") or None
    start, end = request.args.get("from") or "", request.args.get("to") or ""
    try:
        period = [dt.date.fromisoformat(v) if v else None for v in (start, end)]
    except ValueError:
        raise DataError("Dates must be YYYY-MM-DD.") from None
    runs = jobs.list_runs(get_conn(), category, *period)
    return render_template("planner/catalogue.html", runs=runs, category=category or "", start=start, end=end)


@bp.get("/peta")
def compare():
    settings = current_app.config["SIGKEL_SETTINGS"]
    tiles, attribution = settings.basemap_tiles()
    ids = [int(v) for v in request.args.getlist("run") if re.fullmatch(r"[0-9]{1,12}", v)][:2]
    maps = []
    for run_id in ids:
        parts = map_parts(base_map(DEFAULT_CENTER, 15, tiles, attribution))
        maps.append({"run": run_id, "parts": parts, "url": url_for("planner.output", run_id=run_id)})
    strings = {
        "count": _("Jumlah"),
        "bin": _("Kelas"),
        "category": _("Pola"),
        "density": _("Kepadatan per km²"),
    }
    return render_template("planner/map.html", maps=maps, legend=_legend(), strings=strings)


@bp.get("/runs/<int:run_id>.geojson")
def output(run_id: int):
    return Response(jobs.output_geojson(get_conn(), run_id), mimetype="application/geo+json")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
