"""Export any stored layer as GeoJSON, GeoPackage, Shapefile, CSV or KML.

Column names are at most 10 characters so a Shapefile keeps them, and they are names the importer
recognises, so export then import gives back the same features. Complaints are exported in their
public form (generalised point, no description) unless ``private=True``.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.errors import DataError

__all__ = ["EXPORT_LAYERS", "FORMATS", "export_layer", "read_layer"]

FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile", "csv": "CSV", "kml": "KML"}
# layer -> (SELECT with {geom} placeholder, FROM/WHERE, kelurahan column, order)
EXPORT_LAYERS = {
    "kecamatan": ("x.code, x.name, x.kota_code, x.kota_name", "kecamatan x", "x.code", "x.code"),
    "kelurahan": ("x.code, x.name, x.kecamatan_code AS kec_code, x.kind", "kelurahan x", "x.code", "x.code"),
    "rw": (
        "x.code, x.kelurahan_code AS kel_code, x.number AS rw, x.name, x.label_original AS label_orig",
        "rw x",
        "x.kelurahan_code",
        "x.code",
    ),
    "rt": (
        "x.code, x.kelurahan_code AS kel_code, x.rw_code, w.number AS rw, x.number AS rt, x.name",
        "rt x JOIN rw w ON w.code = x.rw_code",
        "x.kelurahan_code",
        "x.code",
    ),
    "facilities": (
        "x.category, x.name, x.address, x.kelurahan_code AS kel_code, x.rw_code, "
        "x.rt_code, x.source, x.source_id, x.synthetic",
        "facility x WHERE x.public",
        "x.kelurahan_code",
        "x.id",
    ),
    "population": (
        "x.unit_code, x.kelurahan_code AS kel_code, x.rw_code, x.rt_code, x.year, x.households, "
        "x.persons, x.male, x.female, x.age_0_4, x.age_5_14, x.age_15_64, x.age_65_plus, x.synthetic",
        "population x LEFT JOIN rt ON rt.code = x.rt_code LEFT JOIN rw ON rw.code = x.rw_code "
        "JOIN kelurahan k ON k.code = x.kelurahan_code",
        "x.kelurahan_code",
        "x.unit_code, x.year",
    ),
    "complaints": (
        "x.ticket, x.category, x.status, x.created_at, x.resolved_at, "
        "x.kelurahan_code AS kel_code, x.rw_code, x.source, x.source_id, x.synthetic",
        "complaint x JOIN complaint_category c ON c.code = x.category "
        "WHERE c.public AND NOT x.confidential AND x.geom_public IS NOT NULL",
        "x.kelurahan_code",
        "x.id",
    ),
}


def read_layer(
    conn: Connection, layer: str, kelurahan: str | None = None, bbox=None, private: bool = False
) -> gpd.GeoDataFrame:
    """A stored layer as a GeoDataFrame, filtered by kelurahan code and/or bbox (W, S, E, N)."""
    if layer not in EXPORT_LAYERS:
        raise DataError(f"No layer {layer!r} to export.", f"Layers: {', '.join(EXPORT_LAYERS)}")
    columns, source, kel_column, order = EXPORT_LAYERS[layer]
    geom = "coalesce(rt.geom, rw.geom, k.geom)" if layer == "population" else "x.geom"
    if layer == "complaints":
        if private:
            columns += ", x.description"
            source = "complaint x"
        else:
            geom = "x.geom_public"
    where = ["TRUE"]
    params = {}
    if kelurahan:
        where.append(f"{kel_column} = :kel" if layer != "kecamatan" else "x.code = left(:kel, 8)")
        params["kel"] = kelurahan
    if bbox:
        where.append(f"{geom} && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip("wsen", bbox, strict=True))
    joiner = " AND " if " WHERE " in source else " WHERE "
    sql = f"SELECT {columns}, {geom} AS geom FROM {source}{joiner}{' AND '.join(where)} ORDER BY {order}"
    frame = gpd.read_postgis(sa.text(sql), conn, geom_col="geom", params=params)
    return frame.rename_geometry("geometry")


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Datetimes as ISO text (Shapefile and KML have no time zone-aware type)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].map(lambda v: v.isoformat() if pd.notna(v) else None)
    return frame


def export_layer(
    conn: Connection,
    layer: str,
    fmt: str,
    out: Path,
    kelurahan: str | None = None,
    bbox=None,
    private: bool = False,
    run: int | None = None,
) -> int:
    """Write a layer to ``out`` in ``fmt``; returns the number of features written.

    A Shapefile is written as its set of files, or zipped when ``out`` ends in ``.zip``.
    """
    if fmt not in FORMATS:
        raise DataError(f"Unknown format {fmt!r}.", f"Formats: {', '.join(FORMATS)}")
    if layer == "analysis":
        if run is None:
            raise DataError(
                "Exporting an analysis output needs its run id: --run ID.",
                "List the runs on /perencana/ or in the analysis_run table.",
            )
        from gis.analysis.jobs import read_output

        frame = _plain(read_output(conn, run))
    else:
        frame = _plain(read_layer(conn, layer, kelurahan, bbox, private))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["wkt"] = frame.geometry.to_wkt(rounding_precision=-1)
        table.to_csv(out, index=False)
        return len(frame)
    if fmt == "shp" and out.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory() as tmp:
            shp = Path(tmp) / f"{layer}.shp"
            frame.to_file(shp, driver=FORMATS[fmt], engine="pyogrio", ENCODING="UTF-8")
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in Path(tmp).iterdir():
                    archive.write(part, part.name)
        return len(frame)
    if out.exists():
        (shutil.rmtree if out.is_dir() else Path.unlink)(out)
    options = {"ENCODING": "UTF-8"} if fmt == "shp" else {}
    frame.to_file(out, driver=FORMATS[fmt], engine="pyogrio", **options)
    return len(frame)
