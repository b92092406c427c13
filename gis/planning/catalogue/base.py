"""Layer references and the base layers: population per RT (latest year, jiwa/ha), public facilities
per category, RW boundaries.

* :func:`parse_ref` reads a layer reference (a run number or a base layer) into a :class:`LayerRef`;
* :func:`base_layers` describes the base layers; :func:`base_layer_frame` reads one as a GeoDataFrame.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError, NotFound
from gis.planning.catalogue.labels import _l

__all__ = ["BASE_KEYS", "LayerRef", "parse_ref", "base_layers", "base_layer_frame"]

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
