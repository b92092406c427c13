"""Public pages for residents (warga): the facility map and the facility list."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from gis.db import public
from gis.db.queries import map_center, ping
from gis.render import map_parts, public_map
from webmap.db import get_conn
from webmap.i18n import current_language

__all__ = ["bp", "init_app"]

bp = Blueprint("public", __name__)
DEFAULT_CENTER = (-6.1786, 106.8712)  # Cempaka Putih
GROUP_COLORS = {
    "pemerintahan": "#7b241c",
    "kesehatan": "#c0392b",
    "pendidikan": "#1f618d",
    "ibadah": "#117864",
    "keamanan": "#283747",
    "ruang_terbuka": "#239b56",
    "ekonomi": "#b9770e",
    "kebersihan": "#6e2c00",
    "sosial": "#7d3c98",
    "transportasi": "#2e4053",
    "lainnya": "#566573",
}


def _strings() -> dict:
    return {
        "loaded": _("{n} fasilitas dimuat"),
        "loadFailed": _("Gagal memuat fasilitas; coba muat ulang."),
        "address": _("Alamat"),
        "hours": _("Jam buka"),
        "contact": _("Kontak"),
        "services": _("Layanan"),
        "requirements": _("Syarat"),
        "synthetic": _("Data contoh (sintetis), bukan fasilitas nyata."),
        "syntheticShort": _("contoh"),
        "directions": _("Rute"),
        "whatsHere": _("Apa yang ada di sini"),
        "looking": _("Mencari…"),
        "kelurahan": _("Kelurahan"),
        "outside": _("Di luar wilayah yang dimuat"),
        "nearestEach": _("Fasilitas terdekat per jenis:"),
        "nearestTitle": _("Fasilitas terdekat"),
        "locating": _("Mencari lokasi Anda…"),
        "noLocation": _("Lokasi tidak tersedia. Ketuk peta untuk memilih titik."),
        "results": _("{n} hasil untuk “{q}”"),
        "noResults": _("Tidak ada fasilitas yang cocok."),
        "decimal": _(","),
    }


@bp.get("/")
def index():
    settings = current_app.config["SIGKEL_SETTINGS"]
    tiles, attribution = settings.basemap_tiles()
    conn = get_conn()
    center = map_center(conn)
    parts = map_parts(public_map(center or DEFAULT_CENTER, tiles, attribution))
    lang = current_language()
    categories = [
        {
            **c,
            "color": GROUP_COLORS.get(c["group_code"], "#566573"),
            "label": c["name_en"] if lang == "en" else c["name_id"],
        }
        for c in public.facility_categories(conn)
    ]
    config = {
        "map": parts["name"],
        "lang": lang,
        "center": bool(center),
        "strings": _strings(),
        "categories": [{"code": c["code"], "color": c["color"]} for c in categories],
        "api": {
            "facilities": url_for("api.facilities"),
            "rw": url_for("api.layer", layer="rw"),
            "rt": url_for("api.layer", layer="rt"),
            "whatsHere": url_for("api.whats_here"),
            "nearest": url_for("api.nearest"),
        },
    }
    return render_template(
        "public.html", map=parts, config=config, categories=categories, basemap=bool(tiles)
    )


@bp.get("/fasilitas")
def facility_list():
    import json

    data = json.loads(public.facilities_geojson(get_conn()))
    lang = current_language()
    sections: dict[str, list] = {}
    for feature in data["features"]:
        p = feature["properties"]
        sections.setdefault(p["category_en"] if lang == "en" else p["category_id"], []).append(p)
    return render_template("facility_list.html", sections=sorted(sections.items()))


@bp.get("/healthz")
def health():
    ping(get_conn())
    return jsonify({"status": "ok"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
