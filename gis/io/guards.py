"""Guards against hostile input files, run before GDAL, SQLite or an XML parser touches them.

Every refusal is a :class:`~gis.errors.DataError` saying, in Bahasa Indonesia then English, what is
wrong, where, and how to fix it. The caps are named here and listed in docs/security.md
("Hostile files") with the test that proves each one.

* any file: at most :data:`MAX_FILE_BYTES`; no GDAL VRT/WFS/WMS description anywhere in its first
  64 KiB (GDAL opens those by content whatever the name, and follows them to other files and URLs);
  an SQLite database or XML document only under the name that says so (``.gpkg``, ``.kml``);
* zip: see :mod:`gis.io.archive`;
* KML: UTF-8 only, no ``<!DOCTYPE``/``<!ENTITY`` anywhere (external entities, billion laughs);
* GeoPackage: no views, triggers other than the GeoPackage/GDAL standard ones, virtual tables other
  than R*Tree, or generated columns. GDAL then opens it read-only, so even the standard triggers
  (which fire only on writes) never run;
* features: at most :data:`MAX_FEATURES`, checked from the metadata and again while reading.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

from gis.errors import DataError

__all__ = ["MAX_FILE_BYTES", "MAX_FEATURES", "check_features", "screen"]

MAX_FILE_BYTES = 1024**3  # one import file as given (zipped or not)
MAX_FEATURES = 2_000_000  # the whole of Indonesia has ~83,000 desa/kelurahan
_SCAN_BLOCK = 1024**2
_HEAD = 64 * 1024  # GDAL identifies formats from the first 1 KiB
_GDAL_REDIRECTS = (b"<ogrvrtdatasource", b"<ogrwfsdatasource", b"<vrtdataset", b"<gdal_wms", b"<gdal_wmts")

_SQLITE_MAGIC = b"SQLite format 3\x00"
_XML_DECLARATIONS = (b"<!doctype", b"<!entity")
_STANDARD_TRIGGER = re.compile(
    r"^(rtree_.+_(insert|update[1-7]?|delete)"
    r"|trigger_(insert|delete)_feature_count_.+"
    r"|gpkg_tile_matrix_(zoom_level|matrix_width|matrix_height|pixel_x_size|pixel_y_size)_(insert|update)"
    r"|gpkg_metadata_md_scope_(insert|update)"
    r"|gpkg_metadata_reference_(reference_scope|column_name|row_id_value|timestamp)_(insert|update)"
    r"|fg[ts][iu]_.+)$",
    re.IGNORECASE,
)
_VIRTUAL = re.compile(r"^\s*create\s+virtual\s+table\b.*?\busing\s+(\w+)", re.IGNORECASE | re.DOTALL)
_GENERATED = re.compile(r"\bgenerated\s+always\b|\bas\s*\(", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]")  # literals, names


def refusal(name: str, bi: str, en: str, fix_bi: str, fix_en: str) -> DataError:
    return DataError(f"{name}: {bi} / {en}", f"{fix_bi} / {fix_en}")


def mib(size: float) -> str:
    return f"{size / 1024**2:,.0f} MiB"


# -- any file --------------------------------------------------------------------------------------


def screen(path: Path, suffix: str) -> None:
    """Refuse a file by its size and by what its first bytes say it is, before any parser opens it.

    Parameters
    ----------
    path : Path
        The file to check (for a zip, each unpacked member is screened again).
    suffix : str
        Its lower-case suffix: what the user says it is.
    """
    if not path.is_file():  # a FIFO or a device (/dev/zero) would never end
        raise refusal(
            path.name,
            "bukan berkas biasa",
            "it is not a regular file",
            "Simpan datanya sebagai berkas lalu impor berkas itu",
            "Save the data as a file and import that file",
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise refusal(
            path.name,
            f"berkas {mib(size)} melebihi batas {mib(MAX_FILE_BYTES)}",
            f"the file is {mib(size)}, more than the limit of {mib(MAX_FILE_BYTES)}",
            "Potong datanya (misalnya per kelurahan) dan impor bertahap",
            "Split the data (for example per kelurahan) and import it in parts",
        )
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    found = [m.decode() for m in _GDAL_REDIRECTS if m in head.lower()]
    if found:  # GDAL opens these by content, whatever the name, and follows them to files or URLs
        raise refusal(
            path.name,
            f"ditolak, isinya deskripsi GDAL ({found[0]}…) yang membaca berkas atau URL lain",
            f"refused, it holds a GDAL description ({found[0]}…) that reads other files or URLs",
            "Kirim datanya sendiri sebagai GeoJSON, GeoPackage, Shapefile, KML atau CSV",
            "Send the data itself as GeoJSON, GeoPackage, Shapefile, KML or CSV",
        )
    if head.startswith(_SQLITE_MAGIC):
        if suffix != ".gpkg":
            raise refusal(
                path.name,
                f"isinya basis data SQLite, bukan {suffix}",
                f"it holds an SQLite database, not what {suffix} should hold",
                "Beri nama .gpkg bila itu GeoPackage",
                "Name it .gpkg if it is a GeoPackage",
            )
        _check_geopackage(path)
    elif suffix == ".kml":
        _check_kml(path)
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and suffix != ".zip":
        raise refusal(
            path.name,
            f"isinya XML, bukan {suffix}",
            f"it holds XML, not what {suffix} should hold",
            "Beri nama .kml bila itu KML; format XML lain (GML, GPX, VRT) tidak diterima",
            "Name it .kml if it is KML; other XML formats (GML, GPX, VRT) are not accepted",
        )


def check_features(name: str, count: int | None) -> None:
    """Refuse a layer with more than :data:`MAX_FEATURES` features (``None``: unknown, passes)."""
    if count is not None and count > MAX_FEATURES:
        raise refusal(
            name,
            f"berisi lebih dari {MAX_FEATURES:,} fitur ({count:,})",
            f"it holds more than {MAX_FEATURES:,} features ({count:,})",
            "Potong datanya (misalnya per kelurahan) dan impor bertahap",
            "Split the data (for example per kelurahan) and import it in parts",
        )


# -- KML -------------------------------------------------------------------------------------------


def _check_kml(path: Path) -> None:
    """UTF-8 text without a document type declaration or entities, scanned to the last byte."""
    line, tail = 1, b""
    with open(path, "rb") as handle:
        while block := handle.read(_SCAN_BLOCK):
            window = (tail + block).lower()
            if b"\x00" in block or (not tail and block.startswith((b"\xfe\xff", b"\xff\xfe"))):
                raise refusal(
                    path.name,
                    "bukan teks UTF-8 (ada byte NUL atau penanda UTF-16)",
                    "it is not UTF-8 text (NUL bytes or a UTF-16 byte order mark)",
                    "Simpan ulang KML-nya sebagai UTF-8",
                    "Save the KML again as UTF-8",
                )
            for marker in _XML_DECLARATIONS:
                at = window.find(marker)
                if at >= 0:
                    where = line + window[:at].count(b"\n") - tail.count(b"\n")
                    raise refusal(
                        path.name,
                        f"ditolak, baris {where} berisi deklarasi {marker[2:].upper().decode()} XML "
                        "(entitas XML dapat membaca berkas server atau mengembang tanpa batas)",
                        f"refused, line {where} holds an XML {marker[2:].upper().decode()} declaration "
                        "(XML entities can read server files or expand without limit)",
                        "Hapus baris <!DOCTYPE …> dan semua <!ENTITY …>; KML yang sah tidak memerlukannya",
                        "Remove the <!DOCTYPE …> line and every <!ENTITY …>; valid KML never needs them",
                    )
            line += block.count(b"\n")
            tail = block[-16:]


# -- GeoPackage ------------------------------------------------------------------------------------


def _check_geopackage(path: Path) -> None:
    """Refuse views, unknown triggers, virtual tables other than R*Tree and generated columns.

    The schema is read by Python's sqlite3 with ``mode=ro&immutable=1``: nothing is written, no
    journal is replayed, and reading ``sqlite_master`` evaluates nothing in it.
    """
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            schema = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise refusal(
            path.name,
            f"bukan GeoPackage yang dapat dibaca ({exc})",
            f"it is not a readable GeoPackage ({exc})",
            "Simpan ulang dari QGIS atau ogr2ogr",
            "Save it again from QGIS or with ogr2ogr",
        ) from None
    active = [item for item in map(_active, schema) if item]
    if active:
        listed = ", ".join(active[:5]) + (f" (+{len(active) - 5})" if len(active) > 5 else "")
        raise refusal(
            path.name,
            f"ditolak, GeoPackage ini berisi konten aktif: {listed}",
            f"refused, this GeoPackage holds active content: {listed}",
            "Ekspor ulang layer-nya ke GeoPackage baru (QGIS: Export > Save Features As, atau "
            "ogr2ogr -f GPKG bersih.gpkg berkas.gpkg LAYER)",
            "Export the layer again to a fresh GeoPackage (QGIS: Export > Save Features As, or "
            "ogr2ogr -f GPKG clean.gpkg file.gpkg LAYER)",
        )


def _active(entry: tuple) -> str | None:
    kind, name, sql = entry[0], entry[1], entry[2] or ""
    if kind == "view":
        return f"view {name!r}"
    if kind == "trigger" and not _STANDARD_TRIGGER.match(name):
        return f"trigger {name!r}"
    if kind != "table":
        return None
    virtual = _VIRTUAL.match(sql)
    if virtual and virtual.group(1).lower() != "rtree":
        return f"virtual table {name!r} ({virtual.group(1)})"
    if not virtual and _GENERATED.search(_QUOTED.sub("''", sql)):
        return f"generated column in {name!r}"
    return None
