"""The evaluation dashboard (/evaluasi): KPIs per period for staff, planners and admins of a kelurahan.

It shows the same document as `sigkel report` (without running a hot spot analysis on every view),
with the report as HTML or PDF to download. Only aggregates: no personal data, so planners see it too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, render_template, request
from markupsafe import Markup

from gis.complaints.sla import TZ
from gis.errors import NotFound
from gis.evaluation import parse_period
from gis.reports import build_report, render_html, to_pdf
from webmap.db import get_conn
from webmap.security import current_user, login_required

__all__ = ["bp", "init_app"]

bp = Blueprint("evaluation", __name__, url_prefix="/evaluasi")


def _choices() -> tuple[str, str, list[str]]:
    user = current_user()
    kelurahan = request.args.get("kelurahan") or user.kelurahan[0]
    if kelurahan not in user.kelurahan:
        raise NotFound("Kelurahan tidak ditemukan / not in your kelurahan.")
    today = dt.datetime.now(TZ)
    last_quarter = ((today.month - 1) // 3) or 4
    default = f"{today.year if last_quarter != 4 or today.month > 3 else today.year - 1}-Q{last_quarter}"
    period = (request.args.get("periode") or default).strip().upper()
    parse_period(period)  # 422 with the accepted forms if it is not a period
    return kelurahan, period, list(user.kelurahan)


def _options(today: dt.datetime) -> list[str]:
    """The last 8 quarters, 12 months and 3 years, newest first."""
    out = []
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(8):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    month = today.replace(day=1)
    for _ in range(12):
        out.append(f"{month:%Y-%m}")
        month = (month - dt.timedelta(days=1)).replace(day=1)
    out += [str(today.year - i) for i in range(3)]
    return out


@bp.get("/")
@login_required("admin", "staff", "planner")
def dashboard():
    kelurahan, period, scope = _choices()
    conn = get_conn()
    data = build_report(conn, kelurahan, period, hotspots=False)
    names = dict(
        conn.exec_driver_sql(
            "SELECT code, name FROM kelurahan WHERE code = ANY(%(c)s) ORDER BY name", {"c": scope}
        ).all()
    )
    return render_template(
        "evaluation/dashboard.html",
        report=Markup(render_html(data, embedded=True)),
        kelurahan=kelurahan,
        period=period,
        scope=names,
        options=_options(dt.datetime.now(TZ)),
    )


@bp.get("/laporan.<fmt>")
@login_required("admin", "staff", "planner")
def download(fmt: str):
    if fmt not in ("html", "pdf"):
        raise NotFound("Format: html atau pdf.")
    kelurahan, period, _ = _choices()
    conn = get_conn()
    with conn.begin_nested() as savepoint:  # the hot spot run of the report is not kept from a page view
        data = build_report(conn, kelurahan, period, hotspots=True)
        document = render_html(data)
        savepoint.rollback()
    name = f"laporan-evaluasi-{kelurahan}-{period}.{fmt}"
    if fmt == "html":
        body, mimetype = document.encode(), "text/html"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = to_pdf(document, Path(tmp) / name).read_bytes()
        mimetype = "application/pdf"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
