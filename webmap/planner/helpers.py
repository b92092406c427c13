"""What the planner views share: labels of methods, fields and parameters, number and time formats,
request arguments, and the template helpers ``num``, ``pct`` and ``wib``."""

from __future__ import annotations

import datetime as dt
import math
import re

from flask import current_app, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from gis.errors import DataError
from gis.planning import background
from gis.planning import catalogue as cat
from gis.planning.standards import default_table
from webmap.i18n import current_language
from webmap.planner.blueprint import bp

__all__ = [
    "WIB",
    "facility_types",
    "field_label",
    "int_arg",
    "method_text",
    "num",
    "param_items",
    "pct",
    "schemes",
    "stale_after",
    "wib",
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


def param_items(run: dict) -> list[tuple[str, str]]:
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


def wib(value) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB).strftime("%Y-%m-%d %H:%M")


def num(value, places: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(round(float(value), places) + 0.0, format=pattern)


def pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return num(100 * float(value), 1) + "%"


@bp.context_processor
def _helpers() -> dict:
    return {"num": num, "pct": pct, "wib": wib}


def stale_after() -> dt.timedelta:
    minutes = current_app.config.get("SIGKEL_PLANNER_STALE_MINUTES")
    return dt.timedelta(minutes=float(minutes)) if minutes else background.STALE_AFTER


def method_text(method: str) -> tuple[str, str]:
    label, description = cat.METHODS.get(method, (method, ""))
    return _(label), _(description) if description else ""


def field_label(name: str) -> str:
    label = cat.FIELD_LABELS.get(name)
    return _(label) if label else name


def schemes() -> list[tuple[str, str]]:
    return [(code, _(label)) for code, label in cat.SCHEMES.items()]


def facility_types() -> list[dict]:
    en = current_language() == "en"
    table = default_table()
    out = []
    for ftype in table.types():
        std = table.standard_for(None, ftype)
        out.append({"code": ftype, "name": std.name_en if en else std.name_id, "radius_m": std.radius_m})
    return sorted(out, key=lambda s: s["name"])


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not low <= int(raw) <= high:
        raise DataError(
            _("%(name)s harus bilangan bulat %(low)s sampai %(high)s.", name=name, low=low, high=high)
        )
    return int(raw)
