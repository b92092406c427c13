"""OGC API – Features over the public layers: collections, request parameters and queries.

Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) and Part 2 (CRS by reference: CRS84, EPSG:4326 with its
latitude-first axis order, and the local UTM zone). Only what the public map shows is served:
boundaries, public facilities, public complaints at their generalised point (``geom_public``; never
``geom``, ``description`` or the ``reporter`` table; no confidential complaints, no non-public
categories, no merged duplicates), population figures and the analysis runs the planner pages may show.

Features are assembled in PostGIS with ``json_build_object``; the web layer adds links and formats.
No Flask here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.analysis.jobs import _SERVABLE  # the planner pages' rule: one rule, so it cannot drift
from gis.crs import utm_epsg
from gis.errors import DataError, NotFound

__all__ = [
    "CRS84",
    "ITEM_PARAMS",
    "CONFORMANCE",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Collection",
    "InvalidParameter",
    "Page",
    "Query",
    "check_params",
    "collections",
    "describe",
    "feature_schema",
    "get_collection",
    "item",
    "items",
    "json_type",
    "parse_datetime",
    "parse_query",
    "queryables",
    "supported_crs",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
JAKARTA = ZoneInfo("Asia/Jakarta")
_SPEC = "http://www.opengis.net/spec/ogcapi-features-"
CONFORMANCE = [
    f"{_SPEC}1/1.0/conf/core",
    f"{_SPEC}1/1.0/conf/geojson",
    f"{_SPEC}1/1.0/conf/html",
    f"{_SPEC}1/1.0/conf/oas30",
    f"{_SPEC}2/1.0/conf/crs",
]
ITEM_PARAMS = ("f", "lang", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime")


class InvalidParameter(DataError):
    """A query parameter the API does not know or cannot read (HTTP 400, as the standard asks)."""

    http_status = 400
    code = "invalid-parameter"


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


# ---- CRS ---------------------------------------------------------------------------------------------


def supported_crs(conn: Connection) -> list[str]:
    """CRS84 (storage), EPSG:4326 (latitude first) and the UTM zone of the area's centre."""
    centre = conn.execute(
        sa.text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) c FROM kelurahan) e"
        )
    ).first()
    out = [CRS84, f"{EPSG}4326"]
    if centre and centre[0] is not None:
        out.append(f"{EPSG}{utm_epsg(centre[0], centre[1])}")
    return out


def _epsg(crs: str) -> int:
    return 4326 if crs == CRS84 else int(crs.removeprefix(EPSG))


def _geom_out(geom: str, crs: str) -> tuple[str, int]:
    """The geometry expression in the output CRS, and its number of decimals (≈1 cm)."""
    epsg = _epsg(crs)
    if crs == CRS84:
        return geom, 7
    if epsg == 4326:
        return f"ST_FlipCoordinates({geom})", 7
    return f"ST_Transform({geom}, {epsg})", 2


# ---- parameters --------------------------------------------------------------------------------------


@dataclass
class Query:
    """Parsed parameters of an items request."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None  # minx, miny, maxx, maxy in bbox_crs axis order
    bbox_crs: str = CRS84
    crs: str = CRS84
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filters: dict[str, object] = field(default_factory=dict)


def check_params(args: dict[str, list[str]], allowed) -> dict[str, str]:
    """The single value of each parameter; 400 for unknown or repeated parameters."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise InvalidParameter(
            f"Parameter tidak dikenal / unknown parameter: {', '.join(unknown)}.",
            f"Allowed here: {', '.join(allowed)}.",
        )
    repeated = sorted(k for k, v in args.items() if len(v) > 1)
    if repeated:
        raise InvalidParameter(f"Parameter {', '.join(repeated)} must be given once.")
    return {k: v[0] for k, v in args.items()}


def _int(name: str, raw: str, minimum: int) -> int:
    if not re.fullmatch(r"[0-9]{1,12}", raw.strip()) or int(raw) < minimum:
        raise InvalidParameter(f"{name} must be a whole number ≥ {minimum}, got {raw!r}.")
    return int(raw)


def _instant(text: str, name: str) -> tuple[dt.datetime, dt.datetime]:
    """An RFC 3339 date or date-time as the (first, last) instant it covers: a whole day for a date
    (in WIB, the kelurahan's day), a whole second for a date-time without fractions. A date-time
    without offset is read as WIB."""
    value = text.strip().removesuffix("T")  # GDAL up to 3.7 sends a date filter as 'YYYY-MM-DDT'
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), JAKARTA)
            return start, start + dt.timedelta(days=1, microseconds=-1)
        if not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?", value
        ):
            raise ValueError(value)
        start = dt.datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError:
        raise InvalidParameter(
            f"{name}: {text!r} is not an RFC 3339 date or date-time, e.g. 2025-12-01 or 2025-12-01T08:00:00Z."
        ) from None
    start = start if start.tzinfo else start.replace(tzinfo=JAKARTA)
    return start, start if "." in value else start + dt.timedelta(seconds=1, microseconds=-1)


def parse_datetime(text: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``datetime``: an instant, a closed interval ``a/b`` or a half-bounded one with ``..``."""
    parts = text.split("/")
    if len(parts) == 1:
        return _instant(parts[0], "datetime")
    if len(parts) != 2:
        raise InvalidParameter(f"datetime must be an instant or an interval a/b, got {text!r}.")
    start = None if parts[0].strip() in ("", "..") else _instant(parts[0], "datetime")[0]
    end = None if parts[1].strip() in ("", "..") else _instant(parts[1], "datetime")[1]
    if start and end and start > end:
        raise InvalidParameter(f"datetime {text!r}: the interval ends before it starts.")
    return start, end


def _bbox(text: str, crs: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(
            f"bbox must be 4 (or 6, with heights) numbers separated by commas, got {text!r}."
        )
    box = (values[0], values[1], values[3], values[4]) if len(values) == 6 else tuple(values)
    geographic = _epsg(crs) == 4326
    lon0, lat0, lon1, lat1 = (box[1], box[0], box[3], box[2]) if crs != CRS84 and geographic else box
    if geographic and not (max(abs(lon0), abs(lon1)) <= 180 and -90 <= lat0 <= lat1 <= 90):
        raise InvalidParameter(f"bbox {text!r} is outside the range of {crs} (axis order matters).")
    if not geographic and (box[0] > box[2] or box[1] > box[3]):
        raise InvalidParameter(f"bbox {text!r}: the lower corner must come first.")
    return box  # west > east in degrees is a box across the antimeridian (allowed by the standard)


def _filter_value(coll: Collection, name: str, raw: str):
    kind = coll.props[name].type
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,12}", raw.strip()):
            raise InvalidParameter(f"{name} must be a whole number, got {raw!r}.")
        value = int(raw)
    elif kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise InvalidParameter(f"{name} must be true or false, got {raw!r}.")
        value = raw.lower() == "true"
    else:
        value = raw
    if coll.run_id:  # run outputs are compared as the text of their JSON value
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def parse_query(coll: Collection, args: dict[str, list[str]], crs_list: list[str]) -> Query:
    """Validate an items request's parameters (400 for anything unknown or malformed).

    ``limit`` above MAX_LIMIT is lowered to MAX_LIMIT, as the standard asks (no error).
    """
    values = check_params(args, [*ITEM_PARAMS, *coll.queryables])
    q = Query()
    if "limit" in values:
        q.limit = min(_int("limit", values["limit"], 1), MAX_LIMIT)
    if "offset" in values:
        q.offset = _int("offset", values["offset"], 0)
    for name in ("crs", "bbox-crs"):
        if name in values and values[name] not in crs_list:
            raise InvalidParameter(
                f"{name} {values[name]!r} is not offered here; use one of: {', '.join(crs_list)}."
            )
    q.crs, q.bbox_crs = values.get("crs", CRS84), values.get("bbox-crs", CRS84)
    if "bbox" in values:
        q.bbox = _bbox(values["bbox"], q.bbox_crs)
    elif "bbox-crs" in values:
        raise InvalidParameter("bbox-crs needs a bbox.")
    if "datetime" in values:
        q.interval = parse_datetime(values["datetime"])
    q.filters = {n: _filter_value(coll, n, values[n]) for n in coll.queryables if n in values}
    return q


# ---- queries -----------------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of features: the GeoJSON array as text, and the counts."""

    features: str
    matched: int
    returned: int


def _envelope(epsg: int, across: bool) -> str:
    if across:  # west > east in degrees: a box across the antimeridian, as two boxes
        return (
            "ST_Collect(ST_MakeEnvelope(:bx0, :by0, 180, :by1, 4326), "
            "ST_MakeEnvelope(-180, :by0, :bx1, :by1, 4326))"
        )
    if epsg == 4326:
        return "ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)"
    # a projected box has curved sides in degrees: segmentise (25 m) before transforming
    return f"ST_Transform(ST_Segmentize(ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, {epsg}), 25), 4326)"


def _where(coll: Collection, q: Query) -> tuple[str, dict]:
    where, params = [f"({coll.where})"], {}
    if q.bbox:
        epsg, (x0, y0, x1, y1) = _epsg(q.bbox_crs), q.bbox
        if q.bbox_crs != CRS84 and epsg == 4326:  # latitude first
            x0, y0, x1, y1 = y0, x0, y1, x1
        params.update(bx0=x0, by0=y0, bx1=x1, by1=y1)
        where.append(f"ST_Intersects({coll.geom}, {_envelope(epsg, epsg == 4326 and x0 > x1)})")
    if q.interval and coll.time:  # features without a time match any datetime (Req. 25 C)
        start, end = q.interval
        if end is not None:
            where.append(f"{coll.time[0]} <= :t1")
            params["t1"] = end
        if start is not None:
            where.append(f"{coll.time[1]} >= :t0")
            params["t0"] = start
    for i, (name, value) in enumerate(q.filters.items()):
        where.append(f"{coll.props[name].expr} = :p{i}")
        params[f"p{i}"] = value
    return " AND ".join(where), params


def _feature(coll: Collection, crs: str) -> str:
    geom, digits = _geom_out(coll.geom, crs)
    return (
        f"json_build_object('type', 'Feature', 'id', {coll.key}, "
        f"'geometry', ST_AsGeoJSON({geom}, {digits}, 0)::json, 'properties', {coll.properties_json()})"
    )


def items(conn: Connection, coll: Collection, q: Query) -> Page:
    """A page of features in a stable order (by id), with numberMatched for the whole filter."""
    where, params = _where(coll, q)
    sql = f"""
        SELECT (SELECT count(*) FROM {coll.table} WHERE {where}) AS matched, count(s.f) AS returned,
               coalesce(json_agg(s.f ORDER BY s.k), '[]'::json)::text AS features
        FROM (SELECT {_feature(coll, q.crs)} AS f, {coll.key} AS k FROM {coll.table} WHERE {where}
              ORDER BY {coll.key} LIMIT :limit OFFSET :offset) s"""
    row = conn.execute(sa.text(sql), {**params, "limit": q.limit, "offset": q.offset}).one()
    return Page(row.features, row.matched, row.returned)


def item(conn: Connection, coll: Collection, feature_id: str, crs: str = CRS84) -> str:
    """One feature as GeoJSON text; NotFound when it does not exist or is not public."""
    found = None
    if coll.key_type == "string" or re.fullmatch(r"[0-9]{1,12}", feature_id):
        value = int(feature_id) if coll.key_type == "integer" else feature_id
        sql = (
            f"SELECT {_feature(coll, crs)}::text FROM {coll.table} WHERE ({coll.where}) AND {coll.key} = :id"
        )
        found = conn.execute(sa.text(sql), {"id": value}).scalar()
    if found is None:
        raise NotFound(f"Fitur {feature_id!r} tidak ada di {coll.id} / no such feature in {coll.id}.")
    return found


def describe(conn: Connection, colls: list[Collection], crs_list: list[str]) -> list[dict]:
    """Collection descriptions (without links): extent from PostGIS, CRS list, storage CRS."""
    runs = [c.run_id for c in colls if c.run_id]
    boxes = {
        r.run_id: r
        for r in conn.execute(
            sa.text(
                "SELECT run_id, ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT "
                "run_id, ST_Extent(geom) e FROM analysis_output WHERE run_id = ANY(:r) GROUP BY run_id) s"
            ),
            {"r": runs},
        )
    }
    out = []
    for c in colls:
        row = boxes.get(c.run_id) if c.run_id else _extent(conn, c)
        bbox = [[row.x0, row.y0, row.x1, row.y1]] if row and row.x0 is not None else []
        extent = {"spatial": {"bbox": bbox, "crs": CRS84}}
        period = (row.t0, row.t1) if c.time else c.period
        if period:
            extent["temporal"] = {"interval": [list(period)], "trs": TRS}
        info = {"id": c.id, "title": c.title, "description": c.description, "extent": extent}
        out.append({**info, "itemType": "feature", "crs": crs_list, "storageCrs": CRS84})
    return out


def _extent(conn: Connection, c: Collection):
    t0, t1 = (_utc(f"min({c.time[0]})"), _utc(f"max({c.time[1]})")) if c.time else ("NULL", "NULL")
    return conn.execute(
        sa.text(
            f"SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1, t0, t1 FROM "
            f"(SELECT ST_Extent({c.geom}) e, {t0} t0, {t1} t1 FROM {c.table} WHERE {c.where}) s"
        )
    ).one()


# ---- schemas and the API definition -------------------------------------------------------------------

_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date-time": {"type": "string", "format": "date-time"},
    None: {},
}
_DRAFT = "https://json-schema.org/draft/2019-09/schema"


def json_type(kind: str | None) -> dict:
    """The JSON Schema of a property type."""
    return dict(_TYPES[kind])


def feature_schema(coll: Collection, url: str) -> dict:
    """JSON Schema of one GeoJSON feature of the collection (the ``describedby`` link, read by GDAL)."""
    props = {name: {"title": name, **_TYPES[p.type]} for name, p in coll.props.items()}
    return {
        "$schema": _DRAFT,
        "$id": url,
        "title": coll.title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": coll.key_type},
            "geometry": {"$ref": "https://geojson.org/schema/Geometry.json"},
            "properties": {"type": "object", "properties": props},
        },
    }


def queryables(coll: Collection, url: str) -> dict:
    """The properties that may be used as ``?name=value`` filters (equality), as a JSON Schema."""
    props = {n: {"title": n, **_TYPES[coll.props[n].type]} for n in coll.queryables}
    return {"$schema": _DRAFT, "$id": url, "type": "object", "title": coll.title, "properties": props}
