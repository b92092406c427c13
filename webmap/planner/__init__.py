"""Planner pages (perencana): the layer catalogue, choropleth maps of a layer (two side by side),
downloads, starting an analysis from a form, and the evidence table for Musrenbang.

Viewing is public: the pages show only aggregated outputs of public data. Starting an analysis is a
write: it needs a planner or admin login and the session's CSRF token. Jobs run in a background
thread (``gis.planning.background``) with their own connection from the app's engine.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import tempfile
import warnings
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _

from gis import auth
from gis.analysis import jobs
from gis.analysis.jobs import AnalysisParams
from gis.errors import DataError, NotFound
from gis.planning import background, evidence
from gis.planning import catalogue as cat
from gis.planning.jobs import PlanningParams
from gis.planning.standards import default_table
from gis.render import base_map, map_parts
from webmap.db import get_conn, get_engine
from webmap.i18n import current_language
from webmap.public import DEFAULT_CENTER
from webmap.security import current_user, login_required

__all__ = ["bp", "init_app", "DOWNLOADS"]

bp = Blueprint("planner", __name__, url_prefix="/perencana")

PLANNERS = ("planner", "admin")
# format -> (export_layer format, file extension, media type)
DOWNLOADS = {
    "geojson": ("geojson", "geojson", "application/geo+json"),
    "gpkg": ("gpkg", "gpkg", "application/geopackage+sqlite3"),
    "shp": ("shp", "zip", "application/zip"),
    "csv": ("csv", "csv", "text/csv; charset=utf-8"),
}
FORM_METHODS = ("coverage", "accessibility", "deficit", "siting", "hotspots", "kde")
RADIUS_METHODS = ("coverage", "accessibility", "siting")
VARIANTS = ("catchment", "gaussian", "step")
SHAPES = ("hex", "square", "rw", "rt")
CELL_RANGE = (25.0, 1000.0)
MAX_SITES = 20
MAX_WAITING = 4  # runs queued or running at once, all users together


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


WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# Which parameters matter for each method (the rest keep their defaults and would only add noise).
_PARAMS = {
    "hotspots": (
        "category",
        "date_from",
        "date_to",
        "shape",
        "cell_size",
        "band",
        "knn",
        "permutations",
        "rate",
        "lisa",
    ),
    "kde": ("category", "date_from", "date_to", "cell_size", "bandwidth"),
    "emerging": ("category", "date_from", "date_to", "shape", "cell_size", "band", "step"),
    "coverage": ("facility_type", "year", "cell_size", "weights"),
    "accessibility": ("facility_type", "year", "cell_size", "variant"),
    "deficit": ("facility_type", "year", "level"),
    "siting": ("facility_type", "year", "cell_size", "k", "candidate_spacing"),
}


def _param_labels() -> dict[str, str]:
    return {
        "category": _("kategori"),
        "date_from": _("dari"),
        "date_to": _("sampai"),
        "shape": _("unit"),
        "cell_size": _("ukuran sel (m)"),
        "band": _("jarak tetangga (m)"),
        "knn": _("tetangga terdekat"),
        "permutations": _("permutasi"),
        "rate": _("per 1.000 jiwa"),
        "lisa": _("Moran lokal"),
        "bandwidth": _("bandwidth (m)"),
        "step": _("langkah waktu"),
        "facility_type": _("jenis fasilitas"),
        "year": _("tahun penduduk"),
        "weights": _("pembobot grid"),
        "variant": _("varian"),
        "level": _("tingkat"),
        "k": _("jumlah lokasi"),
        "candidate_spacing": _("jarak kandidat (m)"),
        "kelurahan": _("kelurahan"),
    }


def _param_items(run: dict) -> list[tuple[str, str]]:
    """The run's parameters that matter for its method, labelled; ``None`` ones say 'otomatis'."""
    params = run.get("parameters") or {}
    labels = _param_labels()
    out = []
    for key in _PARAMS.get(run["method"], ()):
        value = params.get(key)
        if key == "weights" and not params.get("cell_size"):
            continue
        if value in (None, "", [], False):
            if key == "year":
                year = (run.get("inputs") or {}).get("year")
                out.append((labels[key], f"{year} ({_('terbaru')})" if year else _("terbaru")))
            elif key == "cell_size" and run["method"] != "deficit":
                out.append((labels[key], _("otomatis")))
            continue
        out.append((labels.get(key, key), _("ya") if value is True else str(value)))
    kel = params.get("kelurahan")
    if kel and len(kel) > 1:
        out.append((labels["kelurahan"], ", ".join(kel)))
    return out


def _wib(value) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M")


@bp.context_processor
def _helpers() -> dict:
    return {"num": _num, "pct": _pct, "wib": _wib}


def _stale_after() -> dt.timedelta:
    minutes = current_app.config.get("SIGKEL_PLANNER_STALE_MINUTES")
    return dt.timedelta(minutes=float(minutes)) if minutes else background.STALE_AFTER


def _method_text(method: str) -> tuple[str, str]:
    label, description = cat.METHODS.get(method, (method, ""))
    return _(label), _(description) if description else ""


def _field_label(name: str) -> str:
    label = cat.FIELD_LABELS.get(name)
    return _(label) if label else name


def _schemes() -> list[tuple[str, str]]:
    return [(code, _(label)) for code, label in cat.SCHEMES.items()]


# --- catalogue -----------------------------------------------------------------------------------


@bp.get("/")
def catalogue():
    conn = get_conn()
    background.fail_stale(conn, _stale_after())
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
        run["label"], run["description"] = _method_text(run["method"])
        run["param_items"] = _param_items(run)
    bases = cat.base_layers(conn)
    for base in bases:
        base["label"], base["description"] = _(base["label"]), _(base["description"])
    complaint_categories = conn.execute(
        sa.text("SELECT code, name_id, name_en FROM complaint_category WHERE public ORDER BY name_id")
    ).all()
    return render_template(
        "planner/catalogue.html",
        runs=runs,
        bases=bases,
        methods=[(m, _method_text(m)[0]) for m in cat.METHODS],
        complaint_categories=complaint_categories,
        facility_types=_facility_types(),
        category=category or "",
        method=method or "",
        status=status or "",
        start=start,
        end=end,
        downloads=list(DOWNLOADS),
        lang=current_language(),
    )


def _facility_types() -> list[dict]:
    en = current_language() == "en"
    table = default_table()
    out = []
    for ftype in table.types():
        std = table.standard_for(None, ftype)
        out.append({"code": ftype, "name": std.name_en if en else std.name_id, "radius_m": std.radius_m})
    return sorted(out, key=lambda s: s["name"])


# --- maps ----------------------------------------------------------------------------------------


def _layer_config(conn, ref: cat.LayerRef) -> dict:
    fields = [f.to_json() for f in cat.layer_fields(conn, ref)]
    for f in fields:
        f["label"] = _field_label(f["name"])
    if ref.run is not None:
        run = cat.servable_run(conn, ref.run)
        if run["status"] != "done":
            raise NotFound(_("Run %(id)s belum selesai; lihat statusnya di katalog.", id=ref.run))
        label, _description = _method_text(run["method"])
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


@bp.get("/peta")
def compare():
    settings = current_app.config["SIGKEL_SETTINGS"]
    tiles, attribution = settings.basemap_tiles()
    conn = get_conn()
    refs = [cat.parse_ref(v) for v in request.args.getlist("run")[:2]]
    scheme = request.args.get("scheme") or "quantiles"
    if scheme not in cat.SCHEMES:
        raise DataError(_("Skema klasifikasi tidak dikenal: %(s)s.", s=scheme))
    k = _int_arg("k", 5, *cat.K_RANGE)
    opacity = _int_arg("opacity", 75, 0, 100)
    maps = []
    for ref in refs:
        layer = _layer_config(conn, ref)
        parts = map_parts(base_map(DEFAULT_CENTER, 15, tiles, attribution))
        maps.append({"run": ref.key, "parts": parts, "url": layer["url"], "layer": layer})
    strings = {
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
        schemes=_schemes(),
        scheme=scheme,
        k=k,
        k_range=range(cat.K_RANGE[0], cat.K_RANGE[1] + 1),
        opacity=opacity,
    )


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not low <= int(raw) <= high:
        raise DataError(
            _("%(name)s harus bilangan bulat %(low)s sampai %(high)s.", name=name, low=low, high=high)
        )
    return int(raw)


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


def _labels(result: dict) -> list[str]:
    """Class ranges in the page's number format (Indonesian: 1.234,5)."""
    bins, low = result["bins"], result["min"]
    if not bins:
        return []
    values = [low, *bins]
    if all(float(v).is_integer() for v in values):
        places = 0
    else:
        span = (max(values) - min(values)) or abs(max(values)) or 1.0
        places = min(4, max(0, 2 - math.floor(math.log10(span))))
        while places < 6 and len({round(v, places) for v in values}) < len(set(values)):
            places += 1
    pattern = "#,##0" + ("." + "0" * places if places else "")

    def fmt(v: float) -> str:
        return format_decimal(round(v, places) + 0.0, format=pattern)

    out = []
    for i, upper in enumerate(bins):
        lower = (
            low if i == 0 else bins[i - 1] + (1 if result.get("integer") else 0)
        )  # whole numbers: 3–5, 6–9
        out.append(fmt(upper) if fmt(lower) == fmt(upper) else f"{fmt(lower)} – {fmt(upper)}")
    return out


def _classes(refs: list[cat.LayerRef]):
    field = request.args.get("field") or ""
    scheme = request.args.get("scheme") or "quantiles"
    k = _int_arg("k", 5, *cat.K_RANGE)
    if not field:
        raise DataError(_("Pilih kolom yang akan dipetakan (field)."))
    if not refs:
        raise DataError(_("Pilih satu atau dua lapisan (run)."))
    result = cat.classes_for(get_conn(), refs, field, scheme, k)
    result["labels"] = _labels(result)
    result["field_label"] = _field_label(field)
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


# --- downloads -----------------------------------------------------------------------------------


def _send_export(layer: str, fmt: str, name: str, run: int | None = None):
    """export_layer into a temporary directory, sent from memory; the directory is always removed."""
    from gis.io import export_layer

    export_fmt, ext, mimetype = DOWNLOADS[fmt]
    with tempfile.TemporaryDirectory(prefix="sigkel-unduh-") as tmp:
        out = Path(tmp) / f"{name}.{ext}"
        with warnings.catch_warnings():
            # Shapefile field names are cut to 10 characters; kolom.csv in the zip gives the full names
            warnings.filterwarnings("ignore", message=".*(longer than 10 characters|laundered field name).*")
            export_layer(get_conn(), layer, export_fmt, out, run=run)
        if fmt == "shp":
            _add_field_names(out, layer, run)
        data = out.read_bytes()
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{name}.{ext}", max_age=0
    )


def _add_field_names(archive: Path, layer: str, run: int | None) -> None:
    """Shapefiles keep 10 characters of a field name: add kolom.csv, Shapefile name -> full name."""
    import csv
    import zipfile

    import pyogrio

    from gis.io.export import read_layer

    if run is not None:
        full = list(jobs.read_output(get_conn(), run).columns.drop("geometry"))
    else:
        full = list(read_layer(get_conn(), layer).columns.drop("geometry"))
    short = list(pyogrio.read_info(f"/vsizip/{archive}/{layer}.shp")["fields"])
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["kolom_shp", "nama_lengkap"])
    writer.writerows(zip(short, full, strict=False))
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("kolom.csv", text.getvalue())


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


# --- a run's status ------------------------------------------------------------------------------


def _status_json(run_id: int) -> dict:
    conn = get_conn()
    cat.servable_run(conn, run_id)
    state = background.status(conn, run_id, _stale_after())
    state["finished"] = _wib(state.pop("finished_at")) if state.get("finished_at") else None
    state["map_url"] = url_for("planner.compare", run=run_id) if state["status"] == "done" else None
    state["page_url"] = url_for("planner.run_page", run_id=run_id)
    return state


@bp.get("/runs/<int:run_id>/status")
def run_status(run_id: int):
    response = jsonify(_status_json(run_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/runs/<int:run_id>")
def run_page(run_id: int):
    state = _status_json(run_id)
    run = cat.servable_run(get_conn(), run_id)
    run["label"], run["description"] = _method_text(run["method"])
    run["param_items"] = _param_items(run)
    return render_template(
        "planner/run.html",
        run=run,
        state=state,
        downloads=list(DOWNLOADS),
        config={
            "statusUrl": url_for("planner.run_status", run_id=run_id),
            "interval": 2000,
            "strings": {
                "running": _("sedang berjalan"),
                "done": _("selesai"),
                "failed": _("gagal"),
                "seconds": _("detik"),
            },
        },
    )


# --- run an analysis from a form -----------------------------------------------------------------


def _form_options(conn, user) -> dict:
    kelurahan = conn.execute(
        sa.text("SELECT code, name FROM kelurahan WHERE code = ANY(:k) ORDER BY name"),
        {"k": list(user.kelurahan)},
    ).all()
    years = (
        conn.execute(
            sa.text("SELECT DISTINCT year FROM population WHERE kelurahan_code = ANY(:k) ORDER BY year DESC"),
            {"k": list(user.kelurahan)},
        )
        .scalars()
        .all()
    )
    categories = conn.execute(
        sa.text("SELECT code, name_id, name_en FROM complaint_category WHERE public ORDER BY name_id")
    ).all()
    return {
        "methods": [(m, *_method_text(m)) for m in FORM_METHODS],
        "kelurahan": kelurahan,
        "years": years,
        "categories": categories,
        "facility_types": _facility_types(),
        "variants": [
            ("catchment", _("Wilayah layanan (2SFCA klasik)")),
            ("gaussian", _("Peluruhan Gauss (makin jauh makin kecil)")),
            ("step", _("Bertingkat (E2SFCA, tiga zona)")),
        ],
        "levels": [("rw", _("per RW")), ("kelurahan", _("per kelurahan"))],
        "shapes": [
            ("hex", _("Heksagon")),
            ("square", _("Persegi")),
            ("rw", _("RW")),
            ("rt", _("RT")),
        ],
        "max_sites": MAX_SITES,
        "cell_range": CELL_RANGE,
    }


def _number(raw: str) -> float:
    """A decimal as typed in Indonesia (100,5) or in English (100.5); no thousands separators."""
    text = raw.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise ValueError(raw)
    return float(text)


def _parse_run_form(form, user, options) -> tuple[str | None, object | None, dict]:
    """(method, params, errors): every field checked, every error in plain Indonesian."""
    errors: dict[str, str] = {}
    method = form.get("method", "")
    if method not in FORM_METHODS:
        errors["method"] = _("Pilih metode analisis.")
    scope = [k.code for k in options["kelurahan"]]
    kel = form.get("kelurahan", "")
    if kel == "semua" and scope:
        kelurahan = scope
    elif kel in scope:
        kelurahan = [kel]
    else:
        kelurahan = None
        errors["kelurahan"] = _("Pilih kelurahan dalam wilayah tugas Anda.")
    cell = None
    raw_cell = form.get("cell_size", "").strip()
    if raw_cell:
        try:
            cell = _number(raw_cell)
        except ValueError:
            cell = -1.0
        if not CELL_RANGE[0] <= cell <= CELL_RANGE[1]:
            errors["cell_size"] = _("Ukuran sel harus angka 25 sampai 1.000 meter, atau dikosongkan.")
    if errors.get("method"):
        return None, None, errors
    if method in cat.PLANNING_METHODS:
        types = {t["code"]: t for t in options["facility_types"]}
        ftype = form.get("facility_type", "")
        if ftype not in types:
            errors["facility_type"] = _("Pilih jenis fasilitas dari tabel standar.")
        elif method in RADIUS_METHODS and types[ftype]["radius_m"] is None:
            errors["facility_type"] = _(
                "Standar %(name)s tidak menetapkan radius pencapaian; pilih jenis lain, atau metode "
                "Kekurangan fasilitas.",
                name=types[ftype]["name"],
            )
        year = None
        raw_year = form.get("year", "").strip()
        if raw_year:
            if not raw_year.isdigit() or int(raw_year) not in options["years"]:
                errors["year"] = _("Tidak ada data penduduk tahun %(y)s untuk wilayah Anda.", y=raw_year)
            else:
                year = int(raw_year)
        variant, level, k = "catchment", "rw", 5
        if method == "accessibility":
            variant = form.get("variant", "catchment")
            if variant not in VARIANTS:
                errors["variant"] = _("Pilih varian aksesibilitas: wilayah layanan, Gauss atau bertingkat.")
        if method == "deficit":
            level = form.get("level", "rw")
            if level not in ("rw", "kelurahan"):
                errors["level"] = _("Pilih tingkat: per RW atau per kelurahan.")
            cell = None  # deficits are counted per unit, never on a grid
        if method == "siting":
            raw_k = form.get("k", "").strip()
            if not raw_k.isdigit() or not 1 <= int(raw_k) <= MAX_SITES:
                errors["k"] = _("Jumlah lokasi usulan harus bilangan bulat 1 sampai %(n)s.", n=MAX_SITES)
            else:
                k = int(raw_k)
        if errors:
            return method, None, errors
        return (
            method,
            PlanningParams(
                facility_type=ftype,
                kelurahan=kelurahan,
                year=year,
                cell_size=cell,
                variant=variant,
                level=level,
                k=k,
            ),
            errors,
        )
    # complaint analyses
    category = form.get("category", "") or None
    if category is not None and category not in {c.code for c in options["categories"]}:
        errors["category"] = _("Pilih kategori pengaduan publik, atau semua kategori publik.")
    shape = form.get("shape", "hex") if method == "hotspots" else "square"
    if shape not in SHAPES:
        errors["shape"] = _("Pilih bentuk unit: heksagon, persegi, RW atau RT.")
    dates = {}
    for name in ("date_from", "date_to"):
        raw = form.get(name, "").strip()
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = _("Tanggal harus berformat TTTT-BB-HH.")
    if dates.get("date_from") and dates.get("date_to") and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = _("Tanggal akhir tidak boleh sebelum tanggal awal.")
    if errors:
        return method, None, errors
    return (
        method,
        AnalysisParams(
            kelurahan=kelurahan,
            category=category,
            date_from=dates["date_from"],
            date_to=dates["date_to"],
            shape=shape,
            cell_size=cell if shape in ("hex", "square") else None,
        ),
        errors,
    )


def _waiting(conn) -> int:
    return conn.execute(
        sa.text(
            "SELECT count(*) FROM analysis_run WHERE status = 'running' "
            "AND started_at > now() - CAST(:age AS interval)"
        ),
        {"age": f"{_stale_after().total_seconds()} seconds"},
    ).scalar_one()


@bp.route("/jalankan", methods=["GET", "POST"])
@login_required(*PLANNERS)
def run_form():
    conn = get_conn()
    user = current_user()
    options = _form_options(conn, user)
    if request.method == "GET":
        values = {"method": request.args.get("method", "coverage"), "k": "5", "level": "rw"}
        return render_template("planner/run_form.html", options=options, values=values, errors={})
    method, params, errors = _parse_run_form(request.form, user, options)
    status = 422
    if not errors and _waiting(conn) >= MAX_WAITING:
        errors["form"] = _(
            "Sudah ada %(n)s analisis yang menunggu atau berjalan. Tunggu sampai selesai, lalu coba lagi.",
            n=MAX_WAITING,
        )
        status = 429
    if errors:
        return render_template(
            "planner/run_form.html", options=options, values=request.form, errors=errors
        ), status
    run_id = background.start(get_engine(), method, params)
    auth.audit(conn, user.id, "analysis.start", "analysis_run", str(run_id), detail={"method": method})
    return redirect(url_for("planner.run_page", run_id=run_id), 303)


# --- evidence for Musrenbang ---------------------------------------------------------------------


def _evidence_request(conn) -> dict:
    """Parse and check ?kelurahan=&year=&bulan=&jenis=... for the evidence page and files."""
    args = request.args
    kelurahan = conn.execute(sa.text("SELECT code, name FROM kelurahan ORDER BY name")).all()
    years = conn.execute(sa.text("SELECT DISTINCT year FROM population ORDER BY year DESC")).scalars().all()
    types = _facility_types()
    known = {t["code"] for t in types}
    code = args.get("kelurahan") or None
    if code is not None and code not in {k.code for k in kelurahan}:
        raise NotFound(_("Kelurahan %(code)s tidak ada.", code=code))
    year = args.get("year") or None
    if year is not None:
        if not year.isdigit() or int(year) not in years:
            raise DataError(_("Tidak ada data penduduk tahun %(y)s.", y=year))
        year = int(year)
    months = _int_arg("bulan", 12, 1, 36)
    chosen = args.getlist("jenis") or list(evidence.DEFAULT_TYPES)
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise DataError(_("Jenis fasilitas tidak dikenal: %(t)s.", t=", ".join(unknown)))
    return {
        "code": code,
        "year": year,
        "months": months,
        "types": tuple(dict.fromkeys(chosen)),
        "kelurahan": kelurahan,
        "years": years,
        "all_types": types,
    }


def _evidence_table(conn, req):
    return evidence.evidence_table(
        conn, [req["code"]] if req["code"] else None, req["year"], req["types"], req["months"]
    )


def _query(req) -> dict:
    q = {"bulan": req["months"], "jenis": list(req["types"])}
    if req["code"]:
        q["kelurahan"] = req["code"]
    if req["year"]:
        q["year"] = req["year"]
    return q


@bp.get("/bukti")
def evidence_page():
    conn = get_conn()
    req = _evidence_request(conn)
    table = _evidence_table(conn, req)
    en = current_language() == "en"
    standards = default_table()
    groups = [
        {
            "code": t,
            "name": (std.name_en if en else std.name_id),
            "radius_m": std.radius_m,
            "served": std.population_served,
        }
        for t in req["types"]
        for std in [standards.standard_for(req["code"], t)]
    ]
    rows = table.to_dict("records")
    totals = _evidence_totals(table, req["types"])
    name = next((k.name for k in req["kelurahan"] if k.code == req["code"]), None)
    return render_template(
        "planner/evidence.html",
        req=req,
        rows=rows,
        totals=totals,
        groups=groups,
        attrs=table.attrs,
        kelurahan_name=name,
        query=_query(req),
        generated=dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7))),
    )


def _evidence_totals(table, types) -> dict:
    pop = float(table["population"].sum())
    area = float(table["area_ha"].sum())
    out = {
        "population": pop,
        "area_ha": area,
        "density_ha": pop / area if area else None,
        "complaints": int(table["complaints"].sum()),
        "complaints_per_1000": 1000 * float(table["complaints"].sum()) / pop if pop else None,
    }
    weights = table["population"].astype(float)
    for t in types:
        for col in ("covered_share", "access"):
            values = table[f"{t}_{col}"].astype(float)
            known = values.notna() & (weights > 0)
            w = weights[known].sum()
            out[f"{t}_{col}"] = float((values[known] * weights[known]).sum() / w) if w else None
        for col in ("existing", "required", "gap"):
            out[f"{t}_{col}"] = int(table[f"{t}_{col}"].sum())
    return out


def _num(value, places: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(round(float(value), places) + 0.0, format=pattern)


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return _num(100 * float(value), 1) + "%"


def _evidence_file(kind: str):
    conn = get_conn()
    req = _evidence_request(conn)
    table = _evidence_table(conn, req)
    buffer = io.BytesIO()
    lang = "en" if current_language() == "en" else "id"
    if kind == "csv":
        evidence.to_csv(table, buffer, lang)
        mimetype = "text/csv; charset=utf-8"
    else:
        evidence.to_xlsx(table, buffer, lang)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    buffer.seek(0)
    where = req["code"] or "semua"
    name = f"bukti-musrenbang-{where}-{table.attrs.get('year')}.{kind}"
    return send_file(buffer, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)


@bp.get("/bukti.csv")
def evidence_csv():
    return _evidence_file("csv")


@bp.get("/bukti.xlsx")
def evidence_xlsx():
    return _evidence_file("xlsx")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
