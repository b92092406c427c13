"""The evidence table per RW for Musrenbang: a printable page, and the same table as CSV or XLSX."""

from __future__ import annotations

import datetime as dt
import io

from flask import render_template, request, send_file
from flask_babel import gettext as _

from gis.errors import DataError, NotFound
from gis.planning import evidence, lookups
from gis.planning.evidence_totals import evidence_totals
from gis.planning.standards import default_table
from webmap.db import get_conn
from webmap.i18n import current_language
from webmap.planner.blueprint import bp
from webmap.planner.helpers import facility_types, int_arg

__all__ = ["evidence_page", "evidence_csv", "evidence_xlsx"]


def _evidence_request(conn) -> dict:
    """Parse and check ?kelurahan=&year=&bulan=&jenis=... for the evidence page and files."""
    args = request.args
    kelurahan = lookups.kelurahan(conn)
    years = lookups.population_years(conn)
    types = facility_types()
    known = {t["code"] for t in types}
    code = args.get("kelurahan") or None
    if code is not None and code not in {k.code for k in kelurahan}:
        raise NotFound(_("Kelurahan %(code)s tidak ada.", code=code))
    year = args.get("year") or None
    if year is not None:
        if not year.isdigit() or int(year) not in years:
            raise DataError(_("Tidak ada data penduduk tahun %(y)s.", y=year))
        year = int(year)
    months = int_arg("bulan", 12, 1, 36)
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
    totals = evidence_totals(table, req["types"])
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
