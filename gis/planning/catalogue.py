"""The planners' layer catalogue: stored analysis runs and the base layers, their fields, and classes.

* :func:`list_layers` lists the analysis runs (hot spots, kernel density, emerging hot spots,
  coverage, accessibility, deficit, siting) with a one-line description per method, the inputs they
  were computed from, the analysed period, status and parameters; filters by method, category (a
  complaint category or a facility type), analysed period and status.
* :func:`base_layers` describes the base layers: population per RT (latest year, jiwa/ha), public
  facilities per category, RW boundaries; :func:`base_layer_frame` reads one as a GeoDataFrame.
* :func:`layer_fields` says which properties of a layer can colour a map, and :func:`classify` puts
  values into classes with mapclassify (quantiles, Fisher-Jenks natural breaks, equal interval).

Only runs whose outputs may be shown to anyone are listed or read here (public complaint categories;
the planning jobs use population and public facilities). Texts are Indonesian; ``_l`` only marks them
for the web layer's translation catalogue (``gis`` never imports flask).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, NotFound

__all__ = [
    "METHODS",
    "PLANNING_METHODS",
    "COMPLAINT_METHODS",
    "FIELD_LABELS",
    "SCHEMES",
    "BASE_KEYS",
    "Field",
    "list_layers",
    "servable_run",
    "base_layers",
    "base_layer_frame",
    "parse_ref",
    "layer_fields",
    "field_values",
    "classify",
    "classes_for",
    "palette",
]


def _l(text: str) -> str:
    """Mark an Indonesian text for the translation catalogue; the web layer translates it."""
    return text


# method -> (label, one-line description)
METHODS: dict[str, tuple[str, str]] = {
    "hotspots": (
        _l("Titik panas (Gi*)"),
        _l(
            "Kelompok sel atau RW dengan jumlah pengaduan tinggi (titik panas) atau rendah (titik dingin) "
            "yang signifikan secara statistik, metode Getis-Ord Gi*."
        ),
    ),
    "kde": (
        _l("Kepadatan kernel"),
        _l("Permukaan halus kepadatan pengaduan per km² (kernel kuartik)."),
    ),
    "emerging": (
        _l("Titik panas yang muncul"),
        _l("Tren titik panas dari waktu ke waktu per bulan atau minggu: baru, menguat, menetap, melemah."),
    ),
    "coverage": (
        _l("Jangkauan layanan"),
        _l("Porsi penduduk dalam radius pencapaian standar SNI dan jarak ke fasilitas terdekat."),
    ),
    "accessibility": (
        _l("Aksesibilitas (2SFCA)"),
        _l("Kapasitas fasilitas per penduduk yang dapat dijangkau; indeks A ≥ 1 berarti terlayani cukup."),
    ),
    "deficit": (
        _l("Kekurangan fasilitas"),
        _l("Kebutuhan fasilitas menurut standar SNI dibanding jumlah yang ada, per RW atau kelurahan."),
    ),
    "siting": (
        _l("Usulan lokasi baru"),
        _l("Titik usulan fasilitas baru yang menambah penduduk terjangkau paling banyak (maximal covering)."),
    ),
}
COMPLAINT_METHODS = ("hotspots", "kde", "emerging")
PLANNING_METHODS = ("coverage", "accessibility", "deficit", "siting")

FIELD_LABELS: dict[str, str] = {
    "count": _l("Jumlah pengaduan"),
    "gi_z": _l("Skor z Gi*"),
    "gi_p": _l("Nilai p Gi*"),
    "gi_bin": _l("Kelas titik panas (Gi*)"),
    "gi_p_sim": _l("Nilai p permutasi"),
    "n_neighbors": _l("Jumlah tetangga"),
    "rate_per_1000": _l("Pengaduan per 1.000 jiwa"),
    "lisa_i": _l("Moran lokal (I)"),
    "lisa_p_sim": _l("Nilai p Moran lokal"),
    "density_km2": _l("Kepadatan pengaduan per km²"),
    "trend_z": _l("Skor z tren"),
    "trend_p": _l("Nilai p tren"),
    "category": _l("Pola"),
    "persons": _l("Jumlah jiwa"),
    "households": _l("Jumlah KK"),
    "density_ha": _l("Kepadatan (jiwa/ha)"),
    "nearest_m": _l("Jarak ke fasilitas terdekat (m)"),
    "covered": _l("Dalam radius pencapaian"),
    "area_ha": _l("Luas (ha)"),
    "access": _l("Indeks aksesibilitas (A)"),
    "adequately_served": _l("Terlayani cukup (A ≥ 1)"),
    "population": _l("Jumlah jiwa"),
    "population_served": _l("Jiwa per unit (standar)"),
    "required": _l("Kebutuhan (unit)"),
    "existing": _l("Jumlah ada (unit)"),
    "gap": _l("Kekurangan (unit)"),
    "surplus": _l("Kelebihan (unit)"),
    "min_land_m2": _l("Lahan minimum per unit (m²)"),
    "land_needed_m2": _l("Lahan dibutuhkan (m²)"),
    "level_ok": _l("Tingkat unit sesuai standar"),
    "rank": _l("Urutan usulan"),
    "population_gained": _l("Tambahan jiwa terjangkau"),
    "cumulative_covered": _l("Jiwa terjangkau (kumulatif)"),
    "cumulative_share": _l("Porsi terjangkau (kumulatif)"),
    "facilities": _l("Jumlah fasilitas"),
}
# The field a layer opens with, by method or base layer.
DEFAULT_FIELD = {
    "hotspots": "gi_bin",
    "kde": "density_km2",
    "emerging": "category",
    "coverage": "nearest_m",
    "accessibility": "access",
    "deficit": "gap",
    "siting": "population_gained",
    "penduduk": "density_ha",
    "rw": "density_ha",
    "fasilitas": None,
}
# Identifiers and properties that are not quantities to map.
_NOT_MAPPED = {"candidate", "feature", "id"}
# Higher is better: a blue ramp; otherwise yellow-orange-red (more need, distance, density).
_GOOD_WHEN_HIGH = {
    "access",
    "population_gained",
    "cumulative_covered",
    "cumulative_share",
    "existing",
    "surplus",
    "facilities",
}

# ColorBrewer sequential schemes (Cynthia Brewer, colorbrewer2.org), colour-blind safe, 3-7 classes.
PALETTES = {
    "YlOrRd": {
        3: ["#ffeda0", "#feb24c", "#f03b20"],
        4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
        5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
        6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
        7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
    },
    "Blues": {
        3: ["#deebf7", "#9ecae1", "#3182bd"],
        4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
        5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
        6: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
        7: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
    },
}

SCHEMES = {
    "quantiles": _l("Kuantil (jumlah sama per kelas)"),
    "fisher_jenks": _l("Jeda alami (Fisher-Jenks)"),
    "equal_interval": _l("Interval sama"),
}
K_RANGE = (3, 7)
FJ_MAX_POINTS = 400  # Fisher-Jenks is O(k·n²) without numba: larger layers use their quantiles

# Runs that may be shown: all public categories, or one public category (as gis.analysis.jobs).
_SERVABLE = (
    "(r.parameters->>'category' IS NULL OR r.parameters->>'category' IN "
    "(SELECT code FROM complaint_category WHERE public))"
)
# The analysed period of a run: its complaint dates, or the population year of a planning run.
_PERIOD_FROM = (
    "coalesce(CAST(r.parameters->>'date_from' AS date), "
    "make_date(CAST(coalesce(r.inputs->>'year', r.parameters->>'year') AS int), 1, 1))"
)
_PERIOD_TO = (
    "coalesce(CAST(r.parameters->>'date_to' AS date), "
    "make_date(CAST(coalesce(r.inputs->>'year', r.parameters->>'year') AS int), 12, 31))"
)


def list_layers(
    conn: Connection,
    method: str | None = None,
    category: str | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    status: str | None = None,
    limit: int = 300,
) -> list[dict]:
    """Analysis runs, newest first, with ``label``, ``description``, ``period`` and ``fields``.

    ``category`` matches a run's complaint category or facility type; the period filter keeps runs
    whose analysed period overlaps [period_from, period_to] (an open end matches anything).
    """
    if method is not None and method not in METHODS:
        raise DataError(f"Metode tidak dikenal: {method!r}.", f"Metode: {', '.join(METHODS)}.")
    if status is not None and status not in ("running", "done", "failed"):
        raise DataError(f"Status tidak dikenal: {status!r}.")
    rows = (
        conn.execute(
            sa.text(
                f"SELECT r.id, r.method, r.kelurahan_code, k.name AS kelurahan_name, r.parameters, "
                f"r.inputs, r.status, r.message, r.code_version, r.timings, r.started_at, r.finished_at, "
                f"{_PERIOD_FROM} AS period_from, {_PERIOD_TO} AS period_to "
                f"FROM analysis_run r LEFT JOIN kelurahan k ON k.code = r.kelurahan_code "
                f"WHERE {_SERVABLE} "
                "AND (CAST(:method AS text) IS NULL OR r.method = :method) "
                "AND (CAST(:status AS text) IS NULL OR r.status = :status) "
                "AND (CAST(:cat AS text) IS NULL OR r.parameters->>'category' = :cat "
                "     OR (r.method IN ('coverage', 'accessibility', 'deficit', 'siting') "
                "         AND r.parameters->>'facility_type' = :cat)) "
                f"AND (CAST(:p0 AS date) IS NULL OR {_PERIOD_TO} IS NULL OR {_PERIOD_TO} >= :p0) "
                f"AND (CAST(:p1 AS date) IS NULL OR {_PERIOD_FROM} IS NULL OR {_PERIOD_FROM} <= :p1) "
                "ORDER BY r.id DESC LIMIT :limit"
            ),
            {
                "method": method,
                "status": status,
                "cat": category,
                "p0": period_from,
                "p1": period_to,
                "limit": limit,
            },
        )
        .mappings()
        .all()
    )
    out = []
    for row in rows:
        run = dict(row)
        label, description = METHODS.get(run["method"], (run["method"], ""))
        run["label"], run["description"] = label, description
        out.append(run)
    return out


def servable_run(conn: Connection, run_id: int) -> dict:
    """A run that may be shown (any status), or NotFound."""
    row = (
        conn.execute(
            sa.text(
                "SELECT r.id, r.method, r.kelurahan_code, k.name AS kelurahan_name, r.parameters, r.inputs, "
                "r.status, r.message, r.code_version, r.timings, r.started_at, r.finished_at, "
                "extract(epoch FROM coalesce(r.finished_at, now()) - r.started_at) AS elapsed_s "
                f"FROM analysis_run r LEFT JOIN kelurahan k ON k.code = r.kelurahan_code WHERE r.id = :r "
                f"AND {_SERVABLE}"
            ),
            {"r": run_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Tidak ada run analisis {run_id} / there is no analysis run {run_id}.")
    run = dict(row)
    run["label"], run["description"] = METHODS.get(run["method"], (run["method"], ""))
    run["elapsed_s"] = float(run["elapsed_s"] or 0.0)
    return run


# --- base layers ---------------------------------------------------------------------------------

BASE_KEYS = ("penduduk", "rw", "fasilitas")
_REF = re.compile(
    r"^(?:(?P<run>[0-9]{1,12})|(?P<base>penduduk|rw|fasilitas)(?::(?P<cat>[a-z][a-z0-9_]{0,40}))?)$"
)


@dataclass(frozen=True)
class LayerRef:
    """A layer to show: an analysis run (``run``) or a base layer (``base``, optional ``category``)."""

    run: int | None = None
    base: str | None = None
    category: str | None = None

    @property
    def key(self) -> str:
        if self.run is not None:
            return str(self.run)
        return f"{self.base}:{self.category}" if self.category else str(self.base)


def parse_ref(text: str) -> LayerRef:
    """``"12"`` (a run), ``"penduduk"``, ``"rw"``, ``"fasilitas"`` or ``"fasilitas:posyandu"``."""
    match = _REF.match(text or "")
    if not match:
        raise DataError(
            f"Lapisan tidak dikenal: {text!r}.", "Nomor run, penduduk, rw, fasilitas atau fasilitas:KATEGORI."
        )
    if match["run"]:
        return LayerRef(run=int(match["run"]))
    if match["cat"] and match["base"] != "fasilitas":
        raise DataError(f"Lapisan {match['base']!r} tidak punya kategori.")
    return LayerRef(base=match["base"], category=match["cat"])


def _latest_year(conn: Connection) -> int | None:
    return conn.execute(sa.text("SELECT max(year) FROM population")).scalar()


def base_layers(conn: Connection) -> list[dict]:
    """The base layers with what they hold, where they come from and when they last changed."""
    changed = dict(
        conn.execute(sa.text("SELECT layer, max(changed_at) FROM layer_version GROUP BY layer")).all()
    )
    year = _latest_year(conn)
    out = []
    if year is not None:
        from gis.planning.population import metric_epsg, read_population

        units = read_population(conn, year)  # RT where an RW has RT figures, else the RW: no double count
        hectares = float(units.geometry.to_crs(metric_epsg(units)).area.sum()) / 10_000
        sources = conn.execute(
            sa.text(
                "SELECT string_agg(DISTINCT source, '; '), bool_or(synthetic) FROM population WHERE year = :y"
            ),
            {"y": year},
        ).one()
        persons = int(units["persons"].sum())
        out.append(
            {
                "key": "penduduk",
                "label": _l("Penduduk per RT"),
                "description": _l(
                    "Jumlah jiwa dan kepadatan (jiwa/ha) per RT untuk tahun data terakhir; "
                    "RW tanpa angka per RT tampil sebagai satu RW."
                ),
                "source": sources[0],
                "synthetic": bool(sources[1]),
                "date": str(year),
                "year": year,
                "count": len(units),
                "rt_units": int((units["level"] == "rt").sum()),
                "persons": persons,
                "density_ha": round(persons / hectares, 1) if hectares else None,
                "export": "population",
            }
        )
    facilities = (
        conn.execute(
            sa.text(
                "SELECT f.category, c.name_id, c.name_en, count(*) AS n, string_agg(DISTINCT f.source, '; ') "
                "AS source, max(f.updated_at) AS updated FROM facility f JOIN facility_category c "
                "ON c.code = f.category WHERE f.public GROUP BY f.category, c.name_id, c.name_en "
                "ORDER BY n DESC, f.category"
            )
        )
        .mappings()
        .all()
    )
    if facilities:
        out.append(
            {
                "key": "fasilitas",
                "label": _l("Fasilitas umum"),
                "description": _l(
                    "Titik fasilitas publik (kesehatan, pendidikan, ibadah, keamanan, taman, …) per kategori."
                ),
                "source": "; ".join(sorted({s for r in facilities for s in (r["source"] or "").split("; ")})),
                "date": _day(changed.get("facility") or max(r["updated"] for r in facilities)),
                "count": sum(int(r["n"]) for r in facilities),
                "categories": [
                    {
                        "code": r["category"],
                        "name_id": r["name_id"],
                        "name_en": r["name_en"],
                        "count": int(r["n"]),
                    }
                    for r in facilities
                ],
                "export": "facilities",
            }
        )
    rws = (
        conn.execute(sa.text("SELECT count(*) AS n, string_agg(DISTINCT source, '; ') AS source FROM rw"))
        .mappings()
        .one()
    )
    if rws["n"]:
        out.append(
            {
                "key": "rw",
                "label": _l("Batas RW"),
                "description": _l(
                    "Batas wilayah RW dengan jumlah jiwa, luas dan kepadatan tahun data terakhir."
                ),
                "source": rws["source"],
                "date": _day(changed.get("rw")),
                "count": int(rws["n"]),
                "export": "rw",
            }
        )
    return out


def _day(value) -> str | None:
    return value.date().isoformat() if isinstance(value, dt.datetime) else value


def base_layer_frame(conn: Connection, ref: LayerRef) -> gpd.GeoDataFrame:
    """A base layer as a GeoDataFrame (EPSG:4326) with the properties a planner maps."""
    if ref.base == "penduduk":
        from gis.planning.population import density, read_population

        units = read_population(conn)
        frame = units[["code", "level", "rw_code", "kelurahan_code", "persons", "geometry"]].copy()
        frame["density_ha"] = density(units).round(1)
        frame.attrs["year"] = units.attrs["year"]
        return frame
    if ref.base == "rw":
        year = _latest_year(conn)
        frame = gpd.read_postgis(
            sa.text(
                "SELECT w.code, w.name, w.kelurahan_code, k.name AS kelurahan, "
                "round(CAST(ST_Area(w.geom::geography) / 10000 AS numeric), 2)::float8 AS area_ha, "
                "p.persons, w.geom FROM rw w JOIN kelurahan k ON k.code = w.kelurahan_code "
                "LEFT JOIN (SELECT rw_code, sum(persons) AS persons FROM population "
                "  WHERE year = :y AND rw_code IS NOT NULL GROUP BY rw_code) p ON p.rw_code = w.code "
                "ORDER BY w.code"
            ),
            conn,
            geom_col="geom",
            params={"y": year},
        ).rename_geometry("geometry")
        frame["persons"] = frame["persons"].astype(float)
        frame["density_ha"] = (frame["persons"] / frame["area_ha"]).round(1)
        frame.attrs["year"] = year
        return frame
    if ref.base == "fasilitas":
        frame = gpd.read_postgis(
            sa.text(
                "SELECT f.id, f.category, c.name_id AS category_name, f.name, f.kelurahan_code, f.rw_code, "
                "f.geom FROM facility f JOIN facility_category c ON c.code = f.category WHERE f.public "
                "AND (CAST(:cat AS text) IS NULL OR f.category = :cat) ORDER BY f.id"
            ),
            conn,
            geom_col="geom",
            params={"cat": ref.category},
        ).rename_geometry("geometry")
        if ref.category and frame.empty:
            raise NotFound(f"Tidak ada fasilitas publik berkategori {ref.category!r}.")
        return frame
    raise DataError(f"Bukan lapisan dasar: {ref.key!r}.")


# --- fields and classes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A property that can colour a map: ``numeric`` (classified), ``boolean``, ``bins`` (Gi* bins)
    or ``pattern`` (emerging hot spot categories)."""

    name: str
    kind: str
    count: int

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "label": FIELD_LABELS.get(self.name, self.name),
            "palette": palette_name(self.name),
        }


def _kind(name: str, types: set[str], method: str | None) -> str | None:
    if name in _NOT_MAPPED:
        return None
    if name == "gi_bin" or name == "lisa_cluster":
        return "bins" if name == "gi_bin" else None
    if name == "category" and method == "emerging":
        return "pattern"
    if types <= {"number", "null"} and "number" in types:
        return "numeric"
    if types <= {"boolean", "null"} and "boolean" in types:
        return "boolean"
    return None


def layer_fields(conn: Connection, ref: LayerRef) -> list[Field]:
    """The mappable fields of a layer, the method's usual field first."""
    if ref.run is not None:
        run = servable_run(conn, ref.run)
        rows = conn.execute(
            sa.text(
                "SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value)) AS types, "
                "count(*) FILTER (WHERE jsonb_typeof(e.value) NOT IN ('null')) AS n "
                "FROM analysis_output o, jsonb_each(o.properties) e WHERE o.run_id = :r GROUP BY e.key "
                "ORDER BY min(o.feature), e.key"
            ),
            {"r": ref.run},
        ).all()
        method = run["method"]
        found = [(key, set(types), int(n)) for key, types, n in rows]
    else:
        frame = base_layer_frame(conn, ref)
        method = ref.base
        found = []
        for col in frame.columns.drop("geometry"):
            series = frame[col]
            if series.dtype.kind in "iuf":
                found.append((col, {"number"}, int(series.notna().sum())))
            elif series.dtype.kind == "b":
                found.append((col, {"boolean"}, int(series.notna().sum())))
    fields = [Field(name, kind, n) for name, types, n in found if (kind := _kind(name, types, method))]
    if ref.base == "fasilitas" or ref.base == "penduduk":
        fields = [f for f in fields if f.name not in ("id",)]
    first = DEFAULT_FIELD.get(method)
    fields.sort(key=lambda f: (f.name != first, f.kind != "numeric"))
    return fields


def field_values(conn: Connection, refs: list[LayerRef], field: str) -> np.ndarray:
    """The finite numeric values of ``field`` in all the layers (pooled: one classification for all)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", field or ""):
        raise DataError(f"Nama kolom tidak sah: {field!r}.")
    parts = []
    for ref in refs:
        if ref.run is not None:
            servable_run(conn, ref.run)
            values = (
                conn.execute(
                    sa.text(
                        "SELECT CAST(properties->>:f AS float8) FROM analysis_output WHERE run_id = :r "
                        "AND jsonb_typeof(properties->:f) = 'number'"
                    ),
                    {"f": field, "r": ref.run},
                )
                .scalars()
                .all()
            )
            if (
                not values
                and not conn.execute(
                    sa.text("SELECT 1 FROM analysis_output WHERE run_id = :r AND properties ? :f LIMIT 1"),
                    {"r": ref.run, "f": field},
                ).first()
            ):
                raise DataError(f"Run {ref.run} tidak punya kolom {field!r}.")
            parts.append(np.asarray(values, float))
        else:
            frame = base_layer_frame(conn, ref)
            if field not in frame.columns or frame[field].dtype.kind not in "iuf":
                raise DataError(f"Lapisan {ref.key} tidak punya kolom angka {field!r}.")
            parts.append(frame[field].to_numpy(float))
    values = np.concatenate(parts) if parts else np.zeros(0)
    return values[np.isfinite(values)]


def palette_name(field: str) -> str:
    return "Blues" if field in _GOOD_WHEN_HIGH else "YlOrRd"


def palette(name: str, k: int) -> list[str]:
    """``k`` colours of a ColorBrewer ramp (1-2 classes take the light and dark ends of three)."""
    ramp = PALETTES[name]
    if k >= 3:
        return list(ramp[min(k, 7)])
    return [ramp[3][2]] if k == 1 else [ramp[3][0], ramp[3][2]]


def classify(values, scheme: str = "quantiles", k: int = 5) -> dict:
    """Classes of ``values`` by a mapclassify scheme.

    Returns ``bins`` (upper bounds: class i holds bins[i-1] < v <= bins[i], the first class from
    ``min``), ``counts``, ``min``, ``max``, ``n`` and ``k`` (the classes actually made: fewer than asked
    when there are fewer distinct values). Whole-number data (counts, people, units) get whole-number
    bounds (``integer``: the scheme's bounds rounded down), so no class falls between two integers.
    """
    import mapclassify

    if scheme not in SCHEMES:
        raise DataError(f"Skema klasifikasi tidak dikenal: {scheme!r}.", f"Pilih: {', '.join(SCHEMES)}.")
    if not isinstance(k, int | np.integer) or not K_RANGE[0] <= k <= K_RANGE[1]:
        raise DataError(f"Jumlah kelas harus {K_RANGE[0]} sampai {K_RANGE[1]}, bukan {k!r}.")
    y = np.asarray(values, float)
    y = y[np.isfinite(y)]
    base = {"scheme": scheme, "k_requested": int(k), "n": int(len(y))}
    if not len(y):
        return {**base, "k": 0, "integer": False, "bins": [], "counts": [], "min": None, "max": None}
    distinct = np.unique(y)
    k_eff = min(int(k), len(distinct))
    if k_eff == 1:
        bins = np.array([distinct[0]])
    else:
        with warnings.catch_warnings():  # numba missing; fewer distinct values than classes
            warnings.simplefilter("ignore")
            if scheme == "quantiles":
                bins = mapclassify.Quantiles(y, k=k_eff).bins
            elif scheme == "equal_interval":
                bins = mapclassify.EqualInterval(y, k=k_eff).bins
            else:
                sample = y if len(y) <= FJ_MAX_POINTS else np.quantile(y, np.linspace(0, 1, FJ_MAX_POINTS))
                bins = mapclassify.FisherJenks(sample, k=k_eff).bins
    bins = np.unique(np.asarray(bins, float))
    integer = bool(np.all(y == np.round(y)))
    if integer:  # counts, people, units: a bound between two whole numbers makes an empty class
        bins = np.unique(np.floor(bins))
    bins[-1] = max(bins[-1], float(y.max()))  # every value falls in a class
    bins = np.unique(bins)
    index = np.searchsorted(bins, y, side="left")
    counts = np.bincount(index, minlength=len(bins))
    return {
        **base,
        "k": int(len(bins)),
        "integer": integer,
        "bins": [float(b) for b in bins],
        "counts": [int(c) for c in counts],
        "min": float(y.min()),
        "max": float(y.max()),
    }


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()


def classes_for(conn: Connection, refs: list[LayerRef], field: str, scheme: str, k: int) -> dict:
    """Classes of ``field`` over one or more layers, with the field's palette; finished runs are
    immutable, so their classes are cached."""
    cacheable = all(r.run is not None for r in refs)
    key = (tuple(r.key for r in refs), field, scheme, k)
    if cacheable:
        done = conn.execute(
            sa.text("SELECT count(*) FROM analysis_run WHERE id = ANY(:ids) AND status = 'done'"),
            {"ids": [r.run for r in refs]},
        ).scalar()
        cacheable = done == len({r.run for r in refs})
    if cacheable:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return dict(_CACHE[key])
    result = classify(field_values(conn, refs, field), scheme, k)
    name = palette_name(field)
    result.update(
        {
            "field": field,
            "layers": [r.key for r in refs],
            "palette": name,
            "colors": palette(name, result["k"]) if result["k"] else [],
        }
    )
    if cacheable:
        with _CACHE_LOCK:
            _CACHE[key] = dict(result)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result
