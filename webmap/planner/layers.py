"""The layer catalogue, choropleth maps of one or two layers side by side, and their classes."""

from __future__ import annotations

import datetime as dt

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _

from gis.errors import DataError, NotFound
from gis.planning import background, lookups
from gis.planning import catalogue as cat
from gis.planning.class_labels import class_bounds
from gis.planning.downloads import DOWNLOADS
from gis.render import base_map, map_parts
from webmap.db import get_conn
from webmap.i18n import current_language
from webmap.planner.blueprint import bp
from webmap.planner.helpers import (
    facility_types,
    field_label,
    int_arg,
    method_text,
    param_items,
    schemes,
    stale_after,
)
from webmap.public import DEFAULT_CENTER

__all__ = ["catalogue", "compare", "run_classes", "pooled_classes"]


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


# --- catalogue -----------------------------------------------------------------------------------


@bp.get("/")
def catalogue():
    conn = get_conn()
    background.fail_stale(conn, stale_after())
    args = request.args
    method = args.get("method") or None
    category = args.get("category") or None
    status = args.get("status") or None
    start, end = args.get("from") or "", args.get("to") or ""
    try:
        period = [dt.date.fromisoformat(v) if v else None for v in (start, end)]
    except ValueError:
        raise DataError("Dates must be YYYY-MM-DD / tanggal harus TTTT-BB-HH.") from None
    if method is not None and method not in cat.METHODS:
        raise DataError(_("Metode tidak dikenal: %(m)s.", m=method))
    if status is not None and status not in ("running", "done", "failed"):
        raise DataError(_("Status tidak dikenal: %(s)s.", s=status))
    runs = cat.list_layers(conn, method, category, *period, status=status)
    for run in runs:
        run["label"], run["description"] = method_text(run["method"])
        run["param_items"] = param_items(run)
    bases = cat.base_layers(conn)
    for base in bases:
        base["label"], base["description"] = _(base["label"]), _(base["description"])
    return render_template(
        "planner/catalogue.html",
        runs=runs,
        bases=bases,
        methods=[(m, method_text(m)[0]) for m in cat.METHODS],
        complaint_categories=lookups.public_categories(conn),
        facility_types=facility_types(),
        category=category or "",
        method=method or "",
        status=status or "",
        start=start,
        end=end,
        downloads=list(DOWNLOADS),
        lang=current_language(),
    )


# --- maps ----------------------------------------------------------------------------------------


def _layer_config(conn, ref: cat.LayerRef) -> dict:
    fields = [f.to_json() for f in cat.layer_fields(conn, ref)]
    for f in fields:
        f["label"] = field_label(f["name"])
    if ref.run is not None:
        run = cat.servable_run(conn, ref.run)
        if run["status"] != "done":
            raise NotFound(_("Run %(id)s belum selesai; lihat statusnya di katalog.", id=ref.run))
        label, _description = method_text(run["method"])
        title = f"{_('Run')} {ref.run} · {label}"
        extra = run["parameters"].get("facility_type") if run["method"] in cat.PLANNING_METHODS else None
        extra = extra or run["parameters"].get("category")
        if extra:
            title += f" · {extra}"
        return {
            "ref": ref.key,
            "run": ref.run,
            "method": run["method"],
            "title": title,
            "url": url_for("planner.output", run_id=ref.run),
            "fields": fields,
        }
    base = {"penduduk": _("Penduduk per RT"), "rw": _("Batas RW"), "fasilitas": _("Fasilitas umum")}[ref.base]
    return {
        "ref": ref.key,
        "run": None,
        "method": ref.base,
        "title": base + (f" · {ref.category}" if ref.category else ""),
        "url": url_for("planner.base_geojson", ref=ref.key),
        "fields": fields,
    }


def _map_strings() -> dict[str, str]:
    return {
        "count": _("Jumlah"),
        "bin": _("Kelas"),
        "category": _("Pola"),
        "density": _("Kepadatan per km²"),
        "noData": _("Tanpa data"),
        "yes": _("Ya"),
        "no": _("Tidak"),
        "shared": _("Kelas yang sama dipakai untuk kedua peta, jadi warna bisa dibandingkan."),
        "own": _("Kelas dihitung untuk peta ini saja."),
        "features": _("fitur"),
        "hot": _("Titik panas (pola)"),
        "cold": _("Titik dingin (pola)"),
        "otherPattern": _("Tanpa pola / lainnya"),
        "facility": _("Fasilitas"),
        "outline": _("Batas"),
        "error": _("Lapisan gagal dimuat."),
        "fewer": _("hanya {n} kelas: nilai yang berbeda terlalu sedikit"),
    }


@bp.get("/peta")
def compare():
    settings = current_app.config["SIGKEL_SETTINGS"]
    tiles, attribution = settings.basemap_tiles()
    conn = get_conn()
    refs = [cat.parse_ref(v) for v in request.args.getlist("run")[:2]]
    scheme = request.args.get("scheme") or "quantiles"
    if scheme not in cat.SCHEMES:
        raise DataError(_("Skema klasifikasi tidak dikenal: %(s)s.", s=scheme))
    k = int_arg("k", 5, *cat.K_RANGE)
    opacity = int_arg("opacity", 75, 0, 100)
    maps = []
    for ref in refs:
        layer = _layer_config(conn, ref)
        parts = map_parts(base_map(DEFAULT_CENTER, 15, tiles, attribution))
        maps.append({"run": ref.key, "parts": parts, "url": layer["url"], "layer": layer})
    strings = _map_strings()
    config = {
        "legend": _legend(),
        "strings": strings,
        "lang": current_language(),
        "classesUrl": url_for("planner.pooled_classes"),
        "contextUrl": url_for("planner.base_geojson", ref="rw"),
        "maps": [m["layer"] for m in maps],
        "scheme": scheme,
        "k": k,
        "opacity": opacity,
        "field": request.args.get("field") or None,
    }
    return render_template(
        "planner/map.html",
        maps=maps,
        legend=_legend(),
        strings=strings,
        config=config,
        schemes=schemes(),
        scheme=scheme,
        k=k,
        k_range=range(cat.K_RANGE[0], cat.K_RANGE[1] + 1),
        opacity=opacity,
    )


# --- classes -------------------------------------------------------------------------------------


def _labels(result: dict) -> list[str]:
    """Class ranges in the page's number format (Indonesian: 1.234,5)."""
    places, bounds = class_bounds(result)
    pattern = "#,##0" + ("." + "0" * places if places else "")

    def fmt(v: float) -> str:
        return format_decimal(round(v, places) + 0.0, format=pattern)

    return [
        fmt(upper) if fmt(lower) == fmt(upper) else f"{fmt(lower)} – {fmt(upper)}" for lower, upper in bounds
    ]


def _classes(refs: list[cat.LayerRef]):
    field = request.args.get("field") or ""
    scheme = request.args.get("scheme") or "quantiles"
    k = int_arg("k", 5, *cat.K_RANGE)
    if not field:
        raise DataError(_("Pilih kolom yang akan dipetakan (field)."))
    if not refs:
        raise DataError(_("Pilih satu atau dua lapisan (run)."))
    result = cat.classes_for(get_conn(), refs, field, scheme, k)
    result["labels"] = _labels(result)
    result["field_label"] = field_label(field)
    result["scheme_label"] = _(cat.SCHEMES[scheme])
    return jsonify(result)


@bp.get("/runs/<int:run_id>/classes")
def run_classes(run_id: int):
    """Classes of one run's field: ``?field=&scheme=quantiles|fisher_jenks|equal_interval&k=3..7``."""
    return _classes([cat.LayerRef(run=run_id)])


@bp.get("/kelas")
def pooled_classes():
    """One classification over several layers (``?run=A&run=B``): the same colours mean the same."""
    return _classes([cat.parse_ref(v) for v in request.args.getlist("run")[:2]])
