"""Files of the planners' layers: an analysis run's output or a base layer, as GeoJSON, GeoPackage,
zipped Shapefile or CSV, written by :func:`gis.io.export_layer` and read back into memory.

Shapefiles keep only 10 characters of a field name, so their zip also holds ``kolom.csv``: the
Shapefile name next to the full one.
"""

from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from pathlib import Path

from sqlalchemy.engine import Connection

from gis.analysis import jobs

__all__ = ["DOWNLOADS", "export_file"]

# format -> (export_layer format, file extension, media type)
DOWNLOADS = {
    "geojson": ("geojson", "geojson", "application/geo+json"),
    "gpkg": ("gpkg", "gpkg", "application/geopackage+sqlite3"),
    "shp": ("shp", "zip", "application/zip"),
    "csv": ("csv", "csv", "text/csv; charset=utf-8"),
}


def export_file(
    conn: Connection, layer: str, fmt: str, name: str, run: int | None = None
) -> tuple[bytes, str, str]:
    """Export ``layer`` (``run``'s output when ``layer`` is "analysis") as ``fmt``.

    The file is written in a temporary directory, which is always removed.

    Parameters
    ----------
    conn : Connection
    layer : str
        An :func:`gis.io.export_layer` layer: "analysis", "population", "rw", "facilities", …
    fmt : str
        A key of :data:`DOWNLOADS`.
    name : str
        The file name without extension.
    run : int, optional
        The analysis run, for ``layer="analysis"``.

    Returns
    -------
    tuple of (bytes, str, str)
        The file's content, its name with extension, and its media type.
    """
    from gis.io import export_layer

    export_fmt, ext, mimetype = DOWNLOADS[fmt]
    with tempfile.TemporaryDirectory(prefix="sigkel-unduh-") as tmp:
        out = Path(tmp) / f"{name}.{ext}"
        with warnings.catch_warnings():
            # Shapefile field names are cut to 10 characters; kolom.csv in the zip gives the full names
            warnings.filterwarnings("ignore", message=".*(longer than 10 characters|laundered field name).*")
            export_layer(conn, layer, export_fmt, out, run=run)
        if fmt == "shp":
            _add_field_names(conn, out, layer, run)
        data = out.read_bytes()
    return data, f"{name}.{ext}", mimetype


def _add_field_names(conn: Connection, archive: Path, layer: str, run: int | None) -> None:
    """Add kolom.csv to a zipped Shapefile: Shapefile name -> full name."""
    import pyogrio

    from gis.io.export import read_layer

    if run is not None:
        full = list(jobs.read_output(conn, run).columns.drop("geometry"))
    else:
        full = list(read_layer(conn, layer).columns.drop("geometry"))
    short = list(pyogrio.read_info(f"/vsizip/{archive}/{layer}.shp")["fields"])
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["kolom_shp", "nama_lengkap"])
    writer.writerows(zip(short, full, strict=False))
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("kolom.csv", text.getvalue())
