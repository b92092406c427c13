"""Read GIS files as GeoDataFrames in EPSG:4326, in chunks, with the CRS checked first.

Formats: GeoJSON (and Open311-style JSON arrays), GeoPackage (one layer, chosen), Shapefile (``.shp``
or zipped), KML, and CSV with lat/lon or WKT columns. A shapefile without ``.prj`` is refused unless
the caller says which CRS it is in.

Hostile files are refused before any parser sees them: every file passes :func:`gis.io.guards.screen`
(zips are unpacked by :func:`gis.io.archive.safe_extract`, and the unpacked ``.shp`` is screened
again), GDAL may open a file only with the driver its suffix promises, and the feature count is
capped from the metadata and again while reading.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gis.errors import DataError
from gis.io import archive, guards
from gis.io.archive import ZIP_MAX_BYTES, ZIP_MAX_RATIO
from gis.io.fields import CANDIDATES, _key

__all__ = ["SourceFile", "open_source", "ZIP_MAX_BYTES", "ZIP_MAX_RATIO"]

CHUNK = 100_000
# what GDAL may open each suffix as: a file is never read by a driver its name does not promise
_DRIVERS = {
    ".geojson": {"GeoJSON", "GeoJSONSeq"},
    ".json": {"GeoJSON", "GeoJSONSeq", "ESRIJSON", "TopoJSON"},
    ".gpkg": {"GPKG"},
    ".shp": {"ESRI Shapefile"},
    ".kml": {"LIBKML", "KML"},
    ".fgb": {"FlatGeobuf"},
}


@dataclass
class SourceFile:
    """An opened input: its format, layer, CRS, columns and a way to read it in chunks."""

    path: Path
    driver: str
    layer: str | None
    crs: CRS | None
    columns: list[str]
    count: int | None
    notes: list[str] = field(default_factory=list)
    _tmp: str | None = None
    _table: pd.DataFrame | None = None

    def chunks(
        self, mapping: dict[str, str] | None = None, size: int | None = None
    ) -> Iterator[gpd.GeoDataFrame]:
        """Yield GeoDataFrames in EPSG:4326 with a ``row`` column numbering rows from 1."""
        offset = 0
        for frame in self._raw_chunks(mapping or {}, size or CHUNK):
            guards.check_features(self.path.name, offset + len(frame))  # the metadata may lie
            frame = frame.reset_index(drop=True)
            frame.insert(0, "row", np.arange(offset + 1, offset + len(frame) + 1))
            offset += len(frame)
            yield _to_4326(frame, self.crs)

    def read(self, mapping: dict[str, str] | None = None) -> gpd.GeoDataFrame:
        parts = list(self.chunks(mapping))
        if not parts:
            return gpd.GeoDataFrame({"row": []}, geometry=[], crs=4326)
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def _raw_chunks(self, mapping, size):
        if self._table is not None:
            for start in range(0, max(len(self._table), 1), size):
                part = self._table.iloc[start : start + size]
                if len(part):
                    yield _table_points(part, mapping, self.path)
            return
        if self.driver in ("GPKG", "FlatGeobuf") and self.count and self.count > size:
            yield from self._arrow_chunks(size)
            return
        # an unreadable geometry (a NaN vertex leaves its ring unclosable) becomes a missing one, which
        # validation rejects with its row number, instead of failing the whole read
        yield pyogrio.read_dataframe(
            self.path, layer=self.layer, on_invalid="ignore", max_features=guards.MAX_FEATURES + 1
        )

    def _arrow_chunks(self, size):
        with pyogrio.open_arrow(self.path, layer=self.layer, batch_size=size, use_pyarrow=True) as (
            meta,
            reader,
        ):
            geom_col = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                table = batch.to_pandas()
                geoms = shapely.from_wkb(table.pop(geom_col).to_numpy(), on_invalid="ignore")
                yield gpd.GeoDataFrame(table, geometry=geoms, crs=self.crs)

    def close(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _to_4326(frame: gpd.GeoDataFrame, crs: CRS | None) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame))
    if crs is not None and frame.crs is None:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is not None and not CRS(frame.crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        frame = frame.to_crs(4326)  # pyproj with always_xy semantics inside geopandas
    return frame.set_crs(4326, allow_override=True)


def _find(columns, kind_fields) -> str | None:
    keys = {_key(c): c for c in columns}
    for candidate in kind_fields:
        if _key(candidate) in keys:
            return keys[_key(candidate)]
    return None


def _numbers(column: pd.Series) -> np.ndarray:
    """A coordinate column as floats; text that is no number becomes NaN, and so does an integer too
    large for a float (JSON allows 400 digits), which pandas would raise OverflowError on."""
    cells = column.map(lambda v: np.nan if isinstance(v, int) and abs(v) > 1e308 else v)
    return pd.to_numeric(cells, errors="coerce").to_numpy(float)


def _table_points(table: pd.DataFrame, mapping: dict[str, str], path: Path) -> gpd.GeoDataFrame:
    """Points from lat/lon columns or geometry from a WKT column; bad cells become None."""
    cols = list(table.columns)
    lat = mapping.get("lat") or _find(cols, CANDIDATES["complaints"]["lat"])
    lon = mapping.get("lon") or _find(cols, CANDIDATES["complaints"]["lon"])
    wkt = mapping.get("wkt") or _find(cols, CANDIDATES["complaints"]["wkt"])
    if lat and lon:
        y, x = _numbers(table[lat]), _numbers(table[lon])
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(len(table), None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
    elif wkt:
        text = [v if isinstance(v, str) else None for v in table[wkt]]  # an empty cell is NaN, not text
        geoms = shapely.from_wkt(np.array(text, dtype=object), on_invalid="ignore")
    else:
        raise DataError(
            f"{path.name}: no coordinate columns found (columns: {', '.join(map(str, cols))}).",
            "Name them with --map lat=COLUMN --map lon=COLUMN, or --map wkt=COLUMN.",
        )
    return gpd.GeoDataFrame(table.copy(), geometry=list(geoms), crs=None)  # SourceFile.crs applies


def _open_csv(path: Path) -> SourceFile:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name} is not a readable CSV file: {exc}") from None
    return SourceFile(path, "CSV", None, CRS.from_epsg(4326), list(table.columns), len(table), _table=table)


def _open_json_array(path: Path) -> SourceFile | None:
    """Open311-style JSON: a list of objects with lat/long (not GeoJSON)."""
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    if not head.startswith(b"["):
        return None
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name} is not valid JSON: {exc}") from None
    table = pd.json_normalize(records, max_level=0)
    for column in table.columns:  # nested values (notes, attributes) are kept as JSON text
        if table[column].map(lambda v: isinstance(v, dict | list)).any():
            table[column] = table[column].map(lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
    return SourceFile(path, "JSON", None, CRS.from_epsg(4326), list(table.columns), len(table), _table=table)


def _vector_crs(path: Path, layer: str | None, given: CRS | None, driver: str) -> CRS:
    info = pyogrio.read_info(path, layer=layer)
    if info.get("crs"):
        found = CRS.from_user_input(info["crs"])
        if given is not None and not found.equals(given, ignore_axis_order=True):
            raise DataError(
                f"{path.name} says its CRS is {found.to_string()}, but --crs says {given.to_string()}.",
                "Drop --crs to use the file's own CRS, or fix the file's .prj.",
            )
        return found
    if given is not None:
        return given
    if driver == "ESRI Shapefile":
        prj = path.with_suffix(".prj")
        unreadable = prj.exists() or path.with_suffix(".PRJ").exists()
        raise DataError(
            f"{path.name}: "
            + (
                f"berkas {prj.name} tidak dapat dibaca, jadi sistem koordinatnya tidak diketahui / "
                f"its {prj.name} cannot be read, so its coordinate system is unknown."
                if unreadable
                else "tidak ada berkas .prj, jadi sistem koordinatnya tidak diketahui / "
                f"{path.name} has no .prj file, so its coordinate system is unknown."
            ),
            "Sertakan berkas .prj yang benar di sebelah .shp (di dalam zip yang sama), atau sebutkan "
            "CRS-nya: --crs EPSG:4326 (atau EPSG:32748 …) / Include the right .prj next to the .shp (in "
            "the same zip), or say which CRS it is in: --crs EPSG:4326 (or EPSG:32748 …).",
        )
    return CRS.from_epsg(4326)  # GeoJSON and KML are WGS 84 by definition


def open_source(path: Path, layer: str | None = None, crs: str | None = None) -> SourceFile:
    """Open a file of any supported format; nothing is read beyond its metadata yet.

    Parameters
    ----------
    path : Path
    layer : str, optional
        The layer of a GeoPackage (or other multi-layer file); required when it has several.
    crs : str, optional
        ``EPSG:XXXX`` for a file without a CRS (a shapefile without ``.prj``, a CSV in UTM).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"File not found: {path}.")
    given = None
    if crs:
        try:
            given = CRS.from_user_input(crs)
        except Exception:  # noqa: BLE001 - pyproj raises several types
            raise DataError(
                f"--crs {crs!r} is not a coordinate system pyproj knows.",
                "Use an EPSG code such as EPSG:4326 or EPSG:32748.",
            ) from None
    suffix = path.suffix.lower()
    tmp = None
    if suffix != ".zip":
        return _open(path, suffix, layer, given, None)
    guards.screen(path, suffix)
    folder, tmp = archive.safe_extract(path)
    try:
        return _open(path, suffix, layer, given, (folder, tmp))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a refused zip leaves nothing behind
        raise


def _open(path: Path, suffix: str, layer: str | None, given, extracted) -> SourceFile:
    tmp = None
    if extracted is not None:
        folder, tmp = extracted
        shps = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".shp")
        if len(shps) != 1:
            raise DataError(
                f"{path.name}: harus berisi tepat satu berkas .shp, ditemukan {len(shps)} / "
                f"must hold exactly one .shp file, found {len(shps)}.",
                "Zip satu shapefile saja: .shp, .shx, .dbf dan .prj / Zip one shapefile only: "
                ".shp, .shx, .dbf and .prj.",
            )
        path, suffix = shps[0], ".shp"
    guards.screen(path, suffix)
    if suffix == ".csv":
        source = _open_csv(path)
        source.crs = given or source.crs
        return source
    if suffix == ".json" and (source := _open_json_array(path)) is not None:
        return source
    if suffix not in _DRIVERS:
        raise DataError(
            f"{path.name}: unsupported format {suffix!r}.",
            "Use GeoJSON, GeoPackage, Shapefile (.shp or .zip), KML or CSV.",
        )
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # noqa: BLE001 - GDAL errors come in many types
        raise DataError(f"{path.name} could not be opened as {suffix[1:]}: {exc}") from None
    names = [str(n) for n, _ in layers]
    if layer is None and len(names) > 1 and suffix != ".kml":
        raise DataError(
            f"{path.name} has {len(names)} layers: choose one with --layer.", f"Layers: {', '.join(names)}"
        )
    if layer is not None and layer not in names:
        raise DataError(f"{path.name} has no layer {layer!r}.", f"Layers: {', '.join(names)}")
    layer = layer or names[0]
    info = pyogrio.read_info(path, layer=layer)
    driver = info.get("driver") or ""
    if driver not in _DRIVERS[suffix]:
        raise DataError(
            f"{path.name}: dibuka GDAL sebagai {driver or '?'}, bukan {suffix} / "
            f"GDAL reads it as {driver or '?'}, which is not what {suffix} should hold.",
            "Simpan ulang sebagai GeoJSON, GeoPackage, Shapefile, KML atau CSV / "
            "Save it again as GeoJSON, GeoPackage, Shapefile, KML or CSV.",
        )
    guards.check_features(path.name, info.get("features"))
    source_crs = _vector_crs(path, layer, given, driver)
    return SourceFile(path, driver, layer, source_crs, list(info["fields"]), info.get("features"), _tmp=tmp)
