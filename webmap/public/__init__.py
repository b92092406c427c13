"""Public pages for residents (warga)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, url_for

from gis.db.queries import map_center, ping
from gis.render import map_parts, rw_boundary_map
from webmap.db import get_conn

__all__ = ["bp", "init_app"]

bp = Blueprint("public", __name__)
DEFAULT_CENTER = (-6.1786, 106.8712)  # Cempaka Putih


@bp.get("/")
def index():
    settings = current_app.config["SIGKEL_SETTINGS"]
    tiles, attribution = settings.basemap_tiles()
    center = map_center(get_conn()) or DEFAULT_CENTER
    fmap = rw_boundary_map(center, url_for("api.layer", layer="rw"), tiles, attribution)
    return render_template("map.html", map=map_parts(fmap), basemap=bool(tiles))


@bp.get("/healthz")
def health():
    ping(get_conn())
    return jsonify({"status": "ok"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
