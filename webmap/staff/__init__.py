"""Staff (petugas) and admin pages: login, the work queue, a complaint's detail and its actions,
the escalation list, sessions and users. Planners may log in but see none of this: personal data.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from gis import auth
from gis.complaints import photos as photo_mod
from gis.complaints import queue, workflow
from gis.complaints.sla import calendar_for
from gis.errors import DataError, SigkelError
from gis.render import map_parts, public_map
from webmap.db import get_conn
from webmap.i18n import current_language
from webmap.security import SESSION_COOKIE, check_csrf, current_user, login_required

__all__ = ["bp", "init_app"]

bp = Blueprint("staff", __name__)
STAFF = ("admin", "staff")


def _settings():
    return current_app.config["SIGKEL_SETTINGS"]


def _calendar():
    return calendar_for(_settings().calendar_path)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return url_for("staff.queue_page")
    return target


@bp.get("/petugas/masuk")
def login():
    return render_template("staff/login.html", next=request.args.get("next", ""), error=None)


@bp.post("/petugas/masuk")
def login_post():
    check_csrf()
    settings = _settings()
    try:
        token, user = auth.login(
            get_conn(),
            request.form.get("username", ""),
            request.form.get("password", ""),
            request.remote_addr,
            request.headers.get("User-Agent"),
            session_hours=settings.session_hours,
            max_failures=settings.login_max_failures,
            ip_max_failures=settings.login_ip_max_failures,
            window_minutes=settings.login_window_minutes,
        )
    except SigkelError as exc:
        if exc.http_status not in (401, 429):
            raise
        # the failed attempt is recorded: this response must commit, so it is not an error response
        g.sigkel_commit_anyway = True
        response = make_response(
            render_template("staff/login.html", next=request.form.get("next", ""), error=exc.message),
            exc.http_status,
        )
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    target = _safe_next(request.form.get("next"))
    if user.role == "planner" and target.startswith("/petugas"):
        target = url_for("planner.catalogue")
    response = redirect(target, 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )
    return response


@bp.post("/petugas/keluar")
@login_required()
def logout():
    auth.logout(get_conn(), request.cookies.get(SESSION_COOKIE))
    response = redirect(url_for("staff.login"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.get("/petugas/")
@login_required(*STAFF)
def queue_page():
    user = current_user()
    f = queue.QueueFilter.from_args(request.args)
    conn = get_conn()
    data = queue.work_queue(conn, user, f, _calendar())
    tiles, attribution = _settings().basemap_tiles()
    from gis.db.queries import map_center

    parts = map_parts(public_map(map_center(conn) or (-6.1786, 106.8712), tiles, attribution))
    from gis.complaints.views import complaint_categories

    lang = current_language()
    return render_template(
        "staff/queue.html",
        data=data,
        f=f,
        map=parts,
        labels=workflow.STATUS_LABELS,
        lang=lang,
        categories=complaint_categories(conn),
        rws=queue.rw_choices(conn, user),
        config={"map": parts["name"], "lang": lang},
    )


@bp.get("/petugas/api/antrian")
@login_required(*STAFF)
def queue_json():
    data = queue.work_queue(
        get_conn(), current_user(), queue.QueueFilter.from_args(request.args), _calendar()
    )
    for item in data["items"]:
        for key in ("created_at", "sla_due"):
            item[key] = item[key].isoformat() if item[key] else None
    return jsonify(data)


@bp.get("/petugas/eskalasi")
@login_required(*STAFF)
def escalation_page():
    items = queue.escalations(get_conn(), current_user(), _calendar())
    return render_template(
        "staff/escalations.html", items=items, labels=workflow.STATUS_LABELS, lang=current_language()
    )


def _detail(complaint_id: int, reporter=None, reporter_shown=False, status=200):
    detail = queue.complaint_detail(get_conn(), current_user(), complaint_id)
    allowed = sorted(workflow.TRANSITIONS.get(detail["status"], ()))
    return (
        render_template(
            "staff/detail.html",
            c=detail,
            allowed=allowed,
            labels=workflow.STATUS_LABELS,
            lang=current_language(),
            reporter=reporter,
            reporter_shown=reporter_shown,
            proof_distance=_settings().proof_distance_m,
        ),
        status,
    )


@bp.get("/petugas/laporan/<int:complaint_id>")
@login_required(*STAFF)
def detail(complaint_id: int):
    return _detail(complaint_id)


def _scoped(complaint_id: int) -> None:
    """404 unless the complaint is in the user's kelurahan (before any write)."""
    queue.complaint_detail(get_conn(), current_user(), complaint_id)


def _back(complaint_id: int, answer: dict):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(answer)
    return redirect(url_for("staff.detail", complaint_id=complaint_id), 303)


@bp.post("/petugas/laporan/<int:complaint_id>/status")
@login_required(*STAFF)
def change_status(complaint_id: int):
    _scoped(complaint_id)
    answer = workflow.change_status(
        get_conn(),
        complaint_id,
        request.form.get("status", ""),
        current_user().id,
        reason=request.form.get("alasan"),
        note=request.form.get("catatan"),
        proof_distance_m=_settings().proof_distance_m,
        public_note=request.form.get("catatan_publik") == "1",
    )
    return _back(complaint_id, answer)


@bp.post("/petugas/laporan/<int:complaint_id>/foto-sesudah")
@login_required(*STAFF)
def after_photo(complaint_id: int):
    _scoped(complaint_id)
    upload = request.files.get("foto")
    if upload is None:
        raise DataError("Pilih foto sesudah perbaikan / choose the 'after' photo.")
    photo = photo_mod.process_photo(upload.read(photo_mod.MAX_BYTES + 1), upload.filename)

    def coordinate(name):
        raw = (request.form.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise DataError(f"{name} harus angka / must be a number.") from None
        if not math.isfinite(value):
            raise DataError(f"{name} harus angka terhingga / must be a finite number.")
        return value

    answer = workflow.add_after_photo(
        get_conn(),
        complaint_id,
        photo,
        current_user().id,
        _settings().photo_path,
        device_lon=coordinate("lon"),
        device_lat=coordinate("lat"),
        proof_distance_m=_settings().proof_distance_m,
    )
    return _back(complaint_id, answer)


@bp.post("/petugas/laporan/<int:complaint_id>/catatan")
@login_required(*STAFF)
def note(complaint_id: int):
    _scoped(complaint_id)
    workflow.add_note(
        get_conn(),
        complaint_id,
        current_user().id,
        request.form.get("catatan", ""),
        request.form.get("publik") == "1",
    )
    return _back(complaint_id, {"ok": True})


@bp.post("/petugas/laporan/<int:complaint_id>/gabung")
@login_required(*STAFF)
def merge(complaint_id: int):
    _scoped(complaint_id)
    target = queue.ticket_in_scope(get_conn(), current_user(), request.form.get("tiket", ""))
    answer = workflow.merge(get_conn(), complaint_id, target, current_user().id)
    return _back(complaint_id, answer)


@bp.post("/petugas/laporan/<int:complaint_id>/pelapor")
@login_required(*STAFF)
def reporter(complaint_id: int):
    data = queue.reporter_for(get_conn(), current_user(), complaint_id, request.form.get("alasan", ""))
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"reporter": data})
    return _detail(complaint_id, reporter=data, reporter_shown=True)


@bp.get("/petugas/foto/<file>")
@login_required(*STAFF)
def photo(file: str):
    row = queue.staff_photo(get_conn(), current_user(), file)
    response = send_file(
        photo_mod.photo_file(_settings().photo_path, row["file"]), mimetype=row["media_type"]
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/admin/sesi")
@login_required("admin")
def sessions_page():
    conn = get_conn()
    user = current_user()
    return render_template(
        "staff/sessions.html",
        sessions=auth.list_sessions(conn, user.kelurahan),
        users=[u for u in auth.list_users(conn) if set(u["kelurahan"] or ()) & set(user.kelurahan)],
        now=dt.datetime.now(dt.UTC),
        lang=current_language(),
        labels=workflow.STATUS_LABELS,
    )


@bp.post("/admin/sesi/<sid>/cabut")
@login_required("admin")
def revoke(sid: str):
    conn = get_conn()
    user = current_user()
    owner = auth.session_owner(conn, sid, user.kelurahan)
    auth.revoke_sessions(conn, owner, sid)
    auth.audit(conn, user.id, "revoke_session", "app_user", str(owner))
    return redirect(url_for("staff.sessions_page"), 303)


def _commit_anyway(response):
    """A refused login is still a login attempt that must be recorded (it counts toward the limit)."""
    if g.get("sigkel_commit_anyway"):
        tx = g.get("sigkel_tx")
        if tx is not None and tx.is_active:
            tx.commit()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_commit_anyway)
