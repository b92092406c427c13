"""Starting an analysis from the form, and following a run: its page and its status as JSON.

Starting one is a write: it needs a planner or admin login and the session's CSRF token. The job runs
in a background thread (:mod:`gis.planning.background`) with its own connection from the app's engine.
"""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gis import auth
from gis.planning import background
from gis.planning import catalogue as cat
from gis.planning.downloads import DOWNLOADS
from webmap.db import get_conn, get_engine
from webmap.planner.blueprint import bp
from webmap.planner.forms import form_options, parse_run_form
from webmap.planner.helpers import method_text, param_items, stale_after, wib
from webmap.security import current_user, login_required

__all__ = ["PLANNERS", "MAX_WAITING", "run_status", "run_page", "run_form"]

PLANNERS = ("planner", "admin")
MAX_WAITING = 4  # runs queued or running at once, all users together


# --- a run's status ------------------------------------------------------------------------------


def _status_json(run_id: int) -> dict:
    conn = get_conn()
    cat.servable_run(conn, run_id)
    state = background.status(conn, run_id, stale_after())
    state["finished"] = wib(state.pop("finished_at")) if state.get("finished_at") else None
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
    run["label"], run["description"] = method_text(run["method"])
    run["param_items"] = param_items(run)
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


@bp.route("/jalankan", methods=["GET", "POST"])
@login_required(*PLANNERS)
def run_form():
    conn = get_conn()
    user = current_user()
    options = form_options(conn, user)
    if request.method == "GET":
        values = {"method": request.args.get("method", "coverage"), "k": "5", "level": "rw"}
        return render_template("planner/run_form.html", options=options, values=values, errors={})
    method, params, errors = parse_run_form(request.form, options)
    status = 422
    if not errors and background.running_count(conn, stale_after()) >= MAX_WAITING:
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
