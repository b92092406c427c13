"""The form that starts an analysis: its choices, and checking what was sent.

Every field is checked and every error is said in plain Indonesian, keyed by field, in the order the
form shows them; a valid form gives the job's parameters.
"""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _

from gis.analysis.jobs import AnalysisParams
from gis.planning import catalogue as cat
from gis.planning import lookups
from gis.planning.jobs import PlanningParams
from webmap.planner.helpers import facility_types, method_text

__all__ = ["FORM_METHODS", "MAX_SITES", "CELL_RANGE", "form_options", "parse_run_form"]

FORM_METHODS = ("coverage", "accessibility", "deficit", "siting", "hotspots", "kde")
RADIUS_METHODS = ("coverage", "accessibility", "siting")
VARIANTS = ("catchment", "gaussian", "step")
SHAPES = ("hex", "square", "rw", "rt")
CELL_RANGE = (25.0, 1000.0)
MAX_SITES = 20


def form_options(conn, user) -> dict:
    """The form's choices within ``user``'s kelurahan."""
    return {
        "methods": [(m, *method_text(m)) for m in FORM_METHODS],
        "kelurahan": lookups.kelurahan(conn, user.kelurahan),
        "years": lookups.population_years(conn, user.kelurahan),
        "categories": lookups.public_categories(conn),
        "facility_types": facility_types(),
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


def parse_run_form(form, options) -> tuple[str | None, object | None, dict]:
    """(method, params, errors): every field checked, every error in plain Indonesian."""
    errors: dict[str, str] = {}
    method = form.get("method", "")
    if method not in FORM_METHODS:
        errors["method"] = _("Pilih metode analisis.")
    kelurahan = _kelurahan(form, options, errors)
    cell = _cell_size(form, errors)
    if errors.get("method"):
        return None, None, errors
    parse = _planning_params if method in cat.PLANNING_METHODS else _complaint_params
    return method, parse(form, method, options, kelurahan, cell, errors), errors


def _kelurahan(form, options, errors: dict) -> list[str] | None:
    scope = [k.code for k in options["kelurahan"]]
    kel = form.get("kelurahan", "")
    if kel == "semua" and scope:
        return scope
    if kel in scope:
        return [kel]
    errors["kelurahan"] = _("Pilih kelurahan dalam wilayah tugas Anda.")
    return None


def _cell_size(form, errors: dict) -> float | None:
    raw_cell = form.get("cell_size", "").strip()
    if not raw_cell:
        return None
    try:
        cell = _number(raw_cell)
    except ValueError:
        cell = -1.0
    if not CELL_RANGE[0] <= cell <= CELL_RANGE[1]:
        errors["cell_size"] = _("Ukuran sel harus angka 25 sampai 1.000 meter, atau dikosongkan.")
    return cell


def _planning_params(form, method, options, kelurahan, cell, errors: dict) -> PlanningParams | None:
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
    year = _year(form, options, errors)
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
        return None
    return PlanningParams(
        facility_type=ftype,
        kelurahan=kelurahan,
        year=year,
        cell_size=cell,
        variant=variant,
        level=level,
        k=k,
    )


def _year(form, options, errors: dict) -> int | None:
    raw_year = form.get("year", "").strip()
    if not raw_year:
        return None
    if not raw_year.isdigit() or int(raw_year) not in options["years"]:
        errors["year"] = _("Tidak ada data penduduk tahun %(y)s untuk wilayah Anda.", y=raw_year)
        return None
    return int(raw_year)


def _complaint_params(form, method, options, kelurahan, cell, errors: dict) -> AnalysisParams | None:
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
        return None
    return AnalysisParams(
        kelurahan=kelurahan,
        category=category,
        date_from=dates["date_from"],
        date_to=dates["date_to"],
        shape=shape,
        cell_size=cell if shape in ("hex", "square") else None,
    )
