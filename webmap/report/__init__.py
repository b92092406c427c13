"""Residents' complaint pages and API: report (online or from the offline queue), "me too", the ticket
page, disputes, public photos and the public complaint map.

The report form is a plain HTML form that also works without JavaScript; with JavaScript
(``static/js/report.js``) it is queued in IndexedDB and sent by the service worker (``/sw.js``) when
there is a connection. Either way the POST carries an idempotency key.
"""

from __future__ import annotations

import hashlib
import secrets

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

from gis.complaints import photos as photo_mod
from gis.complaints import submit, views, workflow
from gis.complaints.sla import calendar_for
from gis.db.public import parse_point
from gis.db.queries import map_center, parse_bbox
from gis.errors import DataError
from gis.render import map_parts, public_map
from webmap.db import get_conn
from webmap.i18n import current_language

__all__ = ["bp", "init_app", "report_from_request"]

bp = Blueprint("report", __name__)


def _settings():
    return current_app.config["SIGKEL_SETTINGS"]


def _float(name: str) -> float | None:
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise DataError(f"{name}: harus berupa angka / must be a number, got {raw[:40]!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DataError(f"{name}: harus berupa angka / must be a finite number.")
    return value


def report_from_request(source: str = "web", kind: str = "report") -> submit.Report:
    """A :class:`Report` from a multipart or url-encoded form; photos decoded and re-encoded."""
    files = [f for f in request.files.getlist("foto") if f and f.filename is not None]
    files = [f for f in files if f.filename or f.content_length]
    if len(files) > submit.MAX_PHOTOS:
        raise DataError(f"foto: paling banyak {submit.MAX_PHOTOS} foto / at most {submit.MAX_PHOTOS} photos.")
    raws = [f.read(photo_mod.MAX_BYTES + 1) for f in files]
    raws = [r for r in raws if r]
    digests = [hashlib.sha256(r).hexdigest() for r in raws]
    photos = [photo_mod.process_photo(r, f.filename) for r, f in zip(raws, files, strict=False)]
    lat, lon = _float("lat"), _float("lon")
    return submit.Report(
        key=(request.headers.get("Idempotency-Key") or request.form.get("kunci") or "").strip(),
        category=request.form.get("kategori", ""),
        description=request.form.get("uraian", ""),
        lon=lon,
        lat=lat,
        accuracy_m=_float("akurasi"),
        location_source=(request.form.get("lokasi_sumber") or ("gps" if lat is not None else "rt")).strip(),
        rt_code=(request.form.get("rt") or "").strip() or None,
        name=request.form.get("nama"),
        contact=request.form.get("kontak"),
        anonymity=(request.form.get("anonimitas") or "publik_tanpa_nama").strip(),
        photos=photos,
        photo_digests=digests,
        source=source,
        kind=kind,
    )


@bp.post("/api/laporan")
def create():
    """Submit a report. 201 with the ticket the first time, 200 with the same body on a retry."""
    settings = _settings()
    report = report_from_request()
    answer = submit.submit_report(
        get_conn(), report, calendar_for(settings.calendar_path), settings.photo_path
    )
    answer["url"] = url_for("report.ticket_page", ticket=answer["ticket"])
    status = 200 if answer.get("replayed") else 201
    if request.accept_mimetypes.best == "text/html" and not request.headers.get("Idempotency-Key"):
        # the no-JavaScript form: show the ticket (with the secret code, once) instead of JSON
        return render_template("report/done.html", answer=answer), status
    return jsonify(answer), status


@bp.get("/api/laporan/serupa")
def similar():
    lon, lat = parse_point(request.args.get("lat"), request.args.get("lon"))
    category = request.args.get("kategori", "")
    items = submit.similar_open(get_conn(), category, lon, lat, _settings().duplicate_radius_m)
    return jsonify({"items": items, "radius_m": _settings().duplicate_radius_m})


@bp.post("/api/laporan/<ticket>/dukung")
def support(ticket: str):
    key = (request.headers.get("Idempotency-Key") or request.form.get("kunci") or "").strip()
    answer = submit.support(get_conn(), ticket.upper(), key)
    return jsonify(answer), 200 if answer.get("replayed") else 201


@bp.get("/api/laporan/kategori")
def categories():
    return jsonify({"items": views.complaint_categories(get_conn())})


@bp.get("/api/laporan.geojson")
def complaints_geojson():
    body = views.public_complaints_geojson(
        get_conn(),
        bbox=parse_bbox(request.args.get("bbox")),
        category=request.args.get("kategori") or None,
        status=request.args.get("status") or None,
    )
    response = Response(body, mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


@bp.get("/api/tiket/<ticket>")
def ticket_json(ticket: str):
    return jsonify(views.ticket_public(get_conn(), ticket))


@bp.get("/tiket")
def ticket_lookup():
    code = (request.args.get("kode") or "").strip().upper()
    if code:
        return redirect(url_for("report.ticket_page", ticket=code))
    return render_template("report/lookup.html")


@bp.get("/tiket/<ticket>")
def ticket_page(ticket: str):
    data = views.ticket_public(get_conn(), ticket)
    return render_template(
        "report/ticket.html",
        t=data,
        labels=workflow.STATUS_LABELS,
        lang=current_language(),
        dispute_days=_settings().dispute_days,
    )


@bp.post("/tiket/<ticket>/sanggah")
def dispute(ticket: str):
    answer = workflow.dispute(
        get_conn(),
        ticket.upper(),
        request.form.get("kode_rahasia", ""),
        request.form.get("alasan", ""),
        _settings().dispute_days,
    )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(answer)
    return redirect(url_for("report.ticket_page", ticket=answer["ticket"]), 303)


@bp.post("/tiket/<ticket>/nilai")
def rate(ticket: str):
    answer = workflow.rate(
        get_conn(), ticket.upper(), request.form.get("kode_rahasia", ""), request.form.get("nilai", "")
    )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(answer)
    return redirect(url_for("report.ticket_page", ticket=answer["ticket"]), 303)


@bp.get("/foto/<file>")
def photo(file: str):
    row = views.public_photo(get_conn(), file)
    path = photo_mod.photo_file(_settings().photo_path, row["file"])
    response = send_file(path, mimetype=row["media_type"], max_age=86400 * 30)
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/lapor")
def form():
    conn = get_conn()
    lang = current_language()
    settings = _settings()
    tiles, attribution = settings.basemap_tiles()
    center = map_center(conn) or (-6.1786, 106.8712)
    parts = map_parts(public_map(center, tiles, attribution))
    cats = views.complaint_categories(conn)
    for c in cats:
        c["label"] = c["name_en"] if lang == "en" else c["name_id"]
    return render_template(
        "report/form.html",
        rts=views.rt_choices(conn),  # the no-JavaScript path locates a report by its RT
        map=parts,
        categories=cats,
        basemap=bool(tiles),
        max_photos=submit.MAX_PHOTOS,
        kunci="form-" + secrets.token_urlsafe(18),  # the no-JavaScript path: a resubmit is one report
        config={"map": parts["name"], "lang": lang, "radius": settings.duplicate_radius_m},
    )


@bp.get("/laporan")
def complaint_map():
    conn = get_conn()
    settings = _settings()
    tiles, attribution = settings.basemap_tiles()
    center = map_center(conn) or (-6.1786, 106.8712)
    parts = map_parts(public_map(center, tiles, attribution))
    lang = current_language()
    cats = views.complaint_categories(conn, public_only=True)
    for c in cats:
        c["label"] = c["name_en"] if lang == "en" else c["name_id"]
    return render_template(
        "report/map.html",
        map=parts,
        categories=cats,
        basemap=bool(tiles),
        config={"map": parts["name"], "lang": lang, "api": url_for("report.complaints_geojson")},
    )


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that its scope covers the whole site."""
    path = current_app.root_path + "/static/js/sw.js"
    response = send_file(path, mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
