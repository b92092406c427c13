"""OGC API Features collections: the fixed public layers and the public analysis runs.

A :class:`Collection` is a set of SQL pieces (table, the ``where`` that keeps only public rows, the
geometry, the key and one expression per property); :mod:`gis.ogc.queries` puts them together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.analysis.jobs import _SERVABLE  # the planner pages' rule: one rule, so it cannot drift
from gis.errors import NotFound

__all__ = ["CONFORMANCE", "STATIC", "Collection", "Prop", "collections", "get_collection"]

_SPEC = "http://www.opengis.net/spec/ogcapi-features-"
CONFORMANCE = [
    f"{_SPEC}1/1.0/conf/core",
    f"{_SPEC}1/1.0/conf/geojson",
    f"{_SPEC}1/1.0/conf/html",
    f"{_SPEC}1/1.0/conf/oas30",
    f"{_SPEC}2/1.0/conf/crs",
]


@dataclass(frozen=True)
class Prop:
    """One feature property: its SQL expression, JSON type and whether it may be filtered on."""

    expr: str
    type: str = "string"  # string | integer | number | boolean | date-time | None (anything)
    queryable: bool = False


@dataclass(frozen=True)
class Collection:
    """A feature collection: ``table`` (alias ``x``) and ``where`` select only its public rows."""

    id: str
    title: str
    description: str
    table: str
    where: str
    geom: str
    key: str
    key_type: str  # string | integer
    props: dict[str, Prop]
    time: tuple[str, str] | None = None  # SQL (start, end) of a feature's time, when features have one
    properties_sql: str | None = None  # instead of json_build_object over props (analysis runs)
    period: tuple[str | None, str | None] | None = None  # analysed period of a run (metadata only)
    run_id: int | None = None

    @property
    def queryables(self) -> list[str]:
        return [name for name, p in self.props.items() if p.queryable]

    def properties_json(self) -> str:
        if self.properties_sql:
            return self.properties_sql
        return "json_build_object(" + ", ".join(f"'{n}', {p.expr}" for n, p in self.props.items()) + ")"


def _utc(expr: str) -> str:
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


_SOURCE = "Sumber: pemetaan partisipatif HOT/BPBD 2012 (OpenStreetMap, ODbL); kode wilayah Kemendagri."
_POP_LEVEL = (
    "CASE WHEN x.rt_code IS NOT NULL THEN 'rt' WHEN x.rw_code IS NOT NULL THEN 'rw' ELSE 'kelurahan' END"
)
_STATIC = (
    Collection(
        "kecamatan", "Batas kecamatan", f"Batas wilayah kecamatan. {_SOURCE}", "kecamatan x", "TRUE",
        "x.geom", "x.code", "string",
        {"code": Prop("x.code", queryable=True), "name": Prop("x.name", queryable=True),
         "kota_code": Prop("x.kota_code"), "kota_name": Prop("x.kota_name")},
    ),
    Collection(
        "kelurahan", "Batas kelurahan", f"Batas wilayah kelurahan/desa. {_SOURCE}", "kelurahan x", "TRUE",
        "x.geom", "x.code", "string",
        {"code": Prop("x.code", queryable=True), "name": Prop("x.name", queryable=True),
         "kind": Prop("x.kind"), "kecamatan_code": Prop("x.kecamatan_code", queryable=True)},
    ),
    Collection(
        "rw", "Batas RW (rukun warga)", f"Batas wilayah RW. {_SOURCE}",
        "rw x JOIN kelurahan k ON k.code = x.kelurahan_code", "TRUE", "x.geom", "x.code", "string",
        {"code": Prop("x.code", queryable=True), "name": Prop("x.name"),
         "number": Prop("x.number", "integer", True),
         "kelurahan_code": Prop("x.kelurahan_code", queryable=True), "kelurahan": Prop("k.name")},
    ),
    Collection(
        "rt", "Batas RT (rukun tetangga)",
        f"Batas wilayah RT; synthetic=true: batas RT contoh (sintetis), bukan batas resmi. {_SOURCE}",
        "rt x JOIN kelurahan k ON k.code = x.kelurahan_code", "TRUE", "x.geom", "x.code", "string",
        {"code": Prop("x.code", queryable=True), "name": Prop("x.name"),
         "number": Prop("x.number", "integer", True), "rw_code": Prop("x.rw_code", queryable=True),
         "kelurahan_code": Prop("x.kelurahan_code", queryable=True), "kelurahan": Prop("k.name"),
         "synthetic": Prop("x.synthetic", "boolean", True)},
    ),
    Collection(
        "fasilitas", "Fasilitas publik",
        "Fasilitas umum yang ditampilkan di peta publik (sekolah, puskesmas, tempat ibadah, kantor, ...). "
        "synthetic=true: data contoh.",
        "facility x JOIN facility_category c ON c.code = x.category", "x.public", "x.geom", "x.id", "integer",
        {"name": Prop("x.name"), "category": Prop("x.category", queryable=True),
         "category_name": Prop("c.name_id"), "group": Prop("c.group_code", queryable=True),
         "address": Prop("x.address"), "hours": Prop("x.attributes->>'jam_buka'"),
         "contact": Prop("x.attributes->>'kontak'"),
         "kelurahan_code": Prop("x.kelurahan_code", queryable=True),
         "rw_code": Prop("x.rw_code", queryable=True), "synthetic": Prop("x.synthetic", "boolean", True)},
    ),
    Collection(
        "laporan", "Pengaduan warga (publik)",
        "Pengaduan kategori publik yang tidak rahasia, di titik yang digeneralisasi seperti di peta publik "
        "(location_method: exact, grid = pusat sel grid, rt = titik tengah RT). Tanpa uraian dan tanpa "
        "identitas pelapor; pengaduan yang digabung sebagai duplikat tidak ada. "
        "datetime menyaring created_at.",
        "complaint x JOIN complaint_category c ON c.code = x.category",
        "c.public AND NOT x.confidential AND x.geom_public IS NOT NULL AND x.duplicate_of IS NULL",
        "x.geom_public", "x.ticket", "string",
        {"ticket": Prop("x.ticket"), "category": Prop("x.category", queryable=True),
         "category_name": Prop("c.name_id"), "status": Prop("x.status", queryable=True),
         "created_at": Prop(_utc("x.created_at"), "date-time"),
         "updated_at": Prop(_utc("x.updated_at"), "date-time"), "supporters": Prop("x.supporters", "integer"),
         "kelurahan_code": Prop("x.kelurahan_code", queryable=True), "location_method": Prop("c.privacy")},
        time=("x.created_at", "x.created_at"),
    ),
    Collection(
        "populasi", "Jumlah penduduk per RT/RW",
        "Angka penduduk semua tahun: satu fitur per unit dan tahun (id = kode unit_tahun), dengan batas "
        "unitnya. level=rt atau level=rw: RW yang punya angka per RT juga punya angka RW sendiri, jadi "
        "jangan menjumlahkan dua level sekaligus. datetime menyaring tahun (1 Januari–31 Desember WIB).",
        "population x LEFT JOIN rt t ON t.code = x.rt_code "
        "LEFT JOIN rw w ON x.rt_code IS NULL AND w.code = x.rw_code "
        "LEFT JOIN kelurahan k ON x.rw_code IS NULL AND k.code = x.kelurahan_code",
        "coalesce(t.geom, w.geom, k.geom) IS NOT NULL", "coalesce(t.geom, w.geom, k.geom)",
        "x.unit_code || '_' || x.year", "string",
        {"unit_code": Prop("x.unit_code", queryable=True), "level": Prop(_POP_LEVEL, queryable=True),
         "year": Prop("x.year", "integer", True), "persons": Prop("x.persons", "integer"),
         "households": Prop("x.households", "integer"), "male": Prop("x.male", "integer"),
         "female": Prop("x.female", "integer"), "age_0_4": Prop("x.age_0_4", "integer"),
         "age_5_14": Prop("x.age_5_14", "integer"), "age_15_64": Prop("x.age_15_64", "integer"),
         "age_65_plus": Prop("x.age_65_plus", "integer"),
         "kelurahan_code": Prop("x.kelurahan_code", queryable=True),
         "rw_code": Prop("x.rw_code", queryable=True), "rt_code": Prop("x.rt_code"),
         "source": Prop("x.source"), "synthetic": Prop("x.synthetic", "boolean")},
        time=(
            "make_timestamptz(x.year, 1, 1, 0, 0, 0, 'Asia/Jakarta')",
            "make_timestamptz(x.year, 12, 31, 23, 59, 59.999999, 'Asia/Jakarta')",
        ),
    ),
)  # fmt: skip
STATIC = {c.id: c for c in _STATIC}

# ---- analysis runs ------------------------------------------------------------------------------------

_METHODS = {
    "hotspots": "Titik panas pengaduan (Gi*)",
    "kde": "Kepadatan pengaduan (kernel)",
    "emerging": "Titik panas yang muncul (tren)",
    "coverage": "Cakupan layanan fasilitas",
    "accessibility": "Aksesibilitas fasilitas (2SFCA)",
    "deficit": "Kekurangan fasilitas",
    "siting": "Usulan lokasi fasilitas baru",
}
# Runs the planner pages may show, minus any run marked for internal use (--private), whatever its category.
_RUNS = (
    "SELECT id, method, parameters, message, code_version, finished_at FROM analysis_run "
    f"WHERE status = 'done' AND {_SERVABLE} "
    "AND coalesce(parameters #>> '{extra,allow_private}', '') <> 'true' "
    "AND coalesce(parameters ->> 'allow_private', '') <> 'true'"
)
_RUN_ID = re.compile(r"analisis-([0-9]{1,12})")
_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def _run_collection(row, props: dict[str, Prop] | None = None) -> Collection:
    p = row.parameters or {}
    what = p.get("facility_type") or p.get("category") or "semua kategori publik"
    period = (p.get("date_from"), p.get("date_to"))
    title = f"{_METHODS.get(row.method, row.method)}: {what} · run {row.id}"
    description = (
        f"Hasil analisis {row.method} (run {row.id}, versi {row.code_version}): {row.message or ''}. "
        f"Periode data {period[0] or '…'} – {period[1] or '…'}; parameter lengkap ada di katalog perencana."
    )
    return Collection(
        f"analisis-{row.id}", title, description, "analysis_output x", f"x.run_id = {int(row.id)}",
        "x.geom", "x.feature", "integer", props or {}, properties_sql="x.properties",
        period=period if any(period) else None, run_id=int(row.id),
    )  # fmt: skip


def _run_props(conn: Connection, run_id: int) -> dict[str, Prop]:
    """Property names and JSON types of a run's stored output (its schema varies by method)."""
    sql = """
        SELECT key,
               array_agg(DISTINCT jsonb_typeof(value)) FILTER (WHERE jsonb_typeof(value) <> 'null') AS types,
               bool_and(value::text ~ '^-?[0-9]+$') FILTER (WHERE jsonb_typeof(value) = 'number') AS ints,
               min(feature) AS first
        FROM analysis_output, jsonb_each(properties) WHERE run_id = :r GROUP BY key ORDER BY first, key"""
    props = {}
    for key, types, ints, _ in conn.execute(sa.text(sql), {"r": run_id}):
        kind = {"string": "string", "boolean": "boolean", "number": "integer" if ints else "number"}
        jtype = kind.get(types[0]) if types and len(types) == 1 else None
        safe = bool(_SAFE_KEY.fullmatch(key))
        expr = f"x.properties->>'{key}'" if safe else "NULL"
        props[key] = Prop(expr, jtype, safe and jtype in ("string", "integer", "boolean"))
    return props


def collections(conn: Connection) -> list[Collection]:
    """Every collection: the fixed layers, then the public analysis runs, newest first."""
    runs = conn.execute(sa.text(_RUNS + " ORDER BY id DESC")).all()
    return [*STATIC.values(), *(_run_collection(r) for r in runs)]


def get_collection(conn: Connection, collection_id: str) -> Collection:
    """One collection with its full property list; NotFound for anything else (or a non-public run)."""
    if collection_id in STATIC:
        return STATIC[collection_id]
    match = _RUN_ID.fullmatch(collection_id or "")
    row = match and conn.execute(sa.text(_RUNS + " AND id = :r"), {"r": int(match[1])}).first()
    if not row:
        raise NotFound(f"Koleksi {collection_id!r} tidak ada / there is no collection {collection_id!r}.")
    return _run_collection(row, _run_props(conn, row.id))
